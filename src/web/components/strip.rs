//! The architecture strip, drawn: the boxes the scenario uses and the
//! operations in flight as tokens moving along their arrows (the model is
//! [`crate::model::architecture`]). While playing, tokens move with the playback
//! clock; under `prefers-reduced-motion` they stay where the last step put
//! them.

use yew::prelude::*;

use crate::model::architecture::{Architecture, Node};
use crate::sim::trace::Place;

/// The drawing's width: wide enough that the strip fills its column at
/// the height it is given.
const WIDTH: f64 = 1300.0;

/// A box's rectangle: x, y, width, height, stretched sideways by `sx` so
/// the boxes in use span the drawing's width.
fn rect(node: Node, sx: f64) -> (f64, f64, f64, f64) {
    let (x, y, w, h) = base_rect(node);
    (x * sx, y, w * sx, h)
}

/// The path an arrow takes, stretched sideways by `sx`.
fn route(from: Node, to: Node, sx: f64) -> Vec<(f64, f64)> {
    base_route(from, to)
        .into_iter()
        .map(|(x, y)| (x * sx, y))
        .collect()
}

/// How much to stretch the layout so the boxes in use fill the width.
fn stretch(nodes: &[Node]) -> f64 {
    let right = nodes
        .iter()
        .map(|&n| {
            let (x, _, w, _) = base_rect(n);
            x + w
        })
        .fold(0.0, f64::max);
    if right > 0.0 {
        (WIDTH - 20.0) / right
    } else {
        1.0
    }
}

/// A box's rectangle in the unstretched layout.
fn base_rect(node: Node) -> (f64, f64, f64, f64) {
    match node {
        Node::Clients => (20.0, 95.0, 120.0, 60.0),
        Node::App => (190.0, 95.0, 130.0, 60.0),
        Node::Cache => (420.0, 20.0, 130.0, 60.0),
        Node::Database => (420.0, 170.0, 130.0, 60.0),
        Node::Bus => (650.0, 170.0, 130.0, 60.0),
        Node::Relay => (650.0, 95.0, 130.0, 50.0),
        Node::Consumer => (850.0, 20.0, 130.0, 60.0),
        Node::Flusher => (190.0, 190.0, 130.0, 45.0),
        Node::Refresher => (190.0, 15.0, 130.0, 45.0),
    }
}

/// The path an arrow takes, as points (start, optional bends, end), in
/// the unstretched layout.
fn base_route(from: Node, to: Node) -> Vec<(f64, f64)> {
    match (from, to) {
        (Node::Clients, Node::App) => vec![(140.0, 125.0), (190.0, 125.0)],
        (Node::App, Node::Cache) => vec![(320.0, 110.0), (420.0, 60.0)],
        (Node::App, Node::Database) => vec![(320.0, 140.0), (420.0, 190.0)],
        // Around the database, not through it.
        (Node::App, Node::Bus) => vec![
            (300.0, 155.0),
            (380.0, 248.0),
            (715.0, 248.0),
            (715.0, 230.0),
        ],
        (Node::Database, Node::Bus) => vec![(550.0, 200.0), (650.0, 200.0)],
        (Node::Relay, Node::Database) => vec![(650.0, 130.0), (550.0, 185.0)],
        (Node::Relay, Node::Bus) => vec![(715.0, 145.0), (715.0, 170.0)],
        (Node::Bus, Node::Consumer) => vec![(780.0, 180.0), (900.0, 80.0)],
        (Node::Consumer, Node::Cache) => vec![(850.0, 50.0), (550.0, 50.0)],
        (Node::Flusher, Node::Database) => vec![(320.0, 212.0), (420.0, 212.0)],
        (Node::Refresher, Node::Cache) => vec![(320.0, 37.0), (420.0, 40.0)],
        (Node::Refresher, Node::Database) => vec![(300.0, 60.0), (370.0, 80.0), (430.0, 170.0)],
        // Not drawn (no such arrow); a straight line between centres.
        (a, b) => {
            let centre = |n| {
                let (x, y, w, h) = base_rect(n);
                (x + w / 2.0, y + h / 2.0)
            };
            vec![centre(a), centre(b)]
        }
    }
}

/// The point a fraction `progress` along a route.
fn along(points: &[(f64, f64)], progress: f64) -> (f64, f64) {
    let lengths: Vec<f64> = points
        .windows(2)
        .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
        .collect();
    let mut left = lengths.iter().sum::<f64>() * progress.clamp(0.0, 1.0);
    for (segment, length) in points.windows(2).zip(&lengths) {
        if left <= *length || *length == 0.0 {
            let f = if *length == 0.0 { 0.0 } else { left / length };
            return (
                segment[0].0 + (segment[1].0 - segment[0].0) * f,
                segment[0].1 + (segment[1].1 - segment[0].1) * f,
            );
        }
        left -= length;
    }
    *points.last().expect("a route has two points")
}

#[derive(Properties, PartialEq)]
pub struct StripProps {
    /// What to draw.
    pub strip: Architecture,
    /// How much larger than usual the stylesheet sets the strip's type
    /// (presenter mode: boxes 20 px bold, captions 16 px, against 15 and
    /// 12), so captions are spread by the room they really take.
    #[prop_or(1.0)]
    pub text_scale: f64,
}

/// Clients -> app -> cache / database -> bus -> consumer, with operations
/// in flight on their arrows.
#[function_component(ArchitectureStrip)]
pub fn architecture_strip(props: &StripProps) -> Html {
    let strip = &props.strip;
    let sx = stretch(&strip.nodes);
    let scale = props.text_scale;
    // Each bundle's dot and caption; captions spread so none overlaps.
    let dots: Vec<(f64, f64)> = strip
        .tokens
        .iter()
        .map(|token| along(&route(token.from, token.to, sx), token.progress))
        .collect();
    let captions: Vec<String> = strip.tokens.iter().map(caption).collect();
    let wanted: Vec<(f64, f64, f64)> = dots
        .iter()
        .zip(&captions)
        .map(|(&(x, y), text)| {
            (
                x + 12.0,
                y - 10.0,
                7.2 * scale * text.chars().count() as f64,
            )
        })
        .collect();
    // The boxes' captions (centred, 15 px type) are text already drawn.
    // A box with a note ("11 waiting") has a second line under it.
    let taken: Vec<(f64, f64, f64)> = strip
        .nodes
        .iter()
        .flat_map(|&node| {
            let (x, y, w, h) = rect(node, sx);
            let width = 9.0 * scale * node.label().len() as f64 + 24.0;
            let caption = (x + (w - width) / 2.0, y + h / 2.0 + 5.0, width);
            let note = (x + w / 2.0 - 60.0, y + h / 2.0 + 15.0, 120.0);
            std::iter::once(caption).chain(matches!(node, Node::App | Node::Bus).then_some(note))
        })
        .collect();
    let placed = crate::model::architecture::spread_labels(&wanted, &taken, 15.0 * scale);
    let points = |route: &[(f64, f64)]| {
        route
            .iter()
            .map(|(x, y)| format!("{x},{y}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        <figure class="strip" aria-labelledby="strip-title">
            <figcaption id="strip-title" class="visually-hidden">{ "Architecture, with the operations in flight" }</figcaption>
            <svg data-testid="strip" viewBox={format!("0 0 {WIDTH} 260")} role="img"
                aria-label={format!("Architecture: {}; {} operation(s) in flight",
                    strip.nodes.iter().map(|n| n.label()).collect::<Vec<_>>().join(", "),
                    strip.tokens.iter().map(|t| t.count).sum::<usize>())}>
                <defs>
                    <marker id="arrow-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0 0 L10 5 L0 10 z" class="arrow-head" />
                    </marker>
                </defs>
                // One group per list (see the timeline).
                <g class="arrows">
                { for strip.arrows.iter().map(|&(from, to)| html! {
                    <polyline key={format!("{from:?}-{to:?}")} class="arrow" points={points(&route(from, to, sx))} fill="none" marker-end="url(#arrow-head)" />
                }) }
                </g>
                <g class="nodes">
                { for strip.nodes.iter().map(|&node| {
                    let (x, y, w, h) = rect(node, sx);
                    let label = match node {
                        Node::App if strip.instances > 1 => format!("App ×{}", strip.instances),
                        _ => node.label().to_string(),
                    };
                    // A second line under the label, inside the box.
                    let note = match node {
                        Node::Bus if strip.events_in_transit > 0 => {
                            Some(format!("{} on the way", strip.events_in_transit))
                        }
                        Node::App if strip.waiting > 0 => Some(format!("{} waiting", strip.waiting)),
                        _ => None,
                    };
                    html! {
                        <g key={node.label()} class={classes!("node", format!("node-{}", node.label().to_ascii_lowercase().replace(' ', "-")))}
                            data-testid="strip-node">
                            <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} rx="8" />
                            <text x={(x + w / 2.0).to_string()} y={(y + h / 2.0 + if note.is_some() { -3.0 } else { 5.0 }).to_string()}
                                text-anchor="middle">{ label }</text>
                            if let Some(note) = note {
                                <text class="node-note" x={(x + w / 2.0).to_string()} y={(y + h / 2.0 + 15.0).to_string()}
                                    text-anchor="middle">{ note }</text>
                            }
                        </g>
                    }
                }) }
                </g>
                <g class="tokens">
                { for strip.tokens.iter().enumerate().map(|(i, token)| {
                    // An actor has one operation in flight; consumers of
                    // several partitions share a name, hence the position
                    // among those of the same name.
                    let same = strip.tokens[..i].iter().filter(|t| t.actor == token.actor).count();
                    let (x, y) = dots[i];
                    let (lx, ly) = placed[i];
                    // A bundle's dot grows with what it carries.
                    let r = 7.0 + 2.5 * ((token.count as f64).sqrt() - 1.0);
                    html! {
                        <g key={format!("{}#{same}", token.actor)} class={classes!("token", token_class(token.place))} data-testid="token">
                            <circle cx={x.to_string()} cy={y.to_string()} r={format!("{r:.1}")} />
                            if token.count > 1 {
                                <text class="token-count" x={x.to_string()} y={(y + 4.5).to_string()} text-anchor="middle">{ token.count }</text>
                            }
                            if (ly - (y - 10.0)).abs() > 1.0 {
                                <line class="leader" x1={x.to_string()} y1={y.to_string()} x2={lx.to_string()} y2={(ly - 4.0).to_string()} />
                            }
                            <text x={lx.to_string()} y={ly.to_string()}>{ &captions[i] }</text>
                            <title>{ format!("{} ({:.0}% of the way)", captions[i], token.progress * 100.0) }</title>
                        </g>
                    }
                }) }
                </g>
            </svg>
        </figure>
    }
}

/// `R1 db.read`, or `×12 db.read (R1…R12)` for a bundle.
fn caption(token: &crate::model::architecture::Token) -> String {
    if token.count > 1 {
        format!("×{} {} ({})", token.count, token.op, token.actor)
    } else {
        format!("{} {}", token.actor, token.op)
    }
}

fn token_class(place: Place) -> &'static str {
    match place {
        Place::Cache => "op-cache",
        Place::Bus => "op-bus",
        Place::Db | Place::Fault => "op-db",
    }
}
