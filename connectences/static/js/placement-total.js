// A bundle's placement form (lead page): the hours of the checked companies added up as
// they are typed, in the element [data-placement-total] (aria-live), its words in its
// data attributes. Without this script the element stays hidden and the form works as
// before: the server adds the hours up and says any problem beside its field.
(function () {
  "use strict";
  var out = document.querySelector("[data-placement-total]");
  if (!out) { return; }
  var form = out.closest("form");
  if (!form) { return; }
  // Hours as the server reads them (connectences/numbers.py, read_number with "h"):
  // « 8 », « 8,5 », « 8.5 », « 8 h », « 8h30 » (minutes under 60, no decimals beside
  // them); two decimals at most (« 8,500 » is 8,5: trailing zeros say nothing more);
  // a minus sign read, for the range to refuse. Whole hundredths, so that adding
  // 0,1 and 0,2 is 0,3 and not 0,30000000000000004.
  var QUANTITY = /^([-\u2212])?(\d+)(?:[.,](\d+))?(?:(h|heures?|hrs?)(\d{1,2})?)?$/;

  var least = null;
  var most = null;

  function hundredthsOf(text) {
    var compact = String(text || "").replace(/[\s\u00a0\u202f]+/g, "").toLowerCase();
    var found = QUANTITY.exec(compact);
    if (!found) { return null; }
    var frac = (found[3] || "").replace(/0+$/, "");
    if (frac.length > 2) { return null; }
    var value = parseInt(found[2], 10) * 100 + (frac ? parseInt((frac + "0").slice(0, 2), 10) : 0);
    if (found[5]) {
      var minutes = parseInt(found[5], 10);
      if (found[3] || minutes >= 60) { return null; }
      // 8h20 is 8,33 on the server (rounded to two decimals): minutes are never a half.
      value += Math.round(minutes * 100 / 60);
    }
    return found[1] ? -value : value;
  }

  // As the server's « heures » filter writes hours (typography.hours_fr): two decimals
  // at most, no trailing zero, a decimal comma, thousands apart, « h » kept beside it.
  function hoursText(hundredths) {
    var whole = String(Math.floor(hundredths / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    var cents = String(hundredths % 100 + 100).slice(1).replace(/0+$/, "");
    return whole + (cents ? "," + cents : "") + "\u00a0h";
  }

  function say(key, hours) {
    var text = out.getAttribute("data-" + key) || "";
    out.textContent = hours === undefined ? text : text.replace("{heures}", hours);
  }

  function update() {
    var total = 0;
    var checked = 0;
    var problem = null;
    var shares = form.querySelectorAll(".placement-share");
    Array.prototype.forEach.call(shares, function (share) {
      var box = share.querySelector('input[type="checkbox"][name="besoins"]');
      var field = share.querySelector('input[name^="heures-"]');
      if (!box || !field || !box.checked) { return; }
      checked += 1;
      var typed = field.value.replace(/[\s\u00a0\u202f]+/g, "");
      var value = hundredthsOf(typed);
      if (!typed) {
        problem = problem || "vide";
      } else if (value === null) {
        problem = "illisible";
      } else if ((least !== null && value < least) || (most !== null && value > most)) {
        problem = problem === "illisible" ? problem : "hors-bornes";
      } else {
        total += value;
      }
    });
    if (!checked) {
      say("aucune");
    } else if (problem) {
      say(problem);
    } else {
      say("total", hoursText(total));
    }
  }

  least = hundredthsOf(out.getAttribute("data-heures-min"));
  most = hundredthsOf(out.getAttribute("data-heures-max"));
  out.hidden = false;
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
