//! The event bus and its consumers: publication (loss, duplication,
//! partition, delay), delivery to a partition's queue (a consumer pause
//! holds it back), and one consumer job per partition applying events in
//! order. Also change data capture, which publishes every commit.

use std::hash::{Hash, Hasher};

use super::actors::{ActorKind, ActorRun};
use super::faults::consumer_paused_until;
use super::queue::Event;
use super::{Actor, OpName, Simulation, strategy};
use crate::sim::coroutine::Coroutine;
use crate::sim::ops::{BusEvent, Cached, KeyId, Published, Reply, Stamp, Version};
use crate::sim::scenario::{Channel, Millis, WriteStrategy};
use serde::{Deserialize, Serialize};

/// The bus and its consumers.
#[derive(Clone, Debug, Default)]
pub(super) struct Bus {
    partitions: Vec<PartitionState>,
    /// Round-robin cursor (unkeyed bus).
    next_partition: u32,
    /// Events the next publications lose (`bus_drop`).
    drop_next: u64,
    counters: BusCounters,
    /// Scheduled mode: delivery instants of events already in their
    /// partition's queue that the clock has not reached yet (they count as
    /// delivered once it does, as in a timed run).
    deliveries_ahead: Vec<Millis>,
    /// Outbox rows whose last publication went unacknowledged (publishing
    /// one again counts as a retry). Only counts depend on it.
    unacknowledged_rows: std::collections::BTreeSet<u64>,
    /// Timed mode: commits the CDC connector has still to publish, in
    /// commit order, the first of them not acknowledged yet (it goes again
    /// at the next `Event::CdcRetry`).
    cdc_backlog: std::collections::VecDeque<(Version, BusEvent)>,
}

/// One ordered partition and its consumer.
#[derive(Clone, Debug, Default)]
pub(super) struct PartitionState {
    /// Deliveries keep publication order within a partition.
    last_delivery_ms: Millis,
    /// Delivered events waiting for the consumer, with the instant each
    /// reached the partition.
    queue: std::collections::VecDeque<(Millis, BusEvent)>,
    /// The event the consumer is applying, if it is applying one.
    current: Option<BusEvent>,
    /// Events applied since the last committed offset, oldest first (a
    /// consumer crash applies them again).
    uncommitted: Vec<BusEvent>,
    /// When the pending offset commit happens (`commit_interval_ms` after
    /// the first event applied since the last one).
    commit_at: Option<Millis>,
    /// Events applied in all (the consumer's offset).
    applied: u64,
}

/// What decides how a partition goes on: all of it but `applied`, a count
/// (the committed offset is `applied` less `uncommitted`, whose events are
/// what a crash replays).
impl Hash for PartitionState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.last_delivery_ms.hash(state);
        self.queue.hash(state);
        self.current.hash(state);
        self.uncommitted.hash(state);
        self.commit_at.hash(state);
    }
}

impl PartitionState {
    /// Whether the pending offset commit has happened by `now` (commits
    /// are applied lazily: only a crash or the next event asks).
    fn committed_by(&self, now: Millis) -> bool {
        self.commit_at.is_some_and(|at| at <= now)
    }

    /// A commit that was due by `now` has happened.
    fn commit_due(&mut self, now: Millis) {
        if self.committed_by(now) {
            self.uncommitted.clear();
            self.commit_at = None;
        }
    }

    /// The last committed offset as of `now`.
    fn committed(&self, now: Millis) -> u64 {
        let pending = if self.committed_by(now) {
            0
        } else {
            self.uncommitted.len() as u64
        };
        self.applied - pending
    }
}

/// One bus partition as the inspector shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionView {
    /// Events on their way, with the instant each will reach the partition
    /// (a consumer pause holds them back).
    pub in_transit: Vec<(Millis, BusEvent)>,
    /// Events that reached the partition and wait for its consumer, with
    /// the instant each arrived (in scheduled mode, an instant still ahead).
    pub queued: Vec<(Millis, BusEvent)>,
    /// Whether the consumer is applying an event now.
    pub busy: bool,
    /// Events the consumer has applied, and its last committed offset.
    pub applied: u64,
    /// Its last committed offset (a crash goes back to it).
    pub committed: u64,
}

/// Bus counters (the report's `bus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusCounters {
    /// Events published.
    pub published: u64,
    /// Events delivered to the consumer (duplicates included).
    pub delivered: u64,
    /// Fire-and-forget events lost (loss probability or `bus_drop`).
    pub lost: u64,
    /// Events delivered twice.
    pub duplicated: u64,
    /// Publications again after an unacknowledged one (CDC, outbox).
    pub retried: u64,
    /// Events applied again after a consumer crash.
    pub redelivered: u64,
}

impl Bus {
    pub(super) fn new(partitions: u32) -> Self {
        Bus {
            partitions: vec![PartitionState::default(); partitions as usize],
            ..Bus::default()
        }
    }

    /// The counters so far.
    pub(super) fn counters(&self) -> BusCounters {
        self.counters
    }

    /// What decides how the bus goes on: the round-robin cursor, the drops
    /// to come and each partition (counters and deliveries the clock has
    /// not reached are history, or counted as it gets there).
    pub(super) fn hash_state<H: Hasher>(&self, state: &mut H) {
        self.next_partition.hash(state);
        self.drop_next.hash(state);
        self.cdc_backlog.hash(state);
        for partition in &self.partitions {
            partition.hash(state);
        }
    }

    /// The consumer of `partition` finished applying its event at `now`;
    /// its offset is committed `interval` after the first event applied
    /// since the last commit (at once with 0).
    pub(super) fn release(&mut self, partition: u32, now: Millis, interval: Millis) {
        let state = &mut self.partitions[partition as usize];
        state.commit_due(now);
        let Some(event) = state.current.take() else {
            return;
        };
        state.applied += 1;
        if interval > 0 {
            state.uncommitted.push(event);
            state.commit_at.get_or_insert(now + interval);
        }
    }

    /// A `bus_drop` fault: the next `count` publications are lost.
    pub(super) fn drop_next(&mut self, count: u64) {
        self.drop_next += count;
    }
}

impl Simulation {
    /// The bus at this instant, one entry per partition: events still
    /// travelling to it, events waiting for its consumer, and whether the
    /// consumer is applying one (the inspector's view).
    pub fn partitions(&self) -> Vec<PartitionView> {
        let mut views: Vec<PartitionView> = self
            .bus
            .partitions
            .iter()
            .map(|p| PartitionView {
                in_transit: Vec::new(),
                queued: p.queue.iter().cloned().collect(),
                busy: p.current.is_some(),
                applied: p.applied,
                committed: p.committed(self.now),
            })
            .collect();
        for scheduled in self.queue.sorted() {
            if let Event::Deliver { partition, event } = &scheduled.event {
                views[*partition as usize]
                    .in_transit
                    .push((scheduled.at, (**event).clone()));
            }
        }
        views
    }

    /// Scheduled mode: counts the deliveries the clock has reached.
    pub(super) fn count_deliveries(&mut self) {
        let now = self.now;
        let bus = &mut self.bus;
        let before = bus.deliveries_ahead.len();
        bus.deliveries_ahead.retain(|&at| at > now);
        bus.counters.delivered += (before - bus.deliveries_ahead.len()) as u64;
    }

    /// The relay (or, with `row: None`, an app) publishes an event now.
    pub(super) fn publish_row(&mut self, event: BusEvent, row: Option<u64>) -> Published {
        if let Some(row) = row
            && self.bus.unacknowledged_rows.remove(&row)
        {
            self.bus.counters.retried += 1;
        }
        let outcome = self.publish(event, self.now);
        if let (Some(row), Published::Unacknowledged) = (row, outcome) {
            self.bus.unacknowledged_rows.insert(row);
        }
        outcome
    }

    /// Puts an event on the bus at `published_ms` (now, or a CDC retry's
    /// instant): delivered to its partition's consumer after the bus delay
    /// (once or, duplicated, twice), or not taken: lost (an app's
    /// fire-and-forget publish) or unacknowledged (CDC and the outbox
    /// relay, which publish it again).
    pub(super) fn publish(&mut self, event: BusEvent, published_ms: Millis) -> Published {
        let bus = &self.scenario.bus;
        self.bus.counters.published += 1;
        let not_taken = if self.bus.drop_next > 0 {
            self.bus.drop_next -= 1;
            true
        } else {
            bus.loss > 0.0 && self.random.bus.unit_open_closed() <= bus.loss
        };
        if not_taken {
            if self.scenario.strategy.channel.at_least_once() {
                return Published::Unacknowledged;
            }
            self.bus.counters.lost += 1;
            return Published::Lost;
        }
        let partition = if bus.keyed {
            key_partition(&self.key_names[event.key.0 as usize], bus.partitions)
        } else {
            let p = self.bus.next_partition;
            self.bus.next_partition = (p + 1) % bus.partitions;
            p
        };
        let jitter = if bus.jitter_ms > 0 {
            self.random.bus.up_to(bus.jitter_ms)
        } else {
            0
        };
        let lag = bus
            .partition_lag_ms
            .get(partition as usize)
            .copied()
            .unwrap_or(0);
        let state = &mut self.bus.partitions[partition as usize];
        let at = (published_ms + bus.delay_ms + jitter + lag).max(state.last_delivery_ms);
        state.last_delivery_ms = at;
        let duplicate = bus.duplicate > 0.0 && self.random.bus.unit_open_closed() <= bus.duplicate;
        let copies = if duplicate {
            self.bus.counters.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let now = self.now;
            self.mirror.with(|m| m.bus_put(partition, &event, now));
            if self.scenario.schedule.is_some() {
                // Scheduled mode has no clock to wait for: the event reaches
                // its partition now, and the consumer's operation is issued
                // at the delivery instant, like any delayed operation.
                self.deliver(partition, event.clone(), at);
            } else {
                let event = Box::new(event.clone());
                self.queue.push(at, Event::Deliver { partition, event });
            }
        }
        Published::To(partition)
    }

    /// Change data capture: with the `cdc` channel, every commit is read
    /// from the database's log and published, with no app involved.
    pub(super) fn capture_change(&mut self, reply: &Reply, key: KeyId) {
        let Reply::DbWrite { version } = *reply else {
            return;
        };
        if self.scenario.strategy.channel != Channel::Cdc {
            return;
        }
        let payload = match self.scenario.strategy.write {
            WriteStrategy::Update => Some(Cached {
                value: self.world.db.row(key).value.clone(),
                stamp: Stamp::Committed(version),
            }),
            _ => None,
        };
        let event = BusEvent { key, payload };
        let now = self.now;
        self.mirror.with(|m| m.captured(key, version, &event, now));
        if self.scenario.schedule.is_none() {
            self.bus.cdc_backlog.push_back((version, event));
            if self.bus.cdc_backlog.len() == 1 {
                self.publish_captured(false);
            } else {
                let result = format!("commit @{version} waits behind an unacknowledged one");
                self.note(Actor::Cdc, OpName::BusPublish, Some(key), result);
            }
            return;
        }
        // Scheduled mode has no clock to drive retries: a publish the bus
        // does not acknowledge goes again `retry_ms` later, computed at
        // once (as a delivery instant is). Deliveries of a partition never
        // overtake one another, so commit order holds.
        let mut at = self.now;
        let mut unacknowledged = 0;
        let partition = loop {
            match self.publish(event.clone(), at) {
                Published::To(p) => break p,
                _ => {
                    unacknowledged += 1;
                    self.bus.counters.retried += 1;
                    at += self.scenario.strategy.retry_ms;
                }
            }
        };
        let result = match unacknowledged {
            0 => format!("commit @{version} sent to partition {partition}"),
            n => format!(
                "commit @{version} not acknowledged {n} time(s); sent to partition {partition} at {at} ms"
            ),
        };
        self.note(Actor::Cdc, OpName::BusPublish, Some(key), result);
    }

    /// Timed mode: the CDC connector publishes its backlog in commit order
    /// now, until one is not acknowledged: that one goes again `retry_ms`
    /// later (an `Event::CdcRetry`) and the rest wait behind it (at least
    /// once, in commit order). `again`: the first was published before.
    pub(super) fn publish_captured(&mut self, mut again: bool) {
        while let Some((version, event)) = self.bus.cdc_backlog.front().cloned() {
            let key = event.key;
            if again {
                self.bus.counters.retried += 1;
            }
            let published = self.publish(event, self.now);
            let result = match published {
                Published::To(p) if again => {
                    format!("commit @{version} sent to partition {p} (published again)")
                }
                Published::To(p) => format!("commit @{version} sent to partition {p}"),
                _ => {
                    let retry_at = self.now + self.scenario.strategy.retry_ms;
                    self.queue.push(retry_at, Event::CdcRetry);
                    format!("commit @{version} not acknowledged: published again at {retry_at} ms")
                }
            };
            self.note(Actor::Cdc, OpName::BusPublish, Some(key), result);
            if !published.acknowledged() {
                return;
            }
            self.bus.cdc_backlog.pop_front();
            again = false;
        }
    }

    /// An event reaches its partition's consumer at `at` (or waits out a
    /// pause).
    pub(super) fn deliver(&mut self, partition: u32, event: BusEvent, at: Millis) {
        if let Some(to_ms) = consumer_paused_until(&self.scenario.faults, at) {
            let event = Box::new(event);
            self.queue.push(to_ms, Event::Deliver { partition, event });
            return;
        }
        if self.scenario.schedule.is_some() {
            self.bus.deliveries_ahead.push(at);
            self.count_deliveries();
        } else {
            self.bus.counters.delivered += 1;
        }
        self.bus.partitions[partition as usize]
            .queue
            .push_back((at, event));
        self.consume_next(partition);
    }

    /// A consumer crash: the consumer of `partition` (of every partition
    /// with `None`) restarts from its last committed offset. The cache
    /// operation it had in flight is dropped, and every event from the
    /// committed offset on is applied again, in order. Returns how many
    /// events that had been applied are applied again.
    pub(super) fn crash_consumers(&mut self, partition: Option<u32>) -> u64 {
        let partitions: Vec<u32> = match partition {
            Some(p) => vec![p],
            None => (0..self.scenario.bus.partitions).collect(),
        };
        let mut again = 0;
        for p in partitions {
            let now = self.now;
            let state = &mut self.bus.partitions[p as usize];
            state.commit_due(now);
            let mut replay: Vec<BusEvent> = std::mem::take(&mut state.uncommitted);
            again += replay.len() as u64;
            state.applied -= replay.len() as u64;
            state.commit_at = None;
            replay.extend(state.current.take());
            let taken_again = replay.len();
            self.mirror
                .with(|m| m.consumer_restart(p, taken_again, now));
            for event in replay.into_iter().rev() {
                state.queue.push_front((now, event));
            }
            let running = self.actors.background().find(|&a| {
                self.actors[a].kind == ActorKind::Consumer(p) && self.actors[a].is_running()
            });
            match running {
                // Its retirement starts the consumer again on the queue.
                Some(actor) => self.abort(actor),
                None => self.consume_next(p),
            }
        }
        self.bus.counters.redelivered += again;
        again
    }

    /// Starts the partition's consumer on its next event, unless it is busy.
    pub(super) fn consume_next(&mut self, partition: u32) {
        let state = &mut self.bus.partitions[partition as usize];
        if state.current.is_some() {
            return;
        }
        let Some((delivered_ms, event)) = state.queue.pop_front() else {
            return;
        };
        state.current = Some(event.clone());
        let now = self.now;
        self.mirror.with(|m| m.bus_take(partition, &event, now));
        let BusEvent { key, payload } = event;
        let job = Coroutine::new_in(&mut self.frames, move |io| {
            strategy::apply_event(io, key, payload.clone())
        });
        let run = ActorRun::new(ActorKind::Consumer(partition), None, key, None);
        self.start_actor(run, job, self.now.max(delivered_ms));
    }
}

/// The partition of a key on a keyed bus: FNV-1a of the key's name, so the
/// assignment is stable across runs and platforms.
fn key_partition(key: &str, partitions: u32) -> u32 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % u64::from(partitions)) as u32
}
