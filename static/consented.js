// The end of a consent popup: tell the compose page, then close. The app's pages send
// Cross-Origin-Opener-Policy: same-origin, so after the sign-in pages (another origin) this
// window has no opener any more: the news goes by a BroadcastChannel of this origin instead.
(function () {
  "use strict";
  var news = {type: "mailer-consented"};
  if ("BroadcastChannel" in window) {
    var channel = new BroadcastChannel("mailer-consent");
    channel.postMessage(news);
    channel.close();
  }
  if (window.opener && !window.opener.closed) window.opener.postMessage(news, window.location.origin);
  window.close();  // honoured when the browser still counts this window as opened by the page
})();
