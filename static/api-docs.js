// The API documentation page's settings for Swagger UI (static/vendor/swagger-ui/), as a file
// of its own: the page's CSP runs no inline script. The key typed into Authorize stays in the
// page (persistAuthorization off: never in the browser's storage); no outside validator.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    displayRequestDuration: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
