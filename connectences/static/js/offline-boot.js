/* On every animateur page (loaded by base.html after offline-store.js):
   - register the service worker (served from the site's root);
   - wipe the pages kept for another account (a colleague's session that ended on this
     phone), and the prepared round once its delay is over;
   - say how many records wait to be sent, and send them when the network is there
     (on page load and when it comes back);
   - at logout, wipe the phone's store and caches (after a warning if records were
     never sent, a colleague's included);
   - when the network is gone, keep a submitted visit form on the phone instead of
     losing it, and stop other forms from failing silently.
   Without JavaScript none of this runs, and the forms stay plain forms. */
(function () {
  "use strict";
  var boot = document.getElementById("hors-ligne-boot");
  var store = window.ConnectencesOffline;
  if (!boot || !store || !window.indexedDB || !window.Promise) { return; }
  var animateur = Number(boot.getAttribute("data-animateur"));
  var roundUrl = boot.getAttribute("data-tournee");
  var banner = null;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(boot.getAttribute("data-sw"), { scope: "/" })
      .catch(function () { /* the site works online without it */ });
  }

  function plural(n, one, many) { return n + " " + (n > 1 ? many : one); }

  function showPending() {
    return store.records(animateur).then(function (items) {
      document.dispatchEvent(new CustomEvent("hors-ligne:file", { detail: items }));
      if (document.getElementById("file-attente")) { return items; } // "Ma tournée" shows it
      if (!items.length) {
        if (banner) { banner.hidden = true; }
        return items;
      }
      if (!banner) {
        banner = document.createElement("p");
        banner.className = "offline-banner";
        banner.setAttribute("role", "status");
        var main = document.getElementById("contenu");
        main.insertBefore(banner, main.firstChild);
      }
      banner.hidden = false;
      banner.textContent = plural(items.length, "enregistrement", "enregistrements") +
        " en attente d'envoi sur ce téléphone. ";
      var link = document.createElement("a");
      link.href = roundUrl;
      link.textContent = "Voir Ma tournée";
      banner.appendChild(link);
      return items;
    });
  }

  function sendNow() {
    if (navigator.onLine === false) { return Promise.resolve({ etat: "hors_ligne" }); }
    return store.send().then(function (summary) {
      document.dispatchEvent(new CustomEvent("hors-ligne:envoi", { detail: summary }));
      return showPending().then(function () { return summary; });
    });
  }
  window.ConnectencesOfflineBoot = { sendNow: sendNow, showPending: showPending, animateur: animateur };

  store.claimPages(animateur).then(function (wiped) {
    // The round's pages kept again, this time in this account's name.
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (wiped && worker) { worker.postMessage({ type: "garder-pages" }); }
  }).catch(function () {}).then(function () {
    return store.expireRound(animateur);
  }).catch(function () {}).then(showPending).then(function (items) {
    if (items && items.length) { return sendNow(); }
    return null;
  }).catch(function () {});
  window.addEventListener("online", function () { sendNow().catch(function () {}); });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "envoi-termine") {
        document.dispatchEvent(new CustomEvent("hors-ligne:envoi", { detail: event.data.resume }));
        showPending();
      }
    });
  }

  // --- logout: nothing of the round stays on the phone ------------------------------------
  var logout = document.querySelector("form[data-deconnexion]");
  if (logout) {
    logout.addEventListener("submit", function (event) {
      if (logout.getAttribute("data-efface") === "1") { return; }
      event.preventDefault();
      // Every record on the phone: logging out wipes them all, a colleague's too (one
      // whose session ended before they were sent: they leave at their next login).
      store.records(null).then(function (items) {
        var mine = items.filter(function (r) { return r.animateur === animateur; }).length;
        var others = items.length - mine;
        var unsent = [];
        if (mine) {
          unsent.push(mine > 1 ? mine + " enregistrements n'ont pas encore été envoyés."
            : "1 enregistrement n'a pas encore été envoyé.");
        }
        if (others) {
          unsent.push(others > 1
            ? others + " enregistrements notés sur ce téléphone avec un autre compte n'ont " +
              "pas encore été envoyés : ils partiront quand cette personne se reconnectera ici."
            : "1 enregistrement noté sur ce téléphone avec un autre compte n'a pas encore " +
              "été envoyé : il partira quand cette personne se reconnectera ici.");
        }
        if (unsent.length && !window.confirm(unsent.join(" ") +
          " Se déconnecter les effacera de ce téléphone. Se déconnecter quand même ?")) {
          return false;
        }
        return store.clearAll().then(function () { return true; });
      }).catch(function () { return true; }).then(function (go) {
        if (!go) { return; }
        logout.setAttribute("data-efface", "1");
        logout.submit();
      });
    });
  }

  // --- no network: keep the visit form's content instead of losing it ---------------------
  function notice(form, text) {
    var box = form.querySelector(".offline-notice");
    if (!box) {
      box = document.createElement("div");
      box.className = "notice notice-warn offline-notice";
      box.setAttribute("role", "alert");
      form.insertBefore(box, form.firstChild);
    }
    box.textContent = text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (navigator.onLine !== false || form.method.toLowerCase() !== "post") { return; }
    if (form.hasAttribute("data-deconnexion") || form.hasAttribute("data-hors-ligne")) { return; }
    event.preventDefault();
    if (!form.classList.contains("visit-form")) {
      notice(form, "Pas de réseau : cette action n'a pas été envoyée. Réessayez quand le " +
        "réseau revient (ou notez la visite dans Ma tournée).");
      return;
    }
    var data = new FormData(form);
    var donnees = {
      entreprise: data.get("entreprise") || "",
      channel: data.get("channel") || "",
      visited_on: data.get("visited_on") || "",
      topics: data.getAll("topics"),
      outcome: data.get("outcome") || "",
      need_detected: data.get("need_detected") ? "1" : "",
      notes: data.get("notes") || "",
      follow_up_on: data.get("follow_up_on") || ""
    };
    var heading = document.querySelector(".chosen-company strong");
    var name = heading ? heading.textContent.trim() : donnees.entreprise;
    store.addRecord("visite", donnees, animateur, "« " + name + " »",
      data.get("confirmer") === "1").then(function () {
      store.requestBackgroundSync();
      notice(form, "Pas de réseau : la visite à « " + name + " » est gardée sur ce " +
        "téléphone, en attente d'envoi. Elle partira quand le réseau reviendra.");
      form.reset();
      showPending();
    });
  });
})();
