// Starts Swagger UI on the docs page. It is a file of its own, not an inline script, so that the
// page's Content-Security-Policy can refuse every inline script.
"use strict";

(function () {
  var root = document.getElementById("docs");
  window.ui = SwaggerUIBundle({
    // Resolved against the origin, not the page's URL: a page opened as
    // http://user:password@host/... would give a URL with credentials, which fetch refuses. The
    // browser still sends the Basic credentials it holds for this origin.
    url: new URL(root.dataset.openapi, window.location.origin).href,
    domNode: root,
    deepLinking: true,
    // The default sends the document to a public validator.
    validatorUrl: null,
  });
})();
