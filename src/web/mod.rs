//! The browser playground: a thin Yew layer over [`crate::model`]. Everything
//! here only renders models into markup and turns input into
//! [`crate::model::playground::Action`]s; what is shown is computed (and
//! tested) natively, and the simulation never sees the browser.
//!
//! - [`app`]: the page, wiring the state to the components.
//! - [`components`]: one component a file.
//! - [`hooks`]: the frame clock, the keyboard, visibility, callbacks.
//! - [`browser`]: the address bar, downloads, the timeline as SVG and PNG.
//! - [`host`]: an embed's messages with the page it is in.
//! - [`state`]: Yew's reducer over the playground, with the page's clock.
//! - [`offload`]: the page's side of its worker (the explorer runs there).
//! - [`worker`]: the worker's side, the `cachescope-worker` binary's loop.

pub mod app;
pub mod browser;
pub mod components;
pub mod hooks;
pub mod host;
pub mod offload;
pub mod state;
pub mod worker;

pub use app::App;

/// Mounts the playground on the page's `<body>`.
pub fn start() {
    install_panic_banner();
    yew::Renderer::<App>::new().render();
}

/// A panic is a bug; make it visible in the page (not only in the console)
/// so a person can report it rather than stare at a frozen page. The
/// banner's "Copy details" button is handled by index.html's boot script:
/// after a panic this module has stopped and runs no handler.
fn install_panic_banner() {
    // Through Yew: its renderer replaces any hook set with std's own
    // set_hook by a console-only one.
    yew::set_custom_panic_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let Some(window) = web_sys::window() else {
            return;
        };
        let Some(document) = window.document() else {
            return;
        };
        let Some(body) = document.body() else { return };
        let details = format!(
            "cachescope {}\n{info}\npage: {}\nbrowser: {}",
            env!("CARGO_PKG_VERSION"),
            window.location().href().unwrap_or_default(),
            window.navigator().user_agent().unwrap_or_default()
        );
        let element = |tag: &str, class: &str, text: &str| {
            let element = document.create_element(tag).ok()?;
            element.set_class_name(class);
            element.set_text_content(Some(text));
            Some(element)
        };
        let (Some(banner), Some(message), Some(area), Some(button)) = (
            element("div", "", ""),
            element(
                "p",
                "",
                "cachescope hit an internal error and stopped. Reload the page to start again, and please report this with the details below.",
            ),
            element("textarea", "panic-details", &details),
            element("button", "panic-copy", "Copy details"),
        ) else {
            return;
        };
        banner.set_id("panic-banner");
        let _ = banner.set_attribute("role", "alert");
        let _ = area.set_attribute("readonly", "");
        let _ = area.set_attribute("aria-label", "Error details");
        let _ = area.set_attribute("rows", "4");
        for child in [&message, &area, &button] {
            let _ = banner.append_child(child);
        }
        let _ = body.prepend_with_node_1(&banner);
    }));
}
