// What is typed on the compose page, kept in this browser until the server has it, so that a
// session that expired while someone was typing loses nothing: after signing in again, the
// page offers it back. The server never keeps a form posted without a live session (it could
// be another site's form), so this browser's own storage is the only place for it.
// One localStorage entry per draft ("mailer:compose:<draft id>"), written on every change and
// removed once the server has the text: an autosave answered, a page that already shows it,
// the send's progress page, a sign-out.
(function () {
  "use strict";
  var PREFIX = "mailer:compose:";
  var FIELDS = ["from_address", "to", "cc", "bcc", "reply_to", "subject", "body_type", "body",
                "importance", "save_to_sent_items", "send_at"];

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }  // disabled, or a sandbox
  }

  function forget(draftId) {
    var store = storage();
    if (store) store.removeItem(PREFIX + draftId);
  }

  function Rescue(form) {
    this.form = form;
    this.key = PREFIX + form.dataset.draftId;
    this.edits = 0;  // changes made so far: an autosave only clears what it carried
  }

  Rescue.prototype.read = function () {
    var values = {}, form = this.form;
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      values[name] = field.type === "checkbox" ? String(field.checked) : field.value;
    });
    return values;
  };

  // A change the server may not have yet.
  Rescue.prototype.keep = function () {
    var store = storage();
    this.edits += 1;
    if (!store) return;
    try {
      store.setItem(this.key, JSON.stringify({at: Date.now(), fields: this.read()}));
    } catch (e) { /* full: the server's autosave is still the first keeper */ }
  };

  // An autosave that carried changes up to ``upTo`` was answered: nothing newer is lost.
  Rescue.prototype.saved = function (upTo) {
    var store = storage();
    if (store && upTo === this.edits) store.removeItem(this.key);
  };

  Rescue.prototype.kept = function () {
    var store = storage(), raw = store && store.getItem(this.key);
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  };

  // On load: a kept copy the page does not show is offered back; one it shows is done with.
  Rescue.prototype.offer = function () {
    var kept = this.kept(), shown = this.read(), self = this;
    if (!kept || !kept.fields) return;
    var differs = FIELDS.some(function (name) {
      return name in kept.fields && name in shown && kept.fields[name] !== shown[name];
    });
    if (!differs) {
      forget(this.form.dataset.draftId);
      return;
    }
    var box = document.createElement("div");
    box.id = "rescue-offer";
    box.className = "alert alert-info d-flex flex-wrap align-items-center gap-2";
    box.setAttribute("role", "status");
    var words = document.createElement("span");
    words.className = "me-auto";
    words.textContent = "You were signed out before your last changes were saved. This browser " +
      "kept them (" + new Date(kept.at).toLocaleString() + "): put them back?";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.id = "rescue-restore";
    restore.className = "btn btn-primary btn-sm";
    restore.textContent = "Put them back";
    var drop = document.createElement("button");
    drop.type = "button";
    drop.id = "rescue-discard";
    drop.className = "btn btn-outline-secondary btn-sm";
    drop.textContent = "Discard them";
    box.appendChild(words);
    box.appendChild(restore);
    box.appendChild(drop);
    restore.addEventListener("click", function () {
      self.restore(kept.fields);
      box.remove();
    });
    drop.addEventListener("click", function () {
      forget(self.form.dataset.draftId);
      box.remove();
    });
    var body = this.form.querySelector(".card-body");
    body.insertBefore(box, body.firstChild);
  };

  // The kept fields into the form, each announced as typed: the people picker turns addresses
  // into chips, the editor reloads the body, compose.js autosaves.
  Rescue.prototype.restore = function (fields) {
    var form = this.form;
    var kind = form.querySelector("input[name=body_type][value='" + fields.body_type + "']");
    if (kind && !kind.checked) {
      kind.checked = true;
      kind.dispatchEvent(new Event("change", {bubbles: true}));
    }
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (!field || !(name in fields) || field instanceof RadioNodeList) return;  // body_type: above
      if (field.type === "checkbox") field.checked = fields[name] === "true";
      else field.value = fields[name];
      field.dispatchEvent(new Event("input", {bubbles: true}));
      if (name === "body") field.dispatchEvent(new Event("compose:restored"));
    });
  };

  window.ComposeRescue = Rescue;
  window.ComposeRescue.forget = forget;

  document.addEventListener("DOMContentLoaded", function () {
    var status = document.getElementById("send-status");  // the send was taken: done with it
    if (status && status.dataset.draftId) forget(status.dataset.draftId);
  });
})();
