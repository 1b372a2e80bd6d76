//! Charts drawn with plotters on canvases: one per metric of the run on
//! screen (following the cursor: data up to it, a line at it), and one
//! overlay of several runs for the comparison. Hovering (or touching) a
//! chart shows the values of the bucket under the pointer.

use std::rc::Rc;

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

use crate::charts::Chart;
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

/// Draws `chart` on `canvas`.
fn draw(canvas: web_sys::HtmlCanvasElement, props: &ChartProps) -> Option<()> {
    let backend = CanvasBackend::with_canvas_object(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let chart = &props.chart;
    let x_end = (props.end_ms.max(1) + chart.width_ms) as f64;
    let y_end = match chart.metric {
        crate::charts::Metric::HitRatio => 1.0,
        _ => (chart.max() * 1.1).max(1.0),
    };
    let mut plot = ChartBuilder::on(&root)
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(42)
        .build_cartesian_2d(0f64..x_end, 0f64..y_end)
        .ok()?;
    plot.configure_mesh()
        .x_labels(5)
        .y_labels(4)
        .x_label_formatter(&|x| format!("{x:.0} ms"))
        .y_label_formatter(&|y| {
            if y_end > 5.0 {
                format!("{y:.0}")
            } else {
                format!("{y:.2}")
            }
        })
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .ok()?;
    let width = chart.width_ms as f64;
    for (index, line) in chart.lines.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let points = line.points.iter().map(|&(x, y)| (x as f64, y));
        if chart.metric.bars() && chart.lines.len() == 1 {
            plot.draw_series(points.map(|(x, y)| {
                Rectangle::new([(x, 0.0), (x + width, y)], colour.mix(0.8).filled())
            }))
            .ok()?;
        } else {
            // Each value sits in the middle of its bucket; buckets with no
            // value (no lookups, no reads answered) break the line rather
            // than being bridged by a made-up slope.
            let centred: Vec<(f64, f64)> = points.map(|(x, y)| (x + width / 2.0, y)).collect();
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            for point in centred {
                match runs.last_mut() {
                    Some(run) if run.last().is_some_and(|p| point.0 - p.0 <= width * 1.5) => {
                        run.push(point)
                    }
                    _ => runs.push(vec![point]),
                }
            }
            for run in &runs {
                if let [only] = run.as_slice() {
                    plot.draw_series([Circle::new(*only, 2, colour.filled())])
                        .ok()?;
                } else {
                    plot.draw_series(LineSeries::new(run.clone(), colour.stroke_width(2)))
                        .ok()?;
                }
            }
            // The legend entry (an empty series carries it).
            plot.draw_series(LineSeries::new(std::iter::empty::<(f64, f64)>(), colour))
                .ok()?
                .label(line.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                });
        }
    }
    if chart.lines.len() > 1 {
        plot.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .ok()?;
    }
    if let Some(cursor) = props.cursor_ms {
        let x = cursor as f64;
        plot.draw_series(LineSeries::new(
            [(x, 0.0), (x, y_end)],
            BLACK.stroke_width(1),
        ))
        .ok()?;
    }
    root.present().ok()
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
                let props = ChartProps {
                    chart,
                    end_ms,
                    cursor_ms,
                    prefix: AttrValue::default(),
                    version: 0,
                };
                draw(element, &props);
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
            let left = bounds.left() + (6.0 + 42.0) * scale;
            let right = bounds.right() - 6.0 * scale;
            let fraction = (event.client_x() as f64 - left) / (right - left);
            if !(0.0..=1.0).contains(&fraction) {
                hover.set(None);
                return;
            }
            let x_end = (end_ms.max(1) + chart.width_ms) as f64;
            hover.set(Some(chart.describe_at((fraction * x_end) as Millis)));
        })
    };
    let onpointerleave = {
        let hover = hover.clone();
        Callback::from(move |_: PointerEvent| hover.set(None))
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
                {onpointermove} {onpointerleave} />
            <output class="chart-hover" data-testid={format!("{id}-hover")}>
                { (*hover).clone().unwrap_or_else(|| "Point at the chart for a bucket's values.".to_string()) }
            </output>
        </figure>
    }
}
