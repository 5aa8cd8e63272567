// Progress bars: the exact width from data-progress (the CSP forbids inline style attributes).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".progress-bar[data-progress]").forEach(function (bar) {
    var share = Math.max(0, Math.min(100, parseInt(bar.dataset.progress, 10) || 0));
    bar.style.width = share + "%";
  });
});
