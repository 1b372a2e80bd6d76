//! Charts drawn with plotters on canvases (plotters-canvas): one per metric
//! of the run on screen (following the cursor: data up to it, a line at
//! it), one overlay of several runs for the comparison, and the
//! distribution of the time until a commit is visible. Each says what it
//! shows in words ([`Chart::description`]), shows its numbers as a table on
//! request, and reads out the bucket under the pointer beside the pointer.
//!
//! plotters lays out axis labels by measuring text; its browser font
//! measures by adding an element to the page and reading its size, which
//! forces a layout of the whole page per label (with a 10,000-operation
//! timeline on the page, more than a frame). [`Canvas2d`] is the canvas
//! backend with its own measure: the labels use one fixed font, whose
//! characters are at most [`CHAR_EM`] of its size wide.

use std::ops::Range;
use std::rc::Rc;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::types::{RangedCoordf64, RangedCoordu64};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
// (The backend's style traits by path: in scope, their `stroke_width`
// would shadow plotters' `Color::stroke_width`.)
use plotters_backend::{BackendColor, BackendCoord, DrawingBackend, DrawingErrorKind};
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

use crate::model::charts::{Chart, Metric, Shape};
use crate::sim::scenario::Millis;
use crate::web::hooks::use_on_screen;

/// Line colours, in legend order: Okabe and Ito's colour-blind-safe set
/// (its black as a dark grey, readable on either theme) and two of Paul
/// Tol's, so eight configurations compared never share one.
const PALETTE: [RGBColor; 9] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(120, 120, 120),
    RGBColor(136, 34, 85),
    RGBColor(153, 153, 51),
];

/// The colour of the series at `index` (a compared configuration's), as
/// CSS.
pub fn colour(index: usize) -> String {
    let RGBColor(r, g, b) = line_colour(index);
    format!("rgb({r}, {g}, {b})")
}

/// The colour of the line at `index`, as plotters'.
fn line_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

const WIDTH: u32 = 420;
const HEIGHT: u32 = 190;

/// The labels' font and size, set once.
const FONT: (&str, u32) = ("sans-serif", 11);
/// The widest a character of the labels is (digits, "ms", "%"), as a
/// share of the font's size.
const CHAR_EM: f64 = 0.6;

/// Room around the plot for the axis labels.
const LEFT: u32 = 44;
const RIGHT: u32 = 10;
const TOP: u32 = 8;
const BOTTOM: u32 = 22;

/// plotters-canvas's backend with a text measure that asks nothing of the
/// page (see the module's comment); everything else is the canvas's.
struct Canvas2d(CanvasBackend);

impl DrawingBackend for Canvas2d {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        colour: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, colour)
    }

    fn draw_line<S: plotters_backend::BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: plotters_backend::BackendStyle>(
        &mut self,
        centre: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(centre, radius, style, fill)
    }

    fn fill_polygon<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vertices, style)
    }

    fn draw_text<S: plotters_backend::BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        position: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_text(text, style, position)
    }

    fn estimate_text_size<S: plotters_backend::BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let size = style.size();
        let width = text.chars().count() as f64 * size * CHAR_EM;
        Ok((width.ceil() as u32, size.ceil() as u32))
    }
}

/// The time axis: linear, or logarithmic in (1 + ms) so that 0 ms has a
/// place (runs of very different lengths on one chart). Its ticks are
/// plotters' round whole values, or 0 and powers of ten.
#[derive(Clone, Copy, PartialEq)]
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
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (span * self.fraction(*value)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if !self.log {
            // Whole milliseconds (a short axis would otherwise label 0.5 ms
            // as "0 ms" twice).
            return RangedCoordu64::from(0..self.end.ceil() as u64)
                .key_points(hint)
                .into_iter()
                .map(|ms| ms as f64)
                .collect();
        }
        // 0, then powers of ten; 1 ms only where its label clears 0 ms's.
        let axis = *self;
        std::iter::once(0.0)
            .chain((0..).map(|p| 10f64.powi(p)).take_while(|t| *t <= self.end))
            .filter(|t| *t != 1.0 || axis.fraction(1.0) > 0.1)
            .take(hint.max_num_points().max(2))
            .collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.end
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format(ms: &f64) -> String {
        if *ms >= 10_000.0 && ms % 1000.0 == 0.0 {
            format!("{} s", ms / 1000.0)
        } else {
            format!("{ms:.0} ms")
        }
    }
}

/// The value axis: from 0 to a top that is itself a tick, on plotters'
/// round ticks (whole numbers for counts and milliseconds; 0-100% for a
/// share).
#[derive(Clone, Debug, PartialEq)]
struct ValueAxis {
    top: f64,
    /// Its labels are the metric's values (a share as a percentage).
    metric: Metric,
    ticks: Vec<f64>,
}

impl ValueAxis {
    const TICKS: usize = 6;

    fn new(metric: Metric, highest: f64) -> ValueAxis {
        if metric.is_share() {
            let ticks = RangedCoordf64::from(0.0..1.0).key_points(Self::TICKS);
            return ValueAxis {
                top: 1.0,
                metric,
                ticks,
            };
        }
        let highest = highest.max(1.0).ceil() as u64;
        let first: Vec<u64> = RangedCoordu64::from(0..highest).key_points(Self::TICKS - 1);
        let step = match first.as_slice() {
            [a, b, ..] => b - a,
            _ => 1,
        };
        let top = highest.div_ceil(step) * step;
        let ticks = RangedCoordu64::from(0..top)
            .key_points(Self::TICKS)
            .into_iter()
            .map(|t| t as f64)
            .collect();
        ValueAxis {
            top: top as f64,
            metric,
            ticks,
        }
    }
}

/// Required by plotters' mesh; the mesh is given `Metric::value` as its
/// label formatter, which takes precedence.
impl ValueFormatter<f64> for ValueAxis {
    fn format(y: &f64) -> String {
        format!("{y}")
    }
}

impl Ranged for ValueAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (span * value / self.top).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.top
    }
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

/// A stylesheet colour (`#rgb`, `#rrggbb` or `rgb(r, g, b)`) as plotters'.
fn parse_colour(css: &str) -> Option<RGBColor> {
    let css = css.trim();
    if let Some(hex) = css.strip_prefix('#') {
        let digit = |i: usize, n: usize| u8::from_str_radix(hex.get(i..i + n)?, 16).ok();
        return match hex.len() {
            3 => Some(RGBColor(
                digit(0, 1)? * 17,
                digit(1, 1)? * 17,
                digit(2, 1)? * 17,
            )),
            6 => Some(RGBColor(digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
            _ => None,
        };
    }
    let inside = css.strip_prefix("rgb")?.trim_start_matches('a');
    let inside = inside.strip_prefix('(')?.strip_suffix(')')?;
    let mut parts = inside
        .split([',', ' ', '/'])
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<f64>().ok().map(|v| v.clamp(0.0, 255.0) as u8));
    Some(RGBColor(parts.next()??, parts.next()??, parts.next()??))
}

/// The theme's colours, read from the stylesheet once per drawing.
struct Colours {
    background: RGBColor,
    text: RGBColor,
    grid: RGBColor,
    ink: RGBColor,
}

impl Colours {
    fn of(canvas: &web_sys::Element) -> Colours {
        let get = |name: &str, fallback: RGBColor| {
            parse_colour(&theme(canvas, name, "")).unwrap_or(fallback)
        };
        Colours {
            background: get("--panel", WHITE),
            text: get("--muted", RGBColor(68, 68, 68)),
            grid: get("--border", RGBColor(221, 221, 221)),
            ink: get("--fg", BLACK),
        }
    }
}

/// What a chart's canvas shows: drawn again only when this changes (the
/// cursor is a line over the canvas, moved without drawing).
#[derive(Clone, PartialEq)]
struct Drawing {
    chart: Rc<Chart>,
    time: TimeAxis,
    values: ValueAxis,
}

/// A drawing's failure (the canvas went away, a backend error): the chart
/// is simply not drawn this time.
type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Draws `drawing` on `canvas` with plotters: background, mesh with its
/// labels, the lines in their shape, and a legend when there are several
/// lines.
fn draw(canvas: web_sys::HtmlCanvasElement, drawing: &Drawing) -> Drawn {
    let colours = Colours::of(&canvas);
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2D context")?;
    let root = Canvas2d(backend).into_drawing_area();
    root.fill(&colours.background)?;
    let chart = &*drawing.chart;
    let font = FONT.into_font().color(&colours.text);
    let mut plot = ChartBuilder::on(&root)
        .margin_top(TOP)
        .margin_right(RIGHT)
        .x_label_area_size(BOTTOM)
        .y_label_area_size(LEFT)
        .build_cartesian_2d(drawing.time, drawing.values.clone())?;
    let values = &drawing.values;
    let y_label = |y: &f64| values.metric.value(*y);
    let x_label = |ms: &f64| TimeAxis::format(ms);
    plot.configure_mesh()
        .x_labels(6)
        .y_labels(ValueAxis::TICKS)
        .bold_line_style(colours.grid)
        .light_line_style(TRANSPARENT)
        .axis_style(colours.grid)
        .label_style(font.clone())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .draw()?;

    let width = chart.width_ms as f64;
    let several = chart.lines.len() > 1;
    for (index, line) in chart.lines.iter().enumerate() {
        let colour = line_colour(index);
        let points = line.points.iter().map(|&(x, y)| (x as f64, y));
        match chart.metric.shape() {
            Shape::Bars if !several => {
                plot.draw_series(points.map(|(x, y)| {
                    Rectangle::new([(x, 0.0), (x + width, y)], colour.mix(0.85).filled())
                }))?;
            }
            // Several runs' bars would hide each other: their counts are
            // drawn as levels instead.
            Shape::Bars | Shape::Steps => {
                let mut path = Vec::with_capacity(line.points.len() * 2);
                for (x, y) in points {
                    path.push((x, y));
                    path.push((x + width, y));
                }
                plot.draw_series(std::iter::once(PathElement::new(
                    path,
                    colour.stroke_width(2),
                )))?;
            }
            Shape::Lines => {
                // A point in the middle of each bucket with a value, joined
                // to its neighbours; a bucket without one breaks the line,
                // and a lone value is drawn across its bucket.
                let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
                let mut previous: Option<f64> = None;
                for (x, y) in points {
                    match runs.last_mut() {
                        Some(run) if previous.is_some_and(|p| x - p <= width) => {
                            run.push((x + width / 2.0, y))
                        }
                        _ => runs.push(vec![(x + width / 2.0, y)]),
                    }
                    previous = Some(x);
                }
                plot.draw_series(runs.into_iter().map(|run| {
                    let run = match run.as_slice() {
                        [(x, y)] => vec![(x - width / 2.0, *y), (x + width / 2.0, *y)],
                        _ => run,
                    };
                    PathElement::new(run, colour.stroke_width(2))
                }))?;
            }
        }
    }
    if drawing.time.log {
        let right = font.pos(Pos::new(HPos::Right, VPos::Bottom));
        let at = ((WIDTH - RIGHT) as i32, (HEIGHT - BOTTOM) as i32 - 3);
        root.draw(&Text::new("log scale", at, right))?;
    }
    if several {
        let ink = FONT.into_font().color(&colours.ink);
        for (index, line) in chart.lines.iter().enumerate() {
            let (x, y) = ((LEFT + 6) as i32, (TOP + 4) as i32 + 13 * index as i32);
            let colour = line_colour(index);
            root.draw(&Rectangle::new(
                [(x, y + 3), (x + 14, y + 7)],
                colour.filled(),
            ))?;
            root.draw(&Text::new(line.name.as_str(), (x + 18, y), ink.clone()))?;
        }
    }
    root.present()?;
    Ok(())
}

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// What to draw.
    pub chart: Rc<Chart>,
    /// The x axis ends here (the whole run's end).
    pub end_ms: Millis,
    /// The cursor, a vertical line over the plot.
    pub cursor_ms: Option<Millis>,
    /// Test ids are `{prefix}-{metric}`.
    #[prop_or_else(|| AttrValue::from("chart"))]
    pub prefix: AttrValue,
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

/// The readout under the pointer: its text and where it sits in the
/// figure (CSS pixels from the canvas's top left).
#[derive(Clone, PartialEq)]
struct Readout {
    text: String,
    left: f64,
    top: f64,
}

#[function_component(ChartView)]
pub fn chart_view(props: &ChartProps) -> Html {
    let canvas = use_node_ref();
    let hover = use_state(|| None::<Readout>);
    let showing_data = use_state(|| false);
    let time = TimeAxis {
        end: x_end(&props.chart, props.end_ms),
        log: props.log_time,
    };
    let values = {
        let highest = props.chart.max().max(props.y_at_least.unwrap_or(0.0));
        let metric = props.chart.metric;
        use_memo((metric, highest.to_bits()), move |_| {
            ValueAxis::new(metric, highest)
        })
    };
    // Drawn only while on screen (below the run, the charts are often not):
    // coming into view draws what is current. Drawn again only when what
    // the canvas shows changes (a chart's data changes per bucket, not per
    // step; the cursor moves over it).
    let on_screen = use_on_screen(canvas.clone());
    {
        let canvas = canvas.clone();
        let drawing = Drawing {
            chart: props.chart.clone(),
            time,
            values: (*values).clone(),
        };
        use_effect_with((on_screen, drawing), move |(on_screen, drawing)| {
            if let (true, Some(element)) = (*on_screen, canvas.cast::<web_sys::HtmlCanvasElement>())
                && let Err(error) = draw(element, drawing)
            {
                web_sys::console::warn_1(&format!("chart not drawn: {error}").into());
            }
        });
    }
    let onpointermove = {
        let (hover, chart, canvas) = (hover.clone(), props.chart.clone(), canvas.clone());
        Callback::from(move |event: PointerEvent| {
            let Some(element) = canvas.cast::<web_sys::Element>() else {
                return;
            };
            let bounds = element.get_bounding_client_rect();
            // The plot spans the canvas minus the y labels and margins
            // (scaled with the canvas's drawn width).
            let scale = bounds.width() / f64::from(WIDTH);
            let left = bounds.left() + f64::from(LEFT) * scale;
            let right = bounds.right() - f64::from(RIGHT) * scale;
            let x = f64::from(event.client_x());
            let fraction = (x - left) / (right - left);
            if !(0.0..=1.0).contains(&fraction) {
                hover.set(None);
                return;
            }
            hover.set(Some(Readout {
                text: chart.describe_at(time.ms(fraction) as Millis),
                left: x - bounds.left(),
                top: f64::from(event.client_y()) - bounds.top(),
            }));
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
    let ontoggle = {
        let showing_data = showing_data.clone();
        Callback::from(move |_| showing_data.set(!*showing_data))
    };
    let chart = &props.chart;
    let id = format!("{}-{}", props.prefix, chart.metric.id());
    let description = chart.description();
    let readout = match &*hover {
        Some(readout) => {
            // Beside the pointer, flipped to its left in the right half so
            // it stays inside the chart.
            let side = if readout.left > f64::from(WIDTH) / 2.0 {
                "translate(calc(-100% - 12px), -50%)"
            } else {
                "translate(12px, -50%)"
            };
            html! {
                <output class="chart-hover" data-testid={format!("{id}-hover")}
                    style={format!("left: {:.0}px; top: {:.0}px; transform: {side}", readout.left, readout.top)}>
                    { readout.text.clone() }
                </output>
            }
        }
        None => html! {
            <output class="chart-hover" data-testid={format!("{id}-hover")} hidden=true />
        },
    };
    html! {
        <figure class="chart" data-testid={id.clone()}>
            <figcaption>
                <span class="chart-title">{ chart.title() }</span>
                <button type="button" class="chart-data-toggle" data-testid={format!("{id}-data-toggle")}
                    aria-expanded={showing_data.to_string()} onclick={ontoggle}>{ "data" }</button>
            </figcaption>
            <p class="chart-description" id={format!("{id}-description")} data-testid={format!("{id}-description")}>
                { description.clone() }
            </p>
            <div class="chart-canvas">
                <canvas ref={canvas} width={WIDTH.to_string()} height={HEIGHT.to_string()}
                    role="img" aria-label={description} aria-describedby={format!("{id}-description")}
                    data-sum={chart.sum().to_string()} data-max={chart.max().to_string()}
                    data-last={chart.lines.first().and_then(|l| l.points.last()).map_or(0.0, |p| p.1).to_string()}
                    data-lines={chart.lines.len().to_string()}
                    data-y-ticks={values.ticks.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(" ")}
                    data-log-time={props.log_time.to_string()}
                    onpointerdown={onpointermove.clone()} {onpointermove} {onpointerleave} />
                if let Some(cursor) = props.cursor_ms {
                    <div class="chart-cursor" aria-hidden="true" style={cursor_style(time, cursor)} />
                }
                { readout }
            </div>
            if *showing_data {
                <ChartTable chart={chart.clone()} id={format!("{id}-data")} />
            }
        </figure>
    }
}

/// Where the cursor's line sits over the canvas, as shares of its box (the
/// canvas scales with the page; the plot is where `draw` put it).
fn cursor_style(time: TimeAxis, cursor_ms: Millis) -> String {
    let plot = f64::from(WIDTH - LEFT - RIGHT);
    let x = f64::from(LEFT) + plot * time.fraction(cursor_ms as f64).clamp(0.0, 1.0);
    let percent = |part: f64, of: u32| 100.0 * part / f64::from(of);
    format!(
        "left: {:.3}%; top: {:.3}%; bottom: {:.3}%",
        percent(x, WIDTH),
        percent(f64::from(TOP), HEIGHT),
        percent(f64::from(BOTTOM), HEIGHT),
    )
}

#[derive(Properties, PartialEq)]
struct ChartTableProps {
    chart: Rc<Chart>,
    id: AttrValue,
}

/// A chart's numbers as a table.
#[function_component(ChartTable)]
fn chart_table(props: &ChartTableProps) -> Html {
    let (header, rows) = props.chart.table();
    html! {
        <div class="chart-data" data-testid={props.id.clone()}>
            <table>
                <caption>{ props.chart.title() }</caption>
                <thead><tr>{ for header.iter().map(|h| html! { <th scope="col">{ h.clone() }</th> }) }</tr></thead>
                <tbody>
                    { for rows.iter().map(|row| html! {
                        <tr>
                            <th scope="row">{ row[0].clone() }</th>
                            { for row[1..].iter().map(|cell| html! { <td>{ cell.clone() }</td> }) }
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
