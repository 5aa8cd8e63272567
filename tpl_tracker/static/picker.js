// TPL picker (templates/_picker.html): search and page in place while typing, without leaving the form.
// Without JavaScript the picker's buttons post the whole form back and the page comes back with the matches and
// everything typed so far (nothing saved); this script sends the same post in the background and swaps in the
// picker's parts from the answer, so the search runs on the server exactly as without it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    var form = picker.closest("form");
    var box = picker.querySelector("[data-picker-search]");
    if (!form || !box || !window.fetch || !window.DOMParser || !window.AbortController) {
      return;
    }
    var timer = null;
    var pending = null;

    function refresh(name, value) {
      var data = new FormData(form);
      data.append(name, value);
      if (pending) {
        pending.abort();
      }
      var request = new AbortController();
      pending = request;
      picker.setAttribute("aria-busy", "true");
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        signal: request.signal,
      })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(picker.id);
          if (!fresh || request !== pending) {
            return;
          }
          ["chosen", "results"].forEach(function (part) {
            var selector = '[data-picker-part="' + part + '"]';
            var old = picker.querySelector(selector);
            var now = fresh.querySelector(selector);
            if (old && now) {
              old.replaceWith(document.importNode(now, true));
            }
          });
        })
        .catch(function () {
          // Aborted by a newer search, or the server did not answer: the buttons still post the form.
        })
        .then(function () {
          if (request === pending) {
            pending = null;
            picker.removeAttribute("aria-busy");
          }
        });
    }

    picker.addEventListener("click", function (event) {
      var button = event.target.closest("button[name^='picker-']");
      if (!button) {
        return;
      }
      event.preventDefault();
      refresh(button.name, button.value);
    });
    picker.addEventListener("change", function (event) {
      // A TPL ticked while a search is on its way: search again, so that the answer keeps the tick.
      if (pending && event.target.name !== "picker-q") {
        refresh("picker-search", "1");
      }
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        refresh("picker-search", "1");
      }
    });
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        refresh("picker-search", "1");
      }, 300);
    });
  });
});
