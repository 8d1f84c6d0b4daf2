// Send later: tells the server the browser's time zone (an IANA name, else its UTC offset), so
// the date and time typed are read as the person's own. Without JavaScript they are read as UTC.
(function () {
  "use strict";
  var tz = document.querySelector("#compose input[name=send_tz]");
  var field = document.getElementById("send_at");
  if (!tz || !field) return;
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  if (!zone) {
    var minutes = -new Date().getTimezoneOffset(), sign = minutes < 0 ? "-" : "+";
    minutes = Math.abs(minutes);
    zone = sign + String(Math.floor(minutes / 60)).padStart(2, "0") + ":" + String(minutes % 60).padStart(2, "0");
  }
  // A time picked earlier is shown in the zone it was picked in; a new pick takes this one.
  if (!tz.value || !field.value) tz.value = zone;
  field.addEventListener("change", function () { tz.value = zone; });
})();
