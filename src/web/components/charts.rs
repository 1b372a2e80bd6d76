//! Charts drawn with plotters on canvases: one per metric of the run on
//! screen (following the cursor: data up to it, a line at it), and one
//! overlay of several runs for the comparison. Hovering (or touching) a
//! chart shows the values of the bucket under the pointer.

use std::rc::Rc;

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

use crate::model::charts::Chart;
use crate::sim::scenario::Millis;

/// Line colours (a colour-blind-safe set), in legend order.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
];

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
}

/// Where the x axis ends: the run's end plus one bucket, so the last
/// bucket's bar fits (the drawing and the hover both use it).
fn x_end(chart: &Chart, end_ms: Millis) -> f64 {
    (end_ms.max(1) + chart.width_ms) as f64
}

/// Room around the plot for the axis labels.
const LEFT: u32 = 48;
const RIGHT: u32 = 8;
const TOP: u32 = 8;
const BOTTOM: u32 = 22;

/// Draws `chart` on `canvas`: plotters draws the grid, bars, lines and
/// cursor; the labels are written with the canvas's own `fillText`.
/// (plotters' browser text measures each label by adding an element to
/// the page and reading its size, which forces a layout of the whole page
/// per label: with a 10,000-operation timeline on the page that cost more
/// than a frame.)
fn draw(
    canvas: web_sys::HtmlCanvasElement,
    chart: &Chart,
    end_ms: Millis,
    cursor_ms: Option<Millis>,
) -> Option<()> {
    use wasm_bindgen::JsCast;
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let backend = CanvasBackend::with_canvas_object(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let x_end = x_end(chart, end_ms);
    let y_end = match chart.metric {
        crate::model::charts::Metric::HitRatio => 1.0,
        _ => (chart.max() * 1.1).max(1.0),
    };
    let area = root.margin(TOP, BOTTOM, LEFT, RIGHT);
    let mut plot = ChartBuilder::on(&area)
        .build_cartesian_2d(0f64..x_end, 0f64..y_end)
        .ok()?;
    let grid = RGBColor(225, 225, 225);
    const X_TICKS: u32 = 5;
    const Y_TICKS: u32 = 4;
    for i in 0..=Y_TICKS {
        let y = y_end * f64::from(i) / f64::from(Y_TICKS);
        plot.draw_series(LineSeries::new([(0.0, y), (x_end, y)], grid))
            .ok()?;
    }
    for i in 0..=X_TICKS {
        let x = x_end * f64::from(i) / f64::from(X_TICKS);
        plot.draw_series(LineSeries::new([(x, 0.0), (x, y_end)], grid))
            .ok()?;
    }
    let width = chart.width_ms as f64;
    for (index, line) in chart.lines.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points = line.points.iter().map(|&(x, y)| (x as f64, y));
        if chart.metric.bars() && chart.lines.len() == 1 {
            plot.draw_series(points.map(|(x, y)| {
                Rectangle::new([(x, 0.0), (x + width, y)], colour.mix(0.8).filled())
            }))
            .ok()?;
            continue;
        }
        // Each value sits in the middle of its bucket; buckets with no
        // value (no lookups, no reads answered) break the line rather
        // than being bridged by a made-up slope.
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        for point in points.map(|(x, y)| (x + width / 2.0, y)) {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|p| point.0 - p.0 <= width * 1.5) => {
                    run.push(point)
                }
                _ => runs.push(vec![point]),
            }
        }
        for run in runs {
            if let [only] = run.as_slice() {
                plot.draw_series([Circle::new(*only, 2, colour.filled())])
                    .ok()?;
            } else {
                plot.draw_series(LineSeries::new(run, colour.stroke_width(2)))
                    .ok()?;
            }
        }
    }
    if let Some(cursor) = cursor_ms {
        let x = cursor as f64;
        plot.draw_series(LineSeries::new(
            [(x, 0.0), (x, y_end)],
            BLACK.stroke_width(1),
        ))
        .ok()?;
    }
    root.present().ok()?;

    // Labels and legend.
    let (plot_w, plot_h) = (
        f64::from(WIDTH - LEFT - RIGHT),
        f64::from(HEIGHT - TOP - BOTTOM),
    );
    context.set_font("11px sans-serif");
    context.set_fill_style_str("#444");
    context.set_text_baseline("middle");
    context.set_text_align("right");
    for i in 0..=Y_TICKS {
        let y = y_end * f64::from(i) / f64::from(Y_TICKS);
        let label = if y_end > 5.0 {
            format!("{y:.0}")
        } else {
            format!("{y:.2}")
        };
        let py = f64::from(TOP) + plot_h * (1.0 - f64::from(i) / f64::from(Y_TICKS));
        context.fill_text(&label, f64::from(LEFT) - 4.0, py).ok()?;
    }
    context.set_text_baseline("top");
    for i in 0..=X_TICKS {
        let x = x_end * f64::from(i) / f64::from(X_TICKS);
        let px = f64::from(LEFT) + plot_w * f64::from(i) / f64::from(X_TICKS);
        context.set_text_align(match i {
            0 => "left",
            X_TICKS => "right",
            _ => "center",
        });
        context
            .fill_text(&format!("{x:.0} ms"), px, f64::from(HEIGHT - BOTTOM) + 5.0)
            .ok()?;
    }
    if chart.lines.len() > 1 {
        context.set_text_align("left");
        context.set_text_baseline("middle");
        for (index, line) in chart.lines.iter().enumerate() {
            let RGBColor(r, g, b) = PALETTE[index % PALETTE.len()];
            let y = f64::from(TOP) + 8.0 + 13.0 * index as f64;
            let x = f64::from(LEFT) + 6.0;
            context.set_fill_style_str(&format!("rgb({r},{g},{b})"));
            context.fill_rect(x, y - 2.0, 14.0, 4.0);
            context.set_fill_style_str("#222");
            context.fill_text(&line.name, x + 18.0, y).ok()?;
        }
    }
    Some(())
}

#[function_component(ChartView)]
pub fn chart_view(props: &ChartProps) -> Html {
    let canvas = use_node_ref();
    let hover = use_state(|| None::<String>);
    {
        let canvas = canvas.clone();
        let chart = props.chart.clone();
        let (end_ms, cursor_ms) = (props.end_ms, props.cursor_ms);
        use_effect_with((props.version, props.end_ms, props.cursor_ms), move |_| {
            if let Some(element) = canvas.cast::<web_sys::HtmlCanvasElement>() {
                draw(element, &chart, end_ms, cursor_ms);
            }
        });
    }
    let onpointermove = {
        let (hover, chart, canvas) = (hover.clone(), props.chart.clone(), canvas.clone());
        let end_ms = props.end_ms;
        Callback::from(move |event: PointerEvent| {
            let Some(element) = canvas.cast::<web_sys::Element>() else {
                return;
            };
            let bounds = element.get_bounding_client_rect();
            // The plot spans the canvas minus the y labels and margins
            // (scaled with the canvas's drawn width).
            let scale = bounds.width() / WIDTH as f64;
            let left = bounds.left() + f64::from(LEFT) * scale;
            let right = bounds.right() - f64::from(RIGHT) * scale;
            let fraction = (event.client_x() as f64 - left) / (right - left);
            if !(0.0..=1.0).contains(&fraction) {
                hover.set(None);
                return;
            }
            let at = fraction * x_end(&chart, end_ms);
            hover.set(Some(chart.describe_at(at as Millis)));
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
                onpointerdown={onpointermove.clone()} {onpointermove} {onpointerleave} />
            <output class="chart-hover" data-testid={format!("{id}-hover")}>
                { (*hover).clone().unwrap_or_else(|| "Point at the chart for a bucket's values.".to_string()) }
            </output>
        </figure>
    }
}
