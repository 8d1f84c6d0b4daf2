// Times on the automation pages: the server writes <time datetime="...Z" data-local> in UTC;
// here each one is shown in the reader's own time zone (without JavaScript, UTC stays).
(function () {
  "use strict";
  function show() {
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      el.title = el.getAttribute("datetime");
      el.textContent = when.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "medium"});
    });
  }
  document.addEventListener("DOMContentLoaded", show);
  document.addEventListener("local-time:refresh", show);  // after a page's script adds times
})();
