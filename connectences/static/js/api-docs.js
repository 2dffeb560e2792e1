// /api/docs: Swagger UI (served from /static/vendor/swagger-ui) on the API's OpenAPI
// document. A file of its own, not an inline script: the CSP allows scripts from our
// origin only.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: true,
    // "Try it out" sends requests with the token typed in "Authorize", to our origin.
    tryItOutEnabled: false,
  });
})();
