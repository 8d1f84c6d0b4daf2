// The people picker's parts that know no field: addresses read as mailer/sending/compose.py
// reads them, and the app's suggestions with the consent window (people-picker.js uses them).
(function () {
  "use strict";

  var SEPARATORS = ",;\n\r";

  // ---- addresses, read as mailer/sending/compose.py reads them --------------------------------
  // Split on , ; or a line break outside quotes and <...>; the last part is what is still typed.
  function splitRaw(text) {
    var parts = [], current = "", quoted = false, angled = false, escaped = false;
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (escaped) escaped = false;
      else if (ch === "\\" && quoted) escaped = true;
      else if (ch === '"' && !angled) quoted = !quoted;
      else if (ch === "<" && !quoted) angled = true;
      else if (ch === ">" && !quoted) angled = false;
      else if (SEPARATORS.indexOf(ch) >= 0 && !quoted && !angled) {
        parts.push(current);
        current = "";
        continue;
      }
      current += ch;
    }
    parts.push(current);
    return parts;
  }

  function entry(text) {  // {text, name, address} of "address", "Name <address>", "\"N\" <address>"
    text = text.trim();
    var m = /^(?:"((?:[^"\\]|\\.)*)"|([^<]*?))\s*<([^>]*)>$/.exec(text);
    if (!m) return {text: text, name: "", address: text};
    var name = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
    return {text: text, name: name.trim(), address: m[3].trim()};
  }

  function formatted(name, address) {
    if (!name || name.toLowerCase() === address.toLowerCase()) return address;
    if (/[,;"<>\\()]/.test(name)) name = '"' + name.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
    return name + " <" + address + ">";
  }

  function plausible(address) { return /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/.test(address); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // ---- the app's suggestions and the consent window (consent-popup.js), shared by every field --
  function Source(url) {
    this.url = url;
  }

  Source.prototype.ask = function (q, signal) {
    return fetch(this.url + "?q=" + encodeURIComponent(q), {
      headers: {"Accept": "application/json"}, credentials: "same-origin", signal: signal
    }).then(function (r) {
      return r.json().then(function (body) { return body; }, function () {
        return {error: "No suggestions: the app answered " + r.status + "."};
      });
    });
  };

  // Open the sign-in for the picker's permissions in a small window (called from a key press or
  // a click: browsers allow a window only then); ``done`` runs once they are granted.
  Source.prototype.consent = function (url, done) {
    return window.ConsentPopup.open(url, done);
  };

  window.PeoplePicker = {splitRaw: splitRaw, entry: entry, formatted: formatted,
                         plausible: plausible, el: el, Source: Source};
})();
