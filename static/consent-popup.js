// Consent in a small window, for every part of a page that needs a permission on first use
// (the compose page's files, the people picker). The app's pages send
// Cross-Origin-Opener-Policy: same-origin, so once the window goes to the sign-in pages the page
// loses its handle on it and the window loses its opener: the window's last page, back at the
// app (data-consent-granted), says so on a BroadcastChannel of this origin, then closes itself.
(function () {
  "use strict";
  var CHANNEL = "mailer-consent", NEWS = {type: "mailer-consented"};
  var waiting = [], listeners = [];

  function granted() {
    var fns = waiting.concat(listeners);
    waiting = [];
    fns.forEach(function (fn) { fn(); });
  }

  if ("BroadcastChannel" in window) {
    new BroadcastChannel(CHANNEL).addEventListener("message", function (e) {
      if (e.data && e.data.type === NEWS.type) granted();
    });
  }
  window.addEventListener("message", function (e) {  // a window that kept its opener
    if (e.origin === window.location.origin && e.data && e.data.type === NEWS.type) granted();
  });

  window.ConsentPopup = {
    // Open ``url`` in a small window (from a click or key press: browsers allow a window only
    // then); ``done`` runs once the permission is granted. False: the browser blocked it.
    open: function (url, done) {
      if (done) waiting.push(done);
      return Boolean(window.open(url, "mailer-consent", "popup,width=520,height=700"));
    },
    // ``fn`` runs whenever a permission is granted in this browser (any window, any tab).
    listen: function (fn) { listeners.push(fn); }
  };

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-consent-granted]")) return;
    if ("BroadcastChannel" in window) {
      var channel = new BroadcastChannel(CHANNEL);
      channel.postMessage(NEWS);
      channel.close();
    }
    if (window.opener && !window.opener.closed) window.opener.postMessage(NEWS, window.location.origin);
    window.close();  // honoured when the browser still counts this window as opened by the page
  });
})();
