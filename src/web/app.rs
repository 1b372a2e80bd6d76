//! The page.

use yew::prelude::*;

use super::state::{Action, Playground};
use super::timeline::{Selection, TimelineView};
use crate::explain::{self, Explanation};
use crate::lessons::LESSONS;
use crate::sim::Report;
use crate::sim::engine::DivergenceKind;
use crate::sim::report::Requests;
use crate::view::{self, KeyRow, PendingRow, StepRow};

/// The whole playground.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| Playground::new(&LESSONS[0]));
    let dispatch = |action: Action| {
        let state = state.dispatcher();
        Callback::from(move |_: MouseEvent| state.dispatch(action.clone()))
    };
    use_keyboard(state.dispatcher());
    let sim = state.recording.current();
    let finished = state.finished();
    let taken = state.steps_taken();
    let total = state.total_steps();
    let onseek = {
        let state = state.dispatcher();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            if let Ok(step) = input.value().parse() {
                state.dispatch(Action::Seek(step));
            }
        })
    };
    // The report at the cursor; the recording keeps the trace (the
    // simulation at the cursor records none).
    let report = {
        let mut report = Report::of(sim, false);
        report.trace = Some(state.recording.trace().to_vec());
        report
    };
    let timeline = crate::timeline::layout(&report);
    let selected = use_state(|| None::<Selection>);
    let explanation = (*selected).and_then(|selection| explain_selection(&report, selection));
    let onselect = {
        let selected = selected.clone();
        Callback::from(move |selection| selected.set(Some(selection)))
    };
    let axis_end_ms = state.recording.full_trace().last().map_or(0, |e| e.end_ms);
    let onschedule = {
        let state = state.dispatcher();
        Callback::from(move |actor: String| state.dispatch(Action::Schedule(actor)))
    };

    html! {
        <main class="playground">
            <header class="masthead">
                <h1>{ "cachescope" }</h1>
                <p class="tagline">{ "How caches drift from their database, one operation at a time." }</p>
            </header>
            <section class="lesson" aria-labelledby="lesson-title">
                <LessonPicker current={state.lesson.name} onselect={
                    let state = state.dispatcher();
                    Callback::from(move |index| state.dispatch(Action::SelectLesson(index)))
                } />
                <h2 id="lesson-title" data-testid="lesson-title">{ state.lesson.title }</h2>
                <p>{ state.lesson.text }</p>
            </section>
            <div class="transport" role="toolbar" aria-label="Run controls">
                <button data-testid="reset" onclick={dispatch(Action::Reset)}>
                    { "Reset" }
                </button>
                <button data-testid="step-back" onclick={dispatch(Action::StepBack)} disabled={taken == 0}
                    aria-label="Step back">
                    { "◀ Back" }
                </button>
                <button data-testid="step" class="primary" onclick={dispatch(Action::Step)} disabled={finished}>
                    { "Step" }
                </button>
                <button data-testid="run" onclick={dispatch(Action::RunToEnd)} disabled={finished}>
                    { "Run to end" }
                </button>
                <input type="range" class="scrubber" data-testid="scrubber" aria-label="Position in the run (steps)"
                    min="0" max={total.to_string()} value={taken.to_string()} oninput={onseek} />
                <span class="clock" data-testid="clock" aria-live="polite">
                    { format!("t = {} ms · step {} of {}", sim.now_ms(), taken, total) }
                    if finished { { " · done" } }
                </span>
            </div>
            if let Some(message) = &state.message {
                <p class="message" role="alert" data-testid="message">{ message }</p>
            }
            <SchedulerPanel actors={sim.schedulable()} onschedule={onschedule} />
            <TimelineView {timeline} {axis_end_ms} now_ms={sim.now_ms()}
                highlight={explanation.as_ref().map(|e| e.steps.clone()).unwrap_or_default()} {onselect} />
            if let Some(explanation) = &explanation {
                <p class="explanation" data-testid="explanation" aria-live="polite">{ &explanation.sentence }</p>
            } else {
                <p class="explanation hint">{ "Click a stale read (triangle) or a hatched window to see what caused it." }</p>
            }
            <div class="panels">
                <KeysPanel rows={view::key_rows(sim)} />
                <PendingPanel rows={view::pending_rows(sim)} />
            </div>
            <StepsPanel rows={view::step_rows(state.recording.trace())} />
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct LessonPickerProps {
    current: &'static str,
    onselect: Callback<usize>,
}

#[function_component(LessonPicker)]
fn lesson_picker(props: &LessonPickerProps) -> Html {
    let onchange = {
        let onselect = props.onselect.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Ok(index) = select.value().parse() {
                onselect.emit(index);
            }
        })
    };
    html! {
        <label class="lesson-picker">
            { "Lesson " }
            <select data-testid="lesson" {onchange}>
                { for LESSONS.iter().enumerate().map(|(index, lesson)| html! {
                    <option value={index.to_string()} selected={lesson.name == props.current}>
                        { lesson.name }
                    </option>
                }) }
            </select>
        </label>
    }
}

#[derive(Properties, PartialEq)]
struct SchedulerProps {
    actors: Vec<String>,
    onschedule: Callback<String>,
}

/// Be the scheduler: every actor that could go next is a button; pressing
/// one makes its pending operation take effect next (forking the run here).
#[function_component(SchedulerPanel)]
fn scheduler_panel(props: &SchedulerProps) -> Html {
    html! {
        <section class="panel scheduler" aria-labelledby="scheduler-title">
            <h3 id="scheduler-title">{ "Be the scheduler: who goes next?" }</h3>
            if props.actors.is_empty() {
                <p class="empty">{ "Nobody has anything pending." }</p>
            } else {
                <div class="choices" data-testid="scheduler">
                    { for props.actors.iter().map(|actor| {
                        let onclick = {
                            let onschedule = props.onschedule.clone();
                            let actor = actor.clone();
                            Callback::from(move |_: MouseEvent| onschedule.emit(actor.clone()))
                        };
                        html! {
                            <button data-testid={format!("schedule-{actor}")} {onclick}
                                title={format!("Make {actor}'s pending operation take effect next")}>
                                { actor }
                            </button>
                        }
                    }) }
                </div>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct KeysProps {
    rows: Vec<KeyRow>,
}

#[function_component(KeysPanel)]
fn keys_panel(props: &KeysProps) -> Html {
    html! {
        <section class="panel" aria-labelledby="keys-title">
            <h3 id="keys-title">{ "Cache and database now" }</h3>
            <table data-testid="keys">
                <thead><tr><th scope="col">{ "key" }</th><th scope="col">{ "cache" }</th><th scope="col">{ "database" }</th></tr></thead>
                <tbody>
                    { for props.rows.iter().map(|row| html! {
                        <tr class={classes!(row.diverged.then_some("diverged"))}>
                            <th scope="row">{ &row.key }</th>
                            <td data-testid="cache-cell">{ &row.cache }</td>
                            <td data-testid="db-cell">{ &row.db }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct PendingProps {
    rows: Vec<PendingRow>,
}

#[function_component(PendingPanel)]
fn pending_panel(props: &PendingProps) -> Html {
    html! {
        <section class="panel" aria-labelledby="pending-title">
            <h3 id="pending-title">{ "In flight" }</h3>
            if props.rows.is_empty() {
                <p class="empty">{ "Nothing in flight." }</p>
            } else {
                <ul data-testid="pending">
                    { for props.rows.iter().map(|row| html! {
                        <li><strong>{ &row.actor }</strong>{ " " }<code>{ &row.operation }</code>{ " — " }{ &row.when }</li>
                    }) }
                </ul>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct StepsProps {
    rows: Vec<StepRow>,
}

#[function_component(StepsPanel)]
fn steps_panel(props: &StepsProps) -> Html {
    let last = props.rows.len();
    html! {
        <section class="panel steps" aria-labelledby="steps-title">
            <h3 id="steps-title">{ "Operations, in the order they took effect" }</h3>
            if props.rows.is_empty() {
                <p class="empty">{ "Nothing has happened yet. Press Step." }</p>
            } else {
                <ol data-testid="steps">
                    { for props.rows.iter().map(|row| html! {
                        <li data-testid="step-row" class={classes!((row.number == last).then_some("latest"))}>
                            <span class="when">{ &row.when }</span>
                            <span class="actor">{ &row.actor }</span>
                            <code class="op">{ &row.operation }</code>
                            <span class="result">{ &row.result }</span>
                        </li>
                    }) }
                </ol>
            }
        </section>
    }
}

/// The explanation of a clicked anomaly, if it still exists at the cursor
/// and can be explained.
fn explain_selection(report: &Report, selection: Selection) -> Option<Explanation> {
    let trace = report.trace.as_deref()?;
    match selection {
        Selection::Window(index) => {
            // Only stale windows are explained so far (not ahead ones).
            let window = report
                .divergence
                .get(index)
                .filter(|w| w.kind == DivergenceKind::Stale)?;
            explain::stale_window(trace, &window.key, window.from_ms, window.to_ms)
        }
        Selection::Read(index) => match &report.requests {
            Requests::Listed(requests) => explain::stale_read(trace, requests.get(index)?),
            Requests::Counted(_) => None,
        },
    }
}

/// Keyboard shortcuts for the transport, anywhere on the page except in a
/// form field (which keeps its own keys): right arrow or `.` steps, left
/// arrow steps back, Home goes to the start, End to the end.
#[hook]
fn use_keyboard(dispatcher: UseReducerDispatcher<Playground>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use_effect_with((), move |_| {
        let listener =
            Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
                let in_field = event
                    .target()
                    .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|element| {
                        matches!(element.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                    });
                if in_field || event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let action = match event.key().as_str() {
                    "ArrowRight" | "." => Action::Step,
                    "ArrowLeft" => Action::StepBack,
                    "Home" => Action::Seek(0),
                    "End" => Action::RunToEnd,
                    _ => return,
                };
                event.prevent_default();
                dispatcher.dispatch(action);
            });
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(document) = &document {
            // Registration only fails for a non-function, which this is not.
            let _ = document
                .add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        }
        move || {
            if let Some(document) = &document {
                let _ = document.remove_event_listener_with_callback(
                    "keydown",
                    listener.as_ref().unchecked_ref(),
                );
            }
            drop(listener);
        }
    });
}
