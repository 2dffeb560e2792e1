/* An event's registrants ticked at the door (templates/events/staff_attendees.html): a
   search narrows the lists to the names typed (accents and capitals aside), the count
   of people ticked follows each tick, and "Imprimer la liste" prints the page. Without
   JavaScript the lists and the form work the same, without the search nor the count. */
(function () {
  "use strict";
  var printButton = document.querySelector("[data-print]");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }
  var tools = document.querySelector("[data-checkin]");
  var boxes = Array.prototype.slice.call(
    document.querySelectorAll("input[type=checkbox][name=present]"));
  if (!boxes.length) { return; }

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  var count = document.querySelector("[data-checkin-count]");
  function showCount() {
    if (!count) { return; }
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    count.textContent = (ticked > 1 ? ticked + " personnes cochées" : ticked + " personne cochée") +
      " sur " + boxes.length;
    count.hidden = false;
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("tr").classList.toggle("is-ticked", box.checked);
      showCount();
    });
    box.closest("tr").classList.toggle("is-ticked", box.checked);
  });
  showCount();

  if (!tools) { return; }
  var search = tools.querySelector("[data-checkin-search]");
  var none = tools.querySelector("[data-checkin-none]");
  var rows = boxes.map(function (box) {
    var row = box.closest("tr");
    var email = row.cells[2];  // Venu ?, Nom, Adresse e-mail (staff_attendees.html)
    return {
      row: row,
      text: fold(row.querySelector("label").firstChild.textContent + " " + (email ? email.textContent : ""))
    };
  });
  tools.hidden = false;
  search.addEventListener("input", function () {
    var words = fold(search.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (item) {
      var match = words.every(function (word) { return item.text.indexOf(word) !== -1; });
      item.row.hidden = !match;
      if (match) { shown += 1; }
    });
    none.hidden = shown > 0;
  });
})();
