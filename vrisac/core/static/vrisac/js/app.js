// VR-ISAC: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Send the CSRF token with htmx requests (the token is in the page's form fields).
  document.addEventListener("htmx:configRequest", function (event) {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { event.detail.headers["X-CSRFToken"] = input.value; }
  });
  // Buttons with data-confirm ask before submitting (retract, remove member).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
                  event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Show the fields of the chosen audience only.
  function syncAudience() {
    var checked = document.querySelector("input[name=audience]:checked");
    var value = checked ? checked.value : "";
    document.querySelectorAll("[data-audience-field]").forEach(function (el) {
      el.hidden = el.getAttribute("data-audience-field") !== value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "audience") { syncAudience(); }
  });
  document.addEventListener("DOMContentLoaded", syncAudience);
})();
