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

/* The idle session (accounts/middleware.py ends it on the server): shortly before it ends while a form holds
   unsaved typing, a dialog asks "Are you still there?" and "Stay signed in" starts the clock again. If it ends
   anyway, what was typed is kept in this tab (sessionStorage) and put back into the same form after the next
   login by the same user, with a notice; nothing is sent anywhere. Logging out forgets it. Without JavaScript the
   session ends the same way. */
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-session-idle") || "0", 10) * 1000;
  var PREFIX = "utvei-draft:";
  var KEEP_MS = 12 * 3600 * 1000;
  var user = body.getAttribute("data-session-user") || "";

  function forgetAll() {
    try {
      Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf(PREFIX) === 0) sessionStorage.removeItem(k); });
    } catch (e) { /* storage off */ }
  }

  function key(form) {
    return PREFIX + new URL(form.getAttribute("action") || location.href, location.href).pathname;
  }

  // ---- Put back what was typed before a session ended (on any page with the same form) ----
  function restore() {
    var note = body.getAttribute("data-draft-restored");
    if (!user) return;  // the login page: wait for the user
    document.querySelectorAll("form[method=post], form[method=POST]").forEach(function (form) {
      var raw;
      try { raw = sessionStorage.getItem(key(form)); } catch (e) { return; }
      if (!raw) return;
      sessionStorage.removeItem(key(form));
      var draft;
      try { draft = JSON.parse(raw); } catch (e) { return; }
      if (!draft || draft.user !== user || Date.now() - draft.at > KEEP_MS) return;  // never someone else's
      var seen = {};
      draft.fields.forEach(function (pair) {
        var name = pair[0], value = pair[1];
        var fields = Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
        if (!fields.length) return;
        var first = fields[0];
        if (first.type === "checkbox" || first.type === "radio") {
          fields.forEach(function (el) { if (el.value === value) el.checked = true; });
        } else if (first.tagName === "SELECT" && first.multiple) {
          Array.prototype.forEach.call(first.options, function (o) { if (o.value === value) o.selected = true; });
        } else {
          var i = seen[name] || 0;
          if (fields[i]) fields[i].value = value;
          seen[name] = i + 1;
        }
      });
      form.setAttribute("data-dirty", "1");
      if (note) {
        var p = document.createElement("p");
        p.className = "message message-info";
        p.setAttribute("role", "status");
        p.textContent = note;
        form.insertBefore(p, form.firstChild);
      }
    });
  }
  restore();
  document.addEventListener("submit", function (e) {
    if (e.target && e.target.hasAttribute && e.target.hasAttribute("data-logout")) forgetAll();
  });
  if (!idle) return;

  // ---- Watch the clock ----
  var dialog = document.getElementById("session-warning");
  var warnBefore = Math.min(60000, idle / 4);
  var last = Date.now();
  var timer = null;

  function dirtyForms() {
    return Array.prototype.filter.call(document.querySelectorAll("form[data-dirty]"), function (f) {
      return document.body.contains(f);
    });
  }
  function saveDrafts() {
    dirtyForms().forEach(function (form) {
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken" && typeof value === "string") fields.push([name, value]);
      });
      var draft = { at: Date.now(), user: user, fields: fields };
      try { sessionStorage.setItem(key(form), JSON.stringify(draft)); } catch (e) { /* full or off */ }
    });
  }
  function toLogin() {
    location.href = body.getAttribute("data-login-url") + "?next=" + encodeURIComponent(location.pathname + location.search);
  }
  function expired() { return Date.now() - last > idle; }
  function hide() { if (dialog && dialog.open) dialog.close(); }
  function tick() {
    var left = last + idle - Date.now();
    if (left <= 0) {
      hide();
      if (dirtyForms().length) { saveDrafts(); toLogin(); }
      return;  // nothing typed: the next click goes to the login page, as without JavaScript
    }
    if (left <= warnBefore && dirtyForms().length && dialog && !dialog.open) dialog.showModal();
    var wait = left > warnBefore ? left - warnBefore : Math.min(left + 50, 5000);
    timer = window.setTimeout(tick, Math.max(250, Math.min(wait, 30000)));
  }
  function schedule() { window.clearTimeout(timer); tick(); }
  function contact() { last = Date.now(); hide(); schedule(); }
  function stay() {
    var token = (JSON.parse(body.getAttribute("hx-headers") || "{}") || {})["X-CSRFToken"] || "";
    fetch(body.getAttribute("data-keepalive-url"), {
      method: "POST", credentials: "same-origin", redirect: "manual", headers: { "X-CSRFToken": token }
    }).then(function (r) {
      if (r.status === 204) { contact(); return; }
      saveDrafts(); toLogin();  // the session had already ended
    }, function () { hide(); });
  }

  document.addEventListener("input", function (e) {
    var form = e.target && e.target.form;
    if (form) form.setAttribute("data-dirty", "1");
  }, true);
  document.addEventListener("submit", function (e) {
    if (!expired()) return;
    e.preventDefault();  // it would only reach the login page: keep what was typed first
    e.stopPropagation();
    saveDrafts();
    toLogin();
  }, true);
  document.addEventListener("htmx:afterRequest", contact);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) tick(); });
  if (dialog) {
    dialog.querySelector("[data-session-stay]").addEventListener("click", stay);
    dialog.addEventListener("cancel", function (e) { e.preventDefault(); stay(); });  // Esc: the user is here
  }
  schedule();
})();

/* The phone layout (utvei.css, under 48em): the main menu folds behind its «Menu» button, closed on load; the
   button says whether it is open (aria-expanded) and Escape closes it. Without JavaScript the menu shows. */
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-toggle]");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-closed", !open);
  }
  document.documentElement.classList.add("has-menu-toggle");
  set(false);
  button.addEventListener("click", function () { set(button.getAttribute("aria-expanded") !== "true"); });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
    if (!menu.contains(document.activeElement) && document.activeElement !== button) return;
    set(false);
    button.focus();
  });
})();

/* Tables reflow into cards on a phone (utvei.css). Each cell gets its column's header as `data-label`, shown
   before it; the table keeps its roles (table, row, cell, headers), which `display: block` would otherwise take
   from screen readers. Runs again on what htmx swaps in. */
(function () {
  "use strict";
  var ROLES = { TABLE: "table", THEAD: "rowgroup", TBODY: "rowgroup", TFOOT: "rowgroup", TR: "row", TD: "cell" };
  function label(table) {
    if (table.classList.contains("keep-table")) return;
    var heads = [];
    var headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (headRow) {
      Array.prototype.forEach.call(headRow.cells, function (th) {
        for (var i = 0; i < th.colSpan; i++) heads.push(th.textContent.replace(/\s+/g, " ").trim());
      });
    }
    table.querySelectorAll("*").forEach(function (el) {
      if (el.closest("table") !== table) return;  // a table inside a cell labels itself
      var role = ROLES[el.tagName];
      if (el.tagName === "TH") role = el.closest("thead") || el.getAttribute("scope") === "col" ? "columnheader" : "rowheader";
      if (role && !el.hasAttribute("role")) el.setAttribute("role", role);
    });
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (heads[col] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[col]);
          col += cell.colSpan;
        });
      });
    });
  }
  function labelAll() { document.querySelectorAll("table").forEach(label); }
  labelAll();
  document.addEventListener("htmx:afterSettle", labelAll);
})();

/* The case page on a phone (under 48em): the sections read less often fold behind their headings, so the person,
   the case's facts and the timeline come first. Each heading becomes a button that says whether its section is open
   (aria-expanded); a link to a section (#team, the «On this page» jumps) opens it. Without JavaScript, or on a
   wider screen, every section shows. A section htmx swaps in stays open: the user is working in it. */
(function () {
  "use strict";
  var FOLD = ["phase", "history", "assessments", "plan", "meetings", "network", "outcomes", "referrals", "why",
              "sharing", "team", "tasks"];
  if (!document.querySelector(".case-layout") || !window.matchMedia("(max-width: 47.99em)").matches) return;
  var toggles = {};
  FOLD.forEach(function (id) {
    var section = document.getElementById(id);
    var heading = section && section.tagName === "SECTION" && section.querySelector("h2");
    if (!heading) return;
    var head = heading.parentNode === section ? heading : heading.parentNode;
    if (head.parentNode !== section) return;
    var body = document.createElement("div");
    body.id = id + "-folded";
    body.className = "fold-body";
    while (head.nextSibling) body.appendChild(head.nextSibling);
    section.appendChild(body);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "fold-toggle";
    button.setAttribute("aria-controls", body.id);
    while (heading.firstChild) button.appendChild(heading.firstChild);
    var mark = document.createElement("span");
    mark.className = "fold-mark";
    mark.setAttribute("aria-hidden", "true");  // the state is said by aria-expanded, not by a «+»
    button.appendChild(mark);
    heading.appendChild(button);
    heading.classList.add("has-fold");
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      body.hidden = !open;
      section.classList.toggle("is-folded", !open);
    }
    set(false);
    button.addEventListener("click", function () { set(button.getAttribute("aria-expanded") !== "true"); });
    toggles[id] = set;
  });
  function openTarget() {
    var target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var section = target && target.closest("section");
    if (section && toggles[section.id]) {
      toggles[section.id](true);
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();

/* A part of a form that only one choice needs (`data-show-when="outcome=more_info,open_case"`) shows only while
   that choice is made: the triage form asks for a question, a hand-off or the person's identity as the outcome
   needs. Hidden parts keep what was typed and are sent as they are (the server decides what counts). Without
   JavaScript every part shows. */
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-show-when]");
  if (!parts.length) return;
  function update(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (part) {
      var rule = part.getAttribute("data-show-when").split("=");
      var chosen = form.querySelector("[name='" + rule[0] + "']:checked");
      part.hidden = !(chosen && rule[1].split(",").indexOf(chosen.value) !== -1);
    });
  }
  var forms = [];
  parts.forEach(function (part) {
    var form = part.closest("form");
    if (form && forms.indexOf(form) === -1) forms.push(form);
  });
  forms.forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
