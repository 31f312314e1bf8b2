// VR-ISAC public pages: the menu button on small screens, and players that load only after
// the visitor asks for them (no request to another host before that click).
(function () {
  "use strict";

  function loadPlayer(container) {
    var src = container.getAttribute("data-embed-src") || "";
    if (src.indexOf("https://") !== 0) { return; }
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = container.getAttribute("data-embed-title") || "";
    frame.className = "embed-frame";
    frame.setAttribute("allow", "encrypted-media; picture-in-picture; fullscreen");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    container.replaceChildren(frame);
    frame.focus();
  }

  function setMenu(toggle, menu, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var load = target.closest("[data-embed-load]");
    if (load) {
      var container = load.closest("[data-embed-src]");
      if (container) { loadPlayer(container); }
      return;
    }
    var toggle = target.closest(".nav-toggle");
    var menu = document.getElementById("public-menu");
    if (toggle && menu) {
      setMenu(toggle, menu, toggle.getAttribute("aria-expanded") !== "true");
    }
  });

  document.addEventListener("keydown", function (event) {
    var toggle = document.querySelector(".nav-toggle");
    var menu = document.getElementById("public-menu");
    if (event.key === "Escape" && toggle && menu && menu.classList.contains("open")) {
      setMenu(toggle, menu, false);
      toggle.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-embed-consent]").forEach(function (el) {
      el.hidden = false;
    });
    var toggle = document.querySelector(".nav-toggle");
    if (toggle) {
      toggle.hidden = false;
      document.documentElement.classList.add("js-menu");
    }
  });
})();
