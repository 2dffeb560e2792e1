/* On every page of a logged-in person (loaded by base.html; see connectences/web/held.py):
   - while a form has edits not yet sent, typing in it keeps the login session alive: at
     most one call every data-intervalle seconds, and none on a page nobody types in, so
     that an abandoned phone's session still ends after its idle time;
   - when that call finds the session ended, the form says so.
   Without JavaScript the session ends as before. */
(function () {
  "use strict";
  var boot = document.getElementById("garde-formulaire");
  if (!boot) { return; }
  var keepAliveUrl = boot.getAttribute("data-prolonger");
  var token = boot.getAttribute("data-csrf");
  var every = Number(boot.getAttribute("data-intervalle") || 300) * 1000;
  var lastCall = Date.now(); // loading the page has just used the session
  var ended = false;

  function isKeptForm(form) {
    return form && form.tagName === "FORM" && (form.getAttribute("method") || "").toLowerCase() === "post" &&
      !form.hasAttribute("data-deconnexion");
  }

  function notice(form) {
    if (form.querySelector(".session-notice")) { return; }
    var box = document.createElement("div");
    box.className = "notice notice-warn session-notice";
    box.setAttribute("role", "alert");
    box.textContent = "Votre session a expiré : reconnectez-vous avant d'enregistrer " +
      "(copiez d'abord ce que vous avez saisi).";
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
})();
