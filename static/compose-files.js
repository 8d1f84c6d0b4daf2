// The compose page's attachments, for compose.js. Files upload one at a time as soon as they
// are picked or dropped (raw body, CSRF header, progress per file); Remove goes by XHR. A file
// still on its way can be stopped. The hidden "unattached" field always names every listed
// file that is not in the draft (waiting, uploading or failed): the server refuses a send
// while it is not empty, so no message can go without a file the page still shows.
(function () {
  "use strict";
  var human = window.MailerSizes.human, humanPair = window.MailerSizes.humanPair;

  function randomHex(bytes) {
    var data = new Uint8Array(bytes);
    window.crypto.getRandomValues(data);
    return Array.prototype.map.call(data, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function iconButton(className, label, submit) {
    var button = el("button", "btn btn-sm btn-outline-secondary " + className);
    button.type = submit ? "submit" : "button";
    button.setAttribute("aria-label", label);
    button.appendChild(el("i", "bi bi-x-lg")).setAttribute("aria-hidden", "true");
    return button;
  }

  // hooks.changed(): the list or an upload's state changed; hooks.failed(name, message): a
  // picked file will not be attached (refused here or by the server, or the upload broke).
  function Files(form, hooks) {
    this.form = form;
    this.hooks = hooks;
    this.csrf = form.querySelector("input[name=csrf_token]").value;
    this.list = document.getElementById("file-list");
    this.field = form.querySelector("input[name=unattached]");
    this.maxFile = Number(form.dataset.maxFile);
    this.maxMessage = Number(form.dataset.maxMessage);
    this.queue = [];  // picked, waiting their turn
    this.current = null;  // the one uploading
    this.removing = 0;  // Remove requests not yet answered
    this.waiting = [];  // picked, kept here until Microsoft's permission is granted
    var self = this;
    window.ConsentPopup.listen(function () { self.consented(); });  // told also by another tab
  }

  Files.prototype.idle = function () {
    return !this.current && !this.queue.length && !this.removing && !this.waiting.length;
  };

  // The server needs a permission first (a message too large for one request lives in the
  // mailbox's Drafts): the File stays in this page while the person allows it in a popup.
  Files.prototype.needConsent = function (item, body) {
    var self = this, state = item.li.querySelector(".file-state");
    state.textContent = "waiting for your permission";
    item.li.querySelector("progress").value = 0;
    this.waiting.push(item);
    var prompt = document.getElementById("consent-prompt");
    if (!prompt) {
      prompt = el("div", "alert alert-info small consent-prompt");
      prompt.id = "consent-prompt";
      prompt.setAttribute("role", "alert");
      prompt.appendChild(el("p", "mb-2 consent-words"));
      var allow = el("button", "btn btn-primary btn-sm", "Allow and continue");
      allow.type = "button";
      allow.id = "consent-allow";
      prompt.appendChild(allow);
      prompt.appendChild(el("p", "mb-0 mt-2 consent-blocked", "")).hidden = true;
      allow.addEventListener("click", function () {
        var opened = window.ConsentPopup.open(prompt.dataset.url);
        var blocked = prompt.querySelector(".consent-blocked");
        blocked.hidden = opened;
        blocked.textContent = opened ? "" : "Your browser blocked the sign-in window. Allow pop-ups for this site, then press the button again.";
      });
      this.list.parentNode.insertBefore(prompt, this.list);
    }
    prompt.dataset.url = body.consent;
    prompt.querySelector(".consent-words").textContent = body.error;
    prompt.hidden = false;
  };

  Files.prototype.consented = function () {
    if (!this.waiting.length) return;  // another tab's news, or told twice
    var prompt = document.getElementById("consent-prompt");
    if (prompt) prompt.hidden = true;
    var items = this.waiting.splice(0);
    items.forEach(function (item) { item.li.querySelector(".file-state").textContent = "waiting"; });
    this.queue = items.concat(this.queue);
    if (this.hooks.consented) this.hooks.consented();
    this.next();
    this.changed();
  };

  // Listed but not in the draft: [{name, message}], message empty while still on its way.
  Files.prototype.unattached = function () {
    var rows = this.list.querySelectorAll(".file-item:not([data-file-id])");
    return Array.prototype.map.call(rows, function (li) {
      var message = li.querySelector(".file-message");
      return {name: li.querySelector(".file-name").textContent, message: message ? message.textContent : ""};
    });
  };

  Files.prototype.failed = function () {
    return this.unattached().filter(function (f) { return f.message; });
  };

  Files.prototype.track = function () {
    if (this.field) this.field.value = this.unattached().map(function (f) { return f.name; }).join("\n");
  };

  Files.prototype.changed = function () {
    this.track();
    this.hooks.changed();
  };

  Files.prototype.committed = function () {
    var total = 0;
    this.list.querySelectorAll("[data-size]").forEach(function (li) { total += Number(li.dataset.size); });
    return total;
  };

  Files.prototype.showTotal = function (total) {
    if (total === undefined) total = this.committed();
    var bar = document.getElementById("total-bar"), text = document.getElementById("total-text");
    bar.value = Math.min(total, this.maxMessage);
    text.textContent = human(total) + " of " + human(this.maxMessage);
    text.classList.toggle("text-danger", total > this.maxMessage);
    bar.parentNode.classList.toggle("is-over", total > this.maxMessage);
  };

  Files.prototype.fileRow = function (file) {
    var li = el("li", "list-group-item file-item");
    li.dataset.fileId = file.id;
    li.dataset.size = file.size;
    li.appendChild(el("i", "bi bi-file-earmark file-icon")).setAttribute("aria-hidden", "true");
    li.appendChild(el("span", "file-name text-break", file.name));
    li.appendChild(el("span", "file-size text-body-secondary", file.human || human(file.size)));
    var remove = iconButton("file-remove", "Remove " + file.name, true);
    remove.name = "action";  // the same button works without JavaScript
    remove.value = "remove:" + file.id;
    remove.setAttribute("formnovalidate", "");
    li.appendChild(remove);
    return li;
  };

  // A file that will not be attached: says why, and stays listed until it is removed or
  // picked again, so that a send cannot go without it unnoticed.
  Files.prototype.errorRow = function (li, message) {
    var self = this, name = li.querySelector(".file-name").textContent;
    li.className = "list-group-item file-item is-error";
    delete li.dataset.size;
    li.querySelectorAll("progress, button, .file-message, .file-state").forEach(function (node) { node.remove(); });
    var dismiss = iconButton("file-dismiss", "Remove " + name + " from the list");
    dismiss.addEventListener("click", function () {
      li.remove();
      self.changed();
    });
    li.querySelector(".file-icon").className = "bi bi-exclamation-triangle file-icon text-danger";
    li.appendChild(dismiss);
    li.appendChild(el("div", "file-message small", message)).setAttribute("role", "alert");
    this.hooks.failed(name, message);
  };

  Files.prototype.pick = function (files) {
    var self = this, planned = this.committed();
    this.queue.forEach(function (item) { planned += item.file.size; });
    if (this.current) planned += this.current.file.size;
    Array.prototype.forEach.call(files, function (file) {
      self.list.querySelectorAll(".file-item.is-error:not([data-file-id])").forEach(function (old) {
        if (old.querySelector(".file-name").textContent === file.name) old.remove();  // picked again
      });
      var li = el("li", "list-group-item file-item is-uploading");
      li.appendChild(el("i", "bi bi-arrow-up-circle file-icon")).setAttribute("aria-hidden", "true");
      li.appendChild(el("span", "file-name text-break", file.name));
      li.appendChild(el("span", "file-size text-body-secondary", human(file.size)));
      li.appendChild(el("span", "file-state small text-body-secondary", "waiting"));
      li.appendChild(iconButton("file-cancel", "Stop and remove " + file.name));
      var bar = el("progress");
      bar.max = file.size || 1;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      li.appendChild(bar);
      self.list.appendChild(li);
      self.track();  // listed now: from here on a send waits for it or refuses
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
    this.changed();
  };

  Files.prototype.next = function () {
    if (this.current) return;
    var item = this.queue.shift();
    if (!item) return;
    this.current = item;
    this.upload(item);
  };

  Files.prototype.finish = function (item) {
    if (this.current === item) this.current = null;
    this.next();
    this.changed();
  };

  // First a small request: may the file join, and is a permission needed first? Only then its
  // bytes go: a refusal of a large body would cost the connection before the answer was read.
  Files.prototype.upload = function (item) {
    var self = this, name = item.file.name;
    item.li.querySelector(".file-state").textContent = "checking";
    fetch(this.form.dataset.uploadUrl + "/check", {
      method: "POST", credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": this.csrf,
                "X-File-Name": encodeURIComponent(name), "X-File-Size": String(item.file.size)}
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; },
                          function () { return {ok: false, body: {}}; });
    }).then(function (res) {
      if (item.dropped) {
        self.finish(item);
      } else if (res.body.consent) {
        self.needConsent(item, res.body);
        self.finish(item);
      } else if (res.ok && res.body.ok) {
        self.send(item);
      } else {
        self.errorRow(item.li, res.body.error || ("'" + name + "' could not be attached. Attach it again."));
        self.finish(item);
      }
    }, function () {
      self.errorRow(item.li, "'" + name + "' could not be attached: the connection was lost. Check it and attach the file again.");
      self.finish(item);
    });
  };

  Files.prototype.send = function (item) {
    var self = this, li = item.li, bar = li.querySelector("progress"), state = li.querySelector(".file-state");
    var name = item.file.name;
    state.textContent = "uploading";
    var xhr = item.xhr = new XMLHttpRequest();
    xhr.open("POST", this.form.dataset.uploadUrl);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", this.csrf);
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(name));
    xhr.setRequestHeader("X-File-Type", item.file.type || "application/octet-stream");
    var uploadId = randomHex(16);
    xhr.setRequestHeader("X-Upload-Id", uploadId);
    // A file going into the mailbox's draft: the bar shows what Microsoft has confirmed (the
    // app answers from the shared store), not what left the browser, which runs ahead.
    var toGraph = false, poll = setInterval(function () {
      fetch(self.form.dataset.uploadUrl.replace(/files$/, "uploads/" + uploadId),
            {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p || p.done === null || item.dropped) return;
          toGraph = true;
          bar.value = p.done;
          state.textContent = Math.floor(100 * p.done / p.total) + " % to Microsoft";
        }, function () {});
    }, 400);
    item.stopPolling = function () { clearInterval(poll); };
    xhr.addEventListener("loadend", function () { item.stopPolling(); });
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable && !item.dropped && !toGraph) {
        bar.value = e.loaded;
        state.textContent = Math.floor(100 * e.loaded / e.total) + " %";
      }
    });
    // Every byte is out: the server may store the file even if this request is abandoned now.
    xhr.upload.addEventListener("load", function () { item.bodySent = true; });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (item.dropped) {  // stopped too late to abort: remove what the server kept
        if (xhr.status === 201 && body.file) {
          self.request(body.file.id, function () { li.remove(); self.finish(item); });
          return;
        }
        li.remove();
      } else if (xhr.status === 201 && body.file) {
        li.replaceWith(self.fileRow(body.file));
        self.showTotal(body.total);
      } else if (body.consent) {
        self.needConsent(item, body);
      } else {
        self.errorRow(li, body.error || ("The upload of '" + name + "' failed (the server answered " + xhr.status + "). Attach it again."));
      }
      self.finish(item);
    });
    xhr.addEventListener("error", function () {
      if (item.dropped) li.remove();
      else self.errorRow(li, "The upload of '" + name + "' was interrupted: the connection was lost. Check it and attach the file again.");
      self.finish(item);
    });
    xhr.addEventListener("abort", function () { self.finish(item); });
    xhr.send(item.file);
  };

  // The stop button of a file still waiting or uploading.
  Files.prototype.cancel = function (li) {
    var held = this.waiting.filter(function (item) { return item.li === li; })[0];
    if (held) this.waiting.splice(this.waiting.indexOf(held), 1);
    var waiting = held || this.queue.filter(function (item) { return item.li === li; })[0];
    if (waiting) {
      if (!held) this.queue.splice(this.queue.indexOf(waiting), 1);
      li.remove();
      this.changed();
      return;
    }
    var item = this.current;
    if (!item || item.li !== li) return;
    item.dropped = true;
    if (!item.bodySent) {  // the server cannot have the whole file: it keeps nothing
      li.remove();
      if (item.xhr) item.xhr.abort();  // none yet while its check is on its way
      return;
    }
    li.querySelector(".file-state").textContent = "removing";
    li.querySelector(".file-cancel").disabled = true;
  };

  // POST the removal of one stored file; done(ok, body) when answered.
  Files.prototype.request = function (id, done) {
    var self = this, body = new FormData();
    body.append("csrf_token", this.csrf);
    this.removing += 1;
    var settle = function (ok, answer) {
      self.removing -= 1;
      done(ok, answer);
      self.changed();
    };
    fetch(this.form.dataset.deleteUrl.replace("FILE_ID", encodeURIComponent(id)), {
      method: "POST", body: body, headers: {"Accept": "application/json"}, credentials: "same-origin"
    }).then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) { settle(res.ok, res.body); }, function () { settle(false, {}); });
  };

  Files.prototype.remove = function (button) {
    var self = this, li = button.closest("li"), id = button.value.split(":")[1];
    button.disabled = true;
    this.request(id, function (ok, body) {
      if (ok) {
        li.remove();
        self.showTotal(body.total);
      } else {
        button.disabled = false;  // still attached, and still listed as such
        var note = li.querySelector(".file-message") || li.appendChild(el("div", "file-message small text-danger"));
        note.setAttribute("role", "alert");
        note.textContent = body.error || "Could not remove '" + li.querySelector(".file-name").textContent + "': it is still attached. Try again.";
      }
    });
  };

  window.ComposeFiles = Files;
})();
