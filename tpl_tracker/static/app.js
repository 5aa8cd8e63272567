// TPL Tracker: behaviour without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("DOMContentLoaded", function () {
  // Ask before destructive actions: <form data-confirm="Are you sure?">.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  // Contract form: termination fields only matter for a terminated contract.
  var status = document.getElementById("status");
  var termination = document.getElementById("termination-fields");
  if (status && termination) {
    var sync = function () {
      termination.classList.toggle("d-none", status.value !== "terminated");
    };
    status.addEventListener("change", sync);
    sync();
  }
});
