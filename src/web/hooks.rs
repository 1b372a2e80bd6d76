//! The page's hooks and browser events: the animation-frame clock, the
//! keyboard, pausing when the tab is hidden, and callbacks that dispatch
//! actions.

use yew::prelude::*;

use crate::model::playground::{Action, Playground};

/// A callback dispatching `action` of its value, made once (the same
/// callback on every render).
#[hook]
pub fn use_action<T: 'static>(
    dispatcher: UseReducerDispatcher<Playground>,
    action: fn(T) -> Action,
) -> Callback<T> {
    use_callback((), move |value: T, _| dispatcher.dispatch(action(value)))
}

/// A slider's input events as actions: its value parsed, and `action` of
/// it dispatched (a value that does not parse is ignored).
pub fn on_slider<T: std::str::FromStr + 'static>(
    dispatcher: UseReducerDispatcher<Playground>,
    action: fn(T) -> Action,
) -> Callback<InputEvent> {
    Callback::from(move |event: InputEvent| {
        let input: web_sys::HtmlInputElement = event.target_unchecked_into();
        if let Ok(value) = input.value().parse() {
            dispatcher.dispatch(action(value));
        }
    })
}

/// Whether the person asked for less motion.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}

/// While `active`, dispatches `action(elapsed real ms)` once per animation
/// frame: one render per frame, in step with the display (a timer would
/// sometimes land two renders in one frame). Playing ticks the playback
/// clock this way; exploring counts a slice.
#[hook]
pub fn use_every_frame(
    active: bool,
    dispatcher: UseReducerDispatcher<Playground>,
    action: fn(f64) -> Action,
) {
    use std::cell::Cell;
    use std::rc::Rc;
    use_effect_with(active, move |&active| {
        let running = Rc::new(Cell::new(active));
        if active {
            next_frame(running.clone(), dispatcher, action, now_ms());
        }
        move || running.set(false)
    });

    /// Asks for the next frame with a one-shot callback (freed once called),
    /// which dispatches and asks again while still active.
    fn next_frame(
        running: Rc<Cell<bool>>,
        dispatcher: UseReducerDispatcher<Playground>,
        action: fn(f64) -> Action,
        last: f64,
    ) {
        super::browser::at_next_frame(move |now| {
            if running.get() {
                dispatcher.dispatch(action(now - last));
                next_frame(running, dispatcher, action, now);
            }
        });
    }
}

/// When the simulator is warmed up (a second after the page opens, when a
/// person has not yet loaded anything large), with how many
/// operations, and how many steps a slice between frames takes (a few
/// milliseconds before optimisation, so a click meanwhile is answered at
/// once).
const WARM_UP_AFTER_MS: u32 = 1_000;
const WARM_UP_OPERATIONS: u64 = 20_000;
const WARM_UP_SLICE_STEPS: usize = 512;

/// Warms the simulator up once, in slices, soon after the page opens, if
/// `wanted` (see [`crate::model::compare::WarmUp`]; an embed, which runs
/// no large workloads, does not), and notes on the document element how
/// long that took in all (`data-warmed-up`, in ms of slices).
#[hook]
pub fn use_warm_up(wanted: bool) {
    use_effect_with(wanted, |&wanted| {
        if wanted {
            let warm_up = crate::model::compare::WarmUp::new(WARM_UP_OPERATIONS);
            warm_up_later(warm_up, WARM_UP_AFTER_MS, 0.0);
        }
    });
}

/// The next slice of `warm_up`, `after_ms` from now, `spent_ms` spent so far.
fn warm_up_later(mut warm_up: crate::model::compare::WarmUp, after_ms: u32, spent_ms: f64) {
    gloo_timers::callback::Timeout::new(after_ms, move || {
        let started = now_ms();
        let done = warm_up.slice(WARM_UP_SLICE_STEPS);
        if done {
            read_a_run(&warm_up);
        }
        let spent_ms = spent_ms + now_ms() - started;
        if !done {
            warm_up_later(warm_up, 0, spent_ms);
        } else {
            super::browser::note_on_page("data-warmed-up", &format!("{spent_ms:.0}"));
        }
    })
    .forget();
}

/// Reads a run's result as the page reads one from its worker: the first
/// reply of its kind otherwise takes a long frame (measured: 60 ms where a
/// warm one takes 10 to 17), while the browser compiles the code that
/// reads it.
fn read_a_run(warm_up: &crate::model::compare::WarmUp) {
    use crate::model::playground::FromWorker;
    if let Some(ran) = warm_up.ran() {
        let reply = FromWorker::Ran {
            job: 0,
            ran: Box::new(ran),
            busy_ms: 0.0,
            left: 0,
        };
        let _ = FromWorker::read(&reply.to_json());
    }
}

/// The page's monotonic clock (`performance.now()`), in milliseconds.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Keyboard shortcuts (listed for people in [`super::sharing::SHORTCUTS`]),
/// anywhere on the page except in a form field (which keeps its own keys):
/// space or `.` plays or pauses, the arrows step, Home and End go to the
/// start and the end, PageDown/PageUp move by lesson part (a presentation
/// remote's keys), `e` shows or hides the editing panels in presenter
/// mode, `?` lists the shortcuts and Escape closes the list or the embed
/// dialog.
#[hook]
pub fn use_keyboard(
    dispatcher: UseReducerDispatcher<Playground>,
    help: UseStateSetter<bool>,
    embedding: UseStateSetter<bool>,
    tools: UseReducerDispatcher<Toggle>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use_effect_with((), move |_| {
        let listener =
            Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
                let tag = event
                    .target()
                    .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                    .map(|element| element.tag_name())
                    .unwrap_or_default();
                let in_field = matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA");
                if event.key() == "Escape" {
                    help.set(false);
                    embedding.set(false);
                    return;
                }
                if in_field || event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let action = match event.key().as_str() {
                    // On a focused button, space presses that button.
                    " " if tag != "BUTTON" && tag != "SUMMARY" => Action::TogglePlay,
                    "." => Action::TogglePlay,
                    "ArrowRight" => Action::Step,
                    "ArrowLeft" => Action::StepBack,
                    "PageDown" => Action::Advance,
                    "PageUp" => Action::Retreat,
                    "Home" => Action::Seek(0),
                    "End" => Action::RunToEnd,
                    "e" => {
                        tools.dispatch(());
                        return;
                    }
                    "?" => {
                        event.prevent_default();
                        dispatcher.dispatch(Action::Pause);
                        help.set(true);
                        return;
                    }
                    _ => return,
                };
                event.prevent_default();
                dispatcher.dispatch(action);
            });
        let cleanup = listen(document_target(), "keydown", listener);
        move || drop(cleanup)
    });
}

/// A flag flipped by dispatching `()`: a toggle whose dispatcher, unlike
/// a state handle, never holds a stale value (the keyboard listener is
/// registered once).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Toggle(pub bool);

impl Reducible for Toggle {
    type Action = ();
    fn reduce(self: std::rc::Rc<Self>, _: ()) -> std::rc::Rc<Self> {
        std::rc::Rc::new(Toggle(!self.0))
    }
}

/// Pauses playback when the tab is hidden (a presenter switching slides
/// comes back to the step they left, not to the end of the run).
#[hook]
pub fn use_pause_when_hidden(dispatcher: UseReducerDispatcher<Playground>) {
    use wasm_bindgen::closure::Closure;
    use_effect_with((), move |_| {
        let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
            let hidden = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.hidden());
            if hidden {
                dispatcher.dispatch(Action::Pause);
            }
        });
        let cleanup = listen(document_target(), "visibilitychange", listener);
        move || drop(cleanup)
    });
}

pub(super) fn document_target() -> Option<web_sys::EventTarget> {
    web_sys::window()
        .and_then(|w| w.document())
        .map(web_sys::EventTarget::from)
}

/// A listener registered on `target` until this is dropped.
pub(super) struct Listening<E: ?Sized> {
    target: Option<web_sys::EventTarget>,
    event: &'static str,
    listener: wasm_bindgen::closure::Closure<E>,
}

impl<E: ?Sized> Drop for Listening<E> {
    fn drop(&mut self) {
        use wasm_bindgen::JsCast;
        if let Some(target) = &self.target {
            let _ = target.remove_event_listener_with_callback(
                self.event,
                self.listener.as_ref().unchecked_ref(),
            );
        }
    }
}

pub(super) fn listen<E: ?Sized>(
    target: Option<web_sys::EventTarget>,
    event: &'static str,
    listener: wasm_bindgen::closure::Closure<E>,
) -> Listening<E> {
    use wasm_bindgen::JsCast;
    if let Some(target) = &target {
        // Registration only fails for a non-function, which this is not.
        let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    Listening {
        target,
        event,
        listener,
    }
}

/// The size of `node`'s content box in CSS pixels, kept current by a
/// `ResizeObserver` (`None` until it first reports): reading it costs no
/// layout, where asking the element would force one every frame.
#[hook]
pub fn use_size(node: NodeRef) -> Option<(f64, f64)> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let size = use_state_eq(|| None::<(f64, f64)>);
    {
        let setter = size.setter();
        use_effect_with(node, move |node| {
            let resized = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
                // The latest entry says how it stands now.
                let last = entries.get(entries.length().saturating_sub(1));
                if let Ok(entry) = last.dyn_into::<web_sys::ResizeObserverEntry>() {
                    let rect = entry.content_rect();
                    setter.set(Some((rect.width(), rect.height())));
                }
            });
            let observer = web_sys::ResizeObserver::new(resized.as_ref().unchecked_ref()).ok();
            if let (Some(observer), Some(element)) = (&observer, node.cast::<web_sys::Element>()) {
                observer.observe(&element);
            }
            move || {
                if let Some(observer) = observer {
                    observer.disconnect();
                }
                drop(resized);
            }
        });
    }
    *size
}

/// Whether any of `node` is on screen, kept current by an
/// `IntersectionObserver` (`false` until it first reports): what is off
/// screen need not be drawn.
#[hook]
pub fn use_on_screen(node: NodeRef) -> bool {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let on_screen = use_state_eq(|| false);
    {
        let setter = on_screen.setter();
        use_effect_with(node, move |node| {
            let seen = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
                // The latest entry says how it stands now.
                let last = entries.get(entries.length().saturating_sub(1));
                if let Ok(entry) = last.dyn_into::<web_sys::IntersectionObserverEntry>() {
                    setter.set(entry.is_intersecting());
                }
            });
            let observer = web_sys::IntersectionObserver::new(seen.as_ref().unchecked_ref()).ok();
            if let (Some(observer), Some(element)) = (&observer, node.cast::<web_sys::Element>()) {
                observer.observe(&element);
            }
            move || {
                if let Some(observer) = observer {
                    observer.disconnect();
                }
                drop(seen);
            }
        });
    }
    *on_screen
}
