// Starts Swagger UI on the docs page. It is a file of its own, not an inline script, so that the
// page's Content-Security-Policy can refuse every inline script.
"use strict";

(function () {
  // The page carries the description as a JSON data block: no second request, so no second
  // password check.
  var description = JSON.parse(document.getElementById("openapi").textContent);
  window.ui = SwaggerUIBundle({
    spec: description,
    domNode: document.getElementById("docs"),
    deepLinking: true,
    // The default sends the description to a public validator.
    validatorUrl: null,
  });
})();
