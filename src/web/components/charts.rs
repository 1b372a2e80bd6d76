//! Charts drawn on canvases: one per metric of the run on screen
//! (following the cursor: data up to it, a line at it), and one overlay of
//! several runs for the comparison. Hovering (or touching) a chart shows
//! the values of the bucket under the pointer. Drawn with the canvas's own
//! 2D calls in the page's theme colours, on round ticks (whole numbers for
//! counts).

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d;
use yew::prelude::*;

use crate::model::charts::{Chart, Metric, round_ticks};
use crate::sim::scenario::Millis;
use crate::web::hooks::use_on_screen;

/// Line colours, in legend order: Okabe and Ito's colour-blind-safe set
/// (its black as a dark grey, readable on either theme) and two of Paul
/// Tol's, so eight configurations compared never share one.
const PALETTE: [&str; 9] = [
    "rgb(0, 114, 178)",
    "rgb(213, 94, 0)",
    "rgb(0, 158, 115)",
    "rgb(204, 121, 167)",
    "rgb(86, 180, 233)",
    "rgb(230, 159, 0)",
    "rgb(120, 120, 120)",
    "rgb(136, 34, 85)",
    "rgb(153, 153, 51)",
];

/// The colour of the series at `index` (a compared configuration's).
pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// The widest a character of the 11-pixel label font is (digits, "ms"),
/// and the least room between two labels: labels are placed without
/// asking the browser to measure text.
const LABEL_CHAR_WIDTH: f64 = 6.5;
const LABEL_GAP: f64 = 4.0;

const WIDTH: u32 = 420;
const HEIGHT: u32 = 190;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// What to draw.
    pub chart: Rc<Chart>,
    /// The x axis ends here (the whole run's end).
    pub end_ms: Millis,
    /// The cursor, drawn as a vertical line.
    pub cursor_ms: Option<Millis>,
    /// Test ids are `{prefix}-{metric}`.
    #[prop_or_else(|| AttrValue::from("chart"))]
    pub prefix: AttrValue,
    /// Draw again only when this changes (the chart's data may change
    /// every step while playing; drawing once a bucket is enough then).
    pub version: u64,
    /// The y axis reaches at least this (the highest of the runs being
    /// compared, so the charts of each read on one scale).
    #[prop_or_default]
    pub y_at_least: Option<f64>,
    /// A logarithmic time axis (runs of very different lengths on one
    /// chart).
    #[prop_or_default]
    pub log_time: bool,
}

/// Where the x axis ends: the run's end plus one bucket, so the last
/// bucket's bar fits (the drawing and the hover both use it).
fn x_end(chart: &Chart, end_ms: Millis) -> f64 {
    (end_ms.max(1) + chart.width_ms) as f64
}

/// Room around the plot for the axis labels.
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 22.0;
const PLOT_WIDTH: f64 = WIDTH as f64 - LEFT - RIGHT;
const PLOT_HEIGHT: f64 = HEIGHT as f64 - TOP - BOTTOM;

/// The time axis: milliseconds to a fraction of the plot's width, and back.
#[derive(Clone, Copy)]
struct TimeAxis {
    end: f64,
    log: bool,
}

impl TimeAxis {
    fn fraction(self, ms: f64) -> f64 {
        if self.log {
            (1.0 + ms.max(0.0)).ln() / (1.0 + self.end).ln()
        } else {
            ms / self.end
        }
    }

    fn ms(self, fraction: f64) -> f64 {
        if self.log {
            (fraction * (1.0 + self.end).ln()).exp() - 1.0
        } else {
            fraction * self.end
        }
    }

    /// Its ticks: round values, or powers of ten on a log axis.
    fn ticks(self) -> Vec<f64> {
        if self.log {
            std::iter::once(0.0)
                .chain((0..).map(|p| 10f64.powi(p)).take_while(|t| *t <= self.end))
                .collect()
        } else {
            round_ticks(0.0, self.end, 6, 1.0)
        }
    }
}

/// The y axis's top and its ticks: whole numbers for counts, up to 100%
/// for the hit ratio.
fn y_axis(chart: &Chart, at_least: Option<f64>) -> (f64, Vec<f64>) {
    if chart.metric == Metric::HitRatio {
        return (1.0, round_ticks(0.0, 1.0, 5, 0.0));
    }
    let top = chart.max().max(at_least.unwrap_or(0.0)).max(1.0);
    let ticks = round_ticks(0.0, top, 5, 1.0);
    let step = ticks.get(1).copied().unwrap_or(1.0);
    let end = (top / step).ceil() * step;
    (end, round_ticks(0.0, end, 6, 1.0))
}

/// The page's colour for `name` (a custom property of the stylesheet),
/// so the charts follow the light or dark theme.
pub(super) fn theme(canvas: &web_sys::Element, name: &str, fallback: &str) -> String {
    web_sys::window()
        .and_then(|w| w.get_computed_style(canvas).ok().flatten())
        .and_then(|style| style.get_property_value(name).ok())
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| fallback.to_string())
}

fn line(context: &CanvasRenderingContext2d, points: &[(f64, f64)]) {
    context.begin_path();
    for (i, &(x, y)) in points.iter().enumerate() {
        if i == 0 {
            context.move_to(x, y);
        } else {
            context.line_to(x, y);
        }
    }
    context.stroke();
}

/// What a chart's canvas shows (its props without the test ids).
struct Drawing {
    chart: Rc<Chart>,
    end_ms: Millis,
    cursor_ms: Option<Millis>,
    /// The y axis's top and ticks ([`y_axis`]).
    y_end: f64,
    y_ticks: Vec<f64>,
    log_time: bool,
}

/// Draws `chart` on `canvas`: grid, bars or lines, the cursor, labels and
/// legend.
fn draw(canvas: web_sys::HtmlCanvasElement, props: &Drawing) -> Option<()> {
    let chart = &*props.chart;
    let context: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let (background, text, grid, ink) = (
        theme(&canvas, "--panel", "#fff"),
        theme(&canvas, "--muted", "#444"),
        theme(&canvas, "--border", "#ddd"),
        theme(&canvas, "--fg", "#000"),
    );
    let time = TimeAxis {
        end: x_end(chart, props.end_ms),
        log: props.log_time,
    };
    let (y_end, y_ticks) = (props.y_end, &props.y_ticks);
    let px = |ms: f64| LEFT + PLOT_WIDTH * time.fraction(ms);
    let py = |y: f64| TOP + PLOT_HEIGHT * (1.0 - y / y_end);
    context.set_global_alpha(1.0);
    context.set_fill_style_str(&background);
    context.fill_rect(0.0, 0.0, f64::from(WIDTH), f64::from(HEIGHT));

    context.set_line_width(1.0);
    context.set_stroke_style_str(&grid);
    let x_ticks = time.ticks();
    for &y in y_ticks {
        line(&context, &[(LEFT, py(y)), (LEFT + PLOT_WIDTH, py(y))]);
    }
    for &x in &x_ticks {
        line(&context, &[(px(x), TOP), (px(x), TOP + PLOT_HEIGHT)]);
    }

    let width = chart.width_ms as f64;
    for (index, series) in chart.lines.iter().enumerate() {
        let line_colour = colour(index);
        context.set_fill_style_str(line_colour);
        context.set_stroke_style_str(line_colour);
        if chart.metric.bars() && chart.lines.len() == 1 {
            context.set_global_alpha(0.8);
            for &(x, y) in &series.points {
                let (left, right) = (px(x as f64), px(x as f64 + width));
                context.fill_rect(left, py(y), (right - left).max(1.0), py(0.0) - py(y));
            }
            context.set_global_alpha(1.0);
            continue;
        }
        // Each value sits in the middle of its bucket; buckets with no
        // value (no lookups, no reads answered) break the line rather
        // than being bridged by a made-up slope.
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut last: Option<f64> = None;
        for &(x, y) in &series.points {
            let x = x as f64 + width / 2.0;
            let point = (px(x), py(y));
            match runs.last_mut() {
                Some(run) if last.is_some_and(|l| x - l <= width * 1.5) => run.push(point),
                _ => runs.push(vec![point]),
            }
            last = Some(x);
        }
        context.set_line_width(2.0);
        for run in runs {
            if let [(x, y)] = run.as_slice() {
                context.begin_path();
                let _ = context.arc(*x, *y, 2.0, 0.0, std::f64::consts::TAU);
                context.fill();
            } else {
                line(&context, &run);
            }
        }
    }
    if let Some(cursor) = props.cursor_ms {
        context.set_line_width(1.0);
        context.set_stroke_style_str(&ink);
        let x = px(cursor as f64);
        line(&context, &[(x, TOP), (x, TOP + PLOT_HEIGHT)]);
    }

    // Labels and legend.
    context.set_font("11px sans-serif");
    context.set_fill_style_str(&text);
    context.set_text_baseline("middle");
    context.set_text_align("right");
    for &y in y_ticks {
        let label = if chart.metric == Metric::HitRatio {
            format!("{:.0}%", y * 100.0)
        } else {
            format!("{y:.0}")
        };
        context.fill_text(&label, LEFT - 4.0, py(y)).ok()?;
    }
    context.set_text_baseline("top");
    // A label that would run into the one before it is left out (a log
    // axis's 0 ms and 1 ms sit a few pixels apart); its grid line stays.
    let mut last_right = f64::NEG_INFINITY;
    for &x in &x_ticks {
        let at = time.fraction(x);
        let label = if x >= 10_000.0 && x % 1000.0 == 0.0 {
            format!("{} s", x / 1000.0)
        } else {
            format!("{x:.0} ms")
        };
        let width = label.chars().count() as f64 * LABEL_CHAR_WIDTH;
        let (align, left) = if at < 0.05 {
            ("left", px(x))
        } else if at > 0.95 {
            ("right", px(x) - width)
        } else {
            ("center", px(x) - width / 2.0)
        };
        if left < last_right + LABEL_GAP {
            continue;
        }
        last_right = left + width;
        context.set_text_align(align);
        context
            .fill_text(&label, px(x), TOP + PLOT_HEIGHT + 5.0)
            .ok()?;
    }
    if props.log_time {
        context.set_text_align("right");
        context
            .fill_text("log scale", LEFT + PLOT_WIDTH, TOP + PLOT_HEIGHT - 12.0)
            .ok()?;
    }
    if chart.lines.len() > 1 {
        context.set_text_align("left");
        context.set_text_baseline("middle");
        for (index, series) in chart.lines.iter().enumerate() {
            let y = TOP + 8.0 + 13.0 * index as f64;
            let x = LEFT + 6.0;
            context.set_fill_style_str(colour(index));
            context.fill_rect(x, y - 2.0, 14.0, 4.0);
            context.set_fill_style_str(&ink);
            context.fill_text(&series.name, x + 18.0, y).ok()?;
        }
    }
    Some(())
}

#[function_component(ChartView)]
pub fn chart_view(props: &ChartProps) -> Html {
    let canvas = use_node_ref();
    let hover = use_state(|| None::<String>);
    let (y_end, y_ticks) = y_axis(&props.chart, props.y_at_least);
    // Drawn only while on screen (below the run, the charts are often not):
    // coming into view draws what is current.
    let on_screen = use_on_screen(canvas.clone());
    {
        let canvas = canvas.clone();
        let key = (
            on_screen,
            props.version,
            props.end_ms,
            props.cursor_ms,
            props.y_at_least.map(f64::to_bits),
            props.log_time,
        );
        let drawing = Drawing {
            chart: props.chart.clone(),
            end_ms: props.end_ms,
            cursor_ms: props.cursor_ms,
            y_end,
            y_ticks: y_ticks.clone(),
            log_time: props.log_time,
        };
        use_effect_with(key, move |_| {
            if let (true, Some(element)) = (on_screen, canvas.cast::<web_sys::HtmlCanvasElement>())
            {
                draw(element, &drawing);
            }
        });
    }
    let onpointermove = {
        let (hover, chart, canvas) = (hover.clone(), props.chart.clone(), canvas.clone());
        let time = TimeAxis {
            end: x_end(&props.chart, props.end_ms),
            log: props.log_time,
        };
        Callback::from(move |event: PointerEvent| {
            let Some(element) = canvas.cast::<web_sys::Element>() else {
                return;
            };
            let bounds = element.get_bounding_client_rect();
            // The plot spans the canvas minus the y labels and margins
            // (scaled with the canvas's drawn width).
            let scale = bounds.width() / WIDTH as f64;
            let left = bounds.left() + LEFT * scale;
            let right = bounds.right() - RIGHT * scale;
            let fraction = (event.client_x() as f64 - left) / (right - left);
            if !(0.0..=1.0).contains(&fraction) {
                hover.set(None);
                return;
            }
            hover.set(Some(chart.describe_at(time.ms(fraction) as Millis)));
        })
    };
    let onpointerleave = {
        let hover = hover.clone();
        // A finger lifting also "leaves": the values it tapped stay shown.
        Callback::from(move |event: PointerEvent| {
            if event.pointer_type() == "mouse" {
                hover.set(None);
            }
        })
    };
    let chart = &props.chart;
    let id = format!("{}-{}", props.prefix, chart.metric.id());
    let summary = format!(
        "{}: {} line(s), highest {}",
        chart.metric.title(),
        chart.lines.len(),
        chart.max()
    );
    html! {
        <figure class="chart" data-testid={id.clone()}>
            <figcaption>{ chart.metric.title() }</figcaption>
            <canvas ref={canvas} width={WIDTH.to_string()} height={HEIGHT.to_string()}
                role="img" aria-label={summary}
                data-sum={chart.sum().to_string()} data-max={chart.max().to_string()}
                data-last={chart.lines.first().and_then(|l| l.points.last()).map_or(0.0, |p| p.1).to_string()}
                data-lines={chart.lines.len().to_string()}
                data-y-ticks={y_ticks.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(" ")}
                data-log-time={props.log_time.to_string()}
                onpointerdown={onpointermove.clone()} {onpointermove} {onpointerleave} />
            <output class="chart-hover" data-testid={format!("{id}-hover")}>
                { (*hover).clone().unwrap_or_else(|| "Point at the chart for a bucket's values.".to_string()) }
            </output>
        </figure>
    }
}
