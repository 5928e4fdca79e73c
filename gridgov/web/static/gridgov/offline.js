/* The field app on the device (docs/field-app.md):
 *   - registers the service worker (/sw.js) and tells it who is signed in and which pages to keep;
 *   - shows "离线 · 显示的是 HH:MM 的内容" on a page the service worker served from its cache;
 *   - forms marked data-offline-queue="visit|report", sent without signal, are kept in IndexedDB with their
 *     files and their one-time key, and sent in order when the device is online again (a fresh CSRF token
 *     is asked for first); the server answers a repeated key with the record made the first time;
 *   - a badge in the header counts what waits; the 待发送 page (/offline/queue/) lists it.
 * Everything a person typed is shown with textContent only. */
(function () {
  "use strict";

  var DB_NAME = "gridgov-offline";
  var STORE = "queue";
  var PAGES_CACHE = "gridgov-pages";
  var USER_KEY = "gridgov.offline.user";
  var KEY_FIELDS = ["client_key", "idempotency_key"];
  var TEXT_FIELDS = ["problems", "description", "situation", "needs", "skills", "address"];

  var manifestLink = document.querySelector('link[rel="manifest"]');
  if (!manifestLink) { return; }
  var ROOT = new URL(".", manifestLink.href);  // the site root: the manifest is served there
  var URLS = {
    sw: new URL("sw.js", ROOT).href,
    state: new URL("offline/state.json", ROOT).href,
    messages: new URL("offline/messages.json", ROOT).href,
    queue: new URL("offline/queue/", ROOT).href
  };

  var T = {  // replaced by offline/messages.json (translated); these are only the fallback
    banner: "离线 · 显示的是 %(time)s 的内容",
    queued: "已保存在本机，恢复网络后自动发送",
    badge: "待发送 %(n)s 条",
    sending: "正在发送…",
    waiting: "等待网络",
    failed: "未能保存，请修改后重新发送或删除",
    login: "登录已过期，请重新登录后发送",
    other_user: "这是另一个账号保存的内容，请用该账号登录后发送",
    send_now: "立即发送",
    discard: "删除",
    discard_confirm: "确定删除这条未发送的记录吗？删除后无法恢复。",
    empty: "本机没有待发送的记录。",
    photo: "含照片 %(n)s 张",
    kind_visit: "走访记录",
    kind_report: "上报问题",
    saved_at: "保存于 %(time)s",
    unsupported: "此浏览器不支持离线保存，请在有信号时提交。"
  };

  function t(name, values) {
    var text = T[name] || name;
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(String(values[key]));
    });
    return text;
  }

  function hhmm(iso) {
    var when = iso ? new Date(iso) : new Date();
    if (isNaN(when.getTime())) { when = new Date(); }
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(when.getHours()) + ":" + two(when.getMinutes());
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // ------------------------------------------------------------ IndexedDB

  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
        var open = window.indexedDB.open(DB_NAME, 1);
        open.onupgradeneeded = function () {
          open.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function allItems() {
    return tx("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.id - b.id; });
    });
  }

  function putItem(item) { return tx("readwrite", function (store) { return store.put(item); }); }
  function deleteItem(id) { return tx("readwrite", function (store) { return store.delete(id); }); }

  // ------------------------------------------------------------ who is signed in

  function currentUser() {
    try { return window.localStorage.getItem(USER_KEY) || ""; } catch (e) { return ""; }
  }

  function rememberUser(tag) {
    try { window.localStorage.setItem(USER_KEY, tag); } catch (e) { /* private mode */ }
  }

  function fetchState() {
    return fetch(URLS.state, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok) { throw new Error("state " + response.status); }
      return response.json();
    });
  }

  function tellWorker(message) {
    if (!("serviceWorker" in navigator)) { return Promise.resolve(); }
    var controller = navigator.serviceWorker.controller;
    if (controller) {
      controller.postMessage(message);
      return Promise.resolve();
    }
    // Not controlled yet (the first visit): the message goes when the worker is ready. Nothing waits on
    // it: where no worker ever becomes ready (blocked, private mode) the badge and the queue still work.
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) { registration.active.postMessage(message); }
    });
    return Promise.resolve();
  }

  function clearPages() {
    var done = window.caches ? window.caches.delete(PAGES_CACHE) : Promise.resolve();
    return Promise.all([done, tellWorker({ type: "clear" })]).catch(function () {});
  }

  // ------------------------------------------------------------ badge and notices

  function badge() {
    var existing = document.querySelector("[data-offline-badge]");
    if (existing) { return existing; }
    var host = document.querySelector(".topbar-inner");
    if (!host) { return null; }
    var link = document.createElement("a");
    link.className = "badge offline-badge";
    link.href = URLS.queue;
    link.setAttribute("data-offline-badge", "");
    link.setAttribute("data-count", "0");
    link.hidden = true;
    host.appendChild(link);
    return link;
  }

  function refreshBadge() {
    return allItems().then(function (items) {
      var mine = items.filter(function (item) { return item.user === currentUser(); });
      var element = badge();
      if (element) {
        element.setAttribute("data-count", String(mine.length));
        element.textContent = t("badge", { n: mine.length });
        element.hidden = mine.length === 0;
      }
      renderQueue(items);
      return items;
    }).catch(function () {});
  }

  function notice(form, text) {
    var note = form.querySelector("[data-offline-notice]");
    if (!note) {
      note = document.createElement("p");
      note.className = "notice offline-notice";
      note.setAttribute("role", "status");
      note.setAttribute("data-offline-notice", "");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = text;
    note.scrollIntoView({ block: "nearest" });
  }

  function showBanner() {
    var at = document.documentElement.getAttribute("data-offline-at");
    if (at === null) { return; }
    var banner = document.createElement("p");
    banner.className = "notice notice-error offline-banner";
    banner.setAttribute("role", "status");
    banner.setAttribute("data-offline-banner", "");
    banner.textContent = t("banner", { time: hhmm(at) });
    var main = document.querySelector("main") || document.body;
    main.insertBefore(banner, main.firstChild);
    // A form from the cache carries the key of the copy kept earlier: each use gets its own.
    document.querySelectorAll("form[data-offline-queue]").forEach(function (form) {
      KEY_FIELDS.forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (field && field.value !== undefined) { field.value = newKey(); }
      });
    });
  }

  // ------------------------------------------------------------ queueing a form

  function summary(fields) {
    for (var i = 0; i < TEXT_FIELDS.length; i++) {
      for (var j = 0; j < fields.length; j++) {
        if (fields[j][0] === TEXT_FIELDS[i] && typeof fields[j][1] === "string" && fields[j][1].trim()) {
          return fields[j][1].trim().slice(0, 60);
        }
      }
    }
    return "";
  }

  function queueForm(form) {
    var fields = [];
    var photos = 0;
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") { return; }  // a fresh token is asked for at send time
      if (typeof value === "string") {
        fields.push([name, value]);
      } else if (value && value.size > 0) {
        fields.push([name, { file: value, filename: value.name, type: value.type }]);
        photos += 1;
      }
    });
    var key = "";
    fields.forEach(function (pair) { if (KEY_FIELDS.indexOf(pair[0]) !== -1) { key = pair[1]; } });
    var action = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    var item = {
      kind: form.getAttribute("data-offline-queue") || "form",
      action: action.pathname + action.search,
      fields: fields,
      key: key,
      photos: photos,
      summary: summary(fields),
      user: currentUser(),
      savedAt: new Date().toISOString(),
      status: "waiting",
      error: ""
    };
    return putItem(item).then(function () {
      notice(form, t("queued"));
      form.reset();
      KEY_FIELDS.forEach(function (name) {  // the next record made with this form is another one
        var field = form.elements.namedItem(name);
        if (field && field.value !== undefined) { field.value = newKey(); }
      });
      return refreshBadge();
    });
  }

  // Is the server reachable? The browser's online flag only says a network is there ("lie-fi": one bar,
  // a captive portal). A quick no-store ask for the state answers that and brings a fresh CSRF token.
  // null: unreachable (network error or no answer in time); otherwise the state (or {} if the server
  // answered with an error: it is there, the form goes the ordinary way).
  var PROBE_MS = 8000;

  function reachable() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, PROBE_MS) : null;
    return fetch(URLS.state, {
      credentials: "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.ok ? response.json().catch(function () { return {}; }) : {};
    }, function () { return null; }).then(function (state) {
      if (timer) { window.clearTimeout(timer); }
      return state;
    });
  }

  // Capture phase: runs before the form's own submit-once listener, so a queued form stays usable. The
  // first submit is held while the server is asked whether it is reachable; a reachable one gets the form
  // submitted again (requestSubmit, marked checked), which then goes the ordinary way.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-offline-queue")) { return; }
    if (form.dataset.offlineChecked === "1") { form.dataset.offlineChecked = ""; return; }
    event.preventDefault();
    event.stopPropagation();
    function queue() { queueForm(form).catch(function () { notice(form, t("unsupported")); }); }
    if (navigator.onLine === false) { queue(); return; }
    if (form.dataset.offlineProbing === "1") { return; }  // a second click while asking
    form.dataset.offlineProbing = "1";
    var submitter = event.submitter || null;
    reachable().then(function (state) {
      form.dataset.offlineProbing = "";
      if (state === null) { queue(); return; }
      var token = form.elements.namedItem("csrfmiddlewaretoken");
      if (token && state.csrf) { token.value = state.csrf; }  // a page kept offline may carry an old one
      form.dataset.offlineChecked = "1";
      if (form.requestSubmit) {
        form.requestSubmit(submitter);
      } else {
        form.dataset.offlineChecked = "";
        form.submit();
      }
    });
  }, true);

  // Signing out: the pages kept for this account go first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.classList || !form.classList.contains("logout") || form.dataset.cleared === "1") { return; }
    event.preventDefault();
    form.dataset.cleared = "1";
    rememberUser("");
    clearPages().then(function () { form.submit(); });
  }, true);

  // ------------------------------------------------------------ sending the queue

  var sending = false;

  function errorText(html) {
    // Parsed into a detached document only to read its text; nothing of it is inserted anywhere.
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var parts = [];
    parsed.querySelectorAll('.error[role="alert"], .field-error').forEach(function (node) {
      var text = node.textContent.trim();
      if (text && parts.indexOf(text) === -1) { parts.push(text); }
    });
    return parts.join(" ").slice(0, 500);
  }

  function sendItem(item, state) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", state.csrf);
    item.fields.forEach(function (pair) {
      var value = pair[1];
      if (typeof value === "string") {
        body.append(pair[0], value);
      } else if (value && value.file) {
        body.append(pair[0], value.file, value.filename || "photo");
      }
    });
    return fetch(item.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": state.csrf }
    }).then(function (response) {
      var landed = new URL(response.url || item.action, window.location.href).pathname;
      if (landed === new URL(state.login, window.location.href).pathname) {
        item.status = "login";
        item.error = t("login");
        return putItem(item).then(function () { return "stop"; });
      }
      if (response.ok) {
        return deleteItem(item.id).then(function () { return "sent"; });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        return response.text().then(function (html) {
          item.status = "error";
          item.error = errorText(html) || t("failed");
          return putItem(item).then(function () { return "kept"; });
        });
      }
      return "stop";  // the server is busy or failing: try again later
    });
  }

  function sendQueue() {
    if (sending || navigator.onLine === false) { return Promise.resolve(); }
    sending = true;
    return allItems().then(function (items) {
      if (!items.length) { return null; }
      return fetchState().then(function (state) {
        rememberUser(state.user);
        var mine = items.filter(function (item) {
          return item.user && item.user === state.user && item.status !== "error";
        });
        var chain = Promise.resolve("sent");
        mine.forEach(function (item) {
          chain = chain.then(function (last) {
            if (last === "stop") { return "stop"; }
            return sendItem(item, state);
          });
        });
        return chain;
      });
    }).catch(function () { /* offline again: the items wait */ }).then(function () {
      sending = false;
      return refreshBadge();
    });
  }

  function sendOne(id) {
    return allItems().then(function (items) {
      var item = items.filter(function (candidate) { return candidate.id === id; })[0];
      if (!item) { return null; }
      item.status = "waiting";
      item.error = "";
      return putItem(item);
    }).then(sendQueue);
  }

  // ------------------------------------------------------------ 待发送 page

  function renderQueue(items) {
    var list = document.querySelector("[data-offline-queue-list]");
    if (!list) { return; }
    var status = document.getElementById("offline-queue-status");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (status) { status.textContent = items.length ? "" : t("empty"); }
    items.forEach(function (item) {
      var entry = document.createElement("li");
      entry.className = "offline-item offline-item-" + (item.status || "waiting");
      entry.setAttribute("data-offline-item", String(item.id));
      var title = document.createElement("strong");
      title.textContent = t(item.kind === "visit" ? "kind_visit" : "kind_report");
      entry.appendChild(title);
      var when = document.createElement("span");
      when.className = "muted";
      when.textContent = " " + t("saved_at", { time: hhmm(item.savedAt) });
      entry.appendChild(when);
      if (item.summary) {
        var text = document.createElement("p");
        text.textContent = item.summary;
        entry.appendChild(text);
      }
      if (item.photos) {
        var photos = document.createElement("p");
        photos.className = "muted";
        photos.textContent = t("photo", { n: item.photos });
        entry.appendChild(photos);
      }
      var state = document.createElement("p");
      var other = item.user !== currentUser();
      state.className = item.status === "error" || other ? "field-error" : "hint";
      state.setAttribute("data-offline-item-status", "");
      state.textContent = other ? t("other_user") : (item.error || t("waiting"));
      entry.appendChild(state);
      if (!other) {
        var send = document.createElement("button");
        send.type = "button";
        send.className = "button";
        send.textContent = t("send_now");
        send.addEventListener("click", function () { sendOne(item.id); });
        entry.appendChild(send);
      }
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button button-danger";
      discard.setAttribute("data-offline-discard", "");
      discard.textContent = t("discard");
      discard.addEventListener("click", function () {
        if (window.confirm(t("discard_confirm"))) { deleteItem(item.id).then(refreshBadge); }
      });
      entry.appendChild(discard);
      list.appendChild(entry);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-offline-send-now]");
    if (button) { sendQueue(); }
  });

  // ------------------------------------------------------------ start

  function loadMessages() {
    return fetch(URLS.messages, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : {};
    }).then(function (messages) {
      Object.keys(messages || {}).forEach(function (key) { T[key] = messages[key]; });
    }).catch(function () {});
  }

  function syncUser() {
    if (navigator.onLine === false) { return Promise.resolve(); }
    return fetchState().then(function (state) {
      var before = currentUser();
      rememberUser(state.user);
      var cleared = before && before !== state.user ? clearPages() : Promise.resolve();
      return cleared.then(function () {
        return tellWorker({ type: "user", user: state.user, pages: state.pages });
      });
    }).catch(function () {});
  }

  function start() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(URLS.sw, { scope: ROOT.pathname }).catch(function () {});
    }
    loadMessages().then(function () {
      showBanner();
      return syncUser();
    }).then(refreshBadge).then(sendQueue);
  }

  window.addEventListener("online", function () { sendQueue(); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
