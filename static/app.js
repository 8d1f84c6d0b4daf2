// Small behaviours, no inline script (the Content-Security-Policy allows none):
// times in the browser's own zone, live expiry countdowns, reveal/hide of the masked access
// token, copy to clipboard, and on sign-out the compose pages' unsaved typing this browser kept
// (compose-rescue.js) forgotten.
(function () {
  "use strict";

  // A moment as people read it in their own zone: "just now", "5 min ago", "today 14:05",
  // "yesterday 09:12", "Tue 3 Mar, 14:05", "3 Mar 2025". The server writes every time as
  // <time datetime="…Z" data-local> with a UTC text (mailer/web/times.py).
  function two(n) { return String(n).padStart(2, "0"); }

  function localTime(date, now) {
    now = now || new Date();
    var seconds = (now - date) / 1000, clock = two(date.getHours()) + ":" + two(date.getMinutes());
    var day = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    var that = new Date(date.getFullYear(), date.getMonth(), date.getDate());
    var days = Math.round((day - that) / 86400000);
    if (days === 0 && seconds >= -60 && seconds < 60) return "just now";
    if (days === 0 && seconds >= 60 && seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    if (days === 0) return "today " + clock;
    if (days === 1) return "yesterday " + clock;
    if (days === -1) return "tomorrow " + clock;  // a scheduled send
    var dayMonth = date.toLocaleDateString("en-GB", {day: "numeric", month: "short"});
    if (date.getFullYear() !== now.getFullYear()) return dayMonth + " " + date.getFullYear();
    return date.toLocaleDateString("en-GB", {weekday: "short"}) + " " + dayMonth + ", " + clock;
  }

  function showTimes(root) {
    var now = new Date();
    (root || document).querySelectorAll("time[data-local][datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      el.textContent = localTime(date, now);
      el.title = date.toLocaleString("en-GB", {dateStyle: "full", timeStyle: "short"}) +
        " (" + (Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone") + ")";
    });
  }
  window.MailerTime = {format: localTime, show: showTimes};

  function format(seconds) {
    if (seconds <= 0) return "expired";
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.floor(Number(el.dataset.expiresAt) - now);
      el.textContent = format(left);
      el.classList.toggle("is-soon", left > 0 && left < 300);  // MSAL renews below 5 minutes
      el.classList.toggle("is-expired", left <= 0);
    });
  }

  function reveal(button) {
    var raw = document.querySelector(button.dataset.reveal);
    var masked = document.querySelector(button.dataset.mask);
    var show = raw.hidden;
    raw.hidden = !show;
    if (masked) masked.hidden = show;
    button.querySelector("span").textContent = show ? "Hide" : "Reveal";
    button.querySelector("i").className = (show ? "bi bi-eye-slash" : "bi bi-eye") + " me-1";
    button.setAttribute("aria-pressed", String(show));
  }

  function copy(button) {
    var text = document.querySelector(button.dataset.copy).textContent.trim();
    var label = button.querySelector("span");
    var done = function (ok) {
      label.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(function () { label.textContent = "Copy"; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var area = document.createElement("textarea");  // plain-http pages: no Clipboard API
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "position-fixed top-0 start-0 opacity-0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  }

  document.addEventListener("DOMContentLoaded", function () {
    showTimes();
    setInterval(showTimes, 60000);  // "5 min ago" stays true
    if (document.querySelector("[data-countdown]")) {
      tick();
      setInterval(tick, 1000);
    }
    // A form that deletes or discards asks first (no inline script: the words are data-confirm).
    document.addEventListener("submit", function (e) {
      var words = e.target.getAttribute && e.target.getAttribute("data-confirm");
      if (words && !window.confirm(words)) {
        e.preventDefault();
        e.stopImmediatePropagation();
      }
    }, true);
    document.querySelectorAll("[data-reveal]").forEach(function (b) {
      b.addEventListener("click", function () { reveal(b); });
    });
    document.querySelectorAll("[data-copy]").forEach(function (b) {
      b.addEventListener("click", function () { copy(b); });
    });
    var signOut = document.getElementById("sign-out");
    if (signOut) {  // what compose-rescue.js kept of unsaved typing stays on no shared computer
      signOut.form.addEventListener("submit", function () {
        try {
          Object.keys(window.localStorage).forEach(function (key) {
            if (key.indexOf("mailer:compose:") === 0) window.localStorage.removeItem(key);
          });
        } catch (e) { /* storage disabled: nothing was kept */ }
      });
    }
  });
})();
