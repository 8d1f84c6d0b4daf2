// The compose page's people picker: suggestions as you type on To, Cc, Bcc (as removable chips)
// and From (one mailbox). No inline script (the CSP allows none), no framework.
// The form's own fields stay the truth: a recipients field keeps its name and the text the server
// parses (mailer/sending/compose.py), rewritten from the chips, so the form without JavaScript and
// compose.js's autosave work as before; a value put into the field from outside becomes chips.
// Suggestions come from GET <data-people-url>?q=; its first use may answer that permission is
// needed: the sign-in then opens in a small window, never in this page, and the search is asked
// again once it is granted. ARIA combobox pattern: role=combobox, listbox, activedescendant.
(function () {
  "use strict";

  var DELAY = 200, Q_MAX = 100, ids = 0, P = window.PeoplePicker;
  var splitRaw = P.splitRaw, entry = P.entry, formatted = P.formatted, plausible = P.plausible,
      el = P.el, Source = P.Source;

  // ---- one field ---------------------------------------------------------------------------------
  // ``many``: a recipients textarea, shown as chips plus a box to type in; otherwise the From input
  // itself is the combobox and a pick replaces its value (with its datalist's mailboxes first).
  function Picker(field, source, many) {
    var self = this, n = ++ids;
    this.field = field;
    this.source = source;
    this.many = many;
    this.chips = [];
    this.options = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    this.shown = "";  // the query whose answer is shown
    this.wrap = el("div", "pp-wrap");
    this.list = el("ul", "pp-list");
    this.list.id = "pp-list-" + n;
    this.list.setAttribute("role", "listbox");
    this.list.hidden = true;
    this.note = el("div", "pp-note form-text");
    this.note.id = "pp-note-" + n;
    this.note.setAttribute("role", "status");
    this.note.setAttribute("aria-live", "polite");
    var label = field.id && document.querySelector("label[for='" + field.id + "']");
    if (label && !label.id) label.id = field.id + "-label";
    if (many) {
      this.input = el("input", "pp-input");
      this.input.type = "text";
      this.input.id = field.id + "-picker";
      this.box = el("div", "pp-box form-control" + (field.classList.contains("is-invalid") ? " is-invalid" : ""));
      this.chipList = el("ul", "pp-chips");
      if (label) this.chipList.setAttribute("aria-label", label.textContent.trim() + ": chosen recipients");
      this.box.appendChild(this.chipList);
      this.box.appendChild(this.input);
      this.wrap.appendChild(this.box);
      field.parentNode.insertBefore(this.wrap, field.nextSibling);
      // The field stays in the form (and in reach of scripts) but out of sight and of the tab order.
      field.classList.add("visually-hidden");
      field.tabIndex = -1;
      field.setAttribute("aria-hidden", "true");
      if (field.placeholder) this.input.placeholder = field.placeholder;
      if (label) label.htmlFor = this.input.id;
      ["aria-invalid"].forEach(function (a) {
        if (field.hasAttribute(a)) self.input.setAttribute(a, field.getAttribute(a));
      });
      this.box.addEventListener("click", function (e) {
        var remove = e.target.closest(".pp-remove");
        if (remove) self.remove(Number(remove.dataset.index));
        else if (!e.target.closest(".pp-chip")) self.input.focus();
      });
      field.addEventListener("input", function () { if (!self.writing) self.load(); });
      this.load();
    } else {
      this.input = field;
      // The mailboxes this person may send from (their own, those that sent before, shared
      // ones they opened), offered when From is focused empty and matched as they type.
      var offers = field.list;
      this.history = offers ? Array.prototype.map.call(offers.options, function (o) {
        return {name: "", address: o.value, note: o.label || "used before"};
      }) : [];
      field.removeAttribute("list");  // one list of suggestions, not two
      field.parentNode.insertBefore(this.wrap, field);
      this.wrap.appendChild(field);
    }
    this.wrap.appendChild(this.list);  // right under the box it serves; the words below both
    this.wrap.parentNode.insertBefore(this.note, this.wrap.nextSibling);
    var input = this.input;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);
    input.autocomplete = "off";
    if (label) input.setAttribute("aria-labelledby", label.id);
    this.list.setAttribute("aria-label", "Suggestions");
    var described = [this.note.id].concat((field.getAttribute("aria-describedby") || "").split(" "));
    input.setAttribute("aria-describedby", described.filter(Boolean).join(" "));
    input.addEventListener("input", function () { self.typed(); });
    input.addEventListener("keydown", function (e) { self.key(e); });
    input.addEventListener("blur", function () { self.blurred(); });
    input.addEventListener("focus", function () { if (!self.many && !self.query()) self.offer(); });
    if (many) input.addEventListener("paste", function (e) { self.pasted(e); });
    this.list.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep focus
    this.list.addEventListener("click", function (e) {
      var option = e.target.closest("[role=option]");
      if (option) self.pick(Number(option.dataset.index));
    });
  }

  // The field's text as chips (a draft coming back, a value set by a script).
  Picker.prototype.load = function () {
    this.chips = splitRaw(this.field.value).filter(function (p) { return p.trim(); }).map(entry);
    this.input.value = "";
    this.render();
  };

  // The field's text from the chips and what is still typed (so Send now takes that too).
  Picker.prototype.sync = function (tell) {
    var parts = this.chips.map(function (c) { return c.text; }), rest = this.input.value.trim();
    if (rest) parts.push(rest);
    this.field.value = parts.join(", ");
    if (!tell) return;
    this.writing = true;  // autosave, and anyone else listening, hear of it
    this.field.dispatchEvent(new Event("input", {bubbles: true}));
    this.writing = false;
  };

  Picker.prototype.render = function () {
    var self = this;
    this.chipList.textContent = "";
    this.chips.forEach(function (chip, i) {
      var li = el("li", "pp-chip" + (plausible(chip.address) ? "" : " pp-chip-bad"));
      var shown = chip.name || chip.address;
      li.title = chip.address;
      li.appendChild(el("span", "pp-chip-text", shown));
      if (!plausible(chip.address)) li.appendChild(el("span", "visually-hidden", " (not a valid address)"));
      var remove = el("button", "pp-remove");
      remove.type = "button";
      remove.dataset.index = i;
      remove.setAttribute("aria-label", "Remove " + shown);
      remove.appendChild(el("i", "bi bi-x")).setAttribute("aria-hidden", "true");
      li.appendChild(remove);
      self.chipList.appendChild(li);
    });
  };

  Picker.prototype.add = function (parts) {
    var have = this.chips.map(function (c) { return c.address.toLowerCase(); }), self = this;
    parts.forEach(function (chip) {
      if (!chip.text || have.indexOf(chip.address.toLowerCase()) >= 0) return;
      have.push(chip.address.toLowerCase());
      self.chips.push(chip);
    });
  };

  Picker.prototype.remove = function (index) {
    var gone = this.chips.splice(index, 1)[0];
    this.render();
    this.sync(true);
    this.input.focus();
    if (gone) this.say("Removed " + (gone.name || gone.address) + ".");
  };

  // Separators typed (or a list pasted): whole addresses become chips, the rest stays typed.
  Picker.prototype.commit = function (all, text) {
    var parts = splitRaw(text === undefined ? this.input.value : text), rest = all ? "" : parts.pop();
    if (all && !parts.join("").trim()) return;
    this.add(parts.filter(function (p) { return p.trim(); }).map(entry));
    this.input.value = rest.replace(/^\s+/, "");
    this.render();
    this.sync(true);
  };

  Picker.prototype.typed = function () {
    if (this.many) {
      var parts = splitRaw(this.input.value);
      if (parts.length > 1) this.commit(false);
      else this.sync(false);
    }
    this.schedule();
  };

  Picker.prototype.pasted = function (e) {
    var text = (e.clipboardData || window.clipboardData).getData("text");
    if (!text || text.indexOf("@") < 0) return;  // a name to search for: typed as usual
    e.preventDefault();
    // Not through input.value: a one-line input drops the line breaks that separate the list.
    var input = this.input, start = input.selectionStart, end = input.selectionEnd;
    this.commit(true, input.value.slice(0, start) + text + input.value.slice(end));
    this.close();
  };

  Picker.prototype.query = function () {
    var q = this.input.value.trim();
    return q.length >= 1 && q.length <= Q_MAX ? q : "";
  };

  // From, empty: every mailbox this person may send from, without asking Graph.
  Picker.prototype.offer = function () {
    // None active: Tab and Enter go on as if no list were there; arrows choose one.
    if (this.history.length) this.show(this.history.slice(), true);
  };

  Picker.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    if (!this.query()) {
      if (this.controller) this.controller.abort();
      this.close();
      if (!this.many && document.activeElement === this.input) this.offer();
      return;
    }
    this.timer = setTimeout(function () { self.search(); }, DELAY);
  };

  Picker.prototype.search = function () {
    var self = this, q = this.query();
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();  // a stale answer must not show
    if (!q) return;
    var controller = this.controller = new AbortController();
    this.source.ask(q, controller.signal).then(function (body) {
      if (controller.signal.aborted || self.query() !== q) return;
      self.controller = null;
      self.answer(q, body);
    }, function (err) {
      if (err && err.name === "AbortError") return;
      self.close();
      self.say("No suggestions: the app could not be reached. Type the address in full.");
    });
  };

  Picker.prototype.answer = function (q, body) {
    // Focus gone meanwhile (a paste, then Tab): no list left open over the next field.
    if (document.activeElement !== this.input) return;
    var self = this, have = this.chips.map(function (c) { return c.address.toLowerCase(); });
    var options = (this.history || []).filter(function (o) {
      return o.address.toLowerCase().indexOf(q.toLowerCase()) >= 0;
    });
    (body.people || []).forEach(function (p) {
      var taken = options.concat(self.chips).some(function (o) {
        return o.address.toLowerCase() === p.address.toLowerCase();
      });
      if (!taken && have.indexOf(p.address.toLowerCase()) < 0) options.push(p);
    });
    if (body.consent) {
      options.push({consent: body.consent});
      this.say(body.error);
    } else {
      this.say(body.people ? "" : (body.error || "No suggestions."));
    }
    this.shown = q;
    this.show(options);
  };

  Picker.prototype.show = function (options, noneActive) {
    var self = this;
    this.options = options;
    this.list.textContent = "";
    options.forEach(function (o, i) {
      var li = el("li", "pp-option" + (o.consent ? " pp-consent" : ""));
      li.id = self.list.id + "-" + i;
      li.dataset.index = i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      if (o.consent) {
        li.appendChild(el("span", "", "Turn on suggestions (opens a small sign-in window)"));
      } else {
        li.appendChild(el("span", "pp-name", o.name || o.address));
        li.appendChild(el("span", "pp-address", o.address + (o.group ? " · group" : "") +
                                                   (o.note ? " · " + o.note : "")));
      }
      self.list.appendChild(li);
    });
    this.list.hidden = !options.length;
    this.input.setAttribute("aria-expanded", options.length ? "true" : "false");
    this.activate(options.length && !noneActive ? 0 : -1);
  };

  Picker.prototype.activate = function (index) {
    var items = this.list.children;
    if (this.active >= 0 && items[this.active]) items[this.active].setAttribute("aria-selected", "false");
    this.active = index;
    if (index < 0 || !items[index]) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    items[index].setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", items[index].id);
    items[index].scrollIntoView({block: "nearest"});
  };

  Picker.prototype.close = function () {
    this.options = [];
    this.list.hidden = true;
    this.list.textContent = "";
    this.input.setAttribute("aria-expanded", "false");
    this.activate(-1);
  };

  Picker.prototype.open = function () { return !this.list.hidden && this.options.length > 0; };

  // ``brief``: an announcement (for screen readers) that leaves the page a moment later.
  Picker.prototype.say = function (text, brief) {
    var note = this.note;
    clearTimeout(this.quiet);
    note.textContent = text || "";
    if (brief) this.quiet = setTimeout(function () { note.textContent = ""; }, 2500);
  };

  Picker.prototype.pick = function (index) {
    var self = this, o = this.options[index];
    if (!o) return;
    if (o.consent) {
      this.close();
      var opened = this.source.consent(o.consent, function () {
        self.input.focus();
        self.say("");
        self.search();
      });
      this.say(opened ? "Waiting for the sign-in window… What you typed stays here." :
        "Your browser blocked the sign-in window. Allow pop-ups for this site, then choose " +
        "\"Turn on suggestions\" again.");
      return;
    }
    if (this.many) {
      this.input.value = "";
      this.add([{text: formatted(o.name, o.address), name: o.name, address: o.address}]);
      this.render();
      this.sync(true);
      this.say("Added " + (o.name || o.address) + ".", true);
    } else {
      this.input.value = o.address;
      this.input.dispatchEvent(new Event("input", {bubbles: true}));  // compose.js checks From
    }
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
    this.close();
  };

  Picker.prototype.key = function (e) {
    var open = this.open(), count = this.options.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!open && !this.many && !this.query()) this.offer();
      else if (!open) this.search();
      else if (this.active < 0) this.activate(e.key === "ArrowDown" ? 0 : count - 1);
      else this.activate((this.active + (e.key === "ArrowDown" ? 1 : count - 1)) % count);
    } else if (e.key === "Enter") {
      var typed = this.input.value.trim();
      if (open && this.active >= 0) {
        e.preventDefault();
        this.pick(this.active);
      } else if (this.many && typed && typed.indexOf("@") < 0) {
        // A name, not an address ("pat"): never a chip that Send would refuse. Its
        // suggestions are asked now (or the permission they need); the text stays typed.
        e.preventDefault();
        this.search();
        this.say("Choose " + typed + " from the suggestions, or type the whole address.");
      } else if (this.many && typed) {
        e.preventDefault();
        this.commit(true);
      }
    } else if (e.key === "Tab" && !e.shiftKey && open && this.active >= 0 &&
               !this.options[this.active].consent) {
      this.pick(this.active);  // and focus moves on, as Tab does
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      this.close();
    } else if (e.key === "Backspace" && this.many && !this.input.value && this.chips.length) {
      e.preventDefault();
      this.remove(this.chips.length - 1);
    }
  };

  Picker.prototype.blurred = function () {
    var self = this;
    setTimeout(function () {  // a click on an option keeps the focus (mousedown is prevented)
      if (document.activeElement === self.input) return;
      clearTimeout(self.timer);  // a search still to come would open the list over the next field
      if (self.controller) self.controller.abort();
      self.close();
      if (/^Added /.test(self.note.textContent)) self.say("");
      if (self.many && self.input.value.indexOf("@") >= 0) self.commit(true);
    }, 150);
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-people-url]");
    if (!form || !window.fetch || !window.AbortController) return;  // the plain form still works
    var source = new Source(form.dataset.peopleUrl);
    form.querySelectorAll("textarea[name=to], textarea[name=cc], textarea[name=bcc]").forEach(
      function (field) { new Picker(field, source, true); });
    var from = form.querySelector("input[name=from_address]");
    if (from) new Picker(from, source, false);
  });
})();
