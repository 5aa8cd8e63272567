// Business form: fill the kecamatan and desa/kelurahan selects from /ikm/wilayah/<code> when the parent changes.
// Without JavaScript the server fills them after a submit.
(function () {
  "use strict";

  function resetSelect(select) {
    if (!select) { return; }
    var first = select.options.length ? select.options[0].cloneNode(true) : null;
    select.innerHTML = "";
    if (first) { first.value = ""; select.appendChild(first); }
    select.value = "";
  }

  function fill(select, rows) {
    resetSelect(select);
    rows.forEach(function (row) {
      var option = document.createElement("option");
      option.value = row.code;
      option.textContent = row.name;
      select.appendChild(option);
    });
  }

  function onChange(event) {
    var parent = event.target;
    var child = document.getElementById(parent.dataset.child);
    if (!child) { return; }
    resetSelect(child);
    var grandchild = document.getElementById(child.dataset.child || "");
    resetSelect(grandchild);
    if (!parent.value) { return; }
    var url = parent.dataset.childrenUrl.replace("CODE", encodeURIComponent(parent.value));
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (rows) { fill(child, rows); })
      .catch(function () { /* the server fills the lists after a submit */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-children-url]").forEach(function (select) {
      select.addEventListener("change", onChange);
    });
  });
})();
