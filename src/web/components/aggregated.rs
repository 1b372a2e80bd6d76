//! A run too large to draw operation by operation (a 100,000-request
//! workload), shown aggregated: per bucket of time, how busy each part of
//! the system was and where anomalies happened, as a density strip with a
//! time cursor; the report's figures beside it.

use std::fmt::Write as _;
use std::rc::Rc;

use yew::prelude::*;

use crate::model::charts::{self, DensityLane};
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

/// Shades a cell can take, darker for busier. Each lane is drawn as one
/// path per shade: a few dozen elements for the strip instead of one per
/// cell (thousands for a long run, which took a long frame to create).
const SHADES: u32 = 16;

/// A lane of the density strip, ready to draw.
struct DrawnLane {
    lane: DensityLane,
    /// Per shade with cells: its opacity and the path of its cells.
    shades: Vec<(AttrValue, AttrValue)>,
}

/// `outcome`'s density strip: its columns' width, and its lanes, each as
/// paths per shade.
struct DrawnStrip {
    width_ms: Millis,
    /// The time the strip spans: the run, or its last column's end if
    /// later (the axis's right end).
    span_ms: Millis,
    /// The width of a column on screen.
    cell: f64,
    lanes: Vec<DrawnLane>,
}

fn drawn_strip(outcome: &Outcome) -> DrawnStrip {
    let density = charts::density(&outcome.series, &outcome.windows, outcome.report.end_ms);
    let columns = density.lanes.first().map_or(0, |lane| lane.values.len()) as Millis;
    let span_ms = (columns * density.width_ms)
        .max(outcome.report.end_ms)
        .max(1);
    let cell = PLOT_WIDTH * density.width_ms as f64 / span_ms as f64;
    let lanes = density
        .lanes
        .into_iter()
        .enumerate()
        .map(|(row, lane)| {
            let y = row as f64 * LANE_HEIGHT + 3.0;
            let max = lane.values.iter().copied().fold(0.0, f64::max);
            let (width, height) = (cell.max(0.5), LANE_HEIGHT - 6.0);
            let mut paths = vec![String::new(); SHADES as usize];
            for (i, v) in lane.values.iter().enumerate().filter(|(_, v)| **v > 0.0) {
                let shade =
                    ((v / max * f64::from(SHADES)).ceil() as usize).clamp(1, SHADES as usize);
                let x = LABEL_WIDTH + i as f64 * cell;
                let _ = write!(
                    paths[shade - 1],
                    "M{x:.2} {y}h{width:.2}v{height}h-{width:.2}z"
                );
            }
            let shades = paths
                .into_iter()
                .enumerate()
                .filter(|(_, path)| !path.is_empty())
                .map(|(shade, path)| {
                    let opacity = 0.15 + 0.85 * (shade + 1) as f64 / f64::from(SHADES);
                    (format!("{opacity:.3}").into(), path.into())
                })
                .collect();
            DrawnLane { lane, shades }
        })
        .collect();
    DrawnStrip {
        width_ms: density.width_ms,
        span_ms,
        cell,
        lanes,
    }
}

#[function_component(AggregatedView)]
pub fn aggregated_view(props: &AggregatedProps) -> Html {
    let outcome = &props.outcome;
    let report = &outcome.report;
    // Drawn once per run, not at every move of the cursor.
    let strip = use_memo(Rc::as_ptr(outcome) as usize, {
        let outcome = outcome.clone();
        move |_| drawn_strip(&outcome)
    });
    let DrawnStrip {
        width_ms,
        span_ms,
        cell,
        ref lanes,
    } = *strip;
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
        .map(|DrawnLane { lane, .. }| {
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
                    { for lanes.iter().enumerate().map(|(row, DrawnLane { lane, shades })| {
                        let y = row as f64 * LANE_HEIGHT;
                        html! {
                            <g key={lane.name} class={classes!("density-lane", lane.anomaly.then_some("anomaly"))}
                                data-lane={lane.name} data-sum={lane.values.iter().sum::<f64>().to_string()}>
                                <text x="4" y={(y + 15.0).to_string()}>{ lane.name }</text>
                                { for shades.iter().map(|(opacity, path)| html! {
                                    <path d={path.clone()} opacity={opacity.clone()} />
                                }) }
                            </g>
                        }
                    }) }
                    <line class="cursor-line" x1={x_of(props.cursor_ms).to_string()} x2={x_of(props.cursor_ms).to_string()}
                        y1="0" y2={(height - 20.0).to_string()} />
                    <text class="axis" x={LABEL_WIDTH.to_string()} y={(height - 4.0).to_string()}>{ "0 ms" }</text>
                    <text class="axis" x={(LABEL_WIDTH + PLOT_WIDTH).to_string()} y={(height - 4.0).to_string()} text-anchor="end">
                        { format!("{span_ms} ms") }
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
