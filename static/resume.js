// After a permission was granted: post the person's own form again, once (templates/resume.html).
// The page's URL was used up when it was served, so Back or a reload never posts it twice.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-resume-form]");
    if (!form) return;
    document.getElementById("resume-go").disabled = true;
    form.submit();
  });
})();
