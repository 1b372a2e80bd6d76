//! The timeline, drawn: an SVG of the whole run's [`crate::model::timeline::Timeline`]
//! shown up to the cursor (a lane per actor, every operation from issue to
//! effect, anomaly marks told apart by shape, divergence windows patterned
//! on the cache lane, the DB read band). Two axes: real time (with zoom and
//! pan) and one column per step. Everything drawn is computed natively.
//!
//! Speed: the whole run is laid out once; windows, marks, the DB band and
//! (up to [`TITLED_SPANS`] operations) spans are drawn in chunks, each an
//! SVG layer whose properties only change when the cursor enters it or the
//! view moves; a denser run's spans are a canvas drawn a span at a time. A
//! frame while playing re-renders and repaints one chunk or a few spans,
//! whatever the run's length.

use std::rc::Rc;

use yew::prelude::*;

use super::charts::theme;
use crate::model::playground::WholeTimeline;
use crate::model::timeline::round_ticks;
use crate::model::timeline::{Axis, LaneKind, MarkKind, Selection, Span, Timeline};
use crate::sim::engine::DivergenceKind;
use crate::sim::scenario::Millis;
use crate::sim::trace::{OpName, Place};
use crate::web::hooks::use_size;

/// Drawing geometry (SVG user units; the SVG scales to its box).
const WIDTH: f64 = 1000.0;
const LABELS: f64 = 110.0;
const RIGHT: f64 = 10.0;
/// The plot area (the clip of spans, windows and marks): the axis's range
/// and a little either side, so a span at either end is drawn whole.
const PLOT_LEFT: f64 = LABELS - 8.0;
const PLOT_RIGHT: f64 = WIDTH - RIGHT + 8.0;
const LANE: f64 = 30.0;
const BAR: f64 = 16.0;
/// The DB band's height.
const BAND: f64 = 40.0;
/// Spans per chunk.
const CHUNK: usize = 256;
/// Runs up to this many operations draw each span as an SVG element with
/// a hover tooltip; a denser run's spans are a canvas ([`SpanCanvas`]),
/// details on click.
const TITLED_SPANS: usize = 2_000;

/// The x mapping: which axis, and the visible range of it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Scale {
    axis: Axis,
    lo: f64,
    hi: f64,
    /// Zoomed in: the layers clip what lies outside the plot area (else
    /// everything lies inside it, and a clip per layer would only cost the
    /// browser work every frame).
    zoomed: bool,
}

/// The top of lane `lane` (SVG units).
fn lane_y(lane: usize) -> f64 {
    20.0 + lane as f64 * LANE
}

impl Scale {
    /// The clip of a layer's contents.
    fn clip(&self) -> Option<&'static str> {
        self.zoomed.then_some("url(#plot-area)")
    }

    fn x(&self, unit: f64) -> f64 {
        LABELS + (WIDTH - LABELS - RIGHT) * (unit - self.lo) / (self.hi - self.lo).max(1e-9)
    }

    /// A span's extent in axis units.
    fn span(&self, span: &Span) -> (f64, f64) {
        match self.axis {
            Axis::Time => (span.start_ms as f64, span.end_ms as f64),
            Axis::Steps => (span.step as f64 + 0.1, span.step as f64 + 0.9),
        }
    }

    /// A span's bar: x, y, width and height in SVG units (at least 2 wide,
    /// so an instant operation stays visible). The SVG, the canvas and the
    /// canvas's hit test all place spans with this.
    fn bar(&self, span: &Span) -> (f64, f64, f64, f64) {
        let (from, to) = self.span(span);
        let x = self.x(from);
        let y = lane_y(span.lane) + (LANE - BAR) / 2.0;
        (x, y, (self.x(to) - x).max(2.0), BAR)
    }

    /// An instant in axis units (in the step view: the column after the
    /// entries that happened by then).
    fn at(&self, timeline: &Timeline, ms: Millis) -> f64 {
        match self.axis {
            Axis::Time => ms as f64,
            Axis::Steps => timeline.entries_by(ms) as f64,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// The whole run.
    pub whole: WholeTimeline,
    /// Trace entries up to the cursor.
    pub entries: usize,
    /// The cursor's time.
    pub now_ms: Millis,
    /// Trace entries to highlight (an explained anomaly's causes).
    pub highlight: Vec<usize>,
    /// Something was clicked.
    pub onselect: Callback<Selection>,
    /// The x axis.
    #[prop_or_default]
    pub axis: Axis,
    /// The x axis was switched.
    #[prop_or_default]
    pub onaxis: Callback<Axis>,
    /// The start of each of the scenario's faults (drag handles on the
    /// faults lane, in real time).
    #[prop_or_default]
    pub fault_starts: Vec<Millis>,
    /// A fault's handle was dragged: (its index, its new start).
    #[prop_or_default]
    pub onmovefault: Callback<(usize, Millis)>,
    /// A fault's handle was deleted (Delete or Backspace on it).
    #[prop_or_default]
    pub onremovefault: Callback<usize>,
    /// Small frames (an embed): the view controls folded into a "View"
    /// menu instead of a row of their own.
    #[prop_or_default]
    pub compact: bool,
    /// Presenter mode (its own colours: a dense run's canvas is drawn
    /// again in them).
    #[prop_or_default]
    pub presenting: bool,
}

/// The space-time diagram, its axis switch and zoom controls.
#[function_component(TimelineView)]
pub fn timeline_view(props: &TimelineProps) -> Html {
    let t = &*props.whole.0;
    let axis = &props.axis;
    let svg = use_node_ref();
    // A fault handle being dragged: (which fault, where it is now, ms).
    let dragging = use_state(|| None::<(usize, Millis)>);
    // The visible range, or `None` for the whole run.
    let view = use_state(|| None::<(f64, f64)>);
    let full = match *axis {
        Axis::Time => (0.0, t.end_ms.max(1) as f64),
        Axis::Steps => (0.0, t.spans.len().max(1) as f64),
    };
    let (lo, hi) = view.unwrap_or(full);
    let scale = Scale {
        axis: *axis,
        lo,
        hi,
        zoomed: view.is_some(),
    };
    let cursor = match *axis {
        Axis::Time => props.now_ms as f64,
        Axis::Steps => props.entries as f64,
    };
    let set_axis = |to: Axis| {
        let (onaxis, view) = (props.onaxis.clone(), view.clone());
        Callback::from(move |_: MouseEvent| {
            onaxis.emit(to);
            view.set(None);
        })
    };
    // Zoom keeps the cursor in view; pan moves by a quarter of the view.
    let zoom = |factor: f64| {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| {
            let width = ((hi - lo) * factor).clamp(4.0_f64.min(full.1), full.1);
            let lo = (cursor - width / 2.0).clamp(0.0, full.1 - width);
            view.set((width < full.1).then_some((lo, lo + width)));
        })
    };
    let pan = |direction: f64| {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| {
            let width = hi - lo;
            let lo = (lo + direction * width / 4.0).clamp(0.0, full.1 - width);
            view.set((width < full.1).then_some((lo, lo + width)));
        })
    };
    let zoomed = view.is_some();
    // Zoomed in, the view follows the cursor when it moves out of it (a
    // pan by hand stays until the cursor moves).
    {
        let view = view.clone();
        use_effect_with(cursor.to_bits(), move |_| {
            if let Some((lo, hi)) = *view {
                let width = hi - lo;
                if cursor < lo || cursor > hi {
                    let lo = (cursor - width / 4.0).clamp(0.0, (full.1 - width).max(0.0));
                    view.set(Some((lo, lo + width)));
                }
            }
        });
    }

    let band_y = lane_y(t.lanes.len()) + 6.0;
    let height = band_y + BAND + 24.0;
    let chunks = t.spans.len().div_ceil(CHUNK);
    let cursor_x = scale.x(cursor);
    let faults_lane = t.lanes.iter().position(|l| l.kind == LaneKind::Faults);

    let reaches = use_memo(props.whole.clone(), |whole| Reaches::of(&whole.0));
    let dense = t.spans.len() > TITLED_SPANS;
    // A dense run's spans are pixels: a click on the diagram that no
    // element of its own takes (a window, a mark, a fault handle) selects
    // the span under the pointer.
    let onplotclick = dense.then(|| {
        let (whole, onselect, shown) = (props.whole.clone(), props.onselect.clone(), props.entries);
        Callback::from(move |event: MouseEvent| {
            let Some(target) = event.target_dyn_into::<web_sys::Element>() else {
                return;
            };
            if target
                .closest(".mark, .shade, .fault-handle, button")
                .ok()
                .flatten()
                .is_some()
            {
                return;
            }
            let canvas = target
                .closest(".timeline-plot")
                .ok()
                .flatten()
                .and_then(|plot| plot.query_selector("canvas.span-canvas").ok().flatten());
            let Some(canvas) = canvas else {
                return;
            };
            let rect = canvas.get_bounding_client_rect();
            if rect.width() <= 0.0 || rect.height() <= 0.0 {
                return;
            }
            let x = (f64::from(event.client_x()) - rect.left()) / rect.width() * WIDTH;
            let y = (f64::from(event.client_y()) - rect.top()) / rect.height() * height;
            if let Some(step) = span_at(&whole.0, shown, scale, x, y) {
                onselect.emit(Selection::Op(step));
            }
        })
    });
    let controls = html! {
        <span class="timeline-controls" role="group" aria-label="Timeline view">
            <button data-testid="axis-time" aria-pressed={(*axis == Axis::Time).to_string()}
                onclick={set_axis(Axis::Time)}>{ "Real time" }</button>
            <button data-testid="axis-steps" aria-pressed={(*axis == Axis::Steps).to_string()}
                onclick={set_axis(Axis::Steps)}>{ "One column per step" }</button>
            <button data-testid="zoom-in" aria-label="Zoom in (around the cursor)" onclick={zoom(0.5)}>{ "+" }</button>
            <button data-testid="zoom-out" aria-label="Zoom out" onclick={zoom(2.0)} disabled={!zoomed}>{ "−" }</button>
            <button data-testid="pan-left" aria-label="Pan left" onclick={pan(-1.0)} disabled={!zoomed || lo <= 0.0}>{ "◀" }</button>
            <button data-testid="pan-right" aria-label="Pan right" onclick={pan(1.0)} disabled={!zoomed || hi >= full.1}>{ "▶" }</button>
            <button data-testid="zoom-fit" onclick={{ let view = view.clone(); Callback::from(move |_: MouseEvent| view.set(None)) }}
                disabled={!zoomed}>{ "Fit" }</button>
        </span>
    };
    html! {
        <figure class="timeline" aria-labelledby="timeline-title">
            <figcaption>
                <span id="timeline-title">{ "Timeline: each operation from when it was issued to when it took effect" }</span>
                if props.compact {
                    <details class="timeline-menu">
                        <summary data-testid="timeline-menu">{ "View" }</summary>
                        <div class="timeline-menu-body">
                            { controls }
                            <TimelineLegend />
                        </div>
                    </details>
                } else {
                    { controls }
                }
            </figcaption>
            // A phone scrolls the diagram sideways in here; the caption
            // above and the legend below stay put.
            <div class="timeline-scroll">
            <div class="timeline-plot" onclick={onplotclick}>
            // The lane names again, as a column that stays in view while a
            // narrow screen scrolls the diagram sideways (shown there only).
            <div class="lane-names" aria-hidden="true">
                { for t.lanes.iter().enumerate().map(|(i, lane)| html! {
                    <span style={format!("top: {:.2}%", (lane_y(i) + LANE / 2.0) / height * 100.0)}>{ &lane.name }</span>
                }) }
                <span style={format!("top: {:.2}%", (band_y + BAND / 2.0) / height * 100.0)}>{ "DB reads" }</span>
            </div>
            <svg ref={svg.clone()} data-testid="timeline" data-axis={axis.name()}
                data-cursor-x={format!("{cursor_x:.2}")} data-cursor-to={format!("{:.2}", band_y + BAND)}
                viewBox={format!("0 0 {WIDTH} {height}")} role="group"
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
                    <clipPath id="plot-area">
                        <rect x={PLOT_LEFT.to_string()} y="0" width={(PLOT_RIGHT - PLOT_LEFT).to_string()} height={height.to_string()} />
                    </clipPath>
                </defs>
                // Each list has a group of its own: siblings of one list are
                // reconciled by key, and keys of different lists must not meet.
                <g class="lanes">
                { for t.lanes.iter().enumerate().map(|(i, lane)| html! {
                    <g class="lane" key={i} data-lane={lane.name.clone()}>
                        <line x1={LABELS.to_string()} x2={WIDTH.to_string()}
                            y1={(lane_y(i) + LANE / 2.0).to_string()} y2={(lane_y(i) + LANE / 2.0).to_string()}
                            class="lane-line" />
                        <text x="4" y={(lane_y(i) + LANE / 2.0 + 4.0).to_string()} class="lane-label">
                            { &lane.name }
                        </text>
                    </g>
                }) }
                </g>
                <g clip-path="url(#plot-area)">
                    if let (Axis::Time, Some(lane)) = (scale.axis, faults_lane) {
                        <g class="fault-handles">
                        { for props.fault_starts.iter().enumerate().map(|(index, &start)| {
                            let at = match *dragging { Some((i, ms)) if i == index => ms, _ => start };
                            let (cx, cy) = (scale.x(at as f64), lane_y(lane) + 4.0);
                            // Drag: the pointer is captured by the handle, so
                            // moves and the release reach it wherever they are.
                            let to_ms = {
                                let svg = svg.clone();
                                move |event: &PointerEvent| -> Option<Millis> {
                                    let rect = svg.cast::<web_sys::Element>()?.get_bounding_client_rect();
                                    let user_x = (f64::from(event.client_x()) - rect.left()) / rect.width() * WIDTH;
                                    let unit = lo + (user_x - LABELS) / (WIDTH - LABELS - RIGHT) * (hi - lo);
                                    Some(unit.clamp(0.0, full.1).round() as Millis)
                                }
                            };
                            let onpointerdown = {
                                let dragging = dragging.clone();
                                Callback::from(move |event: PointerEvent| {
                                    if let Some(target) = event.target_dyn_into::<web_sys::Element>() {
                                        let _ = target.set_pointer_capture(event.pointer_id());
                                    }
                                    event.prevent_default();
                                    dragging.set(Some((index, start)));
                                })
                            };
                            let onpointermove = {
                                let (dragging, to_ms) = (dragging.clone(), to_ms.clone());
                                Callback::from(move |event: PointerEvent| {
                                    if let (Some((i, _)), Some(ms)) = (*dragging, to_ms(&event)) {
                                        dragging.set(Some((i, ms)));
                                    }
                                })
                            };
                            let onpointerup = {
                                let (dragging, onmove) = (dragging.clone(), props.onmovefault.clone());
                                Callback::from(move |event: PointerEvent| {
                                    if let (Some((i, _)), Some(ms)) = (*dragging, to_ms(&event)) {
                                        if ms != start {
                                            onmove.emit((i, ms));
                                        }
                                    }
                                    dragging.set(None);
                                })
                            };
                            // The keyboard way: arrows move it by a hundredth
                            // of the visible range (Shift: a tenth), Delete
                            // removes it.
                            let onkeydown = {
                                let (onmove, onremove) = (props.onmovefault.clone(), props.onremovefault.clone());
                                let step = ((hi - lo) / 100.0).max(1.0);
                                let end = full.1;
                                Callback::from(move |event: KeyboardEvent| {
                                    let step = if event.shift_key() { step * 10.0 } else { step };
                                    let moved = |by: f64| ((start as f64 + by).clamp(0.0, end)).round() as Millis;
                                    match event.key().as_str() {
                                        "ArrowLeft" | "ArrowDown" => onmove.emit((index, moved(-step))),
                                        "ArrowRight" | "ArrowUp" => onmove.emit((index, moved(step))),
                                        "Delete" | "Backspace" => onremove.emit(index),
                                        _ => return,
                                    }
                                    event.prevent_default();
                                    event.stop_propagation();
                                })
                            };
                            html! {
                                <g key={index} class="fault-handle" data-testid="fault-handle"
                                    tabindex="0" role="slider" aria-valuemin="0" aria-valuemax={(full.1 as u64).to_string()}
                                    aria-valuenow={at.to_string()} aria-valuetext={format!("starts at {at} ms")}
                                    aria-label={format!("Fault {} (arrows move it, Delete removes it)", index + 1)}
                                    {onkeydown} {onpointerdown} {onpointermove} {onpointerup}>
                                    <polygon points={format!("{},{} {},{} {},{}", cx - 7.0, cy - 12.0, cx + 7.0, cy - 12.0, cx, cy)} />
                                    <title>{ format!("Fault {}: starts at {at} ms (drag or arrows to move, Delete to remove)", index + 1) }</title>
                                </g>
                            }
                        }) }
                        </g>
                    }
                </g>
                <text x="4" y={(band_y + BAND / 2.0 + 4.0).to_string()} class="lane-label">{ "DB reads" }</text>
                <g class="ticks">
                { for round_ticks(lo, hi, 6, 1.0).into_iter().map(|unit| {
                    // Labels at the ends stay inside the diagram.
                    let at = (unit - lo) / (hi - lo).max(1e-9);
                    let anchor = if at < 0.04 { "start" } else if at > 0.96 { "end" } else { "middle" };
                    let label = match scale.axis {
                        Axis::Time => format!("{} ms", unit.round() as u64),
                        Axis::Steps => format!("step {}", unit.round() as u64),
                    };
                    html! {
                        <text class="axis" x={scale.x(unit).to_string()} y={(height - 6.0).to_string()} text-anchor={anchor}>
                            { label }
                        </text>
                    }
                }) }
                </g>
            </svg>
            // Spans and marks are drawn in layers of their own stacked over
            // the base SVG (same coordinates): the browser repaints only the
            // layers that changed. A dense run's spans are one canvas, drawn
            // a span at a time as the cursor moves on (thousands of SVG
            // elements cost the browser style, layout and paint every frame).
            // Windows and the DB band, under the spans; marks over them.
            { for reaches.windows.iter().map(|reach| {
                let (entries, now_ms) = reach.at(props.entries, props.now_ms);
                html! { <LayerChunk key={reach.from} layer={Layer::Windows} whole={props.whole.clone()} from={reach.from}
                    to={reach.to} {height} {entries} {now_ms} {scale} onselect={props.onselect.clone()} /> }
            }) }
            { for reaches.levels.iter().map(|reach| {
                let (entries, now_ms) = reach.at(props.entries, props.now_ms);
                html! { <LayerChunk key={reach.from} layer={Layer::Levels} whole={props.whole.clone()} from={reach.from}
                    to={reach.to} {height} {entries} {now_ms} {scale} onselect={props.onselect.clone()} /> }
            }) }
            if dense {
                <SpanCanvas whole={props.whole.clone()} {height} shown={props.entries.min(t.spans.len())} {scale}
                    highlight={props.highlight.clone()} presenting={props.presenting} />
            } else {
                { for (0..chunks).map(|chunk| {
                    let from = chunk * CHUNK;
                    let to = (from + CHUNK).min(t.spans.len());
                    html! {
                        <SpanChunk key={chunk} whole={props.whole.clone()} {from} {to} {height}
                            shown={props.entries.clamp(from, to)} {scale}
                            highlight={props.highlight.iter().copied().filter(|s| (from..to).contains(s)).collect::<Vec<_>>()}
                            onselect={props.onselect.clone()} />
                    }
                }) }
            }
            { for reaches.marks.iter().map(|reach| {
                let (entries, now_ms) = reach.at(props.entries, props.now_ms);
                html! { <LayerChunk key={reach.from} layer={Layer::Marks} whole={props.whole.clone()} from={reach.from}
                    to={reach.to} {height} {entries} {now_ms} {scale} onselect={props.onselect.clone()} /> }
            }) }
            // The cursor is an element over the SVG, not in it: moving it
            // every frame then does not make the browser paint the whole
            // diagram again.
            if (LABELS - 1.0..=WIDTH - RIGHT + 1.0).contains(&cursor_x) {
                <div class="cursor" data-testid="cursor" aria-hidden="true"
                    style={format!("left: {:.3}%; top: {:.3}%; height: {:.3}%", cursor_x / WIDTH * 100.0,
                        10.0 / height * 100.0, (band_y + BAND - 10.0) / height * 100.0)} />
            }
            </div>
            </div>
            if !props.compact {
                <TimelineLegend />
            }
        </figure>
    }
}

#[derive(Properties, PartialEq)]
struct ChunkProps {
    whole: WholeTimeline,
    /// The diagram's height (SVG units), for this layer's viewBox.
    height: f64,
    from: usize,
    to: usize,
    /// Spans `from..shown` have taken effect at the cursor.
    shown: usize,
    scale: Scale,
    highlight: Vec<usize>,
    onselect: Callback<Selection>,
}

/// Spans `from..to`, those up to the cursor drawn. Unchanged properties
/// (the cursor elsewhere, the same view) skip re-rendering.
#[function_component(SpanChunk)]
fn span_chunk(props: &ChunkProps) -> Html {
    let t = &*props.whole.0;
    let scale = props.scale;
    html! {
        <svg class="layer chunk" viewBox={format!("0 0 {WIDTH} {}", props.height)} aria-hidden="true">
        <g clip-path={scale.clip()}>
            { for t.spans[props.from..props.shown].iter().map(|s| {
                let (x, y, width, height) = scale.bar(s);
                let step = s.step;
                let onclick = props.onselect.reform(move |_: MouseEvent| Selection::Op(step));
                html! {
                    <rect key={step} data-testid="span"
                        class={classes!("span", op_class(s.op), props.highlight.contains(&s.step).then_some("highlight"))}
                        x={x.to_string()} y={y.to_string()}
                        width={width.to_string()} height={height.to_string()} {onclick}>
                        <title>{ format!("{} {} → {} ({}–{} ms)", s.op, s.key.as_deref().unwrap_or(""),
                            s.result, s.start_ms, s.end_ms) }</title>
                    </rect>
                }
            }) }
        </g>
        </svg>
    }
}

/// The last span up to the cursor (drawn on top) whose bar holds the
/// point `(x, y)` (SVG units) inside the plot area.
fn span_at(t: &Timeline, shown: usize, scale: Scale, x: f64, y: f64) -> Option<usize> {
    if !(PLOT_LEFT..=PLOT_RIGHT).contains(&x) {
        return None;
    }
    t.spans[..shown.min(t.spans.len())]
        .iter()
        .rev()
        .find(|s| {
            let (left, top, width, height) = scale.bar(s);
            (left..=left + width).contains(&x) && (top..=top + height).contains(&y)
        })
        .map(|s| s.step)
}

#[derive(Properties, PartialEq)]
struct SpanCanvasProps {
    whole: WholeTimeline,
    /// The diagram's height (SVG units).
    height: f64,
    /// Spans `..shown` have taken effect at the cursor.
    shown: usize,
    scale: Scale,
    highlight: Vec<usize>,
    presenting: bool,
}

/// What a [`SpanCanvas`] holds: spans `..count` drawn for this run, view,
/// highlight and canvas size. Moving the cursor on only draws the spans
/// after `count`.
struct Painted {
    whole: WholeTimeline,
    scale: Scale,
    highlight: Vec<usize>,
    height: f64,
    pixels: (u32, u32),
    presenting: bool,
    count: usize,
    /// The stylesheet's colours, read when everything is drawn (reading
    /// them makes the browser compute styles: not once per frame).
    colours: Option<Rc<Colours>>,
}

/// The span colours: fills by place ([`PLACES`]), outline, highlight.
struct Colours {
    fills: [String; 4],
    ink: String,
    accent: String,
}

impl Colours {
    fn of(canvas: &web_sys::Element) -> Colours {
        Colours {
            fills: PLACES
                .map(|place| theme(canvas, &format!("--{}", place_class(place)), "#c9c9c9")),
            ink: theme(canvas, "--fg", "#000"),
            accent: theme(canvas, "--accent", "#1f4e79"),
        }
    }
}

/// A dense run's spans up to the cursor, on a canvas stacked where the span
/// layers are (clicks reach it through the plot: [`span_at`]). Spans
/// outside the visible range are skipped.
#[function_component(SpanCanvas)]
fn span_canvas(props: &SpanCanvasProps) -> Html {
    let canvas = use_node_ref();
    let painted = use_mut_ref(|| None::<Painted>);
    let size = use_size(canvas.clone());
    {
        let canvas = canvas.clone();
        let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
        let wanted = size.map(|(width, height)| Painted {
            whole: props.whole.clone(),
            scale: props.scale,
            highlight: props.highlight.clone(),
            height: props.height,
            pixels: (
                (width * ratio).round() as u32,
                (height * ratio).round() as u32,
            ),
            presenting: props.presenting,
            count: props.shown,
            colours: None,
        });
        use_effect_with(
            (
                props.whole.clone(),
                props.shown,
                props.scale,
                props.highlight.clone(),
                props.height,
                props.presenting,
                wanted.as_ref().map(|w| w.pixels),
            ),
            move |_| {
                if let (Some(canvas), Some(wanted)) =
                    (canvas.cast::<web_sys::HtmlCanvasElement>(), wanted)
                {
                    let mut painted = painted.borrow_mut();
                    if paint_spans(&canvas, wanted, &mut painted).is_none() {
                        // Nothing reliable on the canvas: draw it all next time.
                        *painted = None;
                    }
                }
            },
        );
    }
    html! {
        <canvas ref={canvas} class="layer span-canvas" data-testid="span-canvas" aria-hidden="true" />
    }
}

/// Brings the canvas to `wanted`: only the new spans when the cursor moved
/// on over the same view, else everything again.
fn paint_spans(
    canvas: &web_sys::HtmlCanvasElement,
    mut wanted: Painted,
    painted: &mut Option<Painted>,
) -> Option<()> {
    use wasm_bindgen::JsCast;
    if wanted.pixels.0 == 0 || wanted.pixels.1 == 0 {
        return None;
    }
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let from = match painted.as_ref() {
        Some(p)
            if p.whole == wanted.whole
                && p.scale == wanted.scale
                && p.highlight == wanted.highlight
                && p.height == wanted.height
                && p.pixels == wanted.pixels
                && p.presenting == wanted.presenting
                && p.count <= wanted.count =>
        {
            wanted.colours = p.colours.clone();
            p.count
        }
        _ => {
            if (canvas.width(), canvas.height()) == wanted.pixels {
                context.restore();
            } else {
                // Resizing clears the canvas and its drawing state.
                canvas.set_width(wanted.pixels.0);
                canvas.set_height(wanted.pixels.1);
            }
            context.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0).ok()?;
            context.clear_rect(
                0.0,
                0.0,
                f64::from(wanted.pixels.0),
                f64::from(wanted.pixels.1),
            );
            // From here on, SVG units, clipped to the plot area (as the
            // SVG layers are); `restore` undoes both before a redraw.
            context.save();
            context
                .scale(
                    f64::from(wanted.pixels.0) / WIDTH,
                    f64::from(wanted.pixels.1) / wanted.height,
                )
                .ok()?;
            context.begin_path();
            context.rect(PLOT_LEFT, 0.0, PLOT_RIGHT - PLOT_LEFT, wanted.height);
            context.clip();
            wanted.colours = Some(Rc::new(Colours::of(canvas)));
            0
        }
    };
    let colours = wanted.colours.clone()?;
    let t = &*wanted.whole.0;
    let scale = wanted.scale;
    // Styles are set only when they change (each is a string the canvas
    // parses); spans are drawn in order, later ones on top, as in the SVG.
    let (mut fill, mut highlighted) = (None, None);
    for span in &t.spans[from..wanted.count] {
        let (start, end) = scale.span(span);
        if end < scale.lo || start > scale.hi {
            continue;
        }
        let (x, y, width, height) = scale.bar(span);
        let place = PLACES.iter().position(|&p| p == span.op.place());
        if fill != place {
            fill = place;
            context.set_fill_style_str(&colours.fills[place.unwrap_or(PLACES.len() - 1)]);
        }
        context.fill_rect(x, y, width, height);
        let highlight = wanted.highlight.contains(&span.step);
        if highlighted != Some(highlight) {
            highlighted = Some(highlight);
            context.set_stroke_style_str(if highlight {
                &colours.accent
            } else {
                &colours.ink
            });
            context.set_line_width(if highlight { 3.0 } else { 0.5 });
        }
        context.stroke_rect(x, y, width, height);
    }
    let _ = canvas.set_attribute("data-drawn", &wanted.count.to_string());
    *painted = Some(wanted);
    Some(())
}

/// Elements per chunk of the windows, marks and DB band layers.
const LAYER_CHUNK: usize = 128;

/// The `(from, to)` index ranges of a layer's chunks.
fn layer_chunks(len: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..len.div_ceil(LAYER_CHUNK)).map(move |c| (c * LAYER_CHUNK, ((c + 1) * LAYER_CHUNK).min(len)))
}

/// The cursor positions at which a chunk of a layer can look different:
/// the cursor clamped to them leaves a chunk's properties equal while
/// nothing in it changes, so it is not drawn again.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Reach {
    from: usize,
    to: usize,
    /// Trace entries.
    entries: (usize, usize),
    /// Milliseconds.
    ms: (Millis, Millis),
}

impl Reach {
    /// The cursor, clamped to what can change this chunk.
    fn at(&self, entries: usize, now_ms: Millis) -> (usize, Millis) {
        (
            entries.clamp(self.entries.0, self.entries.1),
            now_ms.clamp(self.ms.0, self.ms.1),
        )
    }
}

/// Each layer's chunks and their reach, computed once per run.
#[derive(PartialEq)]
struct Reaches {
    windows: Vec<Reach>,
    levels: Vec<Reach>,
    marks: Vec<Reach>,
}

impl Reaches {
    fn of(t: &Timeline) -> Reaches {
        // (lowest, highest) of some values, or (0, 0) for none.
        fn bounds<T: Ord + Copy + Default>(values: impl Iterator<Item = T>) -> (T, T) {
            values
                .fold(None, |acc: Option<(T, T)>, v| {
                    Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
                })
                .unwrap_or_default()
        }
        let chunks =
            |len: usize, reach: &dyn Fn(usize, usize) -> ((usize, usize), (Millis, Millis))| {
                layer_chunks(len)
                    .map(|(from, to)| {
                        let (entries, ms) = reach(from, to);
                        Reach {
                            from,
                            to,
                            entries,
                            ms,
                        }
                    })
                    .collect()
            };
        Reaches {
            windows: chunks(t.windows.len(), &|from, to| {
                let windows = &t.windows[from..to];
                let (opened_lo, opened_hi) = bounds(windows.iter().filter_map(|w| w.opened_by));
                let opened = windows.iter().any(|w| w.opened_by.is_some());
                let (from_ms, _) = bounds(windows.iter().map(|w| w.from_ms));
                let (_, to_ms) = bounds(windows.iter().map(|w| w.to_ms));
                (
                    (opened_lo, if opened { opened_hi + 1 } else { 0 }),
                    (
                        from_ms.saturating_sub(1),
                        to_ms.max(from_ms.saturating_sub(1)),
                    ),
                )
            }),
            levels: chunks(t.db_concurrency.len(), &|from, to| {
                let levels = &t.db_concurrency[from..to];
                let first = levels.first().map_or(0, |l| l.from_ms);
                (
                    (0, 0),
                    (first, levels.last().map_or(0, |l| l.to_ms).max(first)),
                )
            }),
            marks: chunks(t.marks.len(), &|from, to| {
                let (lo, hi) = bounds(t.marks[from..to].iter().map(|m| m.known_at.unwrap_or(0)));
                ((lo, hi + 1), (0, 0))
            }),
        }
    }
}

/// Which layer a [`LayerChunk`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layer {
    /// Divergence windows, on the cache lane.
    Windows,
    /// Anomaly and fault marks.
    Marks,
    /// The DB read band.
    Levels,
}

impl Layer {
    /// The layer's class (its SVG's, as the groups were: `windows`,
    /// `marks`, `levels`).
    fn class(self) -> &'static str {
        match self {
            Layer::Windows => "windows",
            Layer::Marks => "marks",
            Layer::Levels => "levels",
        }
    }
}

#[derive(Properties, PartialEq)]
struct LayerProps {
    whole: WholeTimeline,
    layer: Layer,
    /// The diagram's height (SVG units), for this layer's viewBox.
    height: f64,
    from: usize,
    to: usize,
    /// Trace entries at the cursor (clamped by the caller).
    entries: usize,
    /// The cursor's time (clamped by the caller).
    now_ms: Millis,
    scale: Scale,
    onselect: Callback<Selection>,
}

/// Elements `from..to` of one layer, as they stand at the cursor.
#[function_component(LayerChunk)]
fn layer_chunk(props: &LayerProps) -> Html {
    let t = &*props.whole.0;
    let scale = props.scale;
    let range = props.from..props.to;
    let content = match props.layer {
        Layer::Windows => {
            let cache_y = lane_y(t.cache_lane);
            html! { <g> { for t.windows_at(range, props.entries, props.now_ms).map(|(index, w)| {
                let (fill, testid) = match w.kind {
                    DivergenceKind::Stale => ("url(#stale-hatch)", "shade-stale"),
                    DivergenceKind::Ahead => ("url(#ahead-dots)", "shade-ahead"),
                };
                let from = match scale.axis {
                    Axis::Time => w.from_ms as f64,
                    Axis::Steps => w.opened_by.unwrap_or_else(|| t.entries_by(w.from_ms)) as f64,
                };
                let to = scale.at(t, w.to_ms);
                let onclick = props.onselect.reform(move |_: MouseEvent| Selection::Window(index));
                html! {
                    <rect key={index} data-testid={testid} x={scale.x(from).to_string()} y={(cache_y + 3.0).to_string()}
                        width={(scale.x(to) - scale.x(from)).max(2.0).to_string()} height={(LANE - 6.0).to_string()}
                        fill={fill} class="shade" {onclick}>
                        <title>{ format!("{} {} {}–{} ms{}", w.key, kind_name(w.kind), w.from_ms, w.to_ms,
                            if w.open { " (still open)" } else { "" }) }</title>
                    </rect>
                }
            }) } </g> }
        }
        Layer::Marks => html! { <g> { for t.marks_known(range, props.entries).map(|(index, m)| {
            let unit = match (scale.axis, m.step) {
                (Axis::Steps, Some(step)) => step as f64 + 0.5,
                _ => scale.at(t, m.at_ms),
            };
            let cx = scale.x(unit);
            let cy = lane_y(m.lane) + LANE / 2.0;
            let (testid, shape) = mark_shape(m.kind, cx, cy);
            // A read's lane is its request's (requests come first).
            let lane = m.lane;
            let step = m.step.unwrap_or(0);
            let onclick = match m.kind {
                MarkKind::StaleRead | MarkKind::PhantomRead | MarkKind::FallbackRead =>
                    props.onselect.reform(move |_: MouseEvent| Selection::Read(lane)),
                MarkKind::LostWrite => props.onselect.reform(move |_: MouseEvent| Selection::Lost(step)),
                MarkKind::Fault => props.onselect.reform(move |_: MouseEvent| Selection::Op(step)),
            };
            html! {
                <g key={index} data-testid={testid} class={classes!("mark", testid)} {onclick}>
                    // The whole disc takes the click, not only the ring's
                    // or the cross's strokes.
                    <circle class="hit" cx={cx.to_string()} cy={cy.to_string()} r="10" fill="transparent" />
                    { shape }
                    <title>{ &m.label }</title>
                </g>
            }
        }) } </g> },
        Layer::Levels => {
            let band_y = lane_y(t.lanes.len()) + 6.0;
            let peak = t
                .db_concurrency
                .iter()
                .map(|l| l.reads)
                .max()
                .unwrap_or(1)
                .max(1);
            html! { <g> { for t.db_concurrency[range].iter().enumerate()
            .filter(|(_, level)| level.from_ms < props.now_ms)
            .map(|(i, level)| {
                let h = BAND * f64::from(level.reads) / f64::from(peak);
                let (from, to) = (scale.at(t, level.from_ms), scale.at(t, level.to_ms.min(props.now_ms)));
                html! {
                    <rect key={props.from + i} data-testid="db-level" class="db-level" x={scale.x(from).to_string()}
                        y={(band_y + BAND - h).to_string()}
                        width={(scale.x(to) - scale.x(from)).max(1.0).to_string()} height={h.to_string()}>
                        <title>{ format!("{} DB read(s) in flight, {}–{} ms", level.reads, level.from_ms, level.to_ms) }</title>
                    </rect>
                }
            }) } </g> }
        }
    };
    // A layer of its own: a chunk drawn again repaints only itself.
    html! {
        <svg class={classes!("layer", "chunk", props.layer.class())} viewBox={format!("0 0 {WIDTH} {}", props.height)} aria-hidden="true">
            <g clip-path={scale.clip()}>{ content }</g>
        </svg>
    }
}

/// What the diagram's colours, patterns and shapes mean. A component of
/// its own (no props), so the timeline's render every frame while playing
/// does not build it again.
#[function_component(TimelineLegend)]
fn timeline_legend() -> Html {
    let swatch = |shape: Html, label: &'static str| {
        html! {
            <li>
                <svg class="swatch" viewBox="0 0 28 18" aria-hidden="true">{ shape }</svg>
                { label }
            </li>
        }
    };
    let span = |class: &'static str| html! { <rect class={classes!("span", class)} x="2" y="4" width="24" height="10" /> };
    let mark = |kind: MarkKind| {
        let (class, shape) = mark_shape(kind, 14.0, 9.0);
        html! { <g class={classes!("mark", class)}>{ shape }</g> }
    };
    html! {
        <ul class="timeline-legend" data-testid="timeline-legend" aria-label="Legend">
            { swatch(span("op-cache"), "cache operation") }
            { swatch(span("op-db"), "database operation") }
            { swatch(span("op-bus"), "bus operation") }
            { swatch(span("op-other"), "fault") }
            { swatch(html! { <rect x="1" y="1" width="26" height="16" fill="url(#stale-hatch)" /> }, "cache stale (hatched)") }
            { swatch(html! { <rect x="1" y="1" width="26" height="16" fill="url(#ahead-dots)" /> }, "cache ahead of the DB (dotted)") }
            { swatch(mark(MarkKind::StaleRead), "stale read") }
            { swatch(mark(MarkKind::PhantomRead), "phantom read") }
            { swatch(mark(MarkKind::FallbackRead), "fallback read") }
            { swatch(mark(MarkKind::LostWrite), "lost write") }
            { swatch(mark(MarkKind::Fault), "fault (drag to move)") }
            { swatch(html! { <rect class="db-level" x="4" y="6" width="20" height="12" /> }, "DB reads in flight") }
        </ul>
    }
}

fn kind_name(kind: DivergenceKind) -> &'static str {
    match kind {
        DivergenceKind::Stale => "stale",
        DivergenceKind::Ahead => "ahead",
    }
}

/// Spans are coloured by what they touch.
fn op_class(op: OpName) -> &'static str {
    place_class(op.place())
}

/// Every place, in the order the canvas keeps their colours.
const PLACES: [Place; 4] = [Place::Cache, Place::Db, Place::Bus, Place::Fault];

/// A place's class, and the stylesheet's colour property of that name.
fn place_class(place: Place) -> &'static str {
    match place {
        Place::Cache => "op-cache",
        Place::Db => "op-db",
        Place::Bus => "op-bus",
        Place::Fault => "op-other",
    }
}

/// Each kind of mark has its own shape: a triangle for a stale read, a ring
/// for a phantom read, a square for a fallback read, a cross for a lost
/// write, a diamond for a fault.
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
        MarkKind::FallbackRead => (
            "mark-fallback",
            html! { <rect x={(cx - r * 0.8).to_string()} y={(cy - r * 0.8).to_string()}
            width={(r * 1.6).to_string()} height={(r * 1.6).to_string()} /> },
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
