// The compose page and the send's progress page. No inline script (the CSP allows none).
// Compose: files upload one by one as soon as they are picked or dropped (raw body, CSRF
// header, progress per file), removals and autosaves go by XHR, Send waits for the uploads.
// Without JavaScript the same form still works: files go with the form, Remove is a submit.
// Progress: polls the job's JSON and moves the steps, the byte counts and the outcome.
(function () {
  "use strict";
  var MB = 1024 * 1024;

  function human(size) {
    if (size >= MB) return (size / MB).toFixed(1).replace(/\.0$/, "") + " MB";
    if (size >= 1024) return Math.round(size / 1024) + " KB";
    return size + " bytes";
  }

  // "X is A; at most B": exact byte counts when rounding would make A and B read the same
  // (mailer/sendplan.py human_pair says it the same way).
  function humanPair(size, limit) {
    if (human(size) !== human(limit)) return [human(size), human(limit)];
    return [size.toLocaleString("en-US") + " bytes", limit.toLocaleString("en-US") + " bytes"];
  }

  // The address of a From as typed ("Name <address>" too), lower-cased, as mail_from.py reads it.
  function bareAddress(text) {
    text = (text || "").trim();
    var open = text.lastIndexOf("<");
    if (open >= 0 && text.charAt(text.length - 1) === ">") text = text.slice(open + 1, -1);
    return text.trim().toLowerCase();
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- compose --------------------------------------------------------------------------
  function Compose(form) {
    this.form = form;
    this.csrf = form.querySelector("input[name=csrf_token]").value;
    this.list = document.getElementById("file-list");
    this.input = form.querySelector("input[type=file]");
    this.maxFile = Number(form.dataset.maxFile);
    this.maxMessage = Number(form.dataset.maxMessage);
    this.queue = [];
    this.busy = false;
    this.sendWhenDone = false;
    this.saveTimer = null;
    this.saveState = document.getElementById("save-state");
    this.sendButton = document.getElementById("send");
    this.bind();
  }

  // From: say at once what the server would say on Send. A personal account sends only from
  // its own address; a From that Graph refused before needs the "send anyway" tick.
  Compose.prototype.checkFrom = function () {
    var input = this.form.querySelector("input[name=from_address]");
    var box = document.getElementById("from-warning");
    if (!input || !box) return;
    var address = bareAddress(input.value), other = address && address !== bareAddress(input.dataset.me);
    var personal = Boolean(other && input.dataset.personal);
    var refused = JSON.parse(input.dataset.refused || "{}");
    var when = other && !personal && Object.prototype.hasOwnProperty.call(refused, address) ? refused[address] : "";
    var tick = document.getElementById("from-confirmed");
    box.hidden = !(personal || when);
    document.getElementById("from-personal").hidden = !personal;
    document.getElementById("from-refused").hidden = !when;
    tick.disabled = !when;
    if (when) {
      document.getElementById("from-refused-words").textContent =
        input.dataset.refusedWords.replace("{address}", address).replace("{when}", when);
      if (tick.value !== address) {  // a tick is for one address only
        tick.value = address;
        tick.checked = false;
      }
    }
  };

  Compose.prototype.committed = function () {
    var total = 0;
    this.list.querySelectorAll("[data-size]").forEach(function (li) { total += Number(li.dataset.size); });
    return total;
  };

  Compose.prototype.showTotal = function (total) {
    if (total === undefined) total = this.committed();
    var bar = document.getElementById("total-bar"), text = document.getElementById("total-text");
    bar.value = Math.min(total, this.maxMessage);
    text.textContent = human(total) + " of " + human(this.maxMessage);
    text.classList.toggle("text-danger", total > this.maxMessage);
    bar.parentNode.classList.toggle("is-over", total > this.maxMessage);
  };

  Compose.prototype.fileRow = function (file) {
    var li = el("li", "list-group-item file-item");
    li.dataset.fileId = file.id;
    li.dataset.size = file.size;
    li.appendChild(el("i", "bi bi-file-earmark file-icon")).setAttribute("aria-hidden", "true");
    li.appendChild(el("span", "file-name text-break", file.name));
    li.appendChild(el("span", "file-size text-body-secondary", file.human || human(file.size)));
    var remove = el("button", "btn btn-sm btn-outline-secondary file-remove");
    remove.type = "submit";
    remove.name = "action";
    remove.value = "remove:" + file.id;
    remove.setAttribute("formnovalidate", "");
    remove.setAttribute("aria-label", "Remove " + file.name);
    remove.appendChild(el("i", "bi bi-x-lg")).setAttribute("aria-hidden", "true");
    li.appendChild(remove);
    return li;
  };

  Compose.prototype.errorRow = function (li, message) {
    li.className = "list-group-item file-item is-error";
    delete li.dataset.size;
    var bar = li.querySelector("progress");
    if (bar) bar.remove();
    li.querySelectorAll(".file-message, .file-state").forEach(function (node) { node.remove(); });
    var dismiss = el("button", "btn btn-sm btn-outline-secondary file-dismiss");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", "Dismiss");
    dismiss.appendChild(el("i", "bi bi-x-lg")).setAttribute("aria-hidden", "true");
    dismiss.addEventListener("click", function () { li.remove(); });
    var icon = li.querySelector(".file-icon");
    icon.className = "bi bi-exclamation-triangle file-icon text-danger";
    li.appendChild(dismiss);
    li.appendChild(el("div", "file-message small", message)).setAttribute("role", "alert");
  };

  Compose.prototype.pick = function (files) {
    var self = this, planned = this.committed();
    this.queue.forEach(function (item) { planned += item.file.size; });
    Array.prototype.forEach.call(files, function (file) {
      var li = el("li", "list-group-item file-item is-uploading");
      li.appendChild(el("i", "bi bi-arrow-up-circle file-icon")).setAttribute("aria-hidden", "true");
      li.appendChild(el("span", "file-name text-break", file.name));
      li.appendChild(el("span", "file-size text-body-secondary", human(file.size)));
      li.appendChild(el("span", "file-state small text-body-secondary", "waiting"));
      var bar = el("progress");
      bar.max = file.size || 1;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      li.appendChild(bar);
      self.list.appendChild(li);
      // The server checks all of this again; checking here saves uploading a doomed file.
      if (file.size === 0) {
        self.errorRow(li, "'" + file.name + "' is empty (0 bytes); attach a file with content.");
      } else if (file.size > self.maxFile) {
        var words = humanPair(file.size, self.maxFile);
        self.errorRow(li, "'" + file.name + "' is " + words[0] + "; a single attachment can be at most " + words[1] + ".");
      } else if (planned + file.size > self.maxMessage) {
        self.errorRow(li, "'" + file.name + "' (" + human(file.size) + ") does not fit: the attachments of one message may total " + human(self.maxMessage) + ".");
      } else {
        planned += file.size;
        self.queue.push({file: file, li: li});
      }
    });
    this.next();
  };

  Compose.prototype.next = function () {
    var self = this;
    if (this.busy) return;
    var item = this.queue.shift();
    if (!item) {
      this.uploadsDone();
      return;
    }
    this.busy = true;
    var li = item.li, bar = li.querySelector("progress"), state = li.querySelector(".file-state");
    state.textContent = "uploading";
    var xhr = new XMLHttpRequest();
    xhr.open("POST", this.form.dataset.uploadUrl);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", this.csrf);
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(item.file.name));
    xhr.setRequestHeader("X-File-Type", item.file.type || "application/octet-stream");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = e.loaded;
        state.textContent = Math.floor(100 * e.loaded / e.total) + " %";
      }
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 201 && body.file) {
        li.replaceWith(self.fileRow(body.file));
        self.showTotal(body.total);
      } else {
        self.errorRow(li, body.error || ("The upload of '" + item.file.name + "' failed (" + xhr.status + "). Try again."));
      }
      self.busy = false;
      self.next();
    });
    xhr.addEventListener("error", function () {
      self.errorRow(li, "The upload of '" + item.file.name + "' was interrupted. Check the connection and attach it again.");
      self.busy = false;
      self.next();
    });
    xhr.send(item.file);
  };

  Compose.prototype.uploadsDone = function () {
    this.form.classList.remove("is-uploading");
    if (this.sendWhenDone) {
      this.sendWhenDone = false;
      this.send();
    }
  };

  Compose.prototype.remove = function (button) {
    var self = this, li = button.closest("li"), id = button.value.split(":")[1];
    var body = new FormData();
    body.append("csrf_token", this.csrf);
    button.disabled = true;
    fetch(this.form.dataset.deleteUrl.replace("FILE_ID", encodeURIComponent(id)), {
      method: "POST", body: body, headers: {"Accept": "application/json"}, credentials: "same-origin"
    }).then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        if (res.ok) {
          li.remove();
          self.showTotal(res.body.total);
        } else {
          button.disabled = false;
          self.errorRow(li, res.body.error || "Could not remove the file.");
        }
      }, function () { button.disabled = false; });
  };

  Compose.prototype.fields = function () {
    var body = new FormData(this.form);
    body.delete("attachments");
    return body;
  };

  Compose.prototype.flush = function () {  // leaving with unsaved typing: save it on the way out
    if (this.saveTimer === null) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (navigator.sendBeacon) navigator.sendBeacon(this.form.dataset.autosaveUrl, this.fields());
  };

  Compose.prototype.autosave = function () {
    var self = this;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(function () {
      self.saveTimer = null;
      var body = self.fields();
      self.saveState.textContent = "Saving…";
      fetch(self.form.dataset.autosaveUrl, {
        method: "POST", body: body, headers: {"Accept": "application/json"}, credentials: "same-origin"
      }).then(function (r) {
        self.saveState.textContent = r.ok ? "Draft saved" :
          (r.status === 401 ? "Signed out: sign in again to keep changes" : "Not saved");
      }, function () { self.saveState.textContent = "Not saved (offline?)"; });
    }, 800);
  };

  Compose.prototype.send = function () {
    if (this.form.requestSubmit) this.form.requestSubmit(this.sendButton);
    else this.sendButton.click();
  };

  Compose.prototype.bind = function () {
    var self = this, form = this.form, zone = document.getElementById("drop-zone");
    this.input.addEventListener("change", function () {
      self.pick(self.input.files);
      self.input.value = "";  // picked files are uploaded now; never again with the form
    });
    ["dragenter", "dragover"].forEach(function (type) {
      form.addEventListener(type, function (e) {
        e.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      form.addEventListener(type, function (e) {
        if (!form.contains(e.relatedTarget)) zone.classList.remove("is-over");
      });
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("is-over");
      if (e.dataTransfer && e.dataTransfer.files.length) self.pick(e.dataTransfer.files);
    });
    form.addEventListener("click", function (e) {
      var button = e.target.closest(".file-remove");
      if (button) {
        e.preventDefault();
        self.remove(button);
      }
    });
    form.addEventListener("input", function (e) {
      if (e.target.name === "from_address") self.checkFrom();
      if (e.target.type !== "file") self.autosave();
    });
    form.addEventListener("change", function (e) {
      if (e.target.type !== "file") self.autosave();
    });
    form.addEventListener("keydown", function (e) {  // Enter in a one-line field is not Send
      if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.type !== "submit") e.preventDefault();
    });
    form.addEventListener("submit", function (e) {
      var submitter = e.submitter || {};
      if (submitter.formAction && submitter.formAction !== form.action) return;  // copy
      if (self.busy || self.queue.length) {
        e.preventDefault();
        self.sendWhenDone = submitter.value !== "save";
        self.saveState.textContent = "Sending as soon as the uploads finish…";
        return;
      }
      clearTimeout(self.saveTimer);
      self.saveTimer = null;  // the form itself carries every field
      if (submitter.value === "send" || !submitter.value) {
        setTimeout(function () {  // after the form data (with the button's value) is built
          self.sendButton.disabled = true;
          self.sendButton.querySelector("span").textContent = "Sending…";
        }, 0);
      }
    });
    form.querySelectorAll(".recipients textarea").forEach(function (area) {
      var grow = function () {  // one line until there are more, then up to about six
        area.style.height = "auto";
        area.style.height = Math.min(area.scrollHeight + 2, 160) + "px";
      };
      area.addEventListener("input", grow);
      grow();
    });
    window.addEventListener("pagehide", function () { self.flush(); });
    if (form.dataset.resume === "send") {  // back from a consent round trip: finish the send
      // Once only: going Back to this page later must not send again.
      if (window.history.replaceState) window.history.replaceState(null, "", form.action);
      form.querySelector("input[name=resume]").value = "1";
      this.send();
    }
  };

  // ---- progress ---------------------------------------------------------------------------
  var ICONS = {running: "bi-arrow-repeat spin", sent: "bi-check-circle-fill",
               not_sent: "bi-x-octagon-fill", unknown: "bi-question-circle-fill"};
  var ALERTS = {running: "alert-light", sent: "alert-success", not_sent: "alert-danger",
                unknown: "alert-warning"};

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
    document.getElementById("steps").hidden = job.state === "not_sent" || job.state === "unknown";
    var show = function (id, on) { document.getElementById(id).classList.toggle("d-none", !on); };
    show("back-to-draft", job.state === "not_sent");
    show("status-sign-in", job.needs_sign_in);
    show("open-draft", job.state === "unknown");
    show("new-message", job.finished && job.state !== "not_sent");
    document.getElementById("already-sent").hidden = job.state !== "sent";
    if (job.finished) document.getElementById("status-title").focus();
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("compose");
    if (form) new Compose(form);
    var card = document.getElementById("send-status");
    if (card) new Progress(card);
  });
})();
