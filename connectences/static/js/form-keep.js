/* On every page of a logged-in person (loaded by base.html; see connectences/web/held.py):
   - while a form has edits not yet sent, typing in it keeps the login session alive: at
     most one call every data-intervalle seconds, and none on a page nobody types in, so
     that an abandoned phone's session still ends after its idle time;
   - when that call finds the session ended, the form says so: sending it will ask to log
     in again, and what was typed comes back after the login;
   - a form held when the session ended (data-formulaire: where it was sent and its
     fields) is filled in again on its page; the server's notice above says to check it
     and send it again. Nothing is sent by this script but the keep-alive call.
   Without JavaScript the session ends as before, and a held form comes back empty. */
(function () {
  "use strict";
  var boot = document.getElementById("garde-formulaire");
  if (!boot) { return; }
  var keepAliveUrl = boot.getAttribute("data-prolonger");
  var token = boot.getAttribute("data-csrf");
  var every = Number(boot.getAttribute("data-intervalle") || 300) * 1000;
  var lastCall = Date.now(); // loading the page has just used the session
  var ended = false;
  var SKIPPED = ["hidden", "file", "password", "submit", "button", "reset", "image"];

  function isKeptForm(form) {
    return form && form.tagName === "FORM" && (form.getAttribute("method") || "").toLowerCase() === "post" &&
      !form.hasAttribute("data-deconnexion");
  }

  function notice(form) {
    if (form.querySelector(".session-notice")) { return; }
    var box = document.createElement("div");
    box.className = "notice notice-warn session-notice";
    box.setAttribute("role", "alert");
    box.textContent = "Votre session a expiré. Ce que vous avez saisi n'est pas perdu : " +
      "en enregistrant, reconnectez-vous, et le formulaire vous sera rendu rempli.";
    form.insertBefore(box, form.firstChild);
  }

  function keepAlive() {
    if (ended || !window.fetch || Date.now() - lastCall < every) { return; }
    if (!document.querySelector("form[data-modifie]")) { return; }
    lastCall = Date.now();
    window.fetch(keepAliveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 401) {
        ended = true;
        document.querySelectorAll("form[data-modifie]").forEach(notice);
      }
    }).catch(function () { /* no network: the offline queue or the next call */ });
  }

  function edited(event) {
    var form = event.target && event.target.form;
    if (!isKeptForm(form)) { return; }
    form.setAttribute("data-modifie", "1");
    keepAlive();
  }
  document.addEventListener("input", edited, true);
  document.addEventListener("change", edited, true);
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.removeAttribute) { event.target.removeAttribute("data-modifie"); }
  }, true);

  // --- a held form, given back on its page ----------------------------------------------
  function decoded(text) {
    try { return decodeURIComponent(text); } catch (e) { return text; }
  }

  function sentTo(form) {
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    return decoded(url.pathname + url.search);
  }

  // Among the forms sent to the same address, the one whose fixed fields (hidden inputs:
  // which action, which record) say what the held one said.
  function heldFormOnPage(held, values) {
    var best = null;
    var bestScore = -1;
    document.querySelectorAll("form").forEach(function (form) {
      if (!isKeptForm(form) || sentTo(form) !== decoded(held.action)) { return; }
      var score = 0;
      form.querySelectorAll("input[type=hidden][name]").forEach(function (input) {
        if (input.name === "csrf_token") { return; }
        score += (values[input.name] || []).indexOf(input.value) >= 0 ? 1 : -1;
      });
      if (score > bestScore) { best = form; bestScore = score; }
    });
    return best;
  }

  function fill(form, values) {
    var used = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      var type = (field.type || "").toLowerCase();
      if (!field.name || field.disabled || SKIPPED.indexOf(type) >= 0) { return; }
      var sent = values[field.name] || [];
      if (type === "checkbox" || type === "radio") {
        field.checked = sent.indexOf(field.value) >= 0;
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = sent.indexOf(option.value) >= 0;
        });
      } else {
        var index = used[field.name] || 0;
        used[field.name] = index + 1;
        if (index < sent.length) { field.value = sent[index]; }
      }
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  var raw = boot.getAttribute("data-formulaire");
  if (raw) {
    var held = null;
    try { held = JSON.parse(raw); } catch (e) { held = null; }
    if (held && held.fields) {
      var values = {};
      held.fields.forEach(function (pair) {
        (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
      });
      var form = heldFormOnPage(held, values);
      if (form) {
        fill(form, values);
        form.setAttribute("data-modifie", "1");
        // A form folded away (a confirmation step, "La créer sur place") is shown.
        for (var node = form.parentElement; node; node = node.parentElement) {
          if (node.tagName === "DETAILS") { node.open = true; }
        }
      }
    }
  }
})();
