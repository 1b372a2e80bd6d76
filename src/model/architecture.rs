//! The architecture strip's model: the boxes a scenario uses (clients, app
//! instances, cache, database, and the bus, consumer, relay, flusher or
//! refresher when its strategy has them) and every operation in flight as a
//! token on the arrow it travels, with how far along it is. A pure function
//! of the simulation and a clock, so the page only draws it.

use crate::sim::Simulation;
use crate::sim::scenario::{Channel, Stampede, WriteStrategy};
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

/// An operation in flight, on its way from one box to another.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// Who issued it, as a label.
    pub actor: String,
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
}

/// The strip for `sim`, with operations placed as of `clock_ms` (the
/// playback clock while playing, for smooth motion; else the simulation's
/// own time).
pub fn architecture(sim: &Simulation, clock_ms: f64) -> Architecture {
    let strategy = &sim.scenario().strategy;
    let bus = strategy.channel != Channel::Inline;
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
    if strategy.write == WriteStrategy::WriteBehind {
        nodes.push(Node::Flusher);
        arrows.push((Node::Flusher, Node::Database));
    }
    if matches!(strategy.stampede, Stampede::Xfetch | Stampede::Swr) {
        nodes.push(Node::Refresher);
        arrows.extend([
            (Node::Refresher, Node::Database),
            (Node::Refresher, Node::Cache),
        ]);
    }
    let mut tokens: Vec<Token> = sim
        .in_flight()
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
        tokens,
        events_in_transit,
    }
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
}
