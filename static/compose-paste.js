// What the compose editor (compose-editor.js, Quill 2) does with pasted and loaded HTML, beyond
// Quill's own: a table keeps its header cells (<th>, beside Quill's <td>, in the same rows), the
// line (<hr>) Outlook puts above a reply's quoted original stays, a pasted script's text is
// dropped, and no style reaches a document the page parses (the CSP would refuse it).
(function () {
  "use strict";

  // What Quill 2's full build lacks for mail, registered once on its own blots: a table's header
  // cells (<th>, beside Quill's <td> cells, in the same rows) and the line (<hr>) Outlook puts
  // above the quoted original of a reply. A row is one row whatever kind its cells are.
  var registered = false;
  function register(Quill) {
    if (registered) return;
    registered = true;
    var TableCell = Quill.import("formats/table"), TableRow = Quill.import("formats/table-row");
    var BlockEmbed = Quill.import("blots/block/embed");
    class HeaderCell extends TableCell {}
    HeaderCell.blotName = "table-header";
    HeaderCell.tagName = "TH";
    HeaderCell.requiredContainer = TableRow;
    TableRow.allowedChildren = [TableCell, HeaderCell];
    class Divider extends BlockEmbed {}
    Divider.blotName = "divider";
    Divider.tagName = "HR";
    Quill.register(HeaderCell, true);
    Quill.register(Divider, true);
    var rowOf = function (cell) {
      var f = cell.formats();
      return f.table || f["table-header"];
    };
    var Container = Object.getPrototypeOf(TableRow.prototype);
    TableRow.prototype.checkMerge = function () {
      if (!Container.checkMerge.call(this) || this.next.children.head == null) return false;
      var row = rowOf(this.children.head);
      return row === rowOf(this.children.tail) && row === rowOf(this.next.children.head) &&
        row === rowOf(this.next.children.tail);
    };
    TableRow.prototype.optimize = function (context) {
      Container.optimize.call(this, context);
      var self = this;
      this.children.forEach(function (child) {
        if (child.next == null || rowOf(child) === rowOf(child.next)) return;
        var next = self.splitAfter(child);
        if (next) next.optimize();
        if (self.prev) self.prev.optimize();
      });
    };
  }

  // Style in pasted HTML: the page's CSP (style-src 'self') blocks it in any document this page
  // parses, so it could never apply; taken out first, it neither shows nor logs a violation.
  function withoutStyles(html) {
    return html.replace(/<style[\s\S]*?<\/style\s*>/gi, "")
      .replace(/\sstyle\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, "");
  }

  function endsLine(delta) {
    var last = delta.ops[delta.ops.length - 1];
    return Boolean(last && typeof last.insert === "string" && /\n$/.test(last.insert));
  }

  // A paste of HTML goes to Quill's clipboard without its styles (pictures as files: Quill's own).
  function withoutStylesOnPaste(quill) {
    quill.root.addEventListener("paste", function (e) {
      var data = e.clipboardData, html = data && data.getData("text/html");
      if (!html || (data.files && data.files.length)) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      quill.clipboard.onPaste(quill.getSelection(true), {html: withoutStyles(html),
                                                         text: data.getData("text/plain")});
    }, true);
  }

  // Pasted (or loaded) HTML: a script's text is dropped, not shown; a <th> is a header cell.
  function addMatchers(quill) {
    var Delta = window.Quill.import("delta");
    ["script", "noscript", "template", "title", "meta"].forEach(function (tag) {
      quill.clipboard.addMatcher(tag, function () { return new Delta(); });
    });
    quill.clipboard.addMatcher("th", function (node, delta) {
      if (!endsLine(delta)) delta.insert("\n");
      return delta.compose(new Delta().retain(delta.length(), {"table-header": true}));
    });
    // After Quill's own <tr> matcher gave every line of the row its row number as "table".
    quill.clipboard.addMatcher("tr", function (node, delta) {
      delta.ops.forEach(function (op) {
        var a = op.attributes;
        if (a && a["table-header"] && a.table) {
          a["table-header"] = a.table;
          delete a.table;
        }
      });
      return delta;
    });
  }

  window.ComposePaste = {register: register, addMatchers: addMatchers,
                         withoutStylesOnPaste: withoutStylesOnPaste, withoutStyles: withoutStyles};
})();
