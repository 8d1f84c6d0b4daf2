// The Outbox follows its sends: while any is on its way, the list is fetched again every few
// seconds (the rows alone: /outbox?rows=1) and shown in place, its times in this browser's zone.
// The sends themselves go whether or not this page is open.
(function () {
  "use strict";
  var EVERY = 5000;
  var rows = document.getElementById("outbox-rows");
  if (!rows || !window.fetch) return;
  var url = new URL(window.location.href);
  url.searchParams.set("rows", "1");

  function waiting() { return Number(rows.dataset.waiting || 0) > 0; }

  function refresh() {
    if (!waiting()) return;
    if (document.hidden) { setTimeout(refresh, EVERY); return; }
    fetch(url.toString(), {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#outbox-rows");
          if (fresh) {
            rows.replaceWith(fresh);
            rows = fresh;
            if (window.MailerTime) window.MailerTime.show(rows);
          }
        }
      })
      .catch(function () { /* offline a moment: the next round tries again */ })
      .then(function () { setTimeout(refresh, EVERY); });
  }
  setTimeout(refresh, EVERY);
})();
