//! The browser playground: a thin Yew layer over [`crate::sim`]. Everything
//! here only turns user input into [`state::Action`]s and plain-data views
//! ([`crate::view`]) into markup; the simulation itself never sees the browser.

pub mod aggregated;
pub mod app;
pub mod charts;
pub mod compare;
pub mod explorer;
pub mod faults;
pub mod knobs;
pub mod panels;
pub mod state;
pub mod strip;
pub mod timeline;

pub use app::App;

/// Mounts the playground on the page's `<body>`.
pub fn start() {
    install_panic_banner();
    yew::Renderer::<App>::new().render();
}

/// A panic is a bug; make it visible in the page (not only in the console)
/// so a person can report it rather than stare at a frozen page.
fn install_panic_banner() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(body) = document.body() else { return };
        if let Ok(banner) = document.create_element("div") {
            banner.set_id("panic-banner");
            banner.set_attribute("role", "alert").ok();
            banner.set_text_content(Some(&format!(
                "cachescope hit an internal error and stopped. Please reload the page and report this: {info}"
            )));
            body.prepend_with_node_1(&banner).ok();
        }
    }));
}
