// cachescope embeds on a page: copy this file beside your pages and load it
// with <script src="embed-host.js"></script> (docs/EMBEDDING.md).
//
// - Every cachescope frame takes the height of its content.
// - A button with data-cachescope="FRAME-ID" data-command="play" (or
//   pause, step, back, reset, run-to-end, or part with data-part="N")
//   drives that frame.
// - An element with id "FRAME-ID-status" follows the lesson: its part,
//   and the sentence a reader's click on the diagram explains.
// - cachescope(frame, command, part) sends a command from your own code.
"use strict";
function cachescope(frame, command, part) {
  var origin = new URL(frame.src, location.href).origin;
  frame.contentWindow.postMessage({ target: "cachescope", command: command, part: part }, origin);
}
window.addEventListener("message", function (event) {
  var data = event.data;
  if (!data || data.source !== "cachescope") return;
  var frame = Array.prototype.find.call(document.querySelectorAll("iframe"), function (f) {
    return f.contentWindow === event.source;
  });
  if (!frame) return;
  if (data.event === "size") frame.style.height = data.height + "px";
  var status = document.getElementById(frame.id + "-status");
  if (!status) return;
  if (data.event === "ready" || data.event === "status") {
    status.textContent = "Part " + data.part + " of " + data.parts + (data.done ? " (the end)" : "");
  } else if (data.event === "explain") {
    status.textContent = data.sentence;
  }
});
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-cachescope]");
  if (!button) return;
  var frame = document.getElementById(button.dataset.cachescope);
  if (frame) cachescope(frame, button.dataset.command, button.dataset.part && Number(button.dataset.part));
});
