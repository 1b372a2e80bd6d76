//! The comparison panel: configurations of the scenario on screen run on
//! the same seed, their figures in one table and one metric of each
//! overlaid in one chart; any of them opens as the run on screen.

use std::rc::Rc;

use yew::prelude::*;

use super::charts::ChartView;
use crate::model::charts::{self, Metric};
use crate::model::compare::{COLUMNS, Outcome, TIMED, TIMED_MEANING, series, why_unfinished};
use crate::model::playground::Variants;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    /// The configurations compared so far.
    pub outcomes: Vec<Rc<Outcome>>,
    /// Whether a comparison is being run.
    pub busy: bool,
    /// Run these configurations.
    pub oncompare: Callback<Variants>,
    /// Empty the table.
    pub onclear: Callback<()>,
    /// Show the configuration at this index as the run on screen.
    pub onopen: Callback<usize>,
}

#[function_component(ComparePanel)]
pub fn compare_panel(props: &CompareProps) -> Html {
    let metric = use_state(|| Metric::StaleReads);
    // The overlay's time axis (to the longest run's end): logarithmic when
    // a person says so, else when the runs' lengths differ tenfold or more
    // (a linear axis would squeeze every shorter run into its first pixels).
    let log_choice = use_state(|| None::<bool>);
    let ends = props.outcomes.iter().map(|o| o.report.end_ms.max(1));
    let (shortest, longest) = ends.fold((u64::MAX, 0), |(lo, hi), end| (lo.min(end), hi.max(end)));
    let log_time = log_choice.unwrap_or(longest >= shortest.saturating_mul(10));
    let onlog = {
        let log_choice = log_choice.clone();
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            log_choice.set(Some(input.checked()));
        })
    };
    let button = |label: &'static str, id: &'static str, variants: Variants| {
        let oncompare = props.oncompare.clone();
        html! {
            <button data-testid={id} disabled={props.busy}
                onclick={Callback::from(move |_: MouseEvent| oncompare.emit(variants))}>{ label }</button>
        }
    };
    let onmetric = {
        let metric = metric.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Some(m) = Metric::ALL.into_iter().find(|m| m.id() == select.value()) {
                metric.set(m);
            }
        })
    };
    let overlay = Rc::new(charts::overlay(*metric, &series(&props.outcomes)));
    // Rows with unfinished requests, each with its footnote's number.
    let notes: Vec<(usize, usize, String)> = props
        .outcomes
        .iter()
        .enumerate()
        .filter_map(|(index, outcome)| why_unfinished(outcome).map(|why| (index, why)))
        .enumerate()
        .map(|(note, (index, why))| (index, note + 1, why))
        .collect();
    let footnote_of = |index: usize| {
        notes
            .iter()
            .find(|(i, ..)| *i == index)
            .map(|(_, mark, _)| *mark)
    };
    html! {
        <section class="panel compare" aria-labelledby="compare-title" data-testid="compare">
            <h3 id="compare-title">{ "Compare configurations (same seed)" }</h3>
            <div class="choices">
                { button("Compare write strategies", "compare-writes", Variants::WriteStrategies) }
                { button("Compare stampede protections", "compare-stampede", Variants::StampedeProtections) }
                { button("Add this configuration", "compare-add", Variants::Current) }
                <button data-testid="compare-clear" disabled={props.outcomes.is_empty()}
                    onclick={{ let onclear = props.onclear.clone(); Callback::from(move |_: MouseEvent| onclear.emit(())) }}>
                    { "Clear" }
                </button>
            </div>
            if props.outcomes.is_empty() {
                <p class="empty">{ "Run the scenario on screen with every write strategy or every stampede protection, or add configurations one by one (change the settings between them)." }</p>
            } else {
                <div class="table-scroll">
                    <table class="metrics" data-testid="compare-table">
                        <thead>
                            <tr>
                                <th scope="col">{ "configuration" }</th>
                                { for COLUMNS.iter().map(|column| html! { <th scope="col" title={column.meaning}>{ column.name }</th> }) }
                                <th scope="col"><span class="visually-hidden">{ "open" }</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            { for props.outcomes.iter().enumerate().map(|(index, outcome)| {
                                let onopen = props.onopen.clone();
                                html! {
                                    <tr data-label={outcome.label.clone()}>
                                        <th scope="row">
                                            <span class="swatch" style={format!("background: {}", super::charts::colour(index))} aria-hidden="true" />
                                            { &outcome.label }
                                            if let Some(mark) = footnote_of(index) {
                                                <sup><a href={format!("#compare-note-{index}")} aria-label="why some requests did not finish">{ mark }</a></sup>
                                            }
                                        </th>
                                        { for COLUMNS.iter().map(|column| html! {
                                            <td data-column={column.name}>{ (column.figure)(&outcome.report) }</td>
                                        }) }
                                        <td>
                                            <button data-testid={format!("compare-open-{index}")}
                                                onclick={Callback::from(move |_: MouseEvent| onopen.emit(index))}
                                                aria-label={format!("Open {} on the timeline", outcome.label)}>
                                                { "Open" }
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                </div>
                // Why a row's figures leave requests out, as footnotes (a
                // sentence in the row would make it many lines tall).
                if !notes.is_empty() {
                    <ol class="compare-notes" data-testid="compare-notes">
                        { for notes.iter().map(|(index, mark, why)| html! {
                            <li id={format!("compare-note-{index}")} data-testid={format!("compare-why-{index}")}>
                                <sup>{ mark }</sup>{ format!(" {}: {why}", props.outcomes[*index].label) }
                            </li>
                        }) }
                    </ol>
                }
                <details class="compare-key" data-testid="compare-key">
                    <summary>{ "What each column counts" }</summary>
                    <dl>
                        { for COLUMNS.iter().map(|column| html! {
                            <><dt>{ column.name }</dt><dd>{ column.meaning }</dd></>
                        }) }
                        if props.outcomes.iter().any(|o| o.label.ends_with(TIMED)) {
                            <dt>{ "(timed)" }</dt><dd>{ TIMED_MEANING }</dd>
                        }
                    </dl>
                </details>
                <label class="overlay-metric">
                    { "Overlay " }
                    <select data-testid="compare-metric" onchange={onmetric}>
                        { for Metric::ALL.into_iter().map(|m| html! {
                            <option value={m.id()} selected={m == *metric}>{ m.overlay_name() }</option>
                        }) }
                    </select>
                </label>
                <label class="overlay-metric">
                    <input type="checkbox" data-testid="compare-log-time" checked={log_time} onchange={onlog} />
                    { format!(" Logarithmic time axis (the runs last {shortest} to {longest} ms)") }
                </label>
                <ChartView chart={overlay} end_ms={longest} cursor_ms={None::<u64>} prefix="overlay" {log_time} />
            }
        </section>
    }
}
