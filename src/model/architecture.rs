//! The architecture strip's model: the boxes a scenario uses (clients, app
//! instances, cache, database, and the bus, consumer, relay, flusher or
//! refresher when its strategy has them) and every operation in flight as a
//! token on the arrow it travels, with how far along it is. A pure function
//! of the simulation and a clock, so the page only draws it.

use crate::sim::Simulation;
use crate::sim::scenario::Channel;
use crate::sim::trace::{Actor, Place};

/// A box of the strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// Whoever sends the requests.
    Clients,
    /// The application instances.
    App,
    /// The cache server.
    Cache,
    /// The database.
    Database,
    /// The event bus.
    Bus,
    /// The invalidation consumer.
    Consumer,
    /// The outbox relay.
    Relay,
    /// The write-behind flusher.
    Flusher,
    /// The background refresher (XFetch, stale-while-revalidate).
    Refresher,
}

impl Node {
    /// Its caption.
    pub fn label(self) -> &'static str {
        match self {
            Node::Clients => "Clients",
            Node::App => "App",
            Node::Cache => "Cache",
            Node::Database => "Database",
            Node::Bus => "Event bus",
            Node::Consumer => "Consumer",
            Node::Relay => "Outbox relay",
            Node::Flusher => "Flusher",
            Node::Refresher => "Refresher",
        }
    }
}

/// Operations in flight on their way from one box to another: one, or
/// several of the same kind issued together (a stampede's twelve DB reads
/// travel as one token marked "×12").
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// Who issued it, as a label (`R1`; `R1…R12` for a bundle).
    pub actor: String,
    /// How many operations it stands for.
    pub count: usize,
    /// What it is, as a label (`db.read`, or `bus.delete` for an event
    /// travelling the bus).
    pub op: &'static str,
    /// Where it goes (what colours it).
    pub place: Place,
    /// From.
    pub from: Node,
    /// To.
    pub to: Node,
    /// How far along: 0 when issued, 1 when it takes effect.
    pub progress: f64,
}

/// What the strip shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Architecture {
    /// The boxes this scenario uses, in drawing order.
    pub nodes: Vec<Node>,
    /// The arrows between them.
    pub arrows: Vec<(Node, Node)>,
    /// How many app instances.
    pub instances: u32,
    /// Operations in flight.
    pub tokens: Vec<Token>,
    /// Bus events on their way to a partition.
    pub events_in_transit: usize,
    /// Actors started and not done with nothing under way: sleeping before
    /// a retry (for a lock or a lease), or held by a paused instance.
    pub waiting: usize,
}

/// The strip for `sim`, with operations placed as of `clock_ms` (the
/// playback clock while playing, for smooth motion; else the simulation's
/// own time).
pub fn architecture(sim: &Simulation, clock_ms: f64) -> Architecture {
    let strategy = &sim.scenario().strategy;
    let bus = strategy.channel.entry().on_the_bus;
    let mut nodes = vec![Node::Clients, Node::App, Node::Cache, Node::Database];
    let mut arrows = vec![
        (Node::Clients, Node::App),
        (Node::App, Node::Cache),
        (Node::App, Node::Database),
    ];
    if bus {
        nodes.extend([Node::Bus, Node::Consumer]);
        arrows.extend([(Node::Bus, Node::Consumer), (Node::Consumer, Node::Cache)]);
        match strategy.channel {
            Channel::Event => arrows.push((Node::App, Node::Bus)),
            Channel::Cdc => arrows.push((Node::Database, Node::Bus)),
            Channel::Outbox => {
                nodes.push(Node::Relay);
                arrows.extend([(Node::Relay, Node::Database), (Node::Relay, Node::Bus)]);
            }
            Channel::Inline => {}
        }
    }
    if strategy.write.entry().flusher {
        nodes.push(Node::Flusher);
        arrows.push((Node::Flusher, Node::Database));
    }
    if strategy.stampede.entry().refreshers {
        nodes.push(Node::Refresher);
        arrows.extend([
            (Node::Refresher, Node::Database),
            (Node::Refresher, Node::Cache),
        ]);
    }
    // An operation issued after the clock belongs to an actor sleeping
    // before a retry: it waits at its app rather than travelling.
    let (in_flight, sleeping): (Vec<_>, Vec<_>) = sim
        .in_flight()
        .into_iter()
        .partition(|&(_, _, issued_ms, _)| issued_ms as f64 <= clock_ms);
    let mut tokens: Vec<Token> = in_flight
        .into_iter()
        .map(|(actor, op, issued_ms, effect_ms)| {
            let from = match actor {
                Actor::Flusher => Node::Flusher,
                Actor::Relay => Node::Relay,
                Actor::Refresher => Node::Refresher,
                Actor::Consumer(_) => Node::Consumer,
                Actor::Replica => Node::Database,
                Actor::Request(_) | Actor::Generated { .. } | Actor::Cdc | Actor::Fault => {
                    Node::App
                }
            };
            let name = op.name();
            let to = match name.place() {
                Place::Cache => Node::Cache,
                Place::Bus => Node::Bus,
                Place::Db | Place::Fault => Node::Database,
            };
            let span = effect_ms.saturating_sub(issued_ms) as f64;
            let progress = if span == 0.0 {
                1.0
            } else {
                ((clock_ms - issued_ms as f64) / span).clamp(0.0, 1.0)
            };
            Token {
                actor: actor.to_string(),
                count: 1,
                op: name.as_str(),
                place: name.place(),
                from,
                to,
                progress,
            }
        })
        .collect();

    let mut events_in_transit = 0;
    if bus {
        // Events travelling the bus: placed by the partition's nominal
        // delay (delay plus its lag; jitter is not known per event), so a
        // token reaches the consumer exactly when the event arrives.
        let settings = &sim.scenario().bus;
        for (partition, view) in sim.partitions().iter().enumerate() {
            let trip = settings.delay_ms
                + settings
                    .partition_lag_ms
                    .get(partition)
                    .copied()
                    .unwrap_or(0);
            for (arrives_ms, event) in &view.in_transit {
                events_in_transit += 1;
                let left = (*arrives_ms as f64 - clock_ms).max(0.0);
                tokens.push(Token {
                    actor: format!("event {}", sim.key_name(event.key)),
                    count: 1,
                    op: if event.payload.is_some() {
                        "bus.update"
                    } else {
                        "bus.delete"
                    },
                    place: Place::Bus,
                    from: Node::Bus,
                    to: Node::Consumer,
                    progress: if trip == 0 {
                        1.0
                    } else {
                        (1.0 - left / trip as f64).clamp(0.0, 1.0)
                    },
                });
            }
        }
    }
    Architecture {
        nodes,
        arrows,
        instances: sim.scenario().apps,
        tokens: bundled(tokens),
        events_in_transit,
        waiting: sleeping.len() + sim.requests().iter().filter(|run| run.is_waiting()).count(),
    }
}

/// How far apart (as a share of the way) operations of a bundle may be:
/// a burst issued over a tenth of an operation's latency reads as one.
const BUNDLE_SPREAD: f64 = 0.12;

/// Tokens of the same operation on the same arrow close together (within
/// [`BUNDLE_SPREAD`] of the bundle's lead) as one token counting them: a
/// burst reads as a burst, not as a pile of overlapping labels. Order is
/// kept (by each bundle's first token).
fn bundled(tokens: Vec<Token>) -> Vec<Token> {
    let together = |b: &Token, t: &Token| {
        (b.from, b.to, b.op) == (t.from, t.to, t.op)
            && (b.progress - t.progress).abs() <= BUNDLE_SPREAD
    };
    let mut bundles: Vec<(Token, String)> = Vec::new();
    for token in tokens {
        match bundles.iter_mut().find(|(b, _)| together(b, &token)) {
            Some((bundle, last)) => {
                bundle.count += 1;
                *last = token.actor;
            }
            None => {
                let first = token.actor.clone();
                bundles.push((token, first));
            }
        }
    }
    bundles
        .into_iter()
        .map(|(mut bundle, last)| {
            if bundle.count > 1 {
                bundle.actor = format!("{}…{}", bundle.actor, last);
            }
            bundle
        })
        .collect()
}

/// Where to put labels so that none overlaps another, nor any of `taken`
/// (text already drawn, such as the boxes' captions): each wants to sit at
/// its anchor (x, y of its baseline) and is `width` wide and `height`
/// tall, as is each of `taken`; a label that would overlap one placed
/// before moves up (then down) by whole lines until it fits. Returns the
/// baselines, in order.
pub fn spread_labels(
    wanted: &[(f64, f64, f64)],
    taken: &[(f64, f64, f64)],
    height: f64,
) -> Vec<(f64, f64)> {
    let mut placed: Vec<(f64, f64, f64)> = taken.to_vec();
    for &(x, y, width) in wanted {
        let overlaps = |y: f64| {
            placed.iter().any(|&(px, py, pw)| {
                x < px + pw && px < x + width && y - height < py && py - height < y
            })
        };
        let y = (0..)
            .flat_map(|line: i32| [-line, line + 1])
            .map(|line| y + f64::from(line) * height)
            .find(|&y| !overlaps(y))
            .expect("some line is free");
        placed.push((x, y, width));
    }
    placed[taken.len()..]
        .iter()
        .map(|&(x, y, _)| (x, y))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    fn sim_of(lesson: &str) -> Simulation {
        Simulation::new(&lessons::lesson(lesson).unwrap().scenario()).unwrap()
    }

    #[test]
    fn the_boxes_follow_the_strategy() {
        let plain = architecture(&sim_of("read-write-race"), 0.0);
        assert_eq!(
            plain.nodes,
            [Node::Clients, Node::App, Node::Cache, Node::Database]
        );
        let outbox = architecture(&sim_of("outbox"), 0.0);
        assert!(outbox.nodes.contains(&Node::Relay) && outbox.nodes.contains(&Node::Consumer));
        assert!(outbox.arrows.contains(&(Node::Relay, Node::Bus)));
        assert!(
            !outbox.arrows.contains(&(Node::App, Node::Bus)),
            "the app never publishes"
        );
        let behind = architecture(&sim_of("write-behind-crash"), 0.0);
        assert!(behind.arrows.contains(&(Node::Flusher, Node::Database)));
        let swr = architecture(&sim_of("stampede-swr"), 0.0);
        assert!(swr.nodes.contains(&Node::Refresher));
        assert_eq!(swr.instances, 4);
    }

    #[test]
    fn operations_in_flight_travel_their_arrow() {
        // cache-aside-basics: after R1's miss (1 ms) its DB read runs 1-11 ms.
        let mut sim = sim_of("cache-aside-basics");
        sim.step();
        let at = |clock| architecture(&sim, clock).tokens;
        assert_eq!(
            at(1.0),
            [Token {
                actor: "R1".into(),
                count: 1,
                op: "db.read",
                place: Place::Db,
                from: Node::App,
                to: Node::Database,
                progress: 0.0,
            }]
        );
        assert_eq!(at(6.0)[0].progress, 0.5);
        assert_eq!(at(99.0)[0].progress, 1.0);
        // On the event channel the writer's publish travels to the bus, and
        // the event then travels the bus.
        let mut sim = sim_of("event-invalidation");
        let mut seen_publish = false;
        let mut seen_transit = false;
        while sim.step() {
            let strip = architecture(&sim, sim.now_ms() as f64);
            seen_transit |= strip.events_in_transit > 0;
            seen_publish |= strip
                .tokens
                .iter()
                .any(|t| t.from == Node::App && t.to == Node::Bus && t.op == "bus.publish");
        }
        assert!(seen_publish && seen_transit);
        // W publishes at 21 ms; the event arrives at 71 ms (bus delay 50).
        let mut sim = sim_of("event-invalidation");
        sim.step();
        sim.step();
        let strip = architecture(&sim, 46.0);
        let event = strip.tokens.iter().find(|t| t.from == Node::Bus).unwrap();
        assert_eq!(
            (event.actor.as_str(), event.op, event.progress),
            ("event user:123", "bus.delete", 0.5)
        );
    }

    #[test]
    fn a_burst_travels_as_one_token_and_waiters_are_counted() {
        // stampede: twelve DB reads at once, one bundle "×12"; with leases
        // one DB read, the others waiting for the lease.
        let mut peak = (0, 0);
        let mut sim = sim_of("stampede");
        while sim.step() {
            let strip = architecture(&sim, sim.now_ms() as f64);
            for token in strip.tokens.iter().filter(|t| t.op == "db.read") {
                peak.0 = peak.0.max(token.count);
            }
            peak.1 = peak.1.max(strip.tokens.len());
        }
        assert!(peak.0 >= 10, "the largest bundle of DB reads: {}", peak.0);
        let mut lease = (0, 0);
        let mut sim = sim_of("stampede-lease");
        while sim.step() {
            let strip = architecture(&sim, sim.now_ms() as f64);
            let reads: usize = strip
                .tokens
                .iter()
                .filter(|t| t.op == "db.read")
                .map(|t| t.count)
                .sum();
            lease = (lease.0.max(reads), lease.1.max(strip.waiting));
        }
        assert_eq!(lease.0, 1, "one DB read at a time under leases");
        assert!(lease.1 >= 10, "the others wait: {}", lease.1);
    }

    #[test]
    fn labels_never_overlap() {
        // Twelve labels wanting the same spot, and two far apart.
        let mut wanted = vec![(100.0, 50.0, 80.0); 12];
        wanted.push((400.0, 50.0, 80.0));
        wanted.push((130.0, 52.0, 40.0));
        // A box's caption already drawn where the fourth line down would go.
        let taken = [(90.0, 92.0, 60.0)];
        let placed = spread_labels(&wanted, &taken, 14.0);
        let mut all: Vec<(f64, f64, f64)> = taken.to_vec();
        all.extend(placed.iter().zip(&wanted).map(|(p, w)| (p.0, p.1, w.2)));
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate().skip(i + 1) {
                let apart_x = a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0;
                let apart_y = (a.1 - b.1).abs() >= 14.0;
                assert!(apart_x || apart_y, "{i} {a:?} and {j} {b:?}");
            }
        }
        assert_eq!(placed[0], (100.0, 50.0), "the first sits where it wants");
        assert_eq!(placed[12], (400.0, 50.0), "one with room stays put");
    }
}
