// Sizes as people read them, the one way every page says them: 3.5 MB, 820 KB, 12 bytes
// (mailer/sending/sizes.py ``human`` and ``human_pair`` say it the same way on the server).
(function () {
  "use strict";
  var MB = 1024 * 1024;

  function human(size) {
    if (size >= MB) return (size / MB).toFixed(1).replace(/\.0$/, "") + " MB";
    if (size >= 1024) return Math.round(size / 1024) + " KB";
    return size + " bytes";
  }

  // "X is A; at most B": exact byte counts when rounding would make A and B read the same.
  function humanPair(size, limit) {
    if (human(size) !== human(limit)) return [human(size), human(limit)];
    return [size.toLocaleString("en-US") + " bytes", limit.toLocaleString("en-US") + " bytes"];
  }

  window.MailerSizes = {human: human, humanPair: humanPair};
})();
