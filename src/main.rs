//! The one binary: natively the `cachescope` command line, in the browser the
//! playground. Both are thin wrappers over the library.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cachescope::cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {
    cachescope::web::start();
}
