// The console's own script (no inline script anywhere: the CSP allows only these files).
// What it adds to the server-rendered pages: a confirmation before actions marked
// data-confirm, and the live-updates indicator of pages that listen to /events.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
  function mark(state) {
    var badges = document.querySelectorAll("[data-live]");
    for (var i = 0; i < badges.length; i++) {
      badges[i].setAttribute("data-state", state);
      var text = badges[i].getAttribute("data-" + state);
      if (text) { badges[i].textContent = text; }
    }
  }
  document.addEventListener("htmx:sseOpen", function () { mark("open"); });
  document.addEventListener("htmx:sseError", function () { mark("closed"); });
})();
