/* The phone's offline store (IndexedDB), shared by the pages and the service worker.

   Stores:
   - "file": the queue of records made offline (visits, new companies, detected needs),
     each with the idempotency key ("cle") generated here; a record leaves the queue
     only when the server answers that it is stored ("enregistre") or was already
     ("deja_recu"). Any other answer is kept on the record with its French reason.
   - "tournee": the companies of the prepared round; "meta": when it expires, and for
     which animateur.
   Nothing here talks to the page: callers render. */
(function (scope) {
  "use strict";
  var DB_NAME = "connectences-hors-ligne";
  var DB_VERSION = 1;
  var CACHE_PREFIX = "connectences-";
  var SESSION_URL = "/api/hors-ligne/session";
  var SYNC_URL = "/api/hors-ligne/envoi";
  var SYNC_TAG = "connectences-envoi";
  // Statuses sent again without asking: new, or waiting for another record.
  var AUTO_SEND = { en_file: true, en_attente: true };
  var DONE = { enregistre: true, deja_recu: true };

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var req = scope.indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("file")) {
          db.createObjectStore("file", { keyPath: "cle" });
        }
        if (!db.objectStoreNames.contains("tournee")) {
          db.createObjectStore("tournee", { keyPath: "ref" });
        }
        if (!db.objectStoreNames.contains("meta")) {
          db.createObjectStore("meta", { keyPath: "nom" });
        }
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  // Run fn(stores...) in one transaction; resolves with fn's result once committed.
  function transaction(names, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var result;
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
        var stores = names.map(function (name) { return tx.objectStore(name); });
        Promise.resolve(fn.apply(null, stores)).then(function (value) { result = value; });
      });
    });
  }

  function all(name) {
    return transaction([name], "readonly", function (store) { return request(store.getAll()); });
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) { return scope.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // --- the queue -------------------------------------------------------------------------

  /* Add a record: type "visite", "entreprise" or "besoin"; donnees as the online form
     names its fields; resume: what the animateur reads in the list; extra: more fields
     kept on the record for the page (never sent). */
  function addRecord(type, donnees, animateur, resume, confirme, extra) {
    var record = {
      cle: newKey(),
      type: type,
      enregistre_le: new Date().toISOString(),
      confirme: !!confirme,
      donnees: donnees,
      animateur: animateur,
      resume: resume || "",
      statut: "en_file",
      message: "",
      raisons: [],
      erreurs: {}
    };
    Object.keys(extra || {}).forEach(function (k) { record[k] = extra[k]; });
    return transaction(["file"], "readwrite", function (store) {
      store.add(record);
      return record;
    });
  }

  function records(animateur) {
    return all("file").then(function (items) {
      return items.filter(function (r) { return animateur == null || r.animateur === animateur; })
        .sort(function (a, b) { return a.enregistre_le < b.enregistre_le ? -1 : 1; });
    });
  }

  function updateRecord(cle, changes) {
    return transaction(["file"], "readwrite", function (store) {
      return request(store.get(cle)).then(function (record) {
        if (!record) { return null; }
        Object.keys(changes).forEach(function (k) { record[k] = changes[k]; });
        store.put(record);
        return record;
      });
    });
  }

  function removeRecord(cle) {
    return transaction(["file"], "readwrite", function (store) { store.delete(cle); });
  }

  function removeRecords(keys) {
    return transaction(["file"], "readwrite", function (store) {
      keys.forEach(function (cle) { store.delete(cle); });
    });
  }

  /* The key of the record this one depends on (a visit's new company, a need's visit). */
  function parentKey(record) {
    var d = record.donnees || {};
    return record.type === "besoin" ? d.visite_cle || null
      : record.type === "visite" ? d.entreprise_cle || null : null;
  }

  /* The records that depend on the record ``cle``, directly or not (a company's visits
     and their needs), among ``items``. */
  function dependents(items, cle) {
    var found = [];
    var wanted = [cle];
    while (wanted.length) {
      var key = wanted.shift();
      items.forEach(function (r) {
        if (parentKey(r) === key && found.indexOf(r) < 0) {
          found.push(r);
          wanted.push(r.cle);
        }
      });
    }
    return found;
  }

  // --- the round -------------------------------------------------------------------------

  function saveRound(data) {
    return transaction(["tournee", "meta"], "readwrite", function (round, meta) {
      round.clear();
      data.entreprises.forEach(function (company) { round.put(company); });
      meta.put({
        nom: "tournee",
        animateur: data.animateur,
        preparee_le: data.preparee_le,
        expire_le: data.expire_le,
        expire_texte: data.expire_texte,
        nombre: data.entreprises.length
      });
      return data.entreprises.length;
    });
  }

  function roundInfo() {
    return transaction(["meta"], "readonly", function (meta) {
      return request(meta.get("tournee"));
    });
  }

  function roundCompanies() {
    return all("tournee").then(function (items) {
      return items.sort(function (a, b) { return a.nom.localeCompare(b.nom, "fr"); });
    });
  }

  function clearRound() {
    return transaction(["tournee", "meta"], "readwrite", function (round, meta) {
      round.clear();
      meta.delete("tournee");
    }).then(clearPages);
  }

  /* Wipe the round (and the cached pages) once its delay is over, or when it was
     prepared by another animateur. Resolves true when something was wiped. */
  function expireRound(animateur) {
    return roundInfo().then(function (info) {
      if (!info) { return false; }
      var stale = new Date(info.expire_le).getTime() <= Date.now();
      if (stale || (animateur != null && info.animateur !== animateur)) {
        return clearRound().then(function () { return true; });
      }
      return false;
    });
  }

  /* The kept pages ("Ma tournée", "Mes relances") carry the name of the account that
     loaded them, and "Ma tournée" queues under its id: once another animateur is logged
     in on this phone (a colleague's session ended without logout), the pages kept for
     that colleague are wiped, so that offline they never act in the colleague's name.
     Resolves true when something was wiped. */
  function claimPages(animateur) {
    return transaction(["meta"], "readwrite", function (meta) {
      return request(meta.get("pages")).then(function (found) {
        meta.put({ nom: "pages", animateur: animateur });
        return !!found && found.animateur !== animateur;
      });
    }).then(function (other) {
      return other ? clearPages().then(function () { return true; }) : false;
    });
  }

  function clearPages() {
    if (!scope.caches) { return Promise.resolve(); }
    return scope.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return n.indexOf(CACHE_PREFIX + "pages-") === 0;
      }).map(function (n) { return scope.caches.delete(n); }));
    });
  }

  /* Everything this site keeps on the phone: the store and every cache (logout). */
  function clearAll() {
    var caches = scope.caches ? scope.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf(CACHE_PREFIX) === 0; })
        .map(function (n) { return scope.caches.delete(n); }));
    }) : Promise.resolve();
    var store = new Promise(function (resolve) {
      var req = scope.indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
    });
    return Promise.all([caches, store]);
  }

  // --- sending -----------------------------------------------------------------------------

  function withLock(fn) {
    var locks = scope.navigator && scope.navigator.locks;
    if (locks && locks.request) { return locks.request(SYNC_TAG, fn); }
    return fn();
  }

  /* Send the queue. Resolves with {etat, envoyes: [results stored], restants: count}:
     etat "ok", "vide" (nothing to send), "hors_ligne" (no network: nothing changed),
     "connexion" (session expired: the queue is kept, log in again) or "erreur". */
  function send() {
    return withLock(function () {
      return scope.fetch(SESSION_URL, {
        credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (response.status === 401) { return { etat: "connexion" }; }
        if (!response.ok) { return { etat: "erreur" }; }
        return response.json().then(function (session) { return post(session); });
      }, function () { return { etat: "hors_ligne" }; });
    });
  }

  /* Records to send: new or waiting ones, except those whose record they depend on is
     held here for the animateur's decision (refused, to correct, to confirm): the server
     could only answer "en attente" again. */
  function dueRecords(items) {
    var held = {};
    items.forEach(function (r) { held[r.cle] = r; });
    function blocked(record, depth) {
      var parent = held[parentKey(record)];
      if (!parent || depth > 3) { return false; }
      return !AUTO_SEND[parent.statut] || blocked(parent, depth + 1);
    }
    return items.filter(function (r) { return AUTO_SEND[r.statut] && !blocked(r, 0); });
  }

  function post(session) {
    return records(session.animateur).then(function (items) {
      var due = dueRecords(items);
      if (!due.length) { return { etat: "vide", envoyes: [] }; }
      var body = JSON.stringify({
        // Every key still on the phone: a record naming a key the server never stored
        // waits only if the phone still holds that record.
        cles_sur_le_telephone: items.map(function (r) { return r.cle; }),
        enregistrements: due.map(function (r) {
          return {
            cle: r.cle, type: r.type, enregistre_le: r.enregistre_le,
            confirme: r.confirme, donnees: r.donnees
          };
        })
      });
      return scope.fetch(SYNC_URL, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": session.csrf_token
        },
        body: body
      }).then(function (response) {
        if (response.status === 401) { return { etat: "connexion" }; }
        if (!response.ok) { return { etat: "erreur", code: response.status }; }
        return response.json().then(function (answer) { return apply(answer.resultats || []); });
      }, function () { return { etat: "hors_ligne" }; });
    });
  }

  function apply(results) {
    var sent = [];
    return results.reduce(function (chain, result) {
      return chain.then(function () {
        if (!result.cle) { return null; }
        if (DONE[result.statut]) {
          sent.push(result);
          return removeRecord(result.cle);
        }
        return updateRecord(result.cle, {
          statut: result.statut,
          message: result.message,
          raisons: result.raisons || [],
          erreurs: result.erreurs || {},
          confirme: false,
          // Refused for the company's monthly cap alone: may be noted with its agreement.
          plafond_depassable: !!result.plafond_depassable
        });
      });
    }, Promise.resolve()).then(function () { return { etat: "ok", envoyes: sent }; });
  }

  /* Ask the browser to send when the network is back, even with the page closed
     (background sync); where it is missing, pages send on load and on "online". */
  function requestBackgroundSync() {
    var nav = scope.navigator;
    if (!nav || !nav.serviceWorker || !scope.SyncManager) { return Promise.resolve(false); }
    return nav.serviceWorker.ready.then(function (registration) {
      return registration.sync.register(SYNC_TAG).then(function () { return true; });
    }).catch(function () { return false; });
  }

  scope.ConnectencesOffline = {
    SYNC_TAG: SYNC_TAG,
    CACHE_PREFIX: CACHE_PREFIX,
    addRecord: addRecord,
    records: records,
    updateRecord: updateRecord,
    removeRecord: removeRecord,
    removeRecords: removeRecords,
    parentKey: parentKey,
    dependents: dependents,
    saveRound: saveRound,
    roundInfo: roundInfo,
    roundCompanies: roundCompanies,
    clearRound: clearRound,
    expireRound: expireRound,
    claimPages: claimPages,
    clearAll: clearAll,
    send: send,
    requestBackgroundSync: requestBackgroundSync
  };
})(self);
