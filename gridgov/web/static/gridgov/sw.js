/* gridgov service worker (served at /sw.js by gridgov/web/fieldapp.py, which prepends
 * self.GRIDGOV_OFFLINE = {version, shell, state}). See docs/field-app.md.
 *
 * - The app shell (our CSS/JS, vendor libraries, icons, the manifest, 待发送) is cached at install and
 *   served network first, cache fallback.
 * - Pages: only those offline.js names for the signed-in worker (the worklists and their grid's household
 *   pages) are kept: network first; offline, the cached copy is served marked with data-offline-at on
 *   <html> so offline.js shows the "离线" banner. Every other page goes to the network untouched.
 * - Kept pages belong to one account: offline.js sends {type: "user", user: tag, pages: [...]} on every
 *   online page load; a different account's tag deletes the pages cache first. {type: "clear"} (sent by
 *   offline.js when the worker signs out, and when the device's last account differs) deletes it too.
 *   POSTs are never cached.
 */
"use strict";

var CONFIG = self.GRIDGOV_OFFLINE || { version: "0", shell: [], state: "/offline/state.json" };
var SHELL = "gridgov-shell-" + CONFIG.version;
var PAGES = "gridgov-pages";
var META = "gridgov-meta";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL).then(function (cache) {
      return Promise.all(CONFIG.shell.map(function (url) {
        return cache.add(new Request(url, { credentials: "same-origin" })).catch(function () {});
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("gridgov-shell-") === 0 && key !== SHELL;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function metaGet(name) {
  return caches.open(META).then(function (cache) {
    return cache.match("/__gridgov/" + name);
  }).then(function (response) { return response ? response.json() : null; });
}

function metaPut(name, value) {
  return caches.open(META).then(function (cache) {
    return cache.put("/__gridgov/" + name, new Response(JSON.stringify(value), {
      headers: { "Content-Type": "application/json" }
    }));
  });
}

// Owner changes are applied one at a time (two pages loading at once send two messages), and a read-ahead
// stops as soon as a newer message came: pages of one account never land in the cache of the next.
var chain = Promise.resolve();
var generation = 0;

function serial(work) {
  chain = chain.then(work, work);
  return chain;
}

function clearPages() {
  generation += 1;
  return serial(function () {
    return caches.delete(PAGES).then(function () { return metaPut("owner", { user: "", pages: [] }); });
  });
}

function pathOf(url) {
  var u = new URL(url, self.location.origin);
  return u.pathname + u.search;
}

function keepPages(user, pages) {
  generation += 1;
  var mine = generation;
  return serial(function () {
    // A signed-out page (the login page, a late message from it) changes nothing: signing out clears
    // through {type: "clear"}, and the next account's tag differs from the kept one.
    if (!user) { return null; }
    return metaGet("owner").then(function (owner) {
      var changed = owner && owner.user && owner.user !== user;
      return (changed ? caches.delete(PAGES) : Promise.resolve()).then(function () {
        return metaPut("owner", { user: user, pages: pages });
      });
    });
  }).then(function () {
    if (!user) { return null; }
    // Read ahead what is not cached yet, a few at a time (a grid has a few hundred households).
    var todo = pages.slice();
    function next() {
      var url = todo.shift();
      if (!url || mine !== generation) { return null; }
      return caches.open(PAGES).then(function (cache) {
        return cache.match(url).then(function (hit) {
          if (hit) { return null; }
          return fetch(url, { credentials: "same-origin", redirect: "error" }).then(function (response) {
            if (!response.ok || mine !== generation) { return null; }
            return stamp(response).then(function (copy) {
              return mine === generation ? cache.put(url, copy) : null;
            });
          }).catch(function () { return null; });
        });
      }).then(next);
    }
    return Promise.all([next(), next(), next()]);
  });
}

// The time a page was fetched, kept with the cached copy.
function stamp(response) {
  var headers = new Headers(response.headers);
  headers.set("X-Gridgov-Fetched-At", new Date().toISOString());
  return response.blob().then(function (body) {
    return new Response(body, { status: response.status, statusText: response.statusText, headers: headers });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var work = null;
  if (data.type === "user") {
    work = keepPages(String(data.user || ""), Array.isArray(data.pages) ? data.pages.map(pathOf) : []);
  } else if (data.type === "clear") {
    work = clearPages();
  }
  if (work) {
    event.waitUntil(work.then(function () {
      if (event.source) { event.source.postMessage({ type: data.type + ":done" }); }
    }));
  }
});

function offlineCopy(cached) {
  var at = cached.headers.get("X-Gridgov-Fetched-At") || "";
  return cached.text().then(function (html) {
    // Only our attribute is added; the page's own HTML is untouched.
    var marked = html.replace(/<html(\s|>)/i, function (all, after) {
      return "<html data-offline-at=\"" + at.replace(/[^0-9TZ:.+-]/g, "") + "\"" + after;
    });
    var headers = new Headers(cached.headers);
    headers.set("Cache-Control", "no-store");
    return new Response(marked, { status: 200, headers: headers });
  });
}

function handlePage(request) {
  var key = pathOf(request.url);
  return metaGet("owner").then(function (owner) {
    var kept = owner && owner.user && owner.pages.indexOf(key) !== -1;
    if (!kept) { return fetch(request); }
    return fetch(request).then(function (response) {
      // a redirect (signed out) or an error page is never kept
      if (response.ok && !response.redirected) {
        var mine = generation;
        stamp(response.clone()).then(function (copy) {
          if (mine !== generation) { return null; }
          return caches.open(PAGES).then(function (cache) { return cache.put(key, copy); });
        });
      }
      return response;
    }).catch(function (error) {
      return caches.open(PAGES).then(function (cache) { return cache.match(key); }).then(function (cached) {
        if (!cached) { throw error; }
        return offlineCopy(cached);
      });
    });
  });
}

function handleShell(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(SHELL).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }).catch(function (error) {
    return caches.open(SHELL).then(function (cache) {
      return cache.match(request, { ignoreSearch: false });
    }).then(function (cached) {
      if (!cached) { throw error; }
      return cached;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === CONFIG.state) { return; }
  if (request.mode === "navigate") {
    var path = url.pathname + url.search;
    if (CONFIG.shell.indexOf(path) !== -1) {
      event.respondWith(handleShell(request));
    } else {
      event.respondWith(handlePage(request));
    }
    return;
  }
  if (CONFIG.shell.indexOf(url.pathname + url.search) !== -1) {
    event.respondWith(handleShell(request));
  }
});
