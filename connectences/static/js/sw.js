/* Connect'ences service worker, served from the site's root by connectences/web/webapp.py
   (which fills in CONFIG: cache version, files and pages to keep).

   - Static files of the round are kept in "connectences-static-<version>" at install.
   - The round's pages ("Ma tournée", "Mes relances") are fetched from the network when
     it answers, and kept in "connectences-pages-<version>" for when it does not; the
     online visit form falls back to "Ma tournée", whose offline form replaces it.
   - A new worker (any kept file changed) deletes the caches of the old version.
   - Background sync sends the queue (offline-store.js) when the network is back. */
var CONFIG = null; // filled in by connectences/web/webapp.py
importScripts(CONFIG.store);

var STATIC_CACHE = "connectences-static-" + CONFIG.version;
var PAGES_CACHE = "connectences-pages-" + CONFIG.version;
var CURRENT = [STATIC_CACHE, PAGES_CACHE];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.assets);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(ConnectencesOffline.CACHE_PREFIX) === 0 && CURRENT.indexOf(name) < 0;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isPage(url) {
  return CONFIG.pages.indexOf(url.pathname) >= 0;
}

function pageFromNetwork(request, url) {
  return fetch(request).then(function (response) {
    // Keep only a real copy of the page (not a redirect to the login form).
    if (response.ok && !response.redirected && isPage(url)) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  });
}

function pageFromCache(url) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(url.pathname).then(function (found) {
      if (found) { return found; }
      if (url.pathname === CONFIG.visitForm || isPage(url)) {
        return cache.match(CONFIG.fallback);
      }
      return undefined;
    });
  }).then(function (found) {
    return found || new Response(
      "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">" +
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
      "<title>Hors ligne · Connect'ences</title></head><body><main><h1>Pas de réseau</h1>" +
      "<p>Cette page n'est pas disponible hors ligne. Préparez votre tournée avant de partir " +
      "pour noter vos visites sans réseau.</p><p><a href=\"" + CONFIG.fallback +
      "\">Ma tournée</a></p></main></body></html>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
    );
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(pageFromNetwork(request, url).catch(function () {
      return pageFromCache(url);
    }));
    return;
  }
  if (CONFIG.assets.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.open(STATIC_CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (found) {
        return found || fetch(request);
      });
    }));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "garder-pages") {
    // "Préparer ma tournée": keep the round's pages now, while the network is there.
    event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) {
      return Promise.all(CONFIG.pages.map(function (path) {
        return fetch(path, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) { return cache.put(path, response); }
          return null;
        });
      }));
    }).then(function () {
      if (event.source) { event.source.postMessage({ type: "pages-gardees" }); }
    }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag !== ConnectencesOffline.SYNC_TAG) { return; }
  event.waitUntil(ConnectencesOffline.send().then(function (summary) {
    return self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) {
        client.postMessage({ type: "envoi-termine", resume: summary });
      });
    });
  }));
});
