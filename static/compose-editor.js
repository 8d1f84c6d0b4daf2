// The compose page's formatted body: Quill 2 (served from static/vendor/, installed by env.sh)
// in place of the textarea named "body", which stays in the form, hidden, and always holds the
// editor's HTML, so autosave and Send (compose.js) post it unchanged. Without JavaScript, or
// if the editor did not load, the textarea is left as it is.
// A pasted, dropped or picked picture is uploaded to the draft as an inline attachment; the
// editor shows it from the app (/compose/<id>/files/<fid>/inline) and the HTML says
// cid:<content id>, which is what the recipient's mail client resolves.
// Other forms get the same editor with data-rich-editor (the merge page): without the draft's
// upload URL they take no pictures, and form.richEditor is the editor (to insert variables).
(function () {
  "use strict";
  var PICTURES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
  var human = window.MailerSizes.human;
  var LABELS = {bold: "Bold", italic: "Italic", underline: "Underline", link: "Link",
                blockquote: "Quote", image: "Insert a picture", clean: "Clear formatting"};

  // Quill's getSemanticHTML writes every space as &nbsp;, which would stop the recipient's
  // mail client from wrapping lines: plain spaces again, except where a run of them must stay.
  function unbreakSpaces(body) {
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue.replace(/\u00a0/g, " ").replace(/ {2,}/g, function (run) {
        return " " + new Array(run.length).join("\u00a0");
      });
      if (!node.previousSibling && text.charAt(0) === " ") text = "\u00a0" + text.slice(1);
      node.nodeValue = text;
    }
  }

  var paste = window.ComposePaste;  // tables, the reply's line, styles left out (compose-paste.js)

  function Editor(form, area) {
    this.form = form;
    this.area = area;
    this.csrf = form.querySelector("input[name=csrf_token]").value;
    this.smallMax = Number(form.dataset.smallMax);
    this.urlOf = {};  // content id -> the picture's URL in this app
    this.cidOf = {};  // that URL -> content id
    this.uploading = 0;
    this.quill = null;
    var self = this;
    JSON.parse(form.dataset.inlineFiles || "[]").forEach(function (f) { self.known(f); });
  }

  Editor.prototype.known = function (file) {
    var url = this.form.dataset.inlineUrl.replace("FILE_ID", encodeURIComponent(file.id));
    this.urlOf[file.content_id] = url;
    this.cidOf[url] = file.content_id;
    return url;
  };

  Editor.prototype.format = function () {
    var checked = this.form.querySelector("input[name=body_type]:checked");
    return checked ? checked.value : "html";
  };

  // Build Quill once, the first time the message is formatted.
  Editor.prototype.build = function () {
    var self = this, box = document.createElement("div"), host = document.createElement("div");
    var pictures = Boolean(this.form.dataset.uploadUrl && this.form.dataset.inlineUrl);
    var formats = ["header", "bold", "italic", "underline", "list", "link", "blockquote",
                   "table", "table-header", "table-row", "table-body", "table-container", "divider"];
    box.className = "compose-editor";
    box.id = "body-editor";
    host.className = "compose-editor-text";
    box.appendChild(host);
    this.area.parentNode.insertBefore(box, this.area.nextSibling);
    this.box = box;
    paste.register(window.Quill);
    this.quill = new window.Quill(host, {
      theme: "snow",
      bounds: box,
      formats: pictures ? formats.concat(["image"]) : formats,
      modules: {
        table: true,  // Quill 2's own: a pasted spreadsheet or web table stays a table
        toolbar: [[{header: [1, 2, 3, false]}], ["bold", "italic", "underline"],
                  [{list: "bullet"}, {list: "ordered"}],
                  pictures ? ["link", "blockquote", "image"] : ["link", "blockquote"], ["clean"]],
        uploader: {mimetypes: PICTURES, handler: function (range, files) { self.place(range, files); }},
        // Tab leaves the editor (the browser's own move), so the keyboard is never trapped.
        keyboard: {bindings: {tab: {key: "Tab", handler: function () { return true; }}}}
      }
    });
    paste.addMatchers(this.quill);
    paste.withoutStylesOnPaste(this.quill);
    var root = this.quill.root;
    root.setAttribute("aria-label", "Message text");
    root.setAttribute("aria-multiline", "true");
    root.setAttribute("role", "textbox");
    root.setAttribute("aria-describedby", "body-hint");
    box.querySelectorAll(".ql-toolbar button").forEach(function (button) {
      var name = (button.className.match(/ql-(\w+)/) || [])[1];
      var label = name === "list" ? (button.value === "bullet" ? "Bulleted list" : "Numbered list") : LABELS[name];
      if (label) {
        button.setAttribute("aria-label", label);
        button.title = label;
      }
    });
    var heading = box.querySelector(".ql-toolbar .ql-picker.ql-header .ql-picker-label");
    if (heading) heading.setAttribute("aria-label", "Heading");
    this.note = document.createElement("div");
    this.note.className = "compose-editor-note small";
    this.note.id = "body-editor-note";
    this.note.setAttribute("role", "status");
    this.note.setAttribute("aria-live", "polite");
    box.appendChild(this.note);
    this.quill.on("text-change", function () {
      self.adopt();
      self.write();
    });
    // A picture dropped on the editor goes into the message, not into the attachment list
    // (compose.js attaches what is dropped on the rest of the form); other files still do.
    box.addEventListener("drop", function (e) {
      self.dropToForm = !self.allPictures(e.dataTransfer);
    }, true);
    box.addEventListener("drop", function (e) {
      if (self.dropToForm) return;
      e.stopPropagation();
      var zone = document.getElementById("drop-zone");
      if (zone) zone.classList.remove("is-over");
    });
  };

  Editor.prototype.allPictures = function (transfer) {
    var files = transfer && transfer.files;
    if (!files || !files.length) return true;  // text being moved: Quill's own business
    return Array.prototype.every.call(files, function (f) { return PICTURES.indexOf(f.type) >= 0; });
  };

  // A picture pasted inside HTML (another editor's data: URL) would be dropped by the server's
  // sanitizer: it becomes an inline attachment like any pasted file, in the same place.
  Editor.prototype.adopt = function () {
    var self = this;
    this.quill.root.querySelectorAll('img[src^="data:"]').forEach(function (img) {
      var blot = window.Quill.find(img), kind = (/^data:([^;,]*)/.exec(img.getAttribute("src")) || [])[1];
      if (!blot || blot.adopting) return;
      blot.adopting = true;
      var file = null;
      try {  // decoded here: the CSP's connect-src does not let fetch() read data: URLs
        var src = img.getAttribute("src"), comma = src.indexOf(","), meta = src.slice(0, comma);
        var raw = /;base64$/i.test(meta) ? atob(src.slice(comma + 1)) : decodeURIComponent(src.slice(comma + 1));
        var bytes = new Uint8Array(raw.length);
        for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
        if (PICTURES.indexOf((kind || "").toLowerCase()) >= 0) file = new File([bytes], "picture." + kind.split("/")[1], {type: kind});
      } catch (err) { file = null; }
      var drop = function (words) {
        if (img.isConnected) self.quill.deleteText(self.quill.getIndex(blot), 1, "api");
        if (words) self.say(words, true);
      };
      if (!file) return drop("A pasted picture was left out: only PNG, JPEG, GIF and WebP pictures can go in the message.");
      if (file.size >= self.smallMax) {
        return drop("A pasted picture of " + human(file.size) + " was left out; a picture in the message must be smaller than " +
          human(self.smallMax) + ". Attach it as a file instead.");
      }
      self.upload(file, file.name, function (uploaded) {
        if (!img.isConnected) return;  // deleted meanwhile
        var index = self.quill.getIndex(blot);
        self.quill.deleteText(index, 1, "api");
        self.quill.insertEmbed(index, "image", self.known(uploaded), "api");
      }, drop);
    });
  };

  // The textarea's HTML into the editor: cid: pictures shown from this app.
  Editor.prototype.load = function (html) {
    var doc = new DOMParser().parseFromString(paste.withoutStyles(html || ""), "text/html"), self = this;
    doc.querySelectorAll("img[src]").forEach(function (img) {
      var src = img.getAttribute("src");
      if (/^cid:/i.test(src) && self.urlOf[src.slice(4)]) img.setAttribute("src", self.urlOf[src.slice(4)]);
    });
    this.quill.setContents(this.quill.clipboard.convert({html: doc.body.innerHTML}), "silent");
  };

  // The editor's HTML into the textarea (cid: again), and tell the form it changed.
  Editor.prototype.write = function () {
    var html = "", self = this;
    if (this.quill.getText().trim() || this.quill.root.querySelector("img")) {
      var doc = new DOMParser().parseFromString(paste.withoutStyles(this.quill.getSemanticHTML()), "text/html");
      doc.querySelectorAll("img[src]").forEach(function (img) {
        var cid = self.cidOf[img.getAttribute("src")];
        if (cid) img.setAttribute("src", "cid:" + cid);
      });
      unbreakSpaces(doc.body);
      doc.querySelectorAll("table").forEach(function (table) {  // borders a mail client shows
        table.setAttribute("border", "1");
        table.setAttribute("cellpadding", "4");
        table.setAttribute("cellspacing", "0");
      });
      doc.querySelectorAll("td[data-row], th[data-row]").forEach(function (cell) {
        cell.removeAttribute("data-row");  // the editor's own bookkeeping
      });
      html = doc.body.innerHTML;
    }
    if (this.area.value === html) return;
    this.area.value = html;
    this.area.dispatchEvent(new Event("input", {bubbles: true}));  // compose.js autosaves
  };

  Editor.prototype.say = function (text, bad) {
    this.note.textContent = text;
    this.note.classList.toggle("text-danger", Boolean(bad));
  };

  // Pictures from a paste, a drop or the toolbar: each one uploaded, then placed where it was put.
  Editor.prototype.place = function (range, files) {
    if (this.dropToForm) return;
    if (!this.form.dataset.uploadUrl) {
      this.say("Pictures cannot go in this message's text; send them as files instead.", true);
      return;
    }
    var self = this, at = range ? range.index : this.quill.getLength() - 1;
    Array.prototype.forEach.call(files, function (file) {
      var name = file.name || "picture." + (file.type.split("/")[1] || "png");
      if (file.size >= self.smallMax) {
        self.say("The picture '" + name + "' is " + human(file.size) + "; a picture in the message must be smaller than " +
          human(self.smallMax) + ". Attach it as a file instead.", true);
        return;
      }
      self.upload(file, name, function (uploaded) {
        var url = self.known(uploaded);
        var index = Math.min(at, self.quill.getLength() - 1);
        self.quill.insertEmbed(index, "image", url, "user");
        self.quill.setSelection(index + 1, 0, "silent");
        at = index + 1;
      });
    });
  };

  Editor.prototype.upload = function (file, name, done, failed) {
    var self = this;
    this.uploading += 1;
    this.say("Adding the picture '" + name + "'…");
    fetch(this.form.dataset.uploadUrl, {
      method: "POST", body: file, credentials: "same-origin",
      headers: {"Content-Type": "application/octet-stream", "Accept": "application/json",
                "X-CSRFToken": this.csrf, "X-File-Name": encodeURIComponent(name),
                "X-File-Type": file.type, "X-File-Inline": "1"}
    }).then(function (r) {
      return r.json().then(function (b) { return {ok: r.status === 201, body: b}; }, function () {
        return {ok: false, body: {error: "The picture '" + name + "' was not added (the server answered " + r.status + "). Try again."}};
      });
    }).then(function (res) {
      self.uploading -= 1;
      if (res.ok && res.body.file && res.body.file.content_id) {
        self.say("");
        done(res.body.file);
      } else {
        self.say(res.body.error || "The picture '" + name + "' was not added. Try again.", true);
        if (failed) failed();
      }
    }, function () {
      self.uploading -= 1;
      if (failed) failed();
      self.say("The picture '" + name + "' was not added: the connection was lost. Check it and paste the picture again.", true);
    });
  };

  Editor.prototype.show = function (format) {
    if (format === "html") {
      var fresh = !this.quill;
      if (fresh) this.build();
      if (fresh && this.shownAs !== "text") {
        this.load(this.area.value);
      } else if (this.shownAs === "text") {  // from plain text: the same words, as paragraphs
        this.quill.setText(this.area.value ? this.area.value.replace(/\r\n?/g, "\n") + "\n" : "", "silent");
        this.write();
      }
      this.box.hidden = false;
      this.area.hidden = true;
    } else {
      if (this.quill && this.shownAs === "html") {  // to plain text: the words are kept
        this.area.value = this.quill.getText().replace(/\n+$/, "");
        this.area.dispatchEvent(new Event("input", {bubbles: true}));
      }
      if (this.box) this.box.hidden = true;
      this.area.hidden = false;
    }
    this.shownAs = format;
  };

  Editor.prototype.start = function () {
    var self = this;
    this.show(this.format());
    this.form.querySelectorAll("input[name=body_type]").forEach(function (radio) {
      radio.addEventListener("change", function () { self.show(self.format()); });
    });
    // The textarea given back its text from outside (compose-rescue.js): shown in the editor.
    this.area.addEventListener("compose:restored", function () {
      if (self.quill && self.shownAs === "html") self.load(self.area.value);
    });
    // Send or Save draft while a picture is still on its way would lose it: wait for it.
    document.addEventListener("submit", function (e) {
      if (e.target !== self.form || !self.uploading) return;
      e.preventDefault();
      e.stopPropagation();
      self.say("A picture is still being added to the message; press the button again once it shows.", true);
    }, true);
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form#compose, form[data-rich-editor]").forEach(function (form) {
      var area = form.querySelector("textarea[name=body]");
      if (!area || !window.Quill || (form.id === "compose" && !form.dataset.inlineUrl)) return;  // the textarea as it is
      form.richEditor = new Editor(form, area);
      form.richEditor.start();
    });
  });
})();
