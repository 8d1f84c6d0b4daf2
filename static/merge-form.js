// The merge form: the CSV's columns offered as variables ({{ first_name }}) to put where the
// person is typing (the subject, or the message in the compose page's editor: form.richEditor),
// the browser's time zone for "At a time", and the time field only when it is wanted.
(function () {
  "use strict";
  var NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;  // what {{ name }} can reach; other columns cannot

  // The first line of a CSV, split on commas outside quotes.
  function header(text) {
    var cells = [], cell = "", quoted = false;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (quoted) {
        if (c === '"' && text.charAt(i + 1) === '"') { cell += '"'; i++; } else if (c === '"') { quoted = false; } else { cell += c; }
      } else if (c === '"') { quoted = true; } else if (c === ",") { cells.push(cell.trim()); cell = ""; } else if (c === "\n" || c === "\r") { break; } else { cell += c; }
    }
    cells.push(cell.trim());
    return cells.filter(function (c) { return c; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("merge-form");
    if (!form) return;
    var box = document.getElementById("variables"), subject = form.querySelector("[name=subject]");
    var target = null;  // where a variable goes: the subject, or the message

    subject.addEventListener("focus", function () { target = subject; });
    form.addEventListener("focusin", function (e) {
      if (e.target.closest && e.target.closest(".compose-editor")) target = "editor";
      if (e.target.name === "body") target = e.target;
    });

    function insert(text) {
      var editor = form.richEditor && form.richEditor.quill;
      if (target === "editor" && editor) {
        var range = editor.getSelection(true), at = range ? range.index : editor.getLength() - 1;
        editor.insertText(at, text, "user");
        editor.setSelection(at + text.length, 0, "user");  // typing goes on after it
        return;
      }
      var field = target && target.setRangeText ? target : subject;
      field.focus();
      field.setRangeText(text, field.selectionStart, field.selectionEnd, "end");
      field.dispatchEvent(new Event("input", {bubbles: true}));
    }

    function offer(columns) {
      box.textContent = "";
      columns.forEach(function (name) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-sm btn-outline-secondary font-monospace merge-variable";
        button.textContent = "{{ " + name + " }}";
        if (!NAME.test(name)) {
          button.disabled = true;
          button.title = "Rename this column (letters, digits, _) to use it in the template";
        }
        // mousedown: the subject or the editor keeps its caret while the button is pressed
        button.addEventListener("mousedown", function (e) { e.preventDefault(); });
        button.addEventListener("click", function () { insert("{{ " + name + " }}"); });
        box.appendChild(button);
      });
    }

    var file = form.querySelector("[name=csv_file]"), pasted = form.querySelector("[name=csv_text]");
    file.addEventListener("change", function () {
      if (!file.files.length) return;
      file.files[0].slice(0, 65536).text().then(function (text) { offer(header(text.replace(/^\ufeff/, ""))); });
    });
    pasted.addEventListener("input", function () { offer(header(pasted.value.replace(/^\ufeff/, ""))); });
    var known = JSON.parse(form.dataset.columns || "[]");
    if (known.length) offer(known); else if (pasted.value) offer(header(pasted.value));

    var tz = form.querySelector("[name=send_tz]"), at = form.querySelector("[name=send_at]");
    try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { tz.value = ""; }
    if (!tz.value) {  // its UTC offset, as send_later.py reads it
      var minutes = -new Date().getTimezoneOffset();
      tz.value = (minutes < 0 ? "-" : "+") + String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0") +
        ":" + String(Math.abs(minutes) % 60).padStart(2, "0");
    }
    function when() { at.disabled = !form.querySelector("[name=when][value=later]").checked; }
    form.querySelectorAll("[name=when]").forEach(function (r) { r.addEventListener("change", when); });
    when();
  });
})();
