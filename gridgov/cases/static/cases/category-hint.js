/* Staff entering a report (a hotline record, a finding in the field): as the description is typed, the
 * categories the district's history suggests for it are offered as buttons that fill in the category.
 * Only for a form carrying data-suggest-url; the words shown come back from the server as text and are
 * written as text. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-suggest-url]");
  var box = document.getElementById("category-hints");
  if (!form || !box) {
    return;
  }
  var url = form.getAttribute("data-suggest-url");
  var text = form.querySelector("#id_description");
  var select = form.querySelector("#id_category");
  var MIN_CHARS = 5;
  var DELAY_MS = 400;
  var timer = null;
  var asked = "";

  function token() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function choose(code) {
    select.value = code;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function show(options) {
    box.replaceChildren();
    if (!options.length) {
      box.hidden = true;
      return;
    }
    var label = document.createElement("span");
    label.className = "muted";
    label.textContent = box.getAttribute("data-label");
    box.appendChild(label);
    options.forEach(function (o) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-quiet chip";
      button.setAttribute("data-code", o.code);
      button.textContent = o.name + " " + Math.round(o.confidence * 100) + "%";
      if (o.words.length) {
        button.title = box.getAttribute("data-words") + " " + o.words.join(" ");
      }
      button.addEventListener("click", function () {
        choose(o.code);
      });
      box.appendChild(button);
    });
    box.hidden = false;
  }

  function ask() {
    var value = text.value.trim();
    if (value.length < MIN_CHARS || value === asked) {
      return;
    }
    asked = value;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token() },
      body: JSON.stringify({ text: value }),
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && value === asked) {
          show(data.categories || []);
        }
      })
      .catch(function () {
        /* suggestions are a help, never in the way: a failed call shows nothing */
      });
  }

  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, DELAY_MS);
  });
})();
