/* Live company search on the visit form: results appear as one types, as links to the
   same page with the company chosen. Without this script the form's "Chercher" button
   does the same search on the server. */
(function () {
  "use strict";
  var form = document.getElementById("recherche-entreprise");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var list = document.getElementById("resultats-entreprises");
  var status = document.getElementById("resultats-statut");
  var url = form.getAttribute("data-search-url");
  var timer = null;
  var latest = 0;

  function render(items) {
    list.innerHTML = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url_visite;
      a.textContent = item.nom;
      var small = document.createElement("small");
      small.textContent = item.commune + " · SIRET " + item.siret_affiche +
        (item.ne_plus_solliciter ? " · ne plus solliciter" : "");
      a.appendChild(small);
      li.appendChild(a);
      list.appendChild(li);
    });
    status.textContent = items.length === 0 ? "Aucune entreprise trouvée."
      : items.length === 1 ? "1 entreprise trouvée." : items.length + " entreprises trouvées.";
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var text = input.value.trim();
    if (text.length < 2) { return; }
    timer = window.setTimeout(function () {
      var asked = ++latest;
      window.fetch(url + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (data && asked === latest) { render(data.resultats); }
      }).catch(function () { /* the server-side search still works */ });
    }, 250);
  });
})();
