/* Behaviour that pages ask for with data- attributes, since the Content-Security-Policy allows no inline
 * script or event handler (docs/architecture.md, "Content-Security-Policy"):
 *   data-autosubmit on a field: changing it sends its form (filters; a <noscript> button stays the fallback).
 * Listening on the document also covers content that htmx swaps in later. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field && field.form && field.hasAttribute("data-autosubmit")) {
      field.form.submit();
    }
  });
})();
