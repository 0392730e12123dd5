/* Printable forms: the Print button. Without JavaScript it stays hidden and the browser's own print command works. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
