/* On a phone, a menu of three entries or more folds behind a "Menu"
   button so that the page's content comes first. Without JavaScript the menu is
   simply shown in full. */
(function () {
  "use strict";
  var nav = document.querySelector(".site-nav");
  var list = nav && nav.querySelector("ul");
  if (!list || list.children.length < 3 || !window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 40rem)");
  var current = list.querySelector('[aria-current="page"]');
  var button = document.createElement("button");
  button.type = "button";
  button.className = "nav-toggle";
  button.setAttribute("aria-expanded", "false");
  list.id = list.id || "menu-principal";
  button.setAttribute("aria-controls", list.id);
  button.textContent = "Menu" + (current ? " · " + current.textContent.trim() : "");
  nav.insertBefore(button, list);
  nav.classList.add("nav-foldable");

  function apply() {
    var open = button.getAttribute("aria-expanded") === "true";
    button.hidden = !phone.matches;
    list.hidden = phone.matches && !open;
  }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    apply();
  });
  // Escape closes the open menu and gives the focus back to its button.
  nav.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
    button.setAttribute("aria-expanded", "false");
    apply();
    button.focus();
  });
  if (phone.addEventListener) phone.addEventListener("change", apply);
  apply();
})();

/* A group of the menu (Besoins, Prospection...) opens over the page on a wide window.
   Left open, it stayed over the page's top while the keyboard went on, and Escape did
   nothing: Escape now closes it and gives the focus back to its name; so does the
   focus or a click leaving it. */
(function () {
  "use strict";
  var groups = document.querySelectorAll(".site-nav .nav-group details");
  Array.prototype.forEach.call(groups, function (details) {
    var summary = details.querySelector("summary");
    details.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !details.open) return;
      details.open = false;
      summary.focus();
      // The phone's menu (above) is left open: only the group closes.
      event.stopPropagation();
    });
    details.addEventListener("focusout", function (event) {
      if (details.open && event.relatedTarget && !details.contains(event.relatedTarget)) {
        details.open = false;
      }
    });
  });
  document.addEventListener("click", function (event) {
    Array.prototype.forEach.call(groups, function (details) {
      if (details.open && !details.contains(event.target)) details.open = false;
    });
  });
})();

/* A table's box (``.table-wrap``, a region) scrolls sideways when its table is wider
   than the page shows: it is then a Tab stop, so that a keyboard user can scroll it
   with the arrows. A box that scrolls nothing (its table whole, or as cards on a phone:
   ``table.stack``) is no Tab stop: one that does nothing is noise. Checked on load and
   whenever the box or its table changes size (the window, a row unfolding). Without
   JavaScript every box stays a Tab stop (the templates' tabindex). */
(function () {
  "use strict";
  var boxes = document.querySelectorAll('.table-wrap[role="region"]');
  function update(box) {
    if (box.scrollWidth > box.clientWidth) {
      box.setAttribute("tabindex", "0");
    } else if (box !== document.activeElement) {
      box.removeAttribute("tabindex");
    }
  }
  Array.prototype.forEach.call(boxes, function (box) {
    update(box);
    // The box that has the focus keeps it while it is there, however wide the table.
    box.addEventListener("blur", function () { update(box); });
  });
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        update(entry.target.closest(".table-wrap"));
      });
    });
    Array.prototype.forEach.call(boxes, function (box) {
      observer.observe(box);
      Array.prototype.forEach.call(box.children, function (child) { observer.observe(child); });
    });
  } else {
    window.addEventListener("resize", function () {
      Array.prototype.forEach.call(boxes, update);
    });
  }
})();

/* Printing a page prints its folded sections too. */
(function () {
  "use strict";
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.setAttribute("open", "");
      details.setAttribute("data-opened-for-print", "");
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-opened-for-print]").forEach(function (details) {
      details.removeAttribute("open");
      details.removeAttribute("data-opened-for-print");
    });
  });
})();

/* A form sent back with errors: its summary takes the focus, so that the page opens on
   it (even far down a long page) and a screen reader reads it first.
   Else a message already in the page when it loads (« Visite enregistrée », after an
   action redirected here): a live region filled before the page loaded is not
   announced by screen readers, so the message takes the focus and is read at once.
   First the one placed in the section the address points at (``section_flashes``: the
   page opens there), else the first one; one at the top while the page opens further
   down is read without moving the view. Nothing is taken from an element that
   already has the focus (``autofocus``), except from the address's anchor itself, which
   Chromium focuses when it scrolls to it (a redirect to "#contenu", the page's main part,
   after an action: its message is in it, read first). Without JavaScript the messages
   are simply shown. */
(function () {
  "use strict";
  var target = null;
  try {
    target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  } catch (error) {
    target = null;
  }
  // The focus nobody chose: none, the page, or the anchor the browser scrolled to.
  function free() {
    var active = document.activeElement;
    return !active || active === document.body || active === target;
  }
  var element = document.querySelector('.form-error[tabindex="-1"]');
  var options = {};
  if (!element) {
    if (!free()) return;
    element = (target && target.querySelector(".flashes")) || document.querySelector(".flashes");
    if (!element) return;
    element.setAttribute("tabindex", "-1");
    options.preventScroll = Boolean(target && !target.contains(element));
  }
  element.focus(options);
  // Chromium scrolls to the address's anchor (a form sent to "#diagnostic", a redirect
  // to "#historique") once the page has loaded, and then drops the focus to the page:
  // the summary or the message takes it back, unless something else took it (or
  // focuses the anchor itself, "#contenu": the message in it takes it back too).
  window.addEventListener("load", function () {
    window.setTimeout(function () {
      if (free() && document.activeElement !== element) {
        element.focus(options);
      }
    }, 0);
  });
})();

/* A link of an error summary leads to its field. A field that is a group of boxes (a
   fieldset: days, level...) cannot take the focus itself: the browser only scrolled to
   it and the focus fell back to the page, so that a keyboard or screen-reader user was
   not brought to it. Its chosen box, else its first one, takes the focus, its legend
   in view. */
(function () {
  "use strict";
  var controls = 'input:not([type="hidden"]):not([disabled]), select:not([disabled]), ' +
    'textarea:not([disabled])';
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('.form-error a[href^="#"]');
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target || target.matches(controls + ", button, [tabindex]")) return;
    var control = target.querySelector(
      'input[type="radio"]:checked, input[type="checkbox"]:checked'
    ) || target.querySelector(controls);
    if (!control) return;
    event.preventDefault();
    (target.querySelector("legend") || target).scrollIntoView();
    control.focus({ preventScroll: true });
  });
})();

/* A file heavier than the platform accepts (``data-max-bytes`` on its input) is
   refused as soon as it is chosen, with the reason beside the field: sent anyway, the
   whole form would be refused by the server before it could keep what was typed. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll('input[type="file"][data-max-bytes]');
  Array.prototype.forEach.call(inputs, function (input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    if (!max) return;
    var field = input.closest(".field") || input.parentNode;
    var list = document.createElement("ul");
    list.className = "errors";
    list.id = input.id + "-trop-lourd";
    list.setAttribute("aria-live", "polite");
    field.appendChild(list);
    function megabytes(bytes) {
      return (Math.round(bytes / 104857.6) / 10).toString().replace(".", ",") + " Mo";
    }
    /* With ``multiple`` (the photos of a paper CV), also their number
       (``data-max-files``) and their weight together (``data-max-total``). */
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
    var maxTotal = parseInt(input.getAttribute("data-max-total"), 10);
    input.addEventListener("change", function () {
      list.textContent = "";
      field.classList.remove("field-error");
      input.removeAttribute("aria-invalid");
      var chosen = Array.prototype.slice.call(input.files || []);
      var total = 0;
      var said = null;
      chosen.forEach(function (file) {
        total += file.size;
        if (!said && file.size > max) {
          said = "Ce fichier pèse " + megabytes(file.size) + " : " + megabytes(max) +
            " au plus. Choisissez un fichier plus léger (ou envoyez le formulaire sans " +
            "lui s'il est facultatif).";
        }
      });
      if (!said && maxFiles && chosen.length > maxFiles) {
        said = "Vous avez choisi " + chosen.length + " fichiers : " + maxFiles +
          " au plus (une photo par page du CV, ou un seul PDF).";
      } else if (!said && maxTotal && chosen.length > 1 && total > maxTotal) {
        said = "Ces fichiers pèsent " + megabytes(total) + " ensemble : " +
          megabytes(maxTotal) + " au plus. Choisissez des photos plus légères ou moins " +
          "de pages.";
      }
      if (!said) return;
      var item = document.createElement("li");
      item.textContent = said;
      list.appendChild(item);
      field.classList.add("field-error");
      input.setAttribute("aria-invalid", "true");
      input.value = "";
    });
  });
})();
