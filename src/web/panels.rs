//! The page's side panels: the state inspector, the lesson narration, the
//! operations list and the scenario loader. Each turns a plain-data view
//! into markup.

use yew::prelude::*;

use crate::model::narration::Beat;
use crate::model::view::{Inspector, PendingRow, StepRow};

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The state at the cursor.
    pub inspector: Inspector,
    /// Operations in flight.
    pub pending: Vec<PendingRow>,
}

/// The state inspector: cache, database, bus, outbox, in flight; what the
/// last step changed is highlighted (and marked with a dot, not only by
/// colour).
#[function_component(InspectorPanel)]
pub fn inspector_panel(props: &InspectorProps) -> Html {
    let i = &props.inspector;
    let changed = |changed: bool| classes!(changed.then_some("changed"));
    html! {
        <section class="panel inspector" aria-labelledby="inspector-title" data-testid="inspector">
            <h3 id="inspector-title">{ "Inspector (at the cursor)" }</h3>
            <div class="inspector-grid">
                <div>
                    <h4>{ "Cache" }</h4>
                    <table data-testid="cache-table">
                        <thead><tr>
                            <th scope="col">{ "key" }</th><th scope="col">{ "value" }</th>
                            <th scope="col">{ "TTL" }</th><th scope="col">{ "lease / lock" }</th>
                        </tr></thead>
                        <tbody>
                            { for i.cache.iter().map(|row| html! {
                                <tr key={row.key.clone()} class={classes!(changed(row.changed), row.diverged.then_some("diverged"))}>
                                    <th scope="row">{ &row.key }</th>
                                    <td data-testid="cache-cell">{ &row.value }</td>
                                    <td data-testid="cache-ttl">{ &row.ttl }</td>
                                    <td data-testid="cache-hold">{ &row.hold }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                <div>
                    <h4>{ "Database" }</h4>
                    <table data-testid="db-table">
                        <thead><tr><th scope="col">{ "key" }</th><th scope="col">{ "row" }</th></tr></thead>
                        <tbody>
                            { for i.db.iter().map(|row| html! {
                                <tr key={row.key.clone()} class={changed(row.changed)}>
                                    <th scope="row">{ &row.key }</th>
                                    <td data-testid="db-cell">{ format!("{} @{}", row.value, row.version) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                if !i.partitions.is_empty() {
                    <div>
                        <h4>{ "Event bus" }</h4>
                        <ul class="partitions" data-testid="partitions">
                            { for i.partitions.iter().map(|p| html! {
                                <li class={changed(p.changed)} data-testid="partition">
                                    <strong>{ format!("partition {}", p.index) }</strong>
                                    if p.busy { { " · consumer busy" } }
                                    if p.in_transit.is_empty() && p.queued.is_empty() {
                                        <span class="empty">{ " · empty" }</span>
                                    }
                                    <ul>
                                        { for p.in_transit.iter().map(|e| html! { <li>{ "on the way: " }{ e }</li> }) }
                                        { for p.queued.iter().map(|e| html! { <li>{ "queued: " }{ e }</li> }) }
                                    </ul>
                                </li>
                            }) }
                        </ul>
                    </div>
                }
                if !i.outbox.is_empty() {
                    <div>
                        <h4>{ "Outbox" }</h4>
                        <table data-testid="outbox">
                            <thead><tr><th scope="col">{ "row" }</th><th scope="col">{ "state" }</th></tr></thead>
                            <tbody>
                                { for i.outbox.iter().map(|row| html! {
                                    <tr class={changed(row.changed)}>
                                        <td>{ &row.event }</td>
                                        <td>{ if row.sent { "sent" } else { "not sent" } }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                }
                <div>
                    <h4 id="pending-title">{ "In flight" }</h4>
                    if props.pending.is_empty() {
                        <p class="empty">{ "Nothing in flight." }</p>
                    } else {
                        <ul data-testid="pending">
                            { for props.pending.iter().map(|row| html! {
                                <li><strong>{ &row.actor }</strong>{ " " }<code>{ &row.operation }</code>{ " — " }{ &row.when }</li>
                            }) }
                        </ul>
                    }
                </div>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    /// The lesson's beats.
    pub beats: &'static [Beat],
    /// Where each is reached in this run.
    pub positions: Vec<Option<usize>>,
    /// The beat showing.
    pub current: usize,
    /// Next / previous.
    pub onnext: Callback<MouseEvent>,
    pub onprevious: Callback<MouseEvent>,
}

/// The lesson's narration: the beat the model has reached, and buttons to
/// go to where the next (or previous) one is reached.
#[function_component(NarrationPanel)]
pub fn narration_panel(props: &NarrationProps) -> Html {
    let Some(beat) = props.beats.get(props.current) else {
        return html! {};
    };
    let total = props.beats.len();
    let next_reached = props
        .positions
        .get(props.current + 1)
        .is_some_and(Option::is_some);
    html! {
        <section class="narration" aria-labelledby="narration-title" data-testid="narration">
            <h3 id="narration-title" class="visually-hidden">{ "Lesson narration" }</h3>
            <p class="beat-count" data-testid="beat-count">{ format!("{} of {}", props.current + 1, total) }</p>
            <p class="beat" data-testid="beat" aria-live="polite">{ beat.text }</p>
            <div class="beat-nav">
                <button data-testid="beat-previous" onclick={props.onprevious.clone()}
                    disabled={props.current == 0}>
                    { "◀ Previous" }
                </button>
                <button data-testid="beat-next" onclick={props.onnext.clone()}
                    disabled={props.current + 1 >= total}
                    title={if next_reached { "Run until the model gets there" } else { "This run never gets there" }}>
                    { "Next ▶" }
                </button>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct StepsProps {
    /// Every operation so far.
    pub rows: Vec<StepRow>,
    /// How many earlier rows were left out.
    pub earlier: usize,
}

/// The latest operations, in the order they took effect.
#[function_component(StepsPanel)]
pub fn steps_panel(props: &StepsProps) -> Html {
    let last = props.rows.last().map_or(0, |r| r.number);
    html! {
        <section class="panel steps" aria-labelledby="steps-title">
            <h3 id="steps-title">{ "Operations, in the order they took effect" }</h3>
            if props.rows.is_empty() {
                <p class="empty">{ "Nothing has happened yet. Press Step or Play." }</p>
            } else {
                if props.earlier > 0 {
                    <p class="empty">{ format!("… {} earlier operation(s): see the timeline.", props.earlier) }</p>
                }
                <ol data-testid="steps" start={props.rows[0].number.to_string()}>
                    { for props.rows.iter().map(|row| html! {
                        <li key={row.number} data-testid="step-row" class={classes!((row.number == last).then_some("latest"))}>
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

#[derive(Properties, PartialEq)]
pub struct LoaderProps {
    /// The scenario on screen, as JSON, to start editing from.
    pub current: String,
    /// Run this JSON.
    pub onload: Callback<String>,
    /// A picked file could not be read.
    pub onerror: Callback<String>,
}

/// Run your own scenario: the command line's JSON, pasted, edited or
/// imported from a file (a file is run at once, and shown for editing).
#[function_component(ScenarioLoader)]
pub fn scenario_loader(props: &LoaderProps) -> Html {
    let text = use_state(String::new);
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            text.set(area.value());
        })
    };
    let onload = {
        let (text, onload) = (text.clone(), props.onload.clone());
        Callback::from(move |_: MouseEvent| onload.emit((*text).clone()))
    };
    let oncopy = {
        let (text, current) = (text.clone(), props.current.clone());
        Callback::from(move |_: MouseEvent| text.set(current.clone()))
    };
    let onfile = {
        let (text, onload, onerror) = (text.clone(), props.onload.clone(), props.onerror.clone());
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            // The same file picked again must fire again.
            input.set_value("");
            let (text, onload, onerror) = (text.clone(), onload.clone(), onerror.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match super::share::read_file(file).await {
                    Ok(contents) => {
                        text.set(contents.clone());
                        onload.emit(contents);
                    }
                    Err(why) => onerror.emit(format!("The file was not imported: {why}.")),
                }
            });
        })
    };
    html! {
        <details class="panel loader">
            <summary>{ "Run your own scenario (JSON, as the command line reads it)" }</summary>
            <label class="import">{ "Import a scenario file: " }
                <input type="file" data-testid="scenario-file" accept=".json,application/json" onchange={onfile} />
            </label>
            <label for="scenario-json">{ "Scenario" }</label>
            <textarea id="scenario-json" data-testid="scenario-json" rows="10" spellcheck="false"
                value={(*text).clone()} {oninput} />
            <div class="loader-buttons">
                <button data-testid="scenario-edit-current" onclick={oncopy}>{ "Start from the scenario on screen" }</button>
                <button data-testid="scenario-load" class="primary" onclick={onload}>{ "Run this scenario" }</button>
            </div>
        </details>
    }
}
