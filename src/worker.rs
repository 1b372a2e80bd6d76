//! The playground's worker: a second WebAssembly module the page loads on
//! first use, which runs the explorer off the page's thread
//! ([`cachescope::web::worker`]). Built by Trunk (index.html) with the
//! `worker` feature.

#[cfg(target_arch = "wasm32")]
fn main() {
    cachescope::web::worker::serve();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("cachescope-worker runs in the browser, as the playground's worker (see index.html)");
    std::process::exit(2);
}
