// The navigation's "更多" menus and the list pages' folded filters (issue 13). Everything works without
// this file: <details> opens and closes by itself; this only closes an open menu when the reader clicks
// elsewhere or presses Escape, and unfolds the filters on wide screens.
(function () {
  "use strict";
  var WIDE = "(min-width: 641px)";

  function menus() {
    return Array.prototype.slice.call(document.querySelectorAll("details.nav-more[open]"));
  }

  document.addEventListener("click", function (event) {
    menus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    menus().forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  function unfold() {
    if (!window.matchMedia || !window.matchMedia(WIDE).matches) return;
    document.querySelectorAll("details.filter-fold").forEach(function (fold) {
      fold.setAttribute("open", "");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", unfold);
  } else {
    unfold();
  }
})();
