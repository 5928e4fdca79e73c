/* Forms marked data-submit-once are sent once: a second click while the first is on its way does
 * nothing (the server is idempotent too; this only spares the resident a confusing second answer). */
(function () {
  "use strict";

  function arm(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      var button = form.querySelector('button[type="submit"]');
      if (button) {
        window.setTimeout(function () {
          button.disabled = true;
          if (button.dataset.busyText) {
            button.dataset.idleText = button.textContent;
            button.textContent = button.dataset.busyText;
          }
        }, 0);
      }
    });
  }

  function reset() {
    // Coming back to the page (back button): the form can be sent again.
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.dataset.sending = "";
      var button = form.querySelector('button[type="submit"]');
      if (button) {
        button.disabled = false;
        if (button.dataset.idleText) {
          button.textContent = button.dataset.idleText;
        }
      }
    });
  }

  function init() {
    document.querySelectorAll("form[data-submit-once]").forEach(arm);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    event.target.querySelectorAll("form[data-submit-once]").forEach(arm);
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      reset();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
