// The end of a consent popup: tell the page that opened it (same origin only), then close.
(function () {
  "use strict";
  if (window.opener && !window.opener.closed) {
    window.opener.postMessage({type: "mailer-consented"}, window.location.origin);
    window.close();
  }
})();
