/* "Préparer ma tournée": keep the picked companies on the phone (offline-store.js) and
   ask the service worker to keep the round's pages. Without JavaScript the page only
   lists the companies. */
(function () {
  "use strict";
  var form = document.getElementById("garder-tournee");
  var store = window.ConnectencesOffline;
  if (!form || !store || !window.indexedDB || !window.fetch) { return; }
  var status = document.getElementById("garder-statut");
  Array.prototype.forEach.call(document.querySelectorAll(".keep-choice"), function (node) {
    node.hidden = false;
  });

  function keepPages() {
    if (!navigator.serviceWorker) { return Promise.resolve(); }
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var worker = registration.active;
        if (!worker) { resolve(); return; }
        var done = function (event) {
          if (event.data && event.data.type === "pages-gardees") {
            navigator.serviceWorker.removeEventListener("message", done);
            resolve();
          }
        };
        navigator.serviceWorker.addEventListener("message", done);
        worker.postMessage({ type: "garder-pages" });
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = new URLSearchParams(new FormData(form));
    if (!query.getAll("ref").length) {
      status.textContent = "Cochez au moins une entreprise.";
      return;
    }
    status.textContent = "Enregistrement de la tournée sur ce téléphone…";
    fetch(form.getAttribute("data-donnees") + "?" + query.toString(), {
      credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      return store.saveRound(data).then(keepPages).then(function () {
        status.textContent = "";
        var n = data.entreprises.length;
        status.appendChild(document.createTextNode(
          "Tournée gardée sur ce téléphone : " + n + " entreprise" + (n > 1 ? "s" : "") +
          ", jusqu'au " + data.expire_texte + ". "));
        var link = document.createElement("a");
        link.href = form.getAttribute("data-tournee");
        link.textContent = "Ouvrir Ma tournée";
        status.appendChild(link);
      });
    }).catch(function () {
      status.textContent = "La tournée n'a pas pu être gardée sur ce téléphone : vérifiez le réseau et réessayez.";
    });
  });
})();
