// The page's worker starts here (src/web/offload.rs creates it): it loads
// the worker's glue and WebAssembly module from beside this file. If the
// module cannot load, it tells the page, which shows why in the explorer
// panel (a failure inside a worker's promise never reaches the page by
// itself).
"use strict";
importScripts("./cachescope-worker.js");
wasm_bindgen({ module_or_path: "./cachescope-worker_bg.wasm" }).catch(function (error) {
  postMessage(JSON.stringify({ Failed: "the worker's module did not load: " + String(error) }));
});
