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


  // The storyboard's subjects: remove one, or swap its picture for one found by a search.
  // The hidden field named by the list holds the scene's elements as JSON; the server checks
  // them. Listening on the document: the review form arrives by htmx after the page loaded.
  var searchTimer = null;

  function subjectList(target) {
    var list = target.closest("[data-elements-for]");
    return list && { list: list, field: document.getElementById(list.dataset.elementsFor) };
  }

  function readElements(field) {
    try { return JSON.parse(field.value || "[]"); } catch (error) { return []; }
  }

  function searchPictures(list, item, query) {
    var results = item.querySelector(".element__results");
    fetch(list.dataset.searchUrl + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        results.replaceChildren();
        data.results.forEach(function (picture) {
          var choice = document.createElement("li");
          var button = document.createElement("button");
          var image = document.createElement("img");
          button.type = "button";
          button.className = "button button--small";
          button.dataset.action = "choose";
          button.dataset.icon = picture.icon;
          button.dataset.url = picture.url;
          button.setAttribute("aria-label", "Use " + picture.title);
          image.src = picture.url;
          image.alt = "";
          button.append(image, document.createTextNode(" " + picture.title));
          choice.append(button);
          results.append(choice);
        });
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-elements-for] button[data-action]");
    var found = button && subjectList(button);
    if (!found || !found.field) return;
    var item = button.closest("li.element");
    var elements = readElements(found.field);
    var index = Array.prototype.indexOf.call(found.list.querySelectorAll("li.element"), item);
    if (button.dataset.action === "swap") {
      var box = item.querySelector(".element__search");
      box.hidden = !box.hidden;
      if (!box.hidden) box.querySelector("input").focus();
      return;
    }
    if (button.dataset.action === "remove") {
      elements.splice(index, 1);
      item.remove();
    } else if (button.dataset.action === "choose") {
      elements[index].icon = button.dataset.icon;
      item.querySelector(".element__picture").src = button.dataset.url;
      item.querySelector(".element__search").hidden = true;
    }
    found.field.value = JSON.stringify(elements);
  });

  document.addEventListener("input", function (event) {
    var found = event.target.type === "search" && subjectList(event.target);
    if (!found) return;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      searchPictures(found.list, event.target.closest("li.element"), event.target.value);
    }, 200);
  });

  // Enter in a picture search searches; it must not submit the storyboard.
  document.addEventListener("keydown", function (event) {
    var found = event.key === "Enter" && event.target.type === "search" && subjectList(event.target);
    if (!found) return;
    event.preventDefault();
    searchPictures(found.list, event.target.closest("li.element"), event.target.value);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-charcount-for]").forEach(charCounter);
    document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
    document.querySelectorAll("select[data-autosubmit]").forEach(autoSubmit);
  });
})();
