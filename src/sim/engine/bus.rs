//! The event bus and its consumers' offsets: what becomes of a publication
//! (loss, duplication, partition, delay), each partition's queue of
//! delivered events and its consumer's offset, and change data capture's
//! backlog. The simulation starts the consumer jobs and schedules the
//! deliveries.

use std::hash::{Hash, Hasher};

use crate::sim::ops::{BusEvent, Published, Version};
use crate::sim::rng::SimRng;
use crate::sim::scenario::{Bus as BusSettings, Millis};
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

/// Where a publication goes, once the bus has decided.
pub(super) enum Sent {
    /// Not taken: lost (an app's fire-and-forget publish) or
    /// unacknowledged (CDC and the outbox relay publish it again).
    NotTaken(Published),
    /// Taken: delivered to `partition` at `at`, `copies` times (2 when
    /// duplicated).
    To {
        partition: u32,
        at: Millis,
        copies: u32,
    },
}

impl Bus {
    /// The bus at `now`, one entry per partition, with the events still
    /// travelling to each (`in_transit`: partition, arrival, event).
    pub(super) fn views<'a>(
        &self,
        now: Millis,
        in_transit: impl Iterator<Item = (u32, Millis, &'a BusEvent)>,
    ) -> Vec<PartitionView> {
        let mut views: Vec<PartitionView> = self
            .partitions
            .iter()
            .map(|p| PartitionView {
                in_transit: Vec::new(),
                queued: p.queue.iter().cloned().collect(),
                busy: p.current.is_some(),
                applied: p.applied,
                committed: p.committed(now),
            })
            .collect();
        for (partition, at, event) in in_transit {
            views[partition as usize]
                .in_transit
                .push((at, event.clone()));
        }
        views
    }

    /// Scheduled mode: counts the deliveries the clock has reached.
    pub(super) fn count_deliveries(&mut self, now: Millis) {
        let before = self.deliveries_ahead.len();
        self.deliveries_ahead.retain(|&at| at > now);
        self.counters.delivered += (before - self.deliveries_ahead.len()) as u64;
    }

    /// The outbox relay is about to publish `row`: counted as a retry if
    /// the bus did not acknowledge it before.
    pub(super) fn publishing_row(&mut self, row: u64) {
        if self.unacknowledged_rows.remove(&row) {
            self.counters.retried += 1;
        }
    }

    /// The bus did not acknowledge the relay's `row`.
    pub(super) fn row_unacknowledged(&mut self, row: u64) {
        self.unacknowledged_rows.insert(row);
    }

    /// A publication made again (CDC's retries).
    pub(super) fn count_retry(&mut self) {
        self.counters.retried += 1;
    }

    /// Decides what becomes of `event` published at `published_ms`: a
    /// `bus_drop` fault or the loss rate can refuse it; otherwise its
    /// partition (by key, or round-robin), its delivery instant (delay,
    /// jitter, the partition's lag, never before the partition's previous
    /// delivery) and whether it is duplicated.
    pub(super) fn send(
        &mut self,
        key_name: &str,
        published_ms: Millis,
        settings: &BusSettings,
        at_least_once: bool,
        rng: &mut SimRng,
    ) -> Sent {
        self.counters.published += 1;
        let not_taken = if self.drop_next > 0 {
            self.drop_next -= 1;
            true
        } else {
            settings.loss > 0.0 && rng.unit_open_closed() <= settings.loss
        };
        if not_taken {
            if at_least_once {
                return Sent::NotTaken(Published::Unacknowledged);
            }
            self.counters.lost += 1;
            return Sent::NotTaken(Published::Lost);
        }
        let partition = if settings.keyed {
            key_partition(key_name, settings.partitions)
        } else {
            let p = self.next_partition;
            self.next_partition = (p + 1) % settings.partitions;
            p
        };
        let jitter = if settings.jitter_ms > 0 {
            rng.up_to(settings.jitter_ms)
        } else {
            0
        };
        let lag = settings
            .partition_lag_ms
            .get(partition as usize)
            .copied()
            .unwrap_or(0);
        let state = &mut self.partitions[partition as usize];
        let at = (published_ms + settings.delay_ms + jitter + lag).max(state.last_delivery_ms);
        state.last_delivery_ms = at;
        let duplicate = settings.duplicate > 0.0 && rng.unit_open_closed() <= settings.duplicate;
        let copies = if duplicate {
            self.counters.duplicated += 1;
            2
        } else {
            1
        };
        Sent::To {
            partition,
            at,
            copies,
        }
    }

    /// An event reaches `partition` at `at` and waits for its consumer.
    /// `scheduled`: a scheduled run, where the delivery is counted once the
    /// clock reaches it.
    pub(super) fn arrive(
        &mut self,
        partition: u32,
        event: BusEvent,
        at: Millis,
        now: Millis,
        scheduled: bool,
    ) {
        if scheduled {
            self.deliveries_ahead.push(at);
            self.count_deliveries(now);
        } else {
            self.counters.delivered += 1;
        }
        self.partitions[partition as usize]
            .queue
            .push_back((at, event));
    }

    /// The partition's next event for its consumer (now its current one),
    /// with when it was delivered, unless the consumer is busy.
    pub(super) fn take_next(&mut self, partition: u32) -> Option<(Millis, BusEvent)> {
        let state = &mut self.partitions[partition as usize];
        if state.current.is_some() {
            return None;
        }
        let (delivered_ms, event) = state.queue.pop_front()?;
        state.current = Some(event.clone());
        Some((delivered_ms, event))
    }

    /// A consumer crash at `now`: the consumer of `partition` goes back to
    /// its last committed offset. The events applied since and the one in
    /// hand go back in front of the queue, in order. Returns how many
    /// applied events are applied again, and how many are taken again.
    pub(super) fn rewind(&mut self, partition: u32, now: Millis) -> (u64, usize) {
        let state = &mut self.partitions[partition as usize];
        state.commit_due(now);
        let mut replay: Vec<BusEvent> = std::mem::take(&mut state.uncommitted);
        let again = replay.len() as u64;
        state.applied -= again;
        state.commit_at = None;
        replay.extend(state.current.take());
        let taken_again = replay.len();
        for event in replay.into_iter().rev() {
            state.queue.push_front((now, event));
        }
        self.counters.redelivered += again;
        (again, taken_again)
    }

    /// CDC captured a commit: it waits behind those not yet published.
    /// Returns whether it is the first in line (to be published now).
    pub(super) fn capture(&mut self, version: Version, event: BusEvent) -> bool {
        self.cdc_backlog.push_back((version, event));
        self.cdc_backlog.len() == 1
    }

    /// The oldest captured commit not yet published, if any.
    pub(super) fn next_captured(&self) -> Option<(Version, BusEvent)> {
        self.cdc_backlog.front().cloned()
    }

    /// The oldest captured commit was published.
    pub(super) fn captured_published(&mut self) {
        self.cdc_backlog.pop_front();
    }
}

/// The partition of a key on a keyed bus: FNV-1a of the key's name, so the
/// assignment is stable across runs and platforms (and a live run's
/// publisher, an app's partitioner, chooses as the model does).
pub fn key_partition(key: &str, partitions: u32) -> u32 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % u64::from(partitions)) as u32
}
