//! A run too large to draw operation by operation (a 100,000-request
//! workload), shown aggregated: per bucket of time, how busy each part of
//! the system was and where anomalies happened, as a density strip with a
//! time cursor; the report's figures beside it.

use std::rc::Rc;

use yew::prelude::*;

use crate::model::charts;
use crate::model::compare::{COLUMNS, Outcome};
use crate::sim::report::Requests;
use crate::sim::scenario::Millis;

#[derive(Properties, PartialEq)]
pub struct AggregatedProps {
    /// The run.
    pub outcome: Rc<Outcome>,
    /// Milliseconds spent simulating it (0: not simulated for this view).
    pub busy_ms: f64,
    /// Simulated in the page's worker, not its thread.
    pub in_worker: bool,
    /// The cursor.
    pub cursor_ms: Millis,
    /// The time cursor's input events (the page parses and dispatches them
    /// as it does for its other sliders).
    pub onseek: Callback<InputEvent>,
}

const LANE_HEIGHT: f64 = 22.0;
const LABEL_WIDTH: f64 = 140.0;
const PLOT_WIDTH: f64 = 760.0;

#[function_component(AggregatedView)]
pub fn aggregated_view(props: &AggregatedProps) -> Html {
    let outcome = &props.outcome;
    let report = &outcome.report;
    let lanes = charts::density(&outcome.series, &outcome.windows, report.end_ms);
    let width_ms = outcome.series.width_ms();
    let buckets = outcome.series.buckets().len().max(1);
    let cell = PLOT_WIDTH / buckets as f64;
    let x_of = |ms: Millis| LABEL_WIDTH + ms as f64 / width_ms as f64 * cell;
    let requests = match &report.requests {
        Requests::Counted(counts) => counts.reads + counts.writes,
        Requests::Listed(list) => list.len() as u64,
    };
    let ops_per_s = if props.busy_ms > 0.0 {
        outcome.operations as f64 / (props.busy_ms / 1000.0)
    } else {
        0.0
    };
    let height = LANE_HEIGHT * lanes.len() as f64 + 24.0;
    let at_cursor = (props.cursor_ms / width_ms) as usize;
    let cursor_values: Vec<String> = lanes
        .iter()
        .map(|lane| {
            let value = lane.values.get(at_cursor).copied().unwrap_or(0.0);
            format!("{} {}", lane.name, (value * 100.0).round() / 100.0)
        })
        .collect();
    html! {
        <section class="panel aggregated" aria-labelledby="aggregated-title" data-testid="aggregated"
            data-operations={outcome.operations.to_string()} data-requests={requests.to_string()}
            data-busy-ms={format!("{:.1}", props.busy_ms)} data-ops-per-s={format!("{ops_per_s:.0}")}
            data-simulated-in={if props.in_worker { "worker" } else { "page" }}>
            <h3 id="aggregated-title">{ format!("{requests} requests, {} operations: shown aggregated", outcome.operations) }</h3>
            <p class="hint">
                { format!("Too many operations to draw one by one: each column is {width_ms} ms, darker is busier. ") }
                if props.busy_ms > 0.0 && props.in_worker {
                    { format!("Simulated in {:.0} ms by the page's worker, off the page's thread ({:.0} operations/s). ", props.busy_ms, ops_per_s) }
                } else if props.busy_ms > 0.0 {
                    { format!("Simulated here in {:.0} ms of the page's time ({:.0} operations/s). ", props.busy_ms, ops_per_s) }
                }
                { "To step through operations, make the workload smaller (under 20,000 requests)." }
            </p>
            <div class="density-scroll">
                <svg class="density" data-testid="density" viewBox={format!("0 0 {} {height}", LABEL_WIDTH + PLOT_WIDTH + 10.0)}
                    role="img" aria-label="Activity and anomalies per bucket of time">
                    { for lanes.iter().enumerate().map(|(row, lane)| {
                        let y = row as f64 * LANE_HEIGHT;
                        let max = lane.values.iter().copied().fold(0.0, f64::max);
                        html! {
                            <g key={lane.name} class={classes!("density-lane", lane.anomaly.then_some("anomaly"))}
                                data-lane={lane.name} data-sum={lane.values.iter().sum::<f64>().to_string()}>
                                <text x="4" y={(y + 15.0).to_string()}>{ lane.name }</text>
                                { for lane.values.iter().enumerate().filter(|(_, v)| **v > 0.0).map(|(i, v)| html! {
                                    <rect x={(LABEL_WIDTH + i as f64 * cell).to_string()} y={(y + 3.0).to_string()}
                                        width={cell.max(0.5).to_string()} height={(LANE_HEIGHT - 6.0).to_string()}
                                        opacity={(0.15 + 0.85 * v / max).to_string()} />
                                }) }
                            </g>
                        }
                    }) }
                    <line class="cursor-line" x1={x_of(props.cursor_ms).to_string()} x2={x_of(props.cursor_ms).to_string()}
                        y1="0" y2={(height - 20.0).to_string()} />
                    <text class="axis" x={LABEL_WIDTH.to_string()} y={(height - 4.0).to_string()}>{ "0 ms" }</text>
                    <text class="axis" x={(LABEL_WIDTH + PLOT_WIDTH).to_string()} y={(height - 4.0).to_string()} text-anchor="end">
                        { format!("{} ms", report.end_ms) }
                    </text>
                </svg>
            </div>
            <label class="time-cursor">
                { "Time " }
                <input type="range" data-testid="time-cursor" min="0" max={report.end_ms.to_string()}
                    value={props.cursor_ms.to_string()} oninput={props.onseek.clone()} aria-label="Cursor in the run (ms)" />
                <output>{ format!("{} ms", props.cursor_ms) }</output>
            </label>
            <p class="cursor-values" data-testid="cursor-values" aria-live="polite">
                { format!("{}-{} ms: {}", at_cursor as Millis * width_ms, (at_cursor as Millis + 1) * width_ms, cursor_values.join(", ")) }
            </p>
            <table class="metrics" data-testid="aggregated-metrics">
                <tbody>
                    { for COLUMNS.iter().map(|column| html! {
                        <tr data-metric={column.name}><th scope="row" title={column.meaning}>{ column.name }</th>
                            <td>{ (column.figure)(report) }</td></tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
