//! An embed's link with the page it is in (docs/EMBEDDING.md describes it
//! for writers): commands come in and the embed's status, size and
//! explanations go out, through `postMessage`. Any origin may embed the
//! playground, so messages go to the parent whatever its origin (they say
//! nothing private: where a public lesson stands) and commands are taken
//! from the parent window only.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

use super::hooks::{Listening, listen};
use crate::model::embed::{EmbedStatus, HostCommand};
use crate::model::playground::{Action, Playground};

/// While `active` (an embed in a frame), takes the parent page's commands
/// and tells it `status` whenever it changes (the first time as `ready`),
/// the content's height whenever it changes (`size`), and the explanation
/// of what a person clicked (`explain`).
#[hook]
pub fn use_host_page(
    active: bool,
    dispatcher: UseReducerDispatcher<Playground>,
    status: EmbedStatus,
    explanation: Option<String>,
) {
    // The status as last rendered, for a `hello` between changes.
    let latest = use_mut_ref(|| status.clone());
    latest.borrow_mut().clone_from(&status);
    {
        let latest = latest.clone();
        use_effect_with(active, move |&active| {
            let link = active.then(|| HostLink::start(dispatcher, latest));
            move || drop(link)
        });
    }
    let told = use_mut_ref(|| false);
    use_effect_with((active, status), move |(active, status)| {
        if *active {
            let event = if told.replace(true) {
                "status"
            } else {
                "ready"
            };
            post(event, serde_json::to_value(status).ok());
        }
    });
    use_effect_with((active, explanation), |(active, explanation)| {
        if let (true, Some(sentence)) = (*active, explanation) {
            post("explain", Some(serde_json::json!({ "sentence": sentence })));
        }
    });
}

/// Whether the page is in a frame (an embed a host page can talk to).
pub fn framed() -> bool {
    parent().is_some()
}

/// The parent window, unless this is the top window.
fn parent() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &window)).then_some(parent)
}

/// `{ source: "cachescope", event, ...fields }` to the parent page.
fn post(event: &str, fields: Option<serde_json::Value>) {
    let Some(parent) = parent() else { return };
    let mut message = serde_json::json!({ "source": "cachescope", "event": event });
    if let (Some(serde_json::Value::Object(fields)), Some(object)) =
        (fields, message.as_object_mut())
    {
        object.extend(fields);
    }
    if let Ok(value) = js_sys::JSON::parse(&message.to_string()) {
        let _ = parent.post_message(&value, "*");
    }
}

/// The listener for the parent's commands and the observer of the
/// content's height, while the embed lives.
struct HostLink {
    _listening: Listening<dyn Fn(web_sys::MessageEvent)>,
    observer: Option<web_sys::ResizeObserver>,
    _resized: Closure<dyn Fn(wasm_bindgen::JsValue)>,
}

impl HostLink {
    fn start(
        dispatcher: UseReducerDispatcher<Playground>,
        latest: Rc<RefCell<EmbedStatus>>,
    ) -> Self {
        let height = Rc::new(Cell::new(0));
        let listener = {
            let height = height.clone();
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let from_parent = match (event.source(), parent()) {
                    (Some(source), Some(parent)) => js_sys::Object::is(&source, &parent),
                    _ => false,
                };
                let data = event.data();
                let field = |name: &str| js_sys::Reflect::get(&data, &name.into()).ok();
                if !from_parent
                    || field("target").and_then(|t| t.as_string()).as_deref() != Some("cachescope")
                {
                    return;
                }
                let command = field("command")
                    .and_then(|c| c.as_string())
                    .unwrap_or_default();
                match HostCommand::parse(&command, field("part").and_then(|p| p.as_f64())) {
                    Ok(HostCommand::Hello) => {
                        post("status", serde_json::to_value(&*latest.borrow()).ok());
                        height.set(0);
                        post_height(&height);
                    }
                    // A part the narration does not have is refused to the
                    // host, as every other command it cannot follow.
                    Ok(HostCommand::Part(n)) if n > latest.borrow().parts => {
                        let parts = latest.borrow().parts;
                        post(
                            "error",
                            Some(serde_json::json!({
                                "message": format!("there is no part {n}: this run's narration has {parts} parts")
                            })),
                        );
                    }
                    Ok(command) => dispatcher.dispatch(Action::Host(command)),
                    Err(why) => post("error", Some(serde_json::json!({ "message": why }))),
                }
            })
        };
        let window = web_sys::window().map(web_sys::EventTarget::from);
        let resized = Closure::<dyn Fn(wasm_bindgen::JsValue)>::new(move |_| post_height(&height));
        let observer = web_sys::ResizeObserver::new(resized.as_ref().unchecked_ref()).ok();
        if let (Some(observer), Some(main)) = (&observer, content()) {
            observer.observe(&main);
        }
        HostLink {
            _listening: listen(window, "message", listener),
            observer,
            _resized: resized,
        }
    }
}

impl Drop for HostLink {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
    }
}

/// The page's content (the playground's `<main>`).
fn content() -> Option<web_sys::Element> {
    web_sys::window()?
        .document()?
        .query_selector("main.playground")
        .ok()
        .flatten()
}

/// Tells the parent the content's height in CSS pixels, if it changed
/// since `last`: what a frame needs to show all of it without scrolling.
fn post_height(last: &Cell<u32>) {
    let Some(main) = content() else { return };
    let height = main.get_bounding_client_rect().bottom()
        + web_sys::window()
            .and_then(|w| w.scroll_y().ok())
            .unwrap_or(0.0);
    let height = height.ceil() as u32;
    if last.replace(height) != height {
        post("size", Some(serde_json::json!({ "height": height })));
    }
}
