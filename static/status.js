// The send's progress page: polls the job's JSON and moves the steps, the byte counts and
// the outcome. No inline script (the CSP allows none).
(function () {
  "use strict";

  var ICONS = {running: "bi-arrow-repeat spin", sent: "bi-check-circle-fill",
               not_sent: "bi-x-octagon-fill", unknown: "bi-question-circle-fill",
               scheduled: "bi-clock"};
  var ALERTS = {running: "alert-light", sent: "alert-success", not_sent: "alert-danger",
                unknown: "alert-warning", scheduled: "alert-info"};

  function Progress(card) {
    this.card = card;
    this.url = card.dataset.statusUrl;
    if (card.dataset.state === "running") this.poll();
  }

  Progress.prototype.poll = function () {
    var self = this;
    fetch(this.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (b) { return {status: r.status, body: b}; }); })
      .then(function (res) {
        if (res.status !== 200) {
          self.message(res.body.error || "Lost track of the send.", "unknown");
          if (res.body.sign_in) window.location.href = res.body.sign_in;
          return;
        }
        self.show(res.body);
        if (!res.body.finished) setTimeout(function () { self.poll(); }, 400);
      }, function () { setTimeout(function () { self.poll(); }, 1500); });
  };

  Progress.prototype.message = function (text, state) {
    var box = document.getElementById("status-message");
    box.textContent = text;
    box.className = "alert mb-0 " + ALERTS[state];
  };

  Progress.prototype.show = function (job) {
    var card = this.card;
    card.dataset.state = job.state;
    document.getElementById("status-title").textContent = job.title;
    document.getElementById("status-icon").firstElementChild.className = "bi " + ICONS[job.state];
    document.title = job.title + " · Mail sender";
    var steps = Array.prototype.slice.call(document.querySelectorAll("#steps li"));
    var phases = steps.map(function (li) { return li.dataset.phase; });
    var reached = phases.indexOf(job.phase);
    if (reached < 0) reached = job.finished ? steps.length : -1;
    steps.forEach(function (li, i) {
      var done = i < reached || job.state === "sent";
      li.classList.toggle("done", done);
      li.classList.toggle("current", !done && i === reached && !job.finished);
    });
    var bar = document.getElementById("bytes-bar");
    if (bar) {
      bar.max = job.bytes_total || 1;
      bar.value = job.bytes_done;
      document.getElementById("bytes-label").textContent = job.bytes_label;
      document.getElementById("bytes-text").textContent = job.done_human + " of " + job.total_human;
      job.files.forEach(function (f, i) {
        var row = document.querySelector("#file-progress [data-index='" + i + "']");
        if (!row) return;
        row.querySelector("progress").value = f.done;
        row.querySelector(".file-done").textContent = f.done_human + " of " + f.human;
      });
    }
    this.message(job.advice, job.state);
    document.getElementById("steps").hidden = ["not_sent", "unknown", "scheduled"].indexOf(job.state) >= 0;
    var show = function (id, on) { document.getElementById(id).classList.toggle("d-none", !on); };
    show("back-to-draft", job.state === "not_sent");
    show("status-sign-in", job.needs_sign_in);
    show("open-draft", job.state === "unknown");
    show("new-message", job.finished && job.state !== "not_sent");
    document.getElementById("already-sent").hidden = job.state !== "sent";
    if (job.finished) document.getElementById("status-title").focus();
  };

  document.addEventListener("DOMContentLoaded", function () {
    var card = document.getElementById("send-status");
    if (card) new Progress(card);
  });
})();
