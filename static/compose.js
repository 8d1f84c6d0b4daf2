// The compose page. No inline script (the CSP allows none).
// What is typed is autosaved by XHR; the files are compose-files.js's. Send (or Save
// draft) pressed while files are still on their way waits for them and then goes, once; if one
// of them fails, nothing goes and the page says which file and why.
// Without JavaScript the same form still works: files go with the form, Remove is a submit.
// What is typed is also kept in this browser until the server has it (compose-rescue.js).
(function () {
  "use strict";

  // The address of a From as typed ("Name <address>" too), lower-cased, as mail_from.py reads it.
  function bareAddress(text) {
    text = (text || "").trim();
    var open = text.lastIndexOf("<");
    if (open >= 0 && text.charAt(text.length - 1) === ">") text = text.slice(open + 1, -1);
    return text.trim().toLowerCase();
  }

  // Whether a submit button posts to the form's own URL. Read the attribute: the form has
  // controls named "action", so form.action is those controls, not the URL.
  function postsHere(form, submitter) {
    if (!submitter || !submitter.hasAttribute || !submitter.hasAttribute("formaction")) return true;
    var base = document.baseURI;
    return new URL(submitter.getAttribute("formaction"), base).href ===
      new URL(form.getAttribute("action") || "", base).href;
  }

  // ---- compose --------------------------------------------------------------------------
  function Compose(form) {
    var self = this;
    this.form = form;
    this.input = form.querySelector("input[type=file]");
    this.pending = null;  // "send" or "save", pressed while files were still on their way
    this.submitting = false;  // the form is on its way: further presses do nothing
    this.saveTimer = null;
    this.saveState = document.getElementById("save-state");
    this.sendButton = document.getElementById("send");
    this.sendAt = document.getElementById("send_at");  // a time here makes Send "Schedule send"
    ["input", "change"].forEach(function (type) {
      if (self.sendAt) self.sendAt.addEventListener(type, function () {
        if (!self.sendButton.disabled) self.sending(false);
      });
    });
    this.rescue = new window.ComposeRescue(form);  // this browser's copy of what is typed
    this.rescue.offer();  // first: before anything announces a change
    this.files = new window.ComposeFiles(form, {
      changed: function () { self.filesChanged(); },
      failed: function (name, message) { self.fileFailed(name, message); }
    });
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
      var moment = new Date(when);  // in the browser's own time zone (app.js)
      var shown = window.MailerTime && !isNaN(moment.getTime()) ? window.MailerTime.format(moment) : when;
      document.getElementById("from-refused-words").textContent =
        input.dataset.refusedWords.replace("{address}", address).replace("{when}", shown);
      if (tick.value !== address) {  // a tick is for one address only
        tick.value = address;
        tick.checked = false;
      }
    }
  };

  Compose.prototype.fields = function () {
    var body = new FormData(this.form);
    body.delete("attachments");
    return body;
  };

  // Leaving: what was typed is saved on the way out, and the mailbox's Drafts brought up to
  // date at once (autosave writes there at most every half minute). Untouched: nothing goes.
  Compose.prototype.flush = function () {
    if (this.formGoing || (this.saveTimer === null && !this.saved)) return;  // the form says it all
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    var body = this.fields();
    body.append("leaving", "1");
    if (navigator.sendBeacon) navigator.sendBeacon(this.form.dataset.autosaveUrl, body);
  };

  Compose.prototype.status = function (text) {  // a queued send's words win over autosave's
    if (!this.pending) this.saveState.textContent = text;
  };

  Compose.prototype.autosave = function () {
    var self = this;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(function () {
      self.saveTimer = null;
      var body = self.fields(), upTo = self.rescue.edits;
      self.status("Saving…");
      fetch(self.form.dataset.autosaveUrl, {
        method: "POST", body: body, headers: {"Accept": "application/json"}, credentials: "same-origin"
      }).then(function (r) {
        if (!r.ok) {
          self.status(r.status === 401 ? "Signed out: sign in again to keep changes" : "Not saved");
          return;
        }
        self.rescue.saved(upTo);
        self.saved = true;
        return r.json().then(function (body) {
          self.status(body.in_mailbox ? "Draft saved to your Drafts folder" : "Draft saved");
          var shown = document.getElementById("in-drafts");
          if (shown) shown.hidden = !body.in_mailbox;
        }, function () { self.status("Draft saved"); });
      }, function () { self.status("Not saved (offline?)"); });
    }, 800);
  };

  Compose.prototype.changed = function () {  // kept in this browser at once, on the server soon
    this.rescue.keep();
    this.autosave();
  };

  Compose.prototype.sending = function (on) {
    this.sendButton.disabled = on;
    var later = this.sendAt && this.sendAt.value;
    this.sendButton.querySelector("span").textContent = on ? (later ? "Scheduling…" : "Sending…")
      : (later ? "Schedule send" : "Send");
  };

  // Send or Save draft pressed while files are on their way: it goes when they are attached.
  Compose.prototype.hold = function (action) {
    this.pending = action;
    this.held(null);
    this.sending(action === "send");
    this.saveState.textContent = (action === "send" ? "Sending" : "Saving") +
      " as soon as the uploads finish…";
  };

  // A file that will not be attached. Shown on its row; a queued send stops here and says so.
  Compose.prototype.fileFailed = function (name, message) {
    if (!this.pending) return;  // Send refuses while the row stays listed
    var action = this.pending;
    this.pending = null;
    this.sending(false);
    this.saveState.textContent = "";
    this.held(action, [{name: name, message: message}]);
    document.getElementById("held-alert").scrollIntoView({block: "nearest"});
    this.autosave();  // the fields did not go with a form: keep them
  };

  // The alert above the form: what was not sent or saved, which files and why, what to do.
  Compose.prototype.held = function (action, failed) {
    var box = document.getElementById("held-alert");
    if (!failed || !failed.length) {
      if (box) box.hidden = true;
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = "held-alert";
      box.className = "alert alert-danger";
      box.setAttribute("role", "alert");
      var body = this.form.querySelector(".card-body");
      body.insertBefore(box, body.firstChild);
    }
    box.textContent = "";
    var title = document.createElement("h2");
    title.className = "h6 alert-heading";
    title.textContent = action === "save" ? "Your draft was not saved" : "Your message was not sent";
    box.appendChild(title);
    failed.forEach(function (f) {
      var p = document.createElement("p");
      p.className = "mb-1";
      p.textContent = f.message || ("'" + f.name + "' is not attached.");
      box.appendChild(p);
    });
    var names = failed.map(function (f) { return "'" + f.name + "'"; }).join(", ");
    var last = document.createElement("p");
    last.className = "mb-0 small";
    last.textContent = "Nothing was sent. What you typed and the other files are kept. Remove " +
      names + " from the list or attach " + (failed.length > 1 ? "them" : "it") +
      " again, then press " + (action === "save" ? "Save draft" : "Send") + ".";
    box.appendChild(last);
    box.hidden = false;
  };

  Compose.prototype.filesChanged = function () {
    var box = document.getElementById("held-alert");
    if (box && !box.hidden && !this.files.failed().length) box.hidden = true;  // resolved
    if (this.pending && this.files.idle()) {
      var action = this.pending;
      this.pending = null;
      this.submit(action);
    }
  };

  Compose.prototype.submit = function (action) {
    var button = action === "save" ? document.getElementById("save-draft") : this.sendButton;
    button.disabled = false;  // a disabled submitter's value would not be posted
    if (this.form.requestSubmit) this.form.requestSubmit(button);
    else button.click();
  };

  Compose.prototype.onSubmit = function (e) {
    this.files.track();  // first, whatever follows: the server refuses to send without a listed file
    var submitter = e.submitter;
    if (!postsHere(this.form, submitter)) {  // Discard, "Copy to a new message"
      if (!e.defaultPrevented) this.formGoing = true;
      return;
    }
    var action = submitter && submitter.name === "action" ? submitter.value : "send";
    if (action.indexOf("remove:") === 0) {
      e.preventDefault();
      this.files.remove(submitter);
      return;
    }
    if (this.submitting) {  // a second click: the first press is already on its way
      e.preventDefault();
      return;
    }
    var failed = action === "save" ? [] : this.files.failed();
    if (failed.length) {
      e.preventDefault();
      this.held(action, failed);
      document.getElementById("held-alert").scrollIntoView({block: "nearest"});
      return;
    }
    if (!this.files.idle()) {
      e.preventDefault();
      this.hold(action);
      return;
    }
    clearTimeout(this.saveTimer);
    this.saveTimer = null;  // the form itself carries every field
    this.submitting = this.formGoing = true;
    var self = this;
    if (action === "send") setTimeout(function () { self.sending(true); }, 0);  // after the form data is built
  };

  Compose.prototype.bind = function () {
    var self = this, form = this.form, zone = document.getElementById("drop-zone");
    this.input.addEventListener("change", function () {
      self.files.pick(self.input.files);
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
      if (e.dataTransfer && e.dataTransfer.files.length) self.files.pick(e.dataTransfer.files);
    });
    form.addEventListener("click", function (e) {
      var remove = e.target.closest(".file-remove"), cancel = e.target.closest(".file-cancel");
      if (remove) {
        e.preventDefault();
        self.files.remove(remove);
      } else if (cancel) {
        self.files.cancel(cancel.closest("li"));
      }
    });
    form.addEventListener("input", function (e) {
      if (e.target.name === "from_address") self.checkFrom();
      if (e.target.type !== "file") self.changed();
    });
    form.addEventListener("change", function (e) {
      if (e.target.type !== "file") self.changed();
    });
    form.addEventListener("keydown", function (e) {  // Enter in a one-line field is not Send
      if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.type !== "submit") e.preventDefault();
    });
    form.addEventListener("submit", function (e) { self.onSubmit(e); });
    form.querySelectorAll(".recipients textarea").forEach(function (area) {
      var grow = function () {  // one line until there are more, then up to about six
        area.style.height = "auto";
        area.style.height = Math.min(area.scrollHeight + 2, 160) + "px";
      };
      area.addEventListener("input", grow);
      grow();
    });
    window.addEventListener("pagehide", function () { self.flush(); });
    window.addEventListener("pageshow", function (e) {  // back to this page from the history
      if (!e.persisted) return;
      self.submitting = self.formGoing = false;
      self.sending(false);
    });
    this.files.track();
    this.checkFrom();  // its words in the browser's time zone
    var resume = form.dataset.resume;
    if (resume === "send" || resume === "save") {  // back from a consent: the click goes on
      // Once only: going Back to this page later must not send (or save) again.
      if (window.history.replaceState) window.history.replaceState(null, "", form.getAttribute("action"));
      form.querySelector("input[name=resume]").value = "1";
      this.submit(resume);
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("compose");
    if (form) new Compose(form);
    var discard = document.getElementById("discard-draft");
    if (discard) {  // nothing typed or attached is thrown away by a slip of the finger
      discard.addEventListener("click", function (e) {
        if (!window.confirm("Discard this message? It is deleted here and from your Drafts folder.")) e.preventDefault();
      });
    }
  });
})();
