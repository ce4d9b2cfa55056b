// Small progressive enhancements. Every page works without them; live progress comes
// from htmx (vendor/htmx-*.min.js) polling the page's own partial.
(function () {
  "use strict";

  // Code points, as the server counts them (an emoji is one character, not two).
  function length(text) {
    return Array.from(text.trim()).length;
  }

  function charCounter(output) {
    var field = document.getElementById(output.dataset.charcountFor);
    if (!field) return;
    var min = Number(field.getAttribute("minlength")) || 0;
    var max = Number(field.getAttribute("maxlength")) || Infinity;
    function update() {
      var count = length(field.value);
      var text = count + " / " + max;
      if (count < min) text += " · " + (min - count) + " more to go";
      output.textContent = text;
      output.classList.toggle("charcount--short", count < min);
      output.classList.toggle("charcount--full", count >= max);
    }
    field.addEventListener("input", update);
    output.hidden = false;
    update();
  }

  function submitOnce(form) {
    var buttons = form.querySelectorAll("button[type=submit]");
    var labels = Array.from(buttons, function (button) { return button.textContent; });
    form.addEventListener("submit", function () {
      // Stops a double click from making two videos.
      buttons.forEach(function (button) {
        button.disabled = true;
        button.textContent = "Starting…";
      });
    });
    // Coming back with the Back button restores the page as it was left: usable again.
    window.addEventListener("pageshow", function () {
      buttons.forEach(function (button, index) {
        button.disabled = false;
        button.textContent = labels[index];
      });
    });
  }

  function autoSubmit(select) {
    select.addEventListener("change", function () {
      select.form.requestSubmit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-charcount-for]").forEach(charCounter);
    document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
    document.querySelectorAll("select[data-autosubmit]").forEach(autoSubmit);
  });
})();
