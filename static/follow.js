// A part of a page that follows sends on their way: an element with data-follow and
// data-waiting="N" is fetched again (this page, asked with X-Mailer-Follow so that no notice is
// said to a script) every few seconds while N > 0 and the tab is visible, and replaced in place
// with the fresh one of the same id, its times shown in this browser's zone. The sends go
// whether or not this page is open; without JavaScript the page has a Refresh link.
(function () {
  "use strict";
  var EVERY = 5000;

  function follow(part) {
    var id = part.id;
    function round() {
      part = document.getElementById(id);
      if (!part || !(Number(part.dataset.waiting || 0) > 0)) return;
      if (document.hidden) { setTimeout(round, EVERY); return; }
      fetch(window.location.href, {credentials: "same-origin",
                                   headers: {"Accept": "text/html", "X-Mailer-Follow": "1"}})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
          if (!fresh) return;
          part.replaceWith(fresh);
          if (window.MailerTime) window.MailerTime.show(fresh);
        })
        .catch(function () { /* offline a moment: the next round tries again */ })
        .then(function () { setTimeout(round, EVERY); });
    }
    setTimeout(round, EVERY);
  }
  if (!window.fetch || !window.DOMParser) return;
  document.querySelectorAll("[data-follow][id]").forEach(follow);
})();
