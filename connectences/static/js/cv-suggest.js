// Typing suggestions for the CV form: skills and jobs (ROME) from the platform's
// taxonomy. Touching a suggestion adds it; the person may keep their own words.
(function () {
  "use strict";
  var boxes = document.querySelectorAll(".cv-suggest[data-for]");
  Array.prototype.forEach.call(boxes, function (box) {
    var input = document.getElementById(box.getAttribute("data-for"));
    if (!input) { return; }
    var kind = input.getAttribute("data-suggest") === "rome" ? "rome" : "skills";
    var list = box.querySelector("ul");
    var timer = null;
    var lastQuery = "";

    function currentPart() {
      // The skill being typed: after the last line break, comma or semicolon. The job
      // being typed: after the last line break or semicolon, or the code that closes the
      // one picked before (« Secrétariat (M1607) »), commas kept: a job's name may hold
      // some (« Pâtisserie, confiserie… », profile.read_trades).
      if (kind === "rome") {
        var jobs = input.value.split(/[\n;)]/);
        return jobs[jobs.length - 1].replace(/^[\s,]+/, "").trim();
      }
      var parts = input.value.split(/[\n,;]/);
      return parts[parts.length - 1].trim();
    }

    function add(item) {
      if (kind === "rome") {
        // The job by its name, its code in brackets for the server to read it
        // (profile.read_trades): the person reads names, never a code alone.
        // Jobs are separated by semicolons: a job's name may hold commas.
        var before = input.value.replace(/[^\n;)]*$/, "").replace(/[\s,;]+$/, "");
        if (before.indexOf("(" + item.code + ")") !== -1) {
          input.value = before ? before + "; " : "";
        } else {
          input.value = (before ? before + "; " : "") + item.label + " (" + item.code + "); ";
        }
      } else {
        // Only the skill being typed (what ``currentPart`` read: after the last line
        // break, comma or semicolon) is replaced; what was written before it stays,
        // and the next skill follows in the way the person separates theirs.
        var head = input.value.replace(/[^\n,;]*$/, "");
        var byComma = /[,;]\s*$/.test(head);
        input.value = head.replace(/[ \t]+$/, "") + (byComma ? " " : "") + item.label + (byComma ? ", " : "\n");
      }
      box.hidden = true;
      lastQuery = "";  // the same letters typed again for the next skill ask again
      input.focus();
    }

    function show(items) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button-secondary cv-suggest-item";
        button.textContent = kind === "rome" ? item.label + " (" + item.code + ")" : item.label;
        button.addEventListener("click", function () { add(item); });
        li.appendChild(button);
        list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }

    function fetchSuggestions() {
      var query = currentPart();
      if (kind === "rome" && /^[A-Za-z]\d{4}$/.test(query)) { show([]); return; }
      if (query.length < 2 || query === lastQuery) { if (query.length < 2) { show([]); } return; }
      lastQuery = query;
      var url = "/deposer-mon-cv/suggestions?type=" + kind + "&q=" + encodeURIComponent(query);
      if (kind === "skills") {
        // The skills already written tell which trades to suggest skills of.
        var before = input.value.split(/[\n,;]/).slice(0, -1).join("\n");
        url += "&avant=" + encodeURIComponent(before.slice(-800));
      }
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) { if (query === currentPart()) { show(data.suggestions || []); } })
        .catch(function () { show([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 250);  // one request per pause in typing
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { box.hidden = true; }
    });
  });
})();
