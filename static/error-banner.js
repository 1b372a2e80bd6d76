// The error banner's "Copy details" button. Plain JavaScript on purpose:
// after a panic the WebAssembly module has stopped and cannot run a click
// handler, so the banner (written by the panic hook in src/web/mod.rs)
// must work without it. Also shows the banner if the module never starts.
"use strict";
(function () {
  function copy(button) {
    var banner = button.closest("#panic-banner");
    var details = banner && banner.querySelector(".panic-details");
    if (!details) return;
    var done = function (ok) {
      button.textContent = ok ? "Copied" : "Select the details and copy them";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(details.value).then(
        function () { done(true); },
        function () { details.select(); done(false); }
      );
    } else {
      details.select();
      done(false);
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#panic-banner .panic-copy");
    if (button) copy(button);
  });
  // The module failed to load or start (a browser without WebAssembly, a
  // truncated download): say so instead of leaving a blank page.
  window.addEventListener("unhandledrejection", function (event) {
    if (document.getElementById("panic-banner") || document.querySelector("main.playground")) return;
    var banner = document.createElement("div");
    banner.id = "panic-banner";
    banner.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = "cachescope could not start in this browser: " + (event.reason && event.reason.message || event.reason);
    banner.appendChild(text);
    document.body.prepend(banner);
  });
})();
