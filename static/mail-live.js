// The Inbox and the navigation's unread count, kept current without a reload: asks /mail/live
// (the Inbox's delta state, mailer/web/mailbox/live.py) every "every" seconds while the page
// is visible, at once when it becomes visible again; on a change (or a count unlike the one
// shown), sets the count and, on the Inbox's first page, puts the list the server renders now
// in place of the one shown.
// No inline script (the CSP allows none); it starts from the navigation's Mail link.
(function () {
  "use strict";

  var link = document.getElementById("nav-mail");
  if (!link || !link.dataset.live || !window.fetch) return;
  var every = 20000, timer = null, stopped = false, busy = false;

  function onInbox() {
    var query = new URLSearchParams(window.location.search);
    return window.location.pathname === link.dataset.inbox && !query.has("page") &&
      !query.has("q");
  }

  function shownCount() {
    var badge = document.getElementById("nav-unread");
    return badge ? Number(badge.textContent) : 0;
  }

  function setCount(n) {
    if (n === null || n === undefined) return;
    var badge = document.getElementById("nav-unread");
    if (!n) {
      if (badge) badge.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.id = "nav-unread";
      badge.className = "badge rounded-pill text-bg-light";
      badge.title = "unread in Inbox";
      link.append(" ", badge);
    }
    badge.textContent = String(n);
  }

  function shownList(doc) {
    return doc.getElementById("messages") || doc.getElementById("no-messages");
  }

  function refreshList() {
    return fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = shownList(new DOMParser().parseFromString(html, "text/html"));
        var old = shownList(document);
        if (fresh && old) old.replaceWith(document.importNode(fresh, true));
      });
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(ask, ms);
  }

  function ask() {
    if (document.hidden || busy || stopped) return;
    busy = true;
    fetch(link.dataset.live, {credentials: "same-origin", cache: "no-store",
                              headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {stop: r.status === 401}; })
      .then(function (state) {
        if (state.stop) { stopped = true; return null; }
        if (state.every) every = state.every * 1000;
        // A count unlike the one shown is a change too: mail that came before the first ask.
        var changed = state.changed || (state.unread !== null && state.unread !== undefined &&
                                         state.unread !== shownCount());
        setCount(state.unread);
        if (changed) link.dataset.changes = String(Number(link.dataset.changes || 0) + 1);
        return changed && onInbox() ? refreshList() : null;
      })
      .catch(function () { /* offline for a moment: the next ask tries again */ })
      .then(function () { busy = false; schedule(every); });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule(0);
  });
  schedule(every);
})();
