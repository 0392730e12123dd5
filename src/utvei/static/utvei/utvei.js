/* Utvei: small progressive enhancements on top of htmx. Every feature works without this file. */
(function () {
  "use strict";
  // After htmx swaps in new content, read out any message it carries (data-announce) through the page's
  // live region, so screen-reader users hear "Task marked as done" without a page reload.
  document.addEventListener("htmx:afterSettle", function () {
    var live = document.getElementById("live-region");
    var items = document.querySelectorAll("[data-announce]");
    if (!live || !items.length) return;
    var text = [];
    items.forEach(function (el) {
      text.push(el.textContent.trim());
      el.removeAttribute("data-announce");
    });
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text.join(" "); }, 50);
  });
  // When htmx swaps in an answer with errors (4xx), move focus to the first error message.
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) return;
    var problem = document.querySelector(".error-summary, [role=alert]");
    if (!problem) return;
    if (!problem.hasAttribute("tabindex")) problem.setAttribute("tabindex", "-1");
    problem.focus();
  });
})();
