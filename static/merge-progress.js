// A merge's page, live: its counts and this page's rows from status.json every two seconds
// until it is finished; the page is loaded again when the merge's state changes (its buttons).
(function () {
  "use strict";
  var EVERY = 2000;

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    if (text && text.nodeType) td.appendChild(text); else td.textContent = text == null ? "" : text;
    row.appendChild(td);
  }

  function when(epoch) {
    if (!epoch) return "";
    var t = document.createElement("time");
    t.setAttribute("datetime", new Date(epoch * 1000).toISOString().replace(/\.\d+Z$/, "Z"));
    t.setAttribute("data-local", "");
    t.textContent = t.getAttribute("datetime");
    return t;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("merge");
    if (!box) return;
    var body = document.querySelector("#rows tbody"), jobUrl = box.dataset.jobUrl;

    function show(m) {
      document.getElementById("merge-state").textContent = m.state.charAt(0).toUpperCase() + m.state.slice(1);
      document.getElementById("merge-done").textContent = m.done + " of " + m.total + " finished";
      var bar = document.getElementById("merge-progress");
      bar.max = m.total || 1;
      bar.value = m.done;
      Object.keys(m.counts).forEach(function (state) {
        var item = document.querySelector('#merge-counts [data-state="' + state + '"] a');
        if (item) item.textContent = item.textContent.replace(/^\d+/, m.counts[state]);
      });
      body.textContent = "";
      m.rows.forEach(function (r) {
        var tr = document.createElement("tr");
        tr.dataset.state = r.state;
        tr.dataset.row = r.row;
        cell(tr, r.row);
        cell(tr, r.to);
        var state = document.createTextNode(r.state_words);
        if (r.job && jobUrl) {
          state = document.createElement("a");
          state.href = jobUrl.replace("JOB_ID", encodeURIComponent(r.job));
          state.textContent = r.state_words;
        }
        cell(tr, state);
        cell(tr, when(r.sent_at), "small");
        cell(tr, r.attempts);
        cell(tr, r.error, "small");
        body.appendChild(tr);
      });
      if (window.MailerTime) window.MailerTime.show(body);  // in the reader's zone (app.js)
    }

    function poll() {
      fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) {
          if (!m) return setTimeout(poll, EVERY * 3);
          if (m.state !== box.dataset.state && Object.keys(m.counts).length) {
            // new buttons (pause, resume) and counts: the page as the server draws it
            if (m.state === "finished" || box.dataset.state === "finished" || m.state === "paused" || box.dataset.state === "paused") {
              return window.location.reload();
            }
            box.dataset.state = m.state;
          }
          show(m);
          if (m.state !== "finished") setTimeout(poll, EVERY);
        }, function () { setTimeout(poll, EVERY * 3); });
    }
    if (box.dataset.state !== "finished") setTimeout(poll, EVERY);
  });
})();
