//! The timeline, drawn: an SVG of [`crate::timeline::Timeline`] (a lane per
//! actor, every operation from start to effect, anomaly marks told apart by
//! shape, divergence windows hatched on the cache lane, the DB read band).
//! Everything it draws is computed natively by `crate::timeline::layout`.

use yew::prelude::*;

use crate::sim::engine::DivergenceKind;
use crate::sim::scenario::Millis;
use crate::timeline::{MarkKind, Timeline};

/// Drawing geometry (SVG user units; the SVG scales to its box).
const WIDTH: f64 = 1000.0;
const LABELS: f64 = 110.0;
const LANE: f64 = 30.0;
const BAR: f64 = 16.0;
/// The DB band's height.
const BAND: f64 = 40.0;

/// An anomaly a person clicked, to be explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The divergence window at this index of the report's `divergence`.
    Window(usize),
    /// The stale read of the scripted request at this index.
    Read(usize),
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// What to draw (up to the cursor).
    pub timeline: Timeline,
    /// The time axis ends here (the whole run's end, so it stays put while
    /// stepping).
    pub axis_end_ms: Millis,
    /// The cursor's time.
    pub now_ms: Millis,
    /// Trace entries to highlight (an explained anomaly's causes).
    pub highlight: Vec<usize>,
    /// A stale read or a window was clicked.
    pub onselect: Callback<Selection>,
}

/// The space-time diagram.
#[function_component(TimelineView)]
pub fn timeline_view(props: &TimelineProps) -> Html {
    let t = &props.timeline;
    let end = props.axis_end_ms.max(t.end_ms).max(1) as f64;
    let x = |ms: Millis| LABELS + (WIDTH - LABELS - 10.0) * ms as f64 / end;
    let lane_y = |lane: usize| 20.0 + lane as f64 * LANE;
    let band_y = lane_y(t.lanes.len()) + 6.0;
    let height = band_y + BAND + 24.0;
    let peak = t.db_concurrency.iter().map(|l| l.reads).max().unwrap_or(0);
    let cache_y = lane_y(t.cache_lane);

    html! {
        <figure class="timeline" aria-labelledby="timeline-title">
            <figcaption id="timeline-title">
                { "Timeline: each operation from when it was issued to when it took effect" }
            </figcaption>
            <svg data-testid="timeline" viewBox={format!("0 0 {WIDTH} {height}")} role="img"
                aria-label="Space-time diagram of the run">
                <defs>
                    // Stale: diagonal hatching; ahead: dots. Told apart by
                    // pattern, not only by colour.
                    <pattern id="stale-hatch" width="8" height="8" patternUnits="userSpaceOnUse"
                        patternTransform="rotate(45)">
                        <rect width="8" height="8" class="stale-bg" />
                        <line x1="0" y1="0" x2="0" y2="8" class="stale-line" />
                    </pattern>
                    <pattern id="ahead-dots" width="8" height="8" patternUnits="userSpaceOnUse">
                        <rect width="8" height="8" class="ahead-bg" />
                        <circle cx="4" cy="4" r="1.6" class="ahead-dot" />
                    </pattern>
                </defs>
                { for t.lanes.iter().enumerate().map(|(i, lane)| html! {
                    <g class="lane">
                        <line x1={LABELS.to_string()} x2={WIDTH.to_string()}
                            y1={(lane_y(i) + LANE / 2.0).to_string()} y2={(lane_y(i) + LANE / 2.0).to_string()}
                            class="lane-line" />
                        <text x="4" y={(lane_y(i) + LANE / 2.0 + 4.0).to_string()} class="lane-label">
                            { &lane.name }
                        </text>
                    </g>
                }) }
                { for t.windows.iter().enumerate().map(|(index, w)| {
                    let (fill, testid) = match w.kind {
                        DivergenceKind::Stale => ("url(#stale-hatch)", "shade-stale"),
                        DivergenceKind::Ahead => ("url(#ahead-dots)", "shade-ahead"),
                    };
                    let onclick = props.onselect.reform(move |_: MouseEvent| Selection::Window(index));
                    html! {
                        <rect data-testid={testid} x={x(w.from_ms).to_string()} y={(cache_y + 3.0).to_string()}
                            width={(x(w.to_ms) - x(w.from_ms)).max(2.0).to_string()} height={(LANE - 6.0).to_string()}
                            fill={fill} class="shade" {onclick}>
                            <title>{ format!("{} {} {}–{} ms{}", w.key, kind_name(w.kind), w.from_ms, w.to_ms,
                                if w.open { " (still open)" } else { "" }) }</title>
                        </rect>
                    }
                }) }
                { for t.spans.iter().map(|s| {
                    let y = lane_y(s.lane) + (LANE - BAR) / 2.0;
                    html! {
                        <rect data-testid="span"
                            class={classes!("span", op_class(s.op), props.highlight.contains(&s.step).then_some("highlight"))}
                            x={x(s.start_ms).to_string()} y={y.to_string()}
                            width={(x(s.end_ms) - x(s.start_ms)).max(2.0).to_string()} height={BAR.to_string()}>
                            <title>{ format!("{} {} → {} ({}–{} ms)", s.op, s.key.as_deref().unwrap_or(""),
                                s.result, s.start_ms, s.end_ms) }</title>
                        </rect>
                    }
                }) }
                { for t.marks.iter().map(|m| {
                    let cx = x(m.at_ms);
                    let cy = lane_y(m.lane) + LANE / 2.0;
                    let (testid, shape) = mark_shape(m.kind, cx, cy);
                    // A stale read's lane is its request's (requests come first).
                    let lane = m.lane;
                    let onclick = (m.kind == MarkKind::StaleRead)
                        .then(|| props.onselect.reform(move |_: MouseEvent| Selection::Read(lane)));
                    html! {
                        <g data-testid={testid} class={classes!("mark", testid)} {onclick}>
                            { shape }
                            <title>{ &m.label }</title>
                        </g>
                    }
                }) }
                <text x="4" y={(band_y + BAND / 2.0 + 4.0).to_string()} class="lane-label">{ "DB reads" }</text>
                { for t.db_concurrency.iter().map(|level| {
                    let h = BAND * f64::from(level.reads) / f64::from(peak.max(1));
                    html! {
                        <rect data-testid="db-level" class="db-level" x={x(level.from_ms).to_string()}
                            y={(band_y + BAND - h).to_string()}
                            width={(x(level.to_ms) - x(level.from_ms)).max(1.0).to_string()} height={h.to_string()}>
                            <title>{ format!("{} DB read(s) in flight, {}–{} ms", level.reads, level.from_ms, level.to_ms) }</title>
                        </rect>
                    }
                }) }
                <line class="cursor" x1={x(props.now_ms).to_string()} x2={x(props.now_ms).to_string()}
                    y1="10" y2={(band_y + BAND).to_string()} />
                <text class="axis" x={LABELS.to_string()} y={(height - 6.0).to_string()}>{ "0 ms" }</text>
                <text class="axis" x={(WIDTH - 10.0).to_string()} y={(height - 6.0).to_string()} text-anchor="end">
                    { format!("{} ms", end as u64) }
                </text>
            </svg>
        </figure>
    }
}

fn kind_name(kind: DivergenceKind) -> &'static str {
    match kind {
        DivergenceKind::Stale => "stale",
        DivergenceKind::Ahead => "ahead",
    }
}

/// Spans are coloured by what they touch.
fn op_class(op: &str) -> &'static str {
    match op.split('.').next() {
        Some("cache") => "op-cache",
        Some("db") | Some("outbox") | Some("flush") => "op-db",
        Some("bus") => "op-bus",
        _ => "op-other",
    }
}

/// Each kind of mark has its own shape: a triangle for a stale read, a ring
/// for a phantom read, a cross for a lost write, a diamond for a fault.
fn mark_shape(kind: MarkKind, cx: f64, cy: f64) -> (&'static str, Html) {
    let r = 7.0;
    match kind {
        MarkKind::StaleRead => (
            "mark-stale",
            html! { <polygon points={format!("{},{} {},{} {},{}", cx, cy - r, cx - r, cy + r, cx + r, cy + r)} /> },
        ),
        MarkKind::PhantomRead => (
            "mark-phantom",
            html! { <circle cx={cx.to_string()} cy={cy.to_string()} r={r.to_string()} fill="none" stroke-width="3" /> },
        ),
        MarkKind::LostWrite => (
            "mark-lost",
            html! { <path d={format!("M{} {} L{} {} M{} {} L{} {}", cx - r, cy - r, cx + r, cy + r, cx - r, cy + r, cx + r, cy - r)}
            stroke-width="3" /> },
        ),
        MarkKind::Fault => (
            "mark-fault",
            html! { <polygon points={format!("{},{} {},{} {},{} {},{}", cx, cy - r, cx + r, cy, cx, cy + r, cx - r, cy)} /> },
        ),
    }
}
