// TPL Tracker: page behaviour without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("DOMContentLoaded", function () {
  // Ask before a destructive action: <form data-confirm="Deactivate this account?">. A button marked
  // data-skip-confirm (a search inside the form, which saves nothing) submits without asking.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.hasAttribute("data-skip-confirm")) {
        return;
      }
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  // Contract form: the termination date and reason only matter for a terminated contract.
  // Without JavaScript they simply stay visible; they also stay visible while they show an error.
  var status = document.getElementById("status");
  var termination = document.getElementById("termination-fields");
  if (status && termination) {
    var sync = function () {
      var hasError = termination.querySelector(".is-invalid") !== null;
      termination.classList.toggle("d-none", status.value !== "terminated" && !hasError);
    };
    status.addEventListener("change", sync);
    sync();
  }
});

// Tracer survey form: the business fields only matter when the TPL runs their own business.
// Without JavaScript they simply stay visible; they also stay visible while they show an error.
document.addEventListener("DOMContentLoaded", function () {
  // The question is a set of radio buttons with none checked until the alumnus answers.
  var question = document.getElementById("status-question");
  var business = document.getElementById("business-fields");
  if (question && business) {
    var sync = function () {
      var chosen = question.querySelector("input[name=status]:checked");
      var hasError = business.querySelector(".is-invalid") !== null;
      business.classList.toggle("d-none", (!chosen || chosen.value !== "wirausaha") && !hasError);
    };
    question.addEventListener("change", sync);
    sync();
  }
});

// Copy a value to the clipboard: <button data-copy="#link" data-copied="Copied">. Hidden (d-none) until this script
// runs, since it does nothing without it; without the clipboard API the field stays there to copy by hand.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) {
      return;
    }
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        button.textContent = button.dataset.copied;
      });
    });
  });
  document.querySelectorAll("input[readonly][data-select]").forEach(function (input) {
    input.addEventListener("focus", function () {
      input.select();
    });
  });
});

// The current page's menu entry says so to screen readers too.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".app-navbar .nav-link.active").forEach(function (link) {
    if (!link.classList.contains("dropdown-toggle")) {
      link.setAttribute("aria-current", "page");
    }
  });
});

// Tables: each cell carries its column's name (data-label), which app.css shows beside the value when a phone
// stacks the rows as cards. Cells that already have a data-label keep it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".table-responsive > table.table:not(.table-keep)").forEach(function (table) {
    var headRows = table.tHead ? table.tHead.rows : [];
    if (!headRows.length) {
      return;
    }
    var names = [];
    Array.prototype.forEach.call(headRows[headRows.length - 1].cells, function (cell) {
      for (var n = 0; n < (cell.colSpan || 1); n++) {
        names.push(cell.textContent.replace(/\s+/g, " ").trim());
      }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && (cell.colSpan || 1) === 1) {
            cell.setAttribute("data-label", names[column] || "");
          }
          column += cell.colSpan || 1;
        });
      });
    });
  });
});

// A box that scrolls sideways (a wide table on a laptop, a code sample) can be scrolled with the keyboard.
window.addEventListener("load", function () {
  document.querySelectorAll(".table-responsive, pre").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
    }
  });
});
