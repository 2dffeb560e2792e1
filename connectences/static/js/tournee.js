/* "Ma tournée": the prepared round, the offline visit and company forms, and the queue
   of what waits to be sent, all from the phone's store (offline-store.js). The page
   itself holds nothing personal, so the service worker may keep it. */
(function () {
  "use strict";
  var store = window.ConnectencesOffline;
  var boot = window.ConnectencesOfflineBoot;
  var app = document.getElementById("tournee-app");
  if (!app || !store || !boot) { return; }
  document.getElementById("sans-js").hidden = true;
  app.hidden = false;

  var animateur = boot.animateur;
  var byId = function (id) { return document.getElementById(id); };
  var network = byId("reseau");
  var queueSummary = byId("file-resume");
  var queueList = byId("file-liste");
  var sentBox = byId("envoyes");
  var expired = byId("session-expiree");
  var roundInfo = byId("tournee-info");
  var roundList = byId("tournee-liste");
  var visitSection = byId("visite");
  var visitForm = byId("form-visite");
  var companyForm = byId("form-entreprise");
  var needBox = byId("hl-besoin");
  var confirmBox = byId("hl-confirmer-bloc");
  var overCapBox = byId("hl-plafond-bloc");
  var visitFields = byId("hl-visite-champs");
  var keepButton = byId("hl-garder");
  var companies = {};
  var editing = null; // the "à corriger" record being corrected
  var editingNeed = null; // the need queued with the visit being corrected, if any
  var opener = null; // what had the focus when the form opened: it gets it back on "Annuler"
  var NEED_FIELDS = ["title", "skills", "level", "hours_per_week", "days", "contract", "reason", "start"];

  var STATUS = {
    en_file: "En attente d'envoi",
    en_attente: "En attente d'envoi (après l'enregistrement dont il dépend)",
    a_confirmer: "À confirmer",
    refuse: "Refusé par le serveur",
    invalide: "À corriger"
  };
  var KINDS = { visite: "Visite", entreprise: "Nouvelle entreprise", besoin: "Besoin détecté" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text != null) { node.textContent = text; }
    return node;
  }
  function button(text, handler, secondary) {
    var b = el("button", secondary ? "button button-secondary" : "button", text);
    b.type = "button";
    b.addEventListener("click", handler);
    return b;
  }
  function plural(n, one, many) { return n + " " + (n > 1 ? many : one); }
  // Days and times are those of the territory (Europe/Paris, as the server writes them:
  // connectences/clock.py), whatever zone the phone is set to: a phone on another one
  // showed another time, and filled another day, than the rest of the site.
  var PARIS = "Europe/Paris";
  var DAY = new Intl.DateTimeFormat("fr-FR", {
    timeZone: PARIS, day: "2-digit", month: "2-digit", year: "numeric"
  });
  var HOUR = new Intl.DateTimeFormat("fr-FR", { timeZone: PARIS, hour: "2-digit", minute: "2-digit" });
  var ISO_DAY = new Intl.DateTimeFormat("en-GB", {
    timeZone: PARIS, day: "2-digit", month: "2-digit", year: "numeric"
  });
  function frTime(iso) {
    var d = new Date(iso);
    return DAY.format(d) + " à " + HOUR.format(d);
  }
  // Today in Paris as a date field holds it (2026-12-07).
  function localDate() {
    var parts = {};
    ISO_DAY.formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day;
  }

  function showNetwork() {
    var offline = navigator.onLine === false;
    network.className = "offline-status " + (offline ? "is-offline" : "is-online");
    network.textContent = offline
      ? "Hors ligne : ce que vous notez est gardé sur ce téléphone et partira au retour du réseau."
      : "En ligne.";
  }

  // --- the queue -----------------------------------------------------------------------------

  function renderQueue(items) {
    queueList.innerHTML = "";
    var waiting = items.filter(function (r) { return r.statut === "en_file" || r.statut === "en_attente"; });
    var decide = items.length - waiting.length;
    var parts = [];
    if (waiting.length) {
      parts.push(plural(waiting.length, "enregistrement en attente d'envoi", "enregistrements en attente d'envoi"));
    }
    if (decide) {
      parts.push(plural(decide, "enregistrement demande", "enregistrements demandent") + " votre décision");
    }
    queueSummary.textContent = parts.length ? parts.join(" ; ") + "." : "Rien en attente d'envoi.";
    items.forEach(function (record) {
      var li = el("li", "offline-record statut-" + record.statut);
      li.setAttribute("data-cle", record.cle);
      li.appendChild(el("p", "offline-record-title", (KINDS[record.type] || record.type) + " — " + record.resume));
      li.appendChild(el("p", "muted", "Notée le " + frTime(record.enregistre_le)));
      li.appendChild(el("p", "offline-record-status", STATUS[record.statut] || record.statut));
      if (record.message) { li.appendChild(el("p", "offline-reason", record.message)); }
      (record.raisons || []).forEach(function (r) { li.appendChild(el("p", "offline-reason", r)); });
      var errors = record.erreurs || {};
      var keys = Object.keys(errors);
      if (keys.length) {
        var ul = el("ul", "errors");
        keys.forEach(function (k) { ul.appendChild(el("li", null, errors[k])); });
        li.appendChild(ul);
      }
      // A record refused for the record it depends on (abandoned, or another account's)
      // cannot be mended here: only abandoned.
      var orphan = !!(errors.visite_cle || errors.entreprise_cle);
      var actions = el("p", "offline-actions");
      if (record.statut === "a_confirmer") {
        actions.appendChild(button("Confirmer et renvoyer", function () {
          store.updateRecord(record.cle, { confirme: true, statut: "en_file", message: "", raisons: [] })
            .then(sendNow);
        }));
      }
      if (record.statut === "refuse" && record.plafond_depassable && record.type === "visite") {
        // Sent again as it is, it would be refused again: the company's agreement and
        // its reason, as on the online form, let it pass.
        actions.appendChild(button("L'entreprise a accepté : noter quand même", function () {
          correct(record, true);
        }));
      } else if (record.statut === "refuse" && !orphan) {
        actions.appendChild(button("Renvoyer", function () {
          store.updateRecord(record.cle, { statut: "en_file", message: "", raisons: [] }).then(sendNow);
        }));
      }
      if (record.statut === "invalide" && !orphan) {
        actions.appendChild(button("Corriger", function () { correct(record); }));
      }
      if (record.type === "entreprise" && (record.statut === "en_file" || record.statut === "en_attente")) {
        actions.appendChild(button("Noter une visite", function () {
          startVisit({ nom: record.donnees.name, cle: record.cle, decision: "ok" });
        }, true));
      }
      if (record.statut !== "en_file") {
        actions.appendChild(button("Abandonner", function () { abandon(record, items); }, true));
      }
      if (actions.childNodes.length) { li.appendChild(actions); }
      queueList.appendChild(li);
    });
  }

  /* Abandon a record with what depends on it (a company's visits, a visit's need): left
     alone, they would wait for it for ever. */
  function abandon(record, items) {
    var following = store.dependents(items, record.cle);
    var question = "Abandonner cet enregistrement ? Il sera effacé de ce téléphone sans être envoyé.";
    if (following.length) {
      question += "\n\n" + (following.length > 1
        ? "Ces enregistrements en dépendent et seront abandonnés aussi :"
        : "Cet enregistrement en dépend et sera abandonné aussi :");
      following.forEach(function (r) { question += "\n– " + (KINDS[r.type] || r.type) + " — " + r.resume; });
    }
    if (!window.confirm(question)) { return; }
    store.removeRecords([record.cle].concat(following.map(function (r) { return r.cle; })))
      .then(refreshQueue);
  }

  function refreshQueue() {
    return store.records(animateur).then(renderQueue);
  }

  function showSent(summary) {
    expired.hidden = !(summary && summary.etat === "connexion");
    if (!summary || !summary.envoyes || !summary.envoyes.length) { return; }
    var box = el("div", "notice notice-ok");
    box.appendChild(el("p", null, plural(summary.envoyes.length, "enregistrement envoyé :", "enregistrements envoyés :")));
    var ul = el("ul");
    summary.envoyes.forEach(function (result) {
      var li = el("li", null, result.message + (result.enregistre_le ? " (notée le " + result.enregistre_le + ")" : ""));
      if (result.url_besoin) {
        li.appendChild(document.createTextNode(" "));
        var a = el("a", null, "Décrire le besoin détecté");
        a.href = result.url_besoin;
        li.appendChild(a);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    sentBox.innerHTML = "";
    sentBox.appendChild(box);
  }

  function sendNow() {
    if (navigator.onLine === false) {
      queueSummary.textContent = "Pas de réseau : l'envoi se fera quand il reviendra.";
      return refreshQueue();
    }
    return boot.sendNow().then(function (summary) {
      showSent(summary);
      if (summary.etat === "erreur") {
        queueSummary.textContent = "L'envoi a échoué : rien n'est perdu, réessayez dans un moment.";
      }
      return refreshQueue();
    });
  }

  document.addEventListener("hors-ligne:file", function (event) { renderQueue(event.detail); });
  document.addEventListener("hors-ligne:envoi", function (event) { showSent(event.detail); });
  byId("envoyer").addEventListener("click", function () { sendNow(); });

  // --- the round -----------------------------------------------------------------------------

  /* The company's phone, to call back a closed door, and its website: a line each when
     known, none otherwise. A round kept before they were given has neither field: its
     companies show as they did. Only a tel: and a web link are made links. */
  function reachLines(company) {
    var lines = [];
    if (company.telephone && /^tel:\+?[0-9]+$/.test(company.url_telephone || "")) {
      var phoneLine = el("p", "offline-reach", "Téléphone : ");
      var call = el("a", null, company.telephone);
      call.href = company.url_telephone;
      phoneLine.appendChild(call);
      lines.push(phoneLine);
    }
    if (company.site && /^https?:\/\//i.test(company.site)) {
      var siteLine = el("p", "offline-reach", "Site web : ");
      var site = el("a", "web-address", company.site);
      site.href = company.site;
      site.rel = "noopener noreferrer nofollow";
      siteLine.appendChild(site);
      lines.push(siteLine);
    }
    return lines;
  }

  function renderRound() {
    return Promise.all([store.roundInfo(), store.roundCompanies()]).then(function (found) {
      var info = found[0];
      var list = found[1];
      roundList.innerHTML = "";
      roundInfo.innerHTML = "";
      if (!info || info.animateur !== animateur || !list.length) {
        roundInfo.appendChild(document.createTextNode("Aucune tournée sur ce téléphone. "));
        var a = el("a", null, "Préparer ma tournée");
        a.href = app.getAttribute("data-preparer");
        roundInfo.appendChild(a);
        return;
      }
      roundInfo.textContent = plural(list.length, "entreprise", "entreprises") +
        " gardées sur ce téléphone jusqu'au " + info.expire_texte + ".";
      list.forEach(function (company) {
        companies[company.ref] = company;
        var li = el("li", "offline-company decision-" + company.decision);
        li.appendChild(el("h3", null, company.nom));
        li.appendChild(el("p", null, [company.commune, company.adresse].filter(Boolean).join(" · ")));
        reachLines(company).forEach(function (line) { li.appendChild(line); });
        if (company.activite) { li.appendChild(el("p", "muted", company.activite)); }
        li.appendChild(el("p", "offline-state", company.etat));
        company.raisons.forEach(function (r) { li.appendChild(el("p", "offline-reason", r)); });
        li.appendChild(el("p", null, "Dernier contact : " + (company.dernier_contact || "jamais contactée sur la plateforme")));
        if (company.relance) { li.appendChild(el("p", null, "Relance prévue le " + company.relance)); }
        if (company.decision !== "refuse" || company.plafond_depassable) {
          var b = button("Noter une visite", function () { startVisit(company); });
          b.appendChild(el("span", "visually-hidden", " à " + company.nom));
          li.appendChild(b);
        }
        roundList.appendChild(li);
      });
    });
  }

  // --- the visit form ----------------------------------------------------------------------

  // The form shows a visit (with its need), or a need alone when one is corrected.
  function setMode(needAlone) {
    visitFields.hidden = needAlone;
    byId("titre-visite-quoi").textContent = needAlone ? "Besoin détecté chez" : "Visite à";
    keepButton.textContent = needAlone ? "Garder le besoin sur le téléphone" : "Garder la visite sur le téléphone";
    visitForm.setAttribute("data-mode", needAlone ? "besoin" : "visite");
  }
  function needAlone() { return visitForm.getAttribute("data-mode") === "besoin"; }

  function openVisit(company, record, need) {
    opener = document.activeElement;
    visitForm.reset();
    clearErrors(visitForm);
    setMode(false);
    visitForm.elements.visited_on.value = localDate();
    visitForm.elements.entreprise.value = company.ref || "";
    visitForm.elements.entreprise_cle.value = company.cle || "";
    byId("visite-entreprise").textContent = company.nom;
    var pressure = byId("visite-pression");
    pressure.innerHTML = "";
    if (company.decision === "warn" || company.plafond_depassable) {
      var box = el("div", "notice " + (company.decision === "warn" ? "notice-warn" : "notice-refuse"));
      box.appendChild(el("p", null, company.etat));
      company.raisons.forEach(function (r) { box.appendChild(el("p", null, r)); });
      pressure.appendChild(box);
    }
    confirmBox.hidden = company.decision !== "warn";
    overCapBox.hidden = !company.plafond_depassable;
    if (record) { fill(visitForm, record.donnees); }
    if (record && record.donnees.malgre_plafond) { overCapBox.hidden = false; }
    if (need) {
      fill(visitForm, need.donnees);
      visitForm.elements.need_detected.checked = true;
    }
    needBox.hidden = !visitForm.elements.need_detected.checked;
    visitSection.hidden = false;
    byId("titre-visite").focus();
  }

  /* A new visit: whatever was being corrected is left as it is in the queue. */
  function startVisit(company) {
    editing = null;
    editingNeed = null;
    openVisit(company);
  }

  /* A need returned "à corriger": the form again, the need alone, as it was typed. */
  function openNeed(record) {
    opener = document.activeElement;
    visitForm.reset();
    clearErrors(visitForm);
    setMode(true);
    byId("visite-pression").innerHTML = "";
    confirmBox.hidden = true;
    overCapBox.hidden = true;
    byId("visite-entreprise").textContent = record.entreprise_nom || record.resume;
    fill(visitForm, record.donnees);
    needBox.hidden = false;
    visitSection.hidden = false;
    byId("titre-visite").focus();
  }

  function fill(form, data) {
    Object.keys(data).forEach(function (name) {
      var field = form.elements[name];
      if (!field) { return; }
      var value = data[name];
      if (field.length !== undefined && field.tagName !== "SELECT") {
        Array.prototype.forEach.call(field, function (input) {
          input.checked = Array.isArray(value) ? value.indexOf(input.value) >= 0 : input.value === value;
        });
      } else if (field.type === "checkbox") {
        field.checked = !!value;
      } else {
        field.value = value;
      }
    });
  }

  // --- errors next to their fields, and a summary on top ---------------------------------------

  function fieldBox(form, name) {
    var box = form.querySelector('[data-champ="' + name + '"]');
    if (box) { return box; }
    var field = form.elements[name];
    if (!field) { return null; }
    var input = field.length !== undefined && field.tagName !== "SELECT" ? field[0] : field;
    if (!input || input.type === "hidden") { return null; }
    return input.closest(".field") || input.closest("fieldset");
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-erreur]"), function (node) {
      node.parentNode.removeChild(node);
    });
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (box) {
      box.classList.remove("field-error");
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (input) {
      input.removeAttribute("aria-invalid");
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && !/-erreurs$/.test(id);
      });
      if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); }
      else { input.removeAttribute("aria-describedby"); }
    });
  }

  /* Show ``errors`` ({field name: French message}) next to their fields, with ``intro``
     and a linked list of them on top of the form, which gets the focus. */
  function showErrors(form, errors, intro) {
    clearErrors(form);
    var names = Object.keys(errors || {});
    if (!names.length) { return; }
    var summary = el("div", "form-error");
    summary.setAttribute("role", "alert");
    summary.setAttribute("tabindex", "-1");
    summary.setAttribute("data-erreur", "");
    summary.appendChild(el("p", null, intro));
    var list = el("ul");
    names.forEach(function (name) {
      var box = fieldBox(form, name);
      var item = el("li");
      if (!box) {
        item.textContent = errors[name];
        list.appendChild(item);
        return;
      }
      var id = form.id + "-" + name + "-erreurs";
      var ul = el("ul", "errors");
      ul.id = id;
      ul.setAttribute("data-erreur", "");
      var li = el("li");
      li.appendChild(el("span", "visually-hidden", "Erreur : "));
      li.appendChild(document.createTextNode(errors[name]));
      ul.appendChild(li);
      box.appendChild(ul);
      box.classList.add("field-error");
      var inputs = box.querySelectorAll("input, select, textarea");
      Array.prototype.forEach.call(inputs, function (input) {
        input.setAttribute("aria-invalid", "true");
        var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        ids.push(id);
        input.setAttribute("aria-describedby", ids.join(" "));
      });
      var link = el("a", null, errors[name]);
      if (inputs.length && inputs[0].id) { link.href = "#" + inputs[0].id; }
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.appendChild(list);
    form.insertBefore(summary, form.firstChild);
    summary.focus();
  }

  var SERVER_ERRORS = "Le serveur a refusé cet enregistrement : corrigez ces points, puis gardez-le à nouveau.";

  /* ``agreed``: the visit refused for the monthly cap alone, reopened to be noted with
     the company's agreement: the box ticked, the reason to give. */
  function correct(record, agreed) {
    editing = record;
    editingNeed = null;
    if (record.type === "entreprise") {
      companyForm.reset();
      fill(companyForm, record.donnees);
      byId("entreprise-details").open = true;
      showErrors(companyForm, record.erreurs, SERVER_ERRORS);
      if (!Object.keys(record.erreurs || {}).length) { companyForm.elements.name.focus(); }
      return;
    }
    if (record.type === "besoin") {
      openNeed(record);
      showErrors(visitForm, record.erreurs, SERVER_ERRORS);
      return;
    }
    var ref = record.donnees.entreprise;
    var known = companies[ref] || {
      ref: ref, cle: record.donnees.entreprise_cle, nom: record.resume.replace(/^« | »$/g, ""),
      decision: "ok", raisons: []
    };
    var company = known;
    if (agreed) {
      // What the server answered for this visit, not the round's older figures.
      company = {
        ref: known.ref, cle: known.cle, nom: known.nom, decision: "refuse",
        etat: record.message, raisons: record.raisons || [], plafond_depassable: true
      };
    }
    // The need typed with this visit comes back with it, to be sent with it.
    store.records(animateur).then(function (items) {
      editingNeed = items.filter(function (r) {
        return r.type === "besoin" && store.parentKey(r) === record.cle;
      })[0] || null;
      openVisit(company, record, editingNeed);
      var errors = {};
      [editingNeed, record].forEach(function (r) {
        Object.keys((r && r.erreurs) || {}).forEach(function (k) { errors[k] = r.erreurs[k]; });
      });
      showErrors(visitForm, errors, SERVER_ERRORS);
      if (agreed) {
        visitForm.elements.malgre_plafond.checked = true;
        visitForm.elements.raison_plafond.focus();
      }
    });
  }

  visitForm.elements.need_detected.addEventListener("change", function () {
    needBox.hidden = !visitForm.elements.need_detected.checked;
  });
  visitForm.querySelector("[data-annuler]").addEventListener("click", function () {
    editing = null;
    editingNeed = null;
    clearErrors(visitForm);
    visitSection.hidden = true;
    // A keyboard or screen reader user goes on from where they opened the form (its
    // button may be gone: the queue is drawn again after each sending).
    if (opener && opener !== document.body && document.body.contains(opener)) { opener.focus(); }
    else { queueSummary.focus(); }
    opener = null;
  });

  function text(form, name) { return (form.elements[name].value || "").trim(); }

  function typedNeed(data) {
    return {
      title: text(visitForm, "title"), skills: (data.get("skills") || "").trim(),
      level: data.get("level") || "", hours_per_week: (data.get("hours_per_week") || "").trim(),
      hours_period: data.get("hours_period") || "semaine",
      days: data.getAll("days"), contract: data.get("contract") || "",
      reason: data.get("reason") || "", start: data.get("start") || ""
    };
  }
  function isEmpty(need) {
    return NEED_FIELDS.every(function (n) { return !need[n] || !need[n].length; });
  }

  /* What the server will refuse in a need (needs.form_rules), said before it is kept:
     the animateur is still on the doorstep. The server stays the judge: what this cannot
     see comes back "à corriger", with "Corriger". */
  function needProblems(need) {
    var problems = {};
    NEED_FIELDS.forEach(function (name) {
      if (!need[name] || !need[name].length) {
        problems[name] = fieldBox(visitForm, name).getAttribute("data-manque");
      }
    });
    // Hours per month or year are converted into hours per week as the server does
    // (the weeks of each period are written on its option), then held to 1 to 48.
    var hours = /^(\d+(?:[.,]\d+)?)\s*(?:h|heures?)?$/i.exec(need.hours_per_week);
    if (hours) {
      var period = visitForm.elements.hours_period;
      var weeks = parseFloat(period.options[period.selectedIndex].getAttribute("data-semaines")) || 1;
      var value = parseFloat(hours[1].replace(",", ".")) / weeks;
      if (value < 1 || value > 48) {
        var box = fieldBox(visitForm, "hours_per_week");
        problems.hours_per_week = box.getAttribute(need.hours_period === "semaine" ? "data-manque" : "data-converti");
      }
    }
    if (need.start && need.start < localDate()) {
      problems.start = fieldBox(visitForm, "start").getAttribute("data-passe");
    }
    return problems;
  }

  function needSummary(need, name) { return "« " + need.title + " » chez « " + name + " »"; }

  /* Keep the need typed with the visit ``visitKey``: a new record, or the one queued with
     the visit being corrected (removed when its fields were emptied). */
  function keepNeed(visitKey, need, name) {
    if (editingNeed) {
      if (!need) { return store.removeRecord(editingNeed.cle); }
      need.visite_cle = visitKey;
      return store.updateRecord(editingNeed.cle, {
        donnees: need, resume: needSummary(need, name), entreprise_nom: name,
        statut: "en_file", message: "", raisons: [], erreurs: {}, confirme: false
      });
    }
    if (!need) { return null; }
    need.visite_cle = visitKey;
    return store.addRecord("besoin", need, animateur, needSummary(need, name), false, { entreprise_nom: name });
  }

  visitForm.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors(visitForm);
    var data = new FormData(visitForm);
    var alone = needAlone();
    var need = typedNeed(data);
    if (!alone && (!data.get("need_detected") || isEmpty(need))) { need = null; }
    var problems = need ? needProblems(need) : {};
    if (!alone && data.get("malgre_plafond") && !(data.get("raison_plafond") || "").trim()) {
      problems.raison_plafond = fieldBox(visitForm, "raison_plafond").getAttribute("data-manque");
    }
    // The follow-up's date is agreed on the doorstep: told there, not once back online.
    if (!alone && data.get("outcome") === "a_relancer" && !data.get("follow_up_on")) {
      problems.follow_up_on = fieldBox(visitForm, "follow_up_on").getAttribute("data-manque");
    }
    if (Object.keys(problems).length) {
      var needIncomplete = Object.keys(problems).some(function (n) {
        return n !== "raison_plafond" && n !== "follow_up_on";
      });
      showErrors(visitForm, problems, alone
        ? "Le besoin n'est pas gardé : complétez-le."
        : needIncomplete
          ? "La visite n'est pas encore gardée : le besoin détecté est incomplet. Complétez-le, " +
            "ou videz ses champs pour le décrire une fois la visite envoyée."
          : problems.raison_plafond && !problems.follow_up_on
            ? "La visite n'est pas encore gardée : indiquez pourquoi l'entreprise accepte ce contact."
            : "La visite n'est pas encore gardée : corrigez ce qui est indiqué.");
      return;
    }
    var name = byId("visite-entreprise").textContent;
    var saved;
    if (alone) {
      need.visite_cle = editing.donnees.visite_cle;
      var changes = {
        donnees: need, statut: "en_file", message: "", raisons: [], erreurs: {}, confirme: false
      };
      if (editing.entreprise_nom) { changes.resume = needSummary(need, editing.entreprise_nom); }
      saved = store.updateRecord(editing.cle, changes);
    } else {
      var donnees = {
        entreprise: text(visitForm, "entreprise"),
        entreprise_cle: text(visitForm, "entreprise_cle"),
        channel: data.get("channel") || "",
        visited_on: data.get("visited_on") || "",
        topics: data.getAll("topics"),
        outcome: data.get("outcome") || "",
        notes: data.get("notes") || "",
        need_detected: data.get("need_detected") ? "1" : "",
        follow_up_on: data.get("follow_up_on") || "",
        malgre_plafond: data.get("malgre_plafond") ? "1" : "",
        raison_plafond: (data.get("raison_plafond") || "").trim()
      };
      var confirmed = data.get("confirmer") === "1";
      var visit = editing
        ? store.updateRecord(editing.cle, {
          donnees: donnees, statut: "en_file", message: "", raisons: [], erreurs: {}, confirme: confirmed,
          plafond_depassable: false
        })
        : store.addRecord("visite", donnees, animateur, "« " + name + " »", confirmed);
      saved = visit.then(function (stored) { return keepNeed(stored.cle, need, name); });
    }
    saved.then(function () {
      editing = null;
      editingNeed = null;
      visitSection.hidden = true;
      visitForm.reset();
      setMode(false);
      // The form is hidden: the focus goes to the queue's count, which says it is kept.
      opener = null;
      queueSummary.focus();
      store.requestBackgroundSync();
      return sendNow();
    });
  });

  /* The SIRET checked on the phone as the server checks it (python-stdnum's rule: the
     Luhn key of the 14 digits and of the SIREN; La Poste's establishments, SIREN
     356 000 000, a digit sum multiple of 5), so that a mistyped number is corrected on
     the doorstep, not found refused once back online. The messages are the server's. */
  function luhn(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = +digits.charAt(digits.length - 1 - i);
      if (i % 2 === 1) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function siretProblem(typed) {
    var number = typed.replace(/[ .]/g, "");
    if (!/^\d+$/.test(number)) { return "Un SIRET ne contient que des chiffres : « " + typed + " »."; }
    if (number.length !== 14) {
      return "Un SIRET compte 14 chiffres ; « " + typed + " » en a " + number.length + ".";
    }
    var key = number.indexOf("356000000") === 0 && number !== "35600000000048"
      ? number.split("").reduce(function (s, d) { return s + (+d); }, 0) % 5 === 0
      : luhn(number);
    if (!key || !luhn(number.slice(0, 9))) {
      return "SIRET invalide : « " + typed + " » (la clé de contrôle ne correspond pas ; " +
        "vérifiez chaque chiffre).";
    }
    return null;
  }

  companyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var donnees = {};
    ["name", "siret", "commune", "met_name", "met_role", "met_phone", "met_email"].forEach(function (n) {
      donnees[n] = text(companyForm, n);
    });
    // Each field left empty, or a mistyped SIRET, said next to it (the server's words).
    var problems = {};
    ["name", "siret", "commune"].forEach(function (n) {
      if (!donnees[n]) { problems[n] = fieldBox(companyForm, n).getAttribute("data-manque"); }
    });
    var wrongSiret = donnees.siret && siretProblem(donnees.siret);
    if (wrongSiret) { problems.siret = wrongSiret; }
    if (Object.keys(problems).length) {
      showErrors(companyForm, problems, wrongSiret && Object.keys(problems).length === 1
        ? "L'entreprise n'est pas encore gardée : corrigez son SIRET."
        : "L'entreprise n'est pas encore gardée : complétez les champs signalés.");
      return;
    }
    clearErrors(companyForm);
    var saved = editing
      ? store.updateRecord(editing.cle, { donnees: donnees, statut: "en_file", message: "", raisons: [], erreurs: {} })
      : store.addRecord("entreprise", donnees, animateur, "« " + donnees.name + " »");
    saved.then(function () {
      editing = null;
      companyForm.reset();
      byId("entreprise-details").open = false;
      queueSummary.focus();
      store.requestBackgroundSync();
      return sendNow();
    });
  });

  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  showNetwork();
  // The round may have outlived its delay: wiped first, then shown (or "none").
  store.expireRound(animateur).catch(function () { return false; }).then(renderRound);
  refreshQueue();
  // Opened offline in place of the online visit form for one company of the round.
  var wanted = new URLSearchParams(window.location.search).get("entreprise");
  if (wanted) {
    store.roundCompanies().then(function (list) {
      list.forEach(function (c) { if (c.ref === wanted) { startVisit(c); } });
    });
  }
})();
