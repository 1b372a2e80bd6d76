//! The discrete-event engine: a queue of timed events, drained in order of
//! (time, sequence number), so simultaneous events keep the order in which
//! they were scheduled and every run of a scenario is the same run.
//!
//! An actor (so far: a client request served by an app instance) issues an
//! operation at the instant its previous one took effect; the operation takes
//! effect one latency later, atomically, and the actor continues from there.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use serde::Serialize;

use super::coroutine::{Coroutine, Input, Resume, SharedCoroutine};
use super::ops::Cached;
use super::ops::{
    KeyId, LeaseGrant, Op, Reply, Resource, SetOutcome, Stamp, Value, Version, WriteId,
};
use super::rng::SimRng;
use super::scenario::{
    Channel, FaultKind, Millis, RequestOp, Scenario, ScenarioError, ScheduleEntry, Stampede,
    Strategy, WriteStrategy,
};
use super::series::Series;
use super::strategy::{self, Served};
use super::workload::{ArrivalStream, Histogram, KeyPicker};
use super::world::{Cache, CacheEntry, Database, World};

/// One operation as it happened: issued at `start_ms`, took effect at `end_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// When the actor issued the operation.
    pub start_ms: Millis,
    /// When it took effect.
    pub end_ms: Millis,
    /// Who performed it: a request id, `flusher`, or `fault`.
    pub actor: String,
    /// The app instance that performed it (`null` for background actors
    /// and faults).
    pub app: Option<u32>,
    /// `cache.get`, `db.write`, `flush`, `cache.crash`, ...
    pub op: &'static str,
    /// The key it acted on (`null` for a fault that hits every key).
    pub key: Option<String>,
    /// What it returned, in words (`miss`, `hit v1@1`, `committed @2`).
    pub result: String,
    /// What it did, in numbers (for explanations; not in the report's
    /// JSON, which has `result`).
    #[serde(skip)]
    pub fact: Fact,
}

/// What an operation did to or learned about its key's versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fact {
    /// Nothing about versions (a fault, a publish, a lock, the outbox).
    #[default]
    Other,
    /// A cache get: the committed version it returned (`None`: a miss, or
    /// a value not committed).
    Got {
        /// The version.
        version: Option<Version>,
    },
    /// A DB read returned this version.
    Read {
        /// The version.
        version: Version,
    },
    /// A commit made this version.
    Committed {
        /// The version.
        version: Version,
    },
    /// A cache set stored a value of this committed version (`None`: a
    /// value not committed yet).
    Stored {
        /// The version.
        version: Option<Version>,
    },
    /// The cache refused a set.
    Refused,
    /// A cache delete.
    Deleted,
}

/// Counters the report is built from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// DB reads that took effect.
    pub db_reads: u64,
    /// DB commits.
    pub db_writes: u64,
    /// DB reads issued but not yet taken effect.
    pub db_reads_in_flight: u64,
    /// The most DB reads ever in flight at once.
    pub peak_concurrent_db_reads: u64,
    /// Cache gets that found a live entry.
    pub cache_hits: u64,
    /// Cache gets that found none.
    pub cache_misses: u64,
    /// Operations that took effect (faults not counted).
    pub effects: u64,
    /// Cache sets (plain and lease sets), stored or not.
    pub cache_sets: u64,
    /// Cache sets the cache refused.
    pub rejected_sets: u64,
    /// Cache deletes.
    pub cache_deletes: u64,
}

/// What kind of disagreement a divergence window is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum DivergenceKind {
    /// The cache holds an older committed version than the database.
    Stale,
    /// The cache holds a value not yet committed (write-through before its
    /// commit, write-behind before its flush).
    Ahead,
}

/// A maximal interval during which the cache held a live entry for a key
/// whose version differs from the database's current one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivergenceWindow {
    /// The key.
    pub key: KeyId,
    /// Stale (or, later, ahead).
    pub kind: DivergenceKind,
    /// When it opened.
    pub from_ms: Millis,
    /// When it closed; `None` while open. An open window may still close by
    /// expiry: see [`Simulation::divergence`].
    pub to_ms: Option<Millis>,
    /// The trace entry whose effect opened it (with the trace recorded;
    /// several entries may share its instant).
    pub opened_by: usize,
}

/// The window currently open for a key, and when its entry expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpenWindow {
    index: usize,
    kind: DivergenceKind,
    expires_ms: Millis,
}

/// A key's write-behind dirty period: from its first dirty set until the
/// flush (or a crash).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct DirtyPeriod {
    id: u64,
    /// The acknowledged writes the period holds, oldest first.
    writes: Vec<WriteId>,
}

/// Who an actor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// Scripted request `0` (its index in the scenario's `requests`).
    Request(usize),
    /// The write-behind flusher (one job per dirty period).
    Flusher,
    /// A background refresher (XFetch, stale-while-revalidate).
    Refresher,
    /// The invalidation consumer of bus partition `0`, applying one event.
    Consumer(u32),
    /// The outbox relay.
    Relay,
    /// The `n`th request of a generated workload.
    Generated { op: RequestOp, n: u64 },
}

/// What generated requests did, kept as counts and histograms so memory
/// does not grow with the number of requests.
#[derive(Clone, Debug, Default)]
pub struct GeneratedStats {
    /// Reads generated.
    pub reads: u64,
    /// Writes generated.
    pub writes: u64,
    /// Latencies of finished reads.
    pub read_latency: Histogram,
    /// Latencies of finished writes.
    pub write_latency: Histogram,
    /// Requests an app crash stopped before they answered.
    pub aborted: u64,
    /// Reads that returned stale values.
    pub stale_reads: u64,
    /// Reads that returned uncommitted values, by the write that made them
    /// (whether each is a phantom is known only at the end).
    pub uncommitted_reads: std::collections::BTreeMap<WriteId, u64>,
}

/// How an actor (a request, or a background job) is getting on. Cloning
/// shares its coroutine until one of the copies moves it on.
#[derive(Clone, Debug)]
pub struct ActorRun {
    /// Who it is.
    pub kind: ActorKind,
    /// The app instance serving it (requests only).
    pub app: Option<u32>,
    /// Its key.
    pub key: KeyId,
    /// When the client sent it, once it has been sent.
    pub started_ms: Option<Millis>,
    /// When it finished and what it returned.
    pub finished: Option<(Millis, Served)>,
    /// Its strategy code while it runs.
    coroutine: Option<SharedCoroutine<Served>>,
    /// Its app instance crashed: it stops after its pending operation.
    aborting: bool,
    /// The operation it waits on, and when it issued it.
    pending: Option<(Op, Millis)>,
    /// It was stopped by an app crash before it answered.
    pub aborted: bool,
}

impl ActorRun {
    fn new(kind: ActorKind, app: Option<u32>, key: KeyId, started_ms: Option<Millis>) -> Self {
        ActorRun {
            kind,
            app,
            key,
            started_ms,
            finished: None,
            coroutine: None,
            aborting: false,
            pending: None,
            aborted: false,
        }
    }
}

/// The strategy code serving one client request (scripted or generated):
/// a read, or a write of `value` as write `write`.
fn request_code(
    strategy: Strategy,
    op: RequestOp,
    write: WriteId,
    key: KeyId,
    value: impl FnOnce() -> Value,
) -> Coroutine<Served> {
    match op {
        RequestOp::Read => Coroutine::new(move |io| strategy::read(io, strategy, key)),
        RequestOp::Write => {
            let value = value();
            Coroutine::new(move |io| strategy::write(io, strategy, write, key, value.clone()))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Event {
    /// A client sends scripted request `0`.
    Arrive(usize),
    /// Actor `actor`'s pending operation takes effect. (The operation
    /// itself waits in the actor, which keeps queue entries small: moving
    /// them is most of the event queue's work.)
    Effect { actor: usize },
    /// Fault `0` of the scenario's `faults` happens (timed mode).
    Fault(usize),
    /// Arrival stream `0` of a workload generates a request.
    Generate(usize),
    /// A bus event reaches the consumer of its partition.
    Deliver {
        partition: u32,
        event: Box<BusEvent>,
    },
}

/// An event on the bus.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BusEvent {
    /// The key it is about.
    pub key: KeyId,
    /// `None`: delete the key; `Some`: set it to this committed value.
    pub payload: Option<Cached>,
}

/// The bus and its consumer.
#[derive(Clone, Debug, Default)]
struct BusState {
    partitions: Vec<PartitionState>,
    /// Round-robin cursor (unkeyed bus).
    next_partition: u32,
    /// Events the next publications lose (`bus_drop`).
    drop_next: u64,
    counters: BusCounters,
}

/// One ordered partition and its consumer.
#[derive(Clone, Debug, Default, Hash)]
struct PartitionState {
    /// Deliveries keep publication order within a partition.
    last_delivery_ms: Millis,
    /// Delivered events waiting for the consumer, with the instant each
    /// reached the partition.
    queue: std::collections::VecDeque<(Millis, BusEvent)>,
    /// Whether the consumer is applying an event of this partition.
    busy: bool,
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
}

/// Bus counters (the report's `bus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BusCounters {
    /// Events published.
    pub published: u64,
    /// Events delivered to the consumer (duplicates included).
    pub delivered: u64,
    /// Events lost (loss probability or `bus_drop`).
    pub lost: u64,
    /// Events delivered twice.
    pub duplicated: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Scheduled {
    at: Millis,
    seq: u64,
    event: Event,
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A running simulation of one scenario. Cloning it is exact: the clone
/// continues exactly as the original would.
#[derive(Clone, Debug)]
pub struct Simulation {
    scenario: Rc<Scenario>,
    key_names: Rc<[String]>,
    now: Millis,
    next_seq: u64,
    queue: BinaryHeap<Reverse<Scheduled>>,
    world: World,
    rng: SimRng,
    /// Requests first (actor i is request i), then background jobs.
    actors: Vec<ActorRun>,
    trace: Vec<TraceEvent>,
    counters: Counters,
    /// Request index by id, for schedules.
    request_ids: Rc<std::collections::BTreeMap<String, usize>>,
    /// The next schedule entry to apply (scheduled mode).
    schedule_pos: usize,
    windows: Vec<DivergenceWindow>,
    open_windows: Vec<Option<OpenWindow>>,
    dirty: Vec<Option<DirtyPeriod>>,
    next_period: u64,
    /// Acknowledged writes a crash lost before they were flushed.
    lost_writes: Vec<WriteId>,
    /// Metrics per bucket of time (kept with or without the trace).
    series: Series,
    /// Write-behind writes that a later write of their period replaced
    /// before the flush: never committed, by design.
    coalesced_writes: Vec<WriteId>,
    /// Whether operations are recorded in the trace (off for large runs:
    /// memory then stays independent of the number of requests).
    record_trace: bool,
    /// What the last step was (a schedule entry naming it is built only
    /// when asked for: stepping must not pay for a name nobody reads).
    last_step: Option<LastStep>,
    /// Finished background and generated actors' slots, for reuse.
    free_slots: Vec<usize>,
    /// A workload's arrival streams (reads, writes).
    streams: Vec<ArrivalStream>,
    key_picker: Option<Rc<KeyPicker>>,
    generated: GeneratedStats,
    /// Singleflight: the DB read in flight per (app instance, key), with the
    /// actors waiting for its result.
    flights: std::collections::BTreeMap<(u32, KeyId), Flight>,
    /// Per key: whether a background refresh is running.
    refreshing: Vec<bool>,
    bus: BusState,
    /// Whether the outbox relay is running.
    relay_running: bool,
    /// Scheduled mode: delivery instants of events already in their
    /// partition's queue that the clock has not reached yet (they count as
    /// delivered once it does, as in a timed run).
    deliveries_ahead: Vec<Millis>,
    /// Writes whose app crashed before they were acknowledged: if a crash
    /// then loses them, they were never promised, so they are not lost
    /// writes.
    unacknowledged_writes: std::collections::BTreeSet<WriteId>,
    /// How many trace entries the run has made, recorded or not (so a
    /// run without its trace can still say which entry did what). Not
    /// part of the state: it does not affect the future.
    entries: usize,
}

/// What a step was: an actor's operation taking effect, or a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LastStep {
    Effect(ActorKind),
    Fault(FaultKind),
}

/// One singleflight DB read: its leader and the actors sharing its result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Flight {
    leader: usize,
    followers: Vec<usize>,
}

impl Simulation {
    /// A simulation of `scenario` at time 0, or why the scenario is invalid.
    pub fn new(scenario: &Scenario) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        let sim = Self::new_validated(scenario);
        if sim.scenario.schedule.is_some() {
            // A schedule can only be checked by following it: an entry may
            // name an actor that has nothing pending at that point.
            let mut dry_run = sim.clone();
            while dry_run.step_scheduled()? {}
        }
        Ok(sim)
    }

    fn new_validated(scenario: &Scenario) -> Self {
        let key_names: Rc<[String]> = scenario.keys.keys().cloned().collect();
        let key_id = |name: &str| {
            let index = key_names
                .binary_search_by(|k| k.as_str().cmp(name))
                .expect("validated scenario: every request names a declared key");
            KeyId(index as u32)
        };
        let db = Database::new(scenario.keys.values().map(|v| Value::from(v.as_str())));
        let mut rng = SimRng::new(scenario.seed);
        let mut cache = Cache::new(key_names.len());
        if scenario.strategy.stampede == Stampede::Swr {
            cache.grace_ms = scenario.strategy.swr_ms;
        }
        if scenario.prewarm {
            for index in 0..key_names.len() {
                let key = KeyId(index as u32);
                let jitter = if scenario.strategy.ttl_jitter_ms > 0 {
                    rng.up_to(scenario.strategy.ttl_jitter_ms)
                } else {
                    0
                };
                cache.set(
                    key,
                    CacheEntry {
                        value: db.row(key).clone().into(),
                        expires_ms: scenario.strategy.ttl_ms + jitter,
                        dirty: false,
                        // Counts as computed by one DB read (spec: XFetch).
                        cost_ms: scenario.latency_ms.db_read,
                    },
                );
            }
        }
        let actors = scenario
            .requests
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                let app = spec.app.unwrap_or(index as u32 % scenario.apps);
                ActorRun::new(
                    ActorKind::Request(index),
                    Some(app),
                    key_id(&spec.key),
                    None,
                )
            })
            .collect();
        let key_count = key_names.len();
        let mut sim = Simulation {
            scenario: Rc::new(scenario.clone()),
            key_names,
            now: 0,
            next_seq: 0,
            queue: BinaryHeap::new(),
            world: World {
                cache,
                db,
                ttl_ms: scenario.strategy.ttl_ms,
                ttl_jitter_ms: scenario.strategy.ttl_jitter_ms,
                versioned_sets: scenario.strategy.versioned_sets,
                lease_ttl_ms: scenario.strategy.lock_ttl_ms,
                xfetch_beta: (scenario.strategy.stampede == Stampede::Xfetch)
                    .then_some(scenario.strategy.xfetch_beta),
            },
            rng,
            actors,
            trace: Vec::new(),
            counters: Counters::default(),
            request_ids: Rc::new(
                scenario
                    .requests
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.id.clone(), i))
                    .collect(),
            ),
            schedule_pos: 0,
            windows: Vec::new(),
            open_windows: vec![None; key_count],
            dirty: vec![None; key_count],
            next_period: 0,
            lost_writes: Vec::new(),
            series: Series::default(),
            coalesced_writes: Vec::new(),
            record_trace: true,
            last_step: None,
            free_slots: Vec::new(),
            streams: Vec::new(),
            key_picker: None,
            generated: GeneratedStats::default(),
            flights: Default::default(),
            refreshing: vec![false; key_count],
            bus: BusState {
                partitions: vec![PartitionState::default(); scenario.bus.partitions as usize],
                ..BusState::default()
            },
            relay_running: false,
            deliveries_ahead: Vec::new(),
            unacknowledged_writes: Default::default(),
            entries: 0,
        };
        if let Some(workload) = &scenario.workload {
            let keys = workload.keys.unwrap_or(key_count);
            sim.key_picker = Some(Rc::new(KeyPicker::new(keys, workload.zipf_s)));
            let kinds = [
                (RequestOp::Read, workload.reads_per_s),
                (RequestOp::Write, workload.writes_per_s),
            ];
            for (op, per_s) in kinds {
                if let Some(stream) = ArrivalStream::new(op, per_s, workload, &mut sim.rng) {
                    let index = sim.streams.len();
                    sim.schedule(stream.next_ms(), Event::Generate(index));
                    sim.streams.push(stream);
                }
            }
        }
        // In scheduled mode a request starts when the schedule first names
        // it, and faults are schedule entries.
        if scenario.schedule.is_none() {
            for (index, spec) in scenario.requests.iter().enumerate() {
                sim.schedule(spec.at_ms, Event::Arrive(index));
            }
            for (index, fault) in scenario.faults.iter().enumerate() {
                sim.schedule(fault.starts_ms().unwrap_or_default(), Event::Fault(index));
            }
        }
        sim
    }

    /// The scenario being simulated.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The current virtual time.
    pub fn now_ms(&self) -> Millis {
        self.now
    }

    /// Every operation that has taken effect, in order.
    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }

    /// The counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The scripted requests and how far each has got.
    pub fn requests(&self) -> &[ActorRun] {
        &self.actors[..self.scenario.requests.len()]
    }

    /// Acknowledged writes a crash lost before they were flushed.
    pub fn lost_writes(&self) -> &[WriteId] {
        &self.lost_writes
    }

    /// Write-behind writes replaced by a later write of the same dirty
    /// period before the flush (so never committed themselves).
    pub fn coalesced_writes(&self) -> &[WriteId] {
        &self.coalesced_writes
    }

    /// Write-behind writes still waiting for their flush.
    pub fn unflushed_writes(&self) -> impl Iterator<Item = WriteId> + '_ {
        self.dirty
            .iter()
            .flatten()
            .flat_map(|p| p.writes.iter().copied())
    }

    /// An actor's name as the trace shows it.
    pub fn actor_name(&self, actor: usize) -> String {
        self.kind_name(self.actors[actor].kind)
    }

    /// The name of an actor of `kind` as the trace shows it.
    fn kind_name(&self, kind: ActorKind) -> String {
        match kind {
            ActorKind::Request(index) => self.scenario.requests[index].id.clone(),
            ActorKind::Flusher => "flusher".to_string(),
            ActorKind::Refresher => "refresher".to_string(),
            ActorKind::Consumer(_) => "consumer".to_string(),
            ActorKind::Relay => "relay".to_string(),
            ActorKind::Generated {
                op: RequestOp::Read,
                n,
            } => format!("r{n}"),
            ActorKind::Generated {
                op: RequestOp::Write,
                n,
            } => format!("w{n}"),
        }
    }

    /// The schedule entry that names the last step: the actor whose
    /// operation took effect (`consumer:P` when the bus has several
    /// partitions, so that the very job is named), or the fault. A run's
    /// steps, named this way, make a schedule that replays them.
    pub fn last_entry(&self) -> Option<ScheduleEntry> {
        Some(match self.last_step? {
            LastStep::Fault(kind) => ScheduleEntry::Fault(kind),
            LastStep::Effect(ActorKind::Consumer(p)) if self.scenario.bus.partitions > 1 => {
                ScheduleEntry::Actor(format!("consumer:{p}"))
            }
            LastStep::Effect(kind) => ScheduleEntry::Actor(self.kind_name(kind)),
        })
    }

    /// A copy without the trace recorded so far, which records none from
    /// here on: a checkpoint (the trace is kept once, elsewhere), made
    /// without copying the trace.
    pub fn checkpoint(&mut self) -> Self {
        let trace = std::mem::take(&mut self.trace);
        let mut copy = self.clone();
        self.trace = trace;
        copy.record_trace = false;
        copy
    }

    /// Stops recording the trace (before running a large scenario).
    pub fn without_trace(mut self) -> Self {
        self.record_trace = false;
        self
    }

    /// Metrics per bucket of time, up to now.
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// The bus's counters.
    pub fn bus(&self) -> BusCounters {
        self.bus.counters
    }

    /// What the generated requests of a workload did.
    pub fn generated(&self) -> &GeneratedStats {
        &self.generated
    }

    /// The cache and the database.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The name of a key.
    pub fn key_name(&self, key: KeyId) -> &str {
        &self.key_names[key.0 as usize]
    }

    /// All keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = KeyId> + '_ {
        (0..self.key_names.len()).map(|i| KeyId(i as u32))
    }

    /// Whether nothing is left to happen.
    pub fn is_finished(&self) -> bool {
        match &self.scenario.schedule {
            Some(schedule) => self.schedule_pos >= schedule.len(),
            None => {
                let until = self.scenario.until_ms.unwrap_or(Millis::MAX);
                let more = self
                    .queue
                    .peek()
                    .is_some_and(|Reverse(next)| next.at <= until);
                // With until_ms the clock still has to reach it.
                !more && self.scenario.until_ms.is_none_or(|until| self.now >= until)
            }
        }
    }

    /// Every divergence window so far, in the order they opened, as of the
    /// current time: an open window whose entry has expired is closed at
    /// its expiry.
    pub fn divergence(&self) -> Vec<DivergenceWindow> {
        let mut windows = self.windows.clone();
        for open in self.open_windows.iter().flatten() {
            if open.expires_ms <= self.now {
                windows[open.index].to_ms = Some(open.expires_ms);
            }
        }
        windows
    }

    /// Operations issued but not yet taken effect, soonest first, as
    /// (actor name, operation, issued at, takes effect at).
    pub fn in_flight(&self) -> Vec<(String, &Op, Millis, Millis)> {
        let mut pending: Vec<&Scheduled> = self.queue.iter().map(|Reverse(s)| s).collect();
        pending.sort();
        pending
            .into_iter()
            .filter_map(|s| match s.event {
                Event::Effect { actor } => {
                    let (op, issued_ms) = self.actors[actor].pending.as_ref()?;
                    Some((self.actor_name(actor), op, *issued_ms, s.at))
                }
                Event::Arrive(_) | Event::Fault(_) | Event::Generate(_) | Event::Deliver { .. } => {
                    None
                }
            })
            .collect()
    }

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
                busy: p.busy,
            })
            .collect();
        let mut travelling: Vec<&Scheduled> = self.queue.iter().map(|Reverse(s)| s).collect();
        travelling.sort();
        for scheduled in travelling {
            if let Event::Deliver { partition, event } = &scheduled.event {
                views[*partition as usize]
                    .in_transit
                    .push((scheduled.at, (**event).clone()));
            }
        }
        views
    }

    /// Advances to the next operation (or fault) taking effect and applies
    /// it. Returns `false` when the run is over. With the trace on, the
    /// step's entry is then the trace's last.
    pub fn step(&mut self) -> bool {
        if self.scenario.schedule.is_some() {
            self.step_scheduled()
                .expect("the schedule was checked when the simulation was created")
        } else {
            self.step_timed()
        }
    }

    /// Timed mode: the operation with the earliest effect time goes next.
    fn step_timed(&mut self) -> bool {
        let until = self.scenario.until_ms.unwrap_or(Millis::MAX);
        while self
            .queue
            .peek()
            .is_some_and(|Reverse(next)| next.at <= until)
        {
            let Some(Reverse(next)) = self.queue.pop() else {
                unreachable!("just peeked")
            };
            debug_assert!(next.at >= self.now, "time never runs backwards");
            self.now = next.at;
            match next.event {
                Event::Arrive(request) => {
                    let at = self.now;
                    self.start_request(request, at);
                }
                Event::Effect { actor } => {
                    let (op, issued_ms) = self.actors[actor]
                        .pending
                        .take()
                        .expect("an effect event has its actor's pending operation");
                    self.take_effect(actor, op, issued_ms);
                    return true;
                }
                Event::Fault(index) => {
                    let kind = self.scenario.faults[index].kind;
                    self.inject(kind);
                    return true;
                }
                Event::Generate(stream) => self.generate(stream),
                Event::Deliver { partition, event } => {
                    let at = self.now;
                    self.deliver(partition, *event, at);
                }
            }
        }
        // With until_ms the run lasts exactly that long.
        if let Some(until) = self.scenario.until_ms {
            self.now = self.now.max(until);
        }
        false
    }

    /// Starts the request stream `stream` generates now, and schedules its
    /// next arrival.
    fn generate(&mut self, stream: usize) {
        let op = self.streams[stream].op;
        let n = self.generated.reads + self.generated.writes;
        match op {
            RequestOp::Read => self.generated.reads += 1,
            RequestOp::Write => self.generated.writes += 1,
        }
        let picker = self
            .key_picker
            .clone()
            .expect("a workload has a key picker");
        let key = picker.pick(&mut self.rng);
        let app = (n % u64::from(self.scenario.apps)) as u32;
        let write = WriteId(u32::try_from(n).expect("workloads are bounded far below u32"));
        let value = || Value::from(format!("w{n}"));
        let coroutine = request_code(self.scenario.strategy, op, write, key, value);
        let run = ActorRun::new(
            ActorKind::Generated { op, n },
            Some(app),
            key,
            Some(self.now),
        );
        self.start_actor(run, coroutine, self.now);
        if self.streams[stream].advance(&mut self.rng) {
            let at = self.streams[stream].next_ms();
            self.schedule(at, Event::Generate(stream));
        }
    }

    /// Feeds `state` everything that decides how this (scheduled-mode) run
    /// can go on, and nothing that only records how it got here, so that
    /// two runs that feed the same data continue identically under every
    /// schedule. The explorer memoises on it.
    ///
    /// Left out, as history: the trace, counters, closed divergence windows,
    /// lost and coalesced writes (the explorer notes those as they happen),
    /// sequence numbers (only their order matters: background jobs are fed
    /// in queue order), which actor slots are free, and the scenario's
    /// constants.
    pub fn hash_state<H: Hasher>(&self, state: &mut H) {
        let mut effects: Vec<&Scheduled> = self.queue.iter().map(|Reverse(s)| s).collect();
        effects.sort_unstable();
        self.now.hash(state);
        self.rng.position().hash(state);
        for run in self.requests() {
            if run.coroutine.is_none() && run.started_ms.is_some() {
                // Finished or aborted: its outcome is settled, its past does
                // not matter any more.
                0u8.hash(state);
                continue;
            }
            1u8.hash(state);
            run.started_ms.hash(state);
            match &run.coroutine {
                Some(coroutine) => Some(coroutine.get().inputs()).hash(state),
                None => None::<&[Input]>.hash(state),
            }
            run.finished.is_some().hash(state);
            run.aborting.hash(state);
            run.pending.hash(state);
        }
        // When each pending operation takes effect (a request's is found by
        // its slot; ties between requests do not matter, as each is named
        // on its own), and background jobs in the order their effects would
        // be chosen.
        let mut request_effects = vec![None; self.scenario.requests.len()];
        for scheduled in &effects {
            match scheduled.event {
                Event::Effect { actor } if actor < request_effects.len() => {
                    request_effects[actor] = Some(scheduled.at);
                }
                Event::Effect { actor } => {
                    scheduled.at.hash(state);
                    let run = &self.actors[actor];
                    run.kind.hash(state);
                    run.key.hash(state);
                    match &run.coroutine {
                        Some(coroutine) => Some(coroutine.get().inputs()).hash(state),
                        None => None::<&[Input]>.hash(state),
                    }
                    run.aborting.hash(state);
                    run.pending.hash(state);
                }
                // Only effects are queued in scheduled mode; anything else
                // is fed in full rather than assumed away.
                ref other => (scheduled.at, other).hash(state),
            }
        }
        request_effects.hash(state);
        self.world.cache.hash(state);
        self.world.db.hash_state(state);
        // A read still to finish is judged against the versions committed
        // before it started. Commits from now on land at `now` or later,
        // so what is committed before its start so far is all the past
        // can contribute (started or not, its start is fixed: `at_ms`).
        for (index, run) in self.requests().iter().enumerate() {
            let spec = &self.scenario.requests[index];
            if spec.op == RequestOp::Read && run.finished.is_none() && !run.aborted {
                let start = run.started_ms.unwrap_or(spec.at_ms);
                self.world.db.committed_before(run.key, start).hash(state);
            }
        }
        self.flights.hash(state);
        self.refreshing.hash(state);
        self.dirty.hash(state);
        self.next_period.hash(state);
        self.unacknowledged_writes.hash(state);
        for window in &self.open_windows {
            window.map(|w| (w.kind, w.expires_ms)).hash(state);
        }
        self.relay_running.hash(state);
        self.bus.next_partition.hash(state);
        self.bus.drop_next.hash(state);
        for partition in &self.bus.partitions {
            partition.hash(state);
        }
    }

    /// Scheduled mode: the next schedule entry says whose operation goes
    /// next; it takes effect at the later of the previous effect and its
    /// natural completion time.
    fn step_scheduled(&mut self) -> Result<bool, ScenarioError> {
        let scenario = Rc::clone(&self.scenario);
        let schedule = scenario.schedule.as_deref().unwrap_or_default();
        while let Some(entry) = schedule.get(self.schedule_pos) {
            let position = self.schedule_pos;
            self.schedule_pos += 1;
            if self.apply_entry(entry, position)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Scheduled mode: counts the deliveries the clock has reached.
    fn count_deliveries(&mut self) {
        let now = self.now;
        let before = self.deliveries_ahead.len();
        self.deliveries_ahead.retain(|&at| at > now);
        self.bus.counters.delivered += (before - self.deliveries_ahead.len()) as u64;
    }

    /// Applies one schedule entry (scheduled mode) as if it stood at
    /// `position` of the schedule (which only names it in errors). Returns
    /// whether something took effect (a wait only moves the clock).
    ///
    /// This is how the explorer drives a run: it applies the entries it
    /// chooses, one at a time, to a simulation created with an empty
    /// schedule.
    pub fn apply_entry(
        &mut self,
        entry: &ScheduleEntry,
        position: usize,
    ) -> Result<bool, ScenarioError> {
        let applied = self.apply_entry_now(entry, position);
        self.count_deliveries();
        applied
    }

    fn apply_entry_now(
        &mut self,
        entry: &ScheduleEntry,
        position: usize,
    ) -> Result<bool, ScenarioError> {
        let name = match entry {
            ScheduleEntry::Wait(ms) => {
                self.now += ms;
                return Ok(false);
            }
            ScheduleEntry::Fault(kind) => {
                self.inject(*kind);
                return Ok(true);
            }
            ScheduleEntry::Actor(name) => name,
        };
        let nothing_pending = || ScenarioError {
            path: format!("schedule[{position}]"),
            message: format!("{name:?} has nothing pending at this point"),
        };
        let actors: Vec<usize> = match self.request_ids.get(name) {
            Some(&request) => {
                if self.actors[request].started_ms.is_none() {
                    let at = self.scenario.requests[request].at_ms;
                    self.start_request(request, at);
                }
                vec![request]
            }
            None => (self.scenario.requests.len()..self.actors.len())
                .filter(|&a| {
                    self.actors[a].coroutine.is_some()
                        && background_name_matches(name, self.actors[a].kind)
                })
                .collect(),
        };
        // The named actor's pending operation; for a background actor
        // with several jobs, the one that would complete first.
        let pending = self
            .queue
            .iter()
            .map(|Reverse(s)| s)
            .filter(|s| matches!(s.event, Event::Effect { actor } if actors.contains(&actor)))
            .min()
            .cloned()
            .ok_or_else(nothing_pending)?;
        self.queue.retain(|Reverse(s)| s.seq != pending.seq);
        self.now = self.now.max(pending.at);
        let Event::Effect { actor } = pending.event else {
            unreachable!("found by matching an effect")
        };
        let (op, issued_ms) = self.actors[actor]
            .pending
            .take()
            .expect("an effect event has its actor's pending operation");
        self.take_effect(actor, op, issued_ms);
        Ok(true)
    }

    /// The actor names a schedule could name next (scheduled mode): every
    /// request not yet started or with an operation pending, in the
    /// scenario's order, then each background actor with work pending
    /// (`consumer`, or `consumer:P` per partition when the bus has several;
    /// `flusher`, `relay`, `refresher`).
    pub fn schedulable(&self) -> Vec<String> {
        let requests = self.scenario.requests.len();
        let mut names: Vec<String> = (0..requests)
            .filter(|&r| self.actors[r].started_ms.is_none() || self.actors[r].pending.is_some())
            .map(|r| self.scenario.requests[r].id.clone())
            .collect();
        let background = &self.actors[requests..];
        let busy = |wanted: &dyn Fn(ActorKind) -> bool| {
            background
                .iter()
                .any(|run| run.coroutine.is_some() && run.pending.is_some() && wanted(run.kind))
        };
        if self.scenario.bus.partitions > 1 {
            for p in 0..self.scenario.bus.partitions {
                if busy(&|kind| kind == ActorKind::Consumer(p)) {
                    names.push(format!("consumer:{p}"));
                }
            }
        } else if busy(&|kind| matches!(kind, ActorKind::Consumer(_))) {
            names.push("consumer".to_string());
        }
        for name in ["flusher", "relay", "refresher"] {
            if busy(&|kind| background_name_matches(name, kind)) {
                names.push(name.to_string());
            }
        }
        names
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        while self.step() {}
    }

    fn schedule(&mut self, at: Millis, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Reverse(Scheduled { at, seq, event }));
    }

    /// Starts a request whose client sends it at `at`: its first operation
    /// is issued then.
    fn start_request(&mut self, request: usize, at: Millis) {
        let spec = &self.scenario.requests[request];
        let run = &mut self.actors[request];
        let key = run.key;
        run.started_ms = Some(at);
        let value = || Value::from(spec.value.as_deref().unwrap_or_default());
        let write = WriteId(request as u32);
        let mut coroutine = request_code(self.scenario.strategy, spec.op, write, key, value);
        let first = coroutine.resume(Input {
            reply: None,
            now: at,
        });
        self.actors[request].coroutine = Some(SharedCoroutine::new(coroutine));
        self.advance(request, first, at);
    }

    /// Starts a background job running `coroutine`, whose first operation
    /// is issued now.
    fn spawn(&mut self, kind: ActorKind, key: KeyId, coroutine: Coroutine<Served>) {
        let run = ActorRun::new(kind, None, key, None);
        self.start_actor(run, coroutine, self.now);
    }

    /// Places `run` in a free slot (or a new one) and starts `coroutine`
    /// there, issuing its first operation at `now` (the present, or a later
    /// delivery instant in scheduled mode).
    ///
    /// Invariant the explorer relies on: a background job's behaviour is a
    /// function of its kind, key, inputs and pending operation (whatever
    /// else its code captures shows in its first pending operation).
    fn start_actor(&mut self, mut run: ActorRun, mut coroutine: Coroutine<Served>, now: Millis) {
        run.started_ms = run.started_ms.or(Some(now));
        let first = coroutine.resume(Input { reply: None, now });
        run.coroutine = Some(SharedCoroutine::new(coroutine));
        let actor = match self.free_slots.pop() {
            Some(slot) => {
                self.actors[slot] = run;
                slot
            }
            None => {
                self.actors.push(run);
                self.actors.len() - 1
            }
        };
        self.advance(actor, first, now);
    }

    /// A background or generated actor has finished: keep its statistics
    /// and free its slot.
    fn retire(&mut self, actor: usize) {
        let run = &self.actors[actor];
        // An answered request counts in its bucket of time; a generated one
        // also in the run's totals (a scripted one is reported one by one).
        if let (
            ActorKind::Generated { .. } | ActorKind::Request(_),
            Some(start),
            Some((end, served)),
        ) = (run.kind, run.started_ms, &run.finished)
        {
            let latency = end - start;
            let generated = matches!(run.kind, ActorKind::Generated { .. });
            let bucket = self.series.at(*end);
            bucket.answered += 1;
            match served {
                Served::Read { value, .. } => {
                    let stale = self.world.db.is_stale(run.key, start, value);
                    bucket.read_latency.record(latency);
                    bucket.stale_reads += u64::from(stale);
                    if generated {
                        let totals = &mut self.generated;
                        totals.read_latency.record(latency);
                        totals.stale_reads += u64::from(stale);
                        if let Stamp::Uncommitted(write) = value.stamp {
                            *totals.uncommitted_reads.entry(write).or_default() += 1;
                        }
                    }
                }
                Served::Write { .. } => {
                    bucket.write_latency.record(latency);
                    if generated {
                        self.generated.write_latency.record(latency);
                    }
                }
            }
        }
        match run.kind {
            ActorKind::Refresher => self.refreshing[run.key.0 as usize] = false,
            ActorKind::Relay => self.relay_running = false,
            ActorKind::Consumer(partition) => {
                self.bus.partitions[partition as usize].busy = false;
                self.free_slots.push(actor);
                self.consume_next(partition);
                return;
            }
            _ => {}
        }
        if !matches!(run.kind, ActorKind::Request(_)) {
            self.free_slots.push(actor);
        }
    }

    /// A fault happens now.
    fn inject(&mut self, kind: FaultKind) {
        self.last_step = Some(LastStep::Fault(kind));
        match kind {
            FaultKind::AppCrash { app } => {
                let mut stopped = 0;
                for actor in 0..self.actors.len() {
                    let run = &self.actors[actor];
                    if run.app != Some(app) || run.coroutine.is_none() {
                        continue;
                    }
                    stopped += 1;
                    let pending = self.queue.iter().any(
                        |Reverse(s)| matches!(s.event, Event::Effect { actor: a, .. } if a == actor),
                    );
                    if pending {
                        self.actors[actor].aborting = true;
                    } else {
                        // Waiting on another's read (singleflight): nothing
                        // of its own is in flight, so it stops now.
                        self.abort(actor);
                    }
                }
                let result = format!("app {app} restarts; {stopped} in-flight request(s) stop");
                self.note("fault", "app.crash", None, result);
            }
            FaultKind::DbSlow { to_ms, factor, .. } => {
                let result = format!("database {factor}x slower until {to_ms} ms");
                self.note("fault", "db.slow", None, result);
            }
            FaultKind::RelayCrash => {
                let relays: Vec<usize> = (0..self.actors.len())
                    .filter(|&a| {
                        self.actors[a].kind == ActorKind::Relay
                            && self.actors[a].coroutine.is_some()
                    })
                    .collect();
                for relay in relays {
                    self.abort(relay);
                }
                self.note(
                    "fault",
                    "relay.crash",
                    None,
                    "relay restarts; rows not marked sent will be published again".to_string(),
                );
                if self.world.db.outbox.iter().any(|row| !row.sent) {
                    self.ensure_relay();
                }
            }
            FaultKind::BusDrop { count } => {
                self.bus.drop_next += count;
                self.note(
                    "fault",
                    "bus.drop",
                    None,
                    format!("the next {count} event(s) will be lost"),
                );
            }
            FaultKind::ConsumerPause { to_ms, .. } => {
                let result = format!("consumer paused until {to_ms} ms");
                self.note("fault", "consumer.pause", None, result);
            }
            FaultKind::CacheCrash => {
                let dirty_keys = self.world.cache.crash();
                let lost_before = self.lost_writes.len();
                for key in self.keys().collect::<Vec<_>>() {
                    if let Some(period) = self.dirty[key.0 as usize].take() {
                        let unacknowledged = &self.unacknowledged_writes;
                        let lost = period
                            .writes
                            .into_iter()
                            .filter(|w| !unacknowledged.contains(w));
                        self.lost_writes.extend(lost);
                    }
                    self.track_divergence(key);
                }
                let lost = self.lost_writes.len() - lost_before;
                self.series.at(self.now).lost_writes += lost as u64;
                let result = format!(
                    "all entries lost; {} dirty key(s), {lost} unflushed write(s) lost",
                    dirty_keys.len()
                );
                self.note("fault", "cache.crash", None, result);
            }
        }
    }

    /// Records an instantaneous happening that is not an actor's operation
    /// (a fault, a CDC publication) in the trace.
    fn note(&mut self, actor: &str, op: &'static str, key: Option<KeyId>, result: String) {
        self.entries += 1;
        if self.record_trace {
            self.trace.push(TraceEvent {
                start_ms: self.now,
                end_ms: self.now,
                actor: actor.to_string(),
                app: None,
                op,
                key: key.map(|k| self.key_names[k.0 as usize].clone()),
                result,
                fact: Fact::Other,
            });
        }
    }

    /// Puts an event on the bus now: lost, or delivered to its partition's
    /// consumer after the bus delay (once or, duplicated, twice). Returns
    /// the partition, or `None` if lost.
    fn publish(&mut self, event: BusEvent) -> Option<u32> {
        let bus = &self.scenario.bus;
        self.bus.counters.published += 1;
        if self.bus.drop_next > 0 {
            self.bus.drop_next -= 1;
            self.bus.counters.lost += 1;
            return None;
        }
        if bus.loss > 0.0 && self.rng.unit_open_closed() <= bus.loss {
            self.bus.counters.lost += 1;
            return None;
        }
        let partition = if bus.keyed {
            key_partition(&self.key_names[event.key.0 as usize], bus.partitions)
        } else {
            let p = self.bus.next_partition;
            self.bus.next_partition = (p + 1) % bus.partitions;
            p
        };
        let jitter = if bus.jitter_ms > 0 {
            self.rng.up_to(bus.jitter_ms)
        } else {
            0
        };
        let lag = bus
            .partition_lag_ms
            .get(partition as usize)
            .copied()
            .unwrap_or(0);
        let state = &mut self.bus.partitions[partition as usize];
        let at = (self.now + bus.delay_ms + jitter + lag).max(state.last_delivery_ms);
        state.last_delivery_ms = at;
        let duplicate = bus.duplicate > 0.0 && self.rng.unit_open_closed() <= bus.duplicate;
        let copies = if duplicate {
            self.bus.counters.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            if self.scenario.schedule.is_some() {
                // Scheduled mode has no clock to wait for: the event reaches
                // its partition now, and the consumer's operation is issued
                // at the delivery instant, like any delayed operation.
                self.deliver(partition, event.clone(), at);
            } else {
                let event = Box::new(event.clone());
                self.schedule(at, Event::Deliver { partition, event });
            }
        }
        Some(partition)
    }

    /// Change data capture: with the `cdc` channel, every commit is read
    /// from the database's log and published, with no app involved.
    fn capture_change(&mut self, reply: &Reply, key: KeyId) {
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
        let partition = self.publish(BusEvent { key, payload });
        let result = match partition {
            Some(p) => format!("commit @{version} sent to partition {p}"),
            None => format!("commit @{version} lost"),
        };
        self.note("cdc", "bus.publish", Some(key), result);
    }

    /// An event reaches its partition's consumer at `at` (or waits out a
    /// pause).
    fn deliver(&mut self, partition: u32, event: BusEvent, at: Millis) {
        let paused_until = self.scenario.faults.iter().find_map(|f| match f.kind {
            FaultKind::ConsumerPause { from_ms, to_ms } if (from_ms..to_ms).contains(&at) => {
                Some(to_ms)
            }
            _ => None,
        });
        if let Some(to_ms) = paused_until {
            let event = Box::new(event);
            self.schedule(to_ms, Event::Deliver { partition, event });
            return;
        }
        if self.scenario.schedule.is_some() {
            self.deliveries_ahead.push(at);
            self.count_deliveries();
        } else {
            self.bus.counters.delivered += 1;
        }
        self.bus.partitions[partition as usize]
            .queue
            .push_back((at, event));
        self.consume_next(partition);
    }

    /// Starts the partition's consumer on its next event, unless it is busy.
    fn consume_next(&mut self, partition: u32) {
        let state = &mut self.bus.partitions[partition as usize];
        if state.busy {
            return;
        }
        let Some((delivered_ms, BusEvent { key, payload })) = state.queue.pop_front() else {
            return;
        };
        state.busy = true;
        let job = Coroutine::new(move |io| strategy::apply_event(io, key, payload.clone()));
        let run = ActorRun::new(ActorKind::Consumer(partition), None, key, None);
        self.start_actor(run, job, self.now.max(delivered_ms));
    }

    fn take_effect(&mut self, actor: usize, op: Op, issued_ms: Millis) {
        self.last_step = Some(LastStep::Effect(self.actors[actor].kind));
        let key = op.key();
        let reply = match op {
            // A flush scheduled for a dirty period a crash has ended finds
            // nothing of its own to write.
            Op::Flush { key, period }
                if self.dirty[key.0 as usize]
                    .as_ref()
                    .is_none_or(|p| p.id != period) =>
            {
                Reply::Flush { version: None }
            }
            Op::Publish { key, ref payload } => Reply::Publish {
                partition: self.publish(BusEvent {
                    key,
                    payload: payload.clone(),
                }),
            },
            _ => self.world.apply(&op, self.now, &mut self.rng),
        };
        // The leader of a singleflight read shares its row with the others.
        let (reply, sharers) = match (reply, key) {
            (Reply::DbRead(row), Some(key)) => {
                match self.flights.remove(&self.flight_key(actor, key)) {
                    Some(flight) if flight.leader == actor => {
                        let followers: Vec<usize> = flight.followers;
                        let shared = Reply::SharedRead {
                            row: row.clone(),
                            leader: false,
                        };
                        let sharers = followers.into_iter().map(|f| (f, shared.clone())).collect();
                        (Reply::SharedRead { row, leader: true }, sharers)
                    }
                    Some(other) => {
                        // Another actor's flight on the same key: leave it be.
                        self.flights.insert(self.flight_key(actor, key), other);
                        (Reply::DbRead(row), Vec::new())
                    }
                    None => (Reply::DbRead(row), Vec::new()),
                }
            }
            (other, _) => (other, Vec::new()),
        };
        self.count(&reply);
        match op.resource() {
            Resource::Cache => self.series.at(self.now).cache_ops += 1,
            Resource::Publish => self.series.at(self.now).bus_ops += 1,
            Resource::DbRead | Resource::DbWrite => {}
        }
        self.track_write_behind(&op, &reply);
        if let Some(key) = key {
            self.track_divergence(key);
        }
        self.counters.effects += 1;
        self.entries += 1;
        if self.record_trace {
            self.trace.push(TraceEvent {
                start_ms: issued_ms,
                end_ms: self.now,
                actor: self.actor_name(actor),
                app: self.actors[actor].app,
                op: op.name(),
                key: key.map(|k| self.key_names[k.0 as usize].clone()),
                result: reply.describe(),
                fact: fact_of(&op, &reply),
            });
        }
        if let Some(key) = key {
            self.capture_change(&reply, key);
        }
        if matches!(op, Op::DbWriteOutbox { .. }) {
            self.ensure_relay();
        }
        if self.actors[actor].aborting {
            // Its app instance crashed: it stops after this step.
            self.abort(actor);
        } else {
            self.answer(actor, reply);
        }
        for (follower, reply) in sharers {
            self.answer(follower, reply);
        }
    }

    /// Hands a waiting actor the reply to its operation, now, and lets it
    /// go on to its next one.
    fn answer(&mut self, actor: usize, reply: Reply) {
        let now = self.now;
        let coroutine = self.actors[actor]
            .coroutine
            .as_mut()
            .expect("only a running actor waits for a reply")
            .get_mut();
        let next = coroutine.resume(Input {
            reply: Some(reply),
            now,
        });
        self.advance(actor, next, now);
    }

    /// Starts the outbox relay unless it is running.
    fn ensure_relay(&mut self) {
        if self.relay_running {
            return;
        }
        self.relay_running = true;
        let poll_ms = self.scenario.strategy.outbox_poll_ms;
        let job = Coroutine::new(move |io| strategy::relay(io, poll_ms));
        // The relay is not about one key; key 0 only fills the field.
        self.spawn(ActorKind::Relay, KeyId(0), job);
    }

    /// Stops an actor whose app instance crashed: nothing it has pending
    /// takes effect, and a request that had not answered is `aborted`.
    fn abort(&mut self, actor: usize) {
        self.queue
            .retain(|Reverse(s)| !matches!(s.event, Event::Effect { actor: a } if a == actor));
        if let Some((op, _)) = self.actors[actor].pending.take()
            && op.resource() == Resource::DbRead
        {
            // A dropped read is no longer in flight.
            self.counters.db_reads_in_flight -= 1;
            let level = self.counters.db_reads_in_flight;
            self.series.db_reads_in_flight(self.now, level);
        }
        for flight in self.flights.values_mut() {
            flight.followers.retain(|&f| f != actor);
        }
        let run = &mut self.actors[actor];
        run.coroutine = None;
        run.aborting = false;
        if run.finished.is_none() {
            run.aborted = true;
            match run.kind {
                ActorKind::Request(index)
                    if self.scenario.requests[index].op == RequestOp::Write =>
                {
                    self.unacknowledged_writes.insert(WriteId(index as u32));
                }
                ActorKind::Generated {
                    op: RequestOp::Write,
                    n,
                } => {
                    self.generated.aborted += 1;
                    self.unacknowledged_writes.insert(WriteId(n as u32));
                }
                ActorKind::Generated { .. } => self.generated.aborted += 1,
                _ => {}
            }
        }
        self.retire(actor);
    }

    /// Singleflight groups misses by app instance and key.
    fn flight_key(&self, actor: usize, key: KeyId) -> (u32, KeyId) {
        (self.actors[actor].app.unwrap_or(u32::MAX), key)
    }

    /// Write-behind bookkeeping: a dirty set opens the key's dirty period
    /// (and starts its flusher job) or joins it; a flush closes it.
    fn track_write_behind(&mut self, op: &Op, reply: &Reply) {
        match (op, reply) {
            (
                Op::CacheSet {
                    key,
                    value,
                    dirty: true,
                },
                Reply::CacheSet(SetOutcome::Stored { .. }),
            ) => {
                let Stamp::Uncommitted(write) = value.stamp else {
                    unreachable!("a dirty set carries its write")
                };
                let slot = &mut self.dirty[key.0 as usize];
                if let Some(period) = slot {
                    period.writes.push(write);
                    return;
                }
                let id = self.next_period;
                self.next_period += 1;
                *slot = Some(DirtyPeriod {
                    id,
                    writes: vec![write],
                });
                let (key, since, delay) = (*key, self.now, self.scenario.strategy.write_behind_ms);
                let job =
                    Coroutine::new(move |io| strategy::flush_after(io, key, id, since, delay));
                self.spawn(ActorKind::Flusher, key, job);
            }
            (Op::Flush { key, .. }, Reply::Flush { version: Some(_) }) => {
                let period = self.dirty[key.0 as usize]
                    .take()
                    .expect("a flush that wrote had a dirty period");
                // The flush wrote the period's latest value; the earlier
                // writes were replaced in the cache before it.
                let (_, earlier) = period.writes.split_last().expect("a period has a write");
                self.coalesced_writes.extend_from_slice(earlier);
            }
            _ => {}
        }
    }

    /// Opens or closes `key`'s divergence window after an effect on it.
    fn track_divergence(&mut self, key: KeyId) {
        let now = self.now;
        let row_version = self.world.db.row(key).version;
        let diverged = self.world.cache.live(key, now).and_then(|entry| {
            // A dirty entry never expires while dirty; under
            // stale-while-revalidate an entry is served (live) for the grace
            // period past its expiry.
            let expires_ms = if entry.dirty {
                Millis::MAX
            } else {
                entry.expires_ms + self.world.cache.grace_ms
            };
            match self.world.db.resolve(entry.value.stamp) {
                Some(version) if version == row_version => None,
                Some(_) => Some((DivergenceKind::Stale, expires_ms)),
                None => Some((DivergenceKind::Ahead, expires_ms)),
            }
        });
        let slot = &mut self.open_windows[key.0 as usize];
        // A window whose entry expired before now ended at the expiry, unless
        // a new diverged entry of the same kind took over at that very
        // instant (then the interval is still one maximal window).
        if let Some(open) = *slot
            && (open.expires_ms < now
                || (open.expires_ms == now && diverged.is_none_or(|(kind, _)| kind != open.kind)))
        {
            self.windows[open.index].to_ms = Some(open.expires_ms);
            *slot = None;
        }
        // A change of kind (ahead, then stale) ends one window and opens
        // another.
        if let (Some(open), Some((kind, _))) = (*slot, diverged)
            && open.kind != kind
        {
            self.windows[open.index].to_ms = Some(now);
            *slot = None;
        }
        match (diverged, *slot) {
            (Some((kind, expires_ms)), None) => {
                *slot = Some(OpenWindow {
                    index: self.windows.len(),
                    kind,
                    expires_ms,
                });
                self.windows.push(DivergenceWindow {
                    key,
                    kind,
                    from_ms: now,
                    to_ms: None,
                    // The step being applied is entered right after this.
                    opened_by: self.entries,
                });
            }
            (Some((_, expires_ms)), Some(open)) => {
                *slot = Some(OpenWindow { expires_ms, ..open });
            }
            (None, Some(open)) => {
                self.windows[open.index].to_ms = Some(now);
                *slot = None;
            }
            (None, None) => {}
        }
    }

    /// Issues the request's next operation at `issued_ms` (after any sleep
    /// it asks for), and records its answer to the client once given.
    fn advance(&mut self, actor: usize, mut resume: Resume<Served>, mut issued_ms: Millis) {
        loop {
            let run = &mut self.actors[actor];
            let coroutine = run
                .coroutine
                .as_mut()
                .expect("advancing a running request")
                .get_mut();
            if let Some(served) = coroutine.take_response()
                && run.finished.is_none()
            {
                run.finished = Some((issued_ms, served));
            }
            if let Some(key) = coroutine.take_refresh()
                && !self.refreshing[key.0 as usize]
            {
                self.refreshing[key.0 as usize] = true;
                let job = Coroutine::new(move |io| strategy::recompute(io, key));
                self.spawn(ActorKind::Refresher, key, job);
                continue;
            }
            match resume {
                Resume::SharedRead(key) => {
                    let flight_key = self.flight_key(actor, key);
                    if let Some(flight) = self.flights.get_mut(&flight_key) {
                        // Someone on this instance is reading it: wait for
                        // their row; nothing is issued.
                        flight.followers.push(actor);
                        return;
                    }
                    self.flights.insert(
                        flight_key,
                        Flight {
                            leader: actor,
                            followers: Vec::new(),
                        },
                    );
                    resume = Resume::Perform(Op::DbRead { key });
                }
                Resume::SleepUntil(instant) => {
                    // Nothing takes effect while sleeping: the next operation
                    // is simply issued later.
                    issued_ms = issued_ms.max(instant);
                    resume = coroutine.resume(Input {
                        reply: None,
                        now: issued_ms,
                    });
                }
                Resume::Perform(op) => {
                    if op.resource() == Resource::DbRead {
                        let c = &mut self.counters;
                        c.db_reads_in_flight += 1;
                        c.peak_concurrent_db_reads =
                            c.peak_concurrent_db_reads.max(c.db_reads_in_flight);
                        let level = c.db_reads_in_flight;
                        self.series.db_reads_in_flight(self.now, level);
                    }
                    let at = issued_ms + self.latency(op.resource(), issued_ms);
                    self.actors[actor].pending = Some((op, issued_ms));
                    self.schedule(at, Event::Effect { actor });
                    return;
                }
                Resume::Done(served) => {
                    run.coroutine = None;
                    if run.finished.is_none() {
                        run.finished = Some((issued_ms, served));
                    }
                    self.retire(actor);
                    return;
                }
            }
        }
    }

    /// How long an operation on `resource` issued at `issued_ms` takes.
    fn latency(&mut self, resource: Resource, issued_ms: Millis) -> Millis {
        let l = &self.scenario.latency_ms;
        let mut base = match resource {
            Resource::Cache => l.cache,
            Resource::DbRead => l.db_read,
            Resource::DbWrite => l.db_write,
            Resource::Publish => l.publish,
        };
        if matches!(resource, Resource::DbRead | Resource::DbWrite) {
            for fault in &self.scenario.faults {
                if let FaultKind::DbSlow {
                    from_ms,
                    to_ms,
                    factor,
                } = fault.kind
                    && (from_ms..to_ms).contains(&issued_ms)
                {
                    base *= Millis::from(factor);
                }
            }
        }
        let jitter = if l.jitter_ms > 0 {
            self.rng.up_to(l.jitter_ms)
        } else {
            0
        };
        base + jitter
    }

    /// Counts an effect in the run's counters and in its bucket of time.
    fn count(&mut self, reply: &Reply) {
        let c = &mut self.counters;
        let bucket = self.series.at(self.now);
        match reply {
            Reply::CacheGet(Some(_))
            | Reply::LeaseGet(LeaseGrant::Hit(_))
            | Reply::CacheGetRefreshing { value: Some(_), .. } => {
                c.cache_hits += 1;
                bucket.hits += 1;
            }
            Reply::CacheGet(None)
            | Reply::LeaseGet(_)
            | Reply::CacheGetRefreshing { value: None, .. } => {
                c.cache_misses += 1;
                bucket.misses += 1;
            }
            Reply::LockAdd { .. } | Reply::Unlock => {}
            Reply::CacheSet(outcome) | Reply::LeaseSet(outcome) => {
                c.cache_sets += 1;
                if matches!(outcome, SetOutcome::Rejected(_)) {
                    c.rejected_sets += 1;
                }
            }
            Reply::CacheDelete { .. } => c.cache_deletes += 1,
            // A relay poll is a DB read too (it occupies the database).
            Reply::DbRead(_) | Reply::SharedRead { .. } | Reply::OutboxRows(_) => {
                c.db_reads += 1;
                bucket.db_reads += 1;
                c.db_reads_in_flight -= 1;
                let level = c.db_reads_in_flight;
                self.series.db_reads_in_flight(self.now, level);
            }
            Reply::DbWrite { .. } | Reply::Flush { version: Some(_) } => {
                c.db_writes += 1;
                bucket.db_writes += 1;
            }
            // `writes` counts commits of keys; marking outbox rows is not one.
            Reply::Flush { version: None } | Reply::Publish { .. } | Reply::MarkedSent => {}
        }
    }
}

/// What `op` with `reply` did to its key's versions.
fn fact_of(op: &Op, reply: &Reply) -> Fact {
    let committed = |value: &Cached| match value.stamp {
        Stamp::Committed(version) => Some(version),
        Stamp::Uncommitted(_) => None,
    };
    match (op, reply) {
        (_, Reply::CacheGet(value) | Reply::CacheGetRefreshing { value, .. }) => Fact::Got {
            version: value.as_ref().and_then(committed),
        },
        (_, Reply::LeaseGet(LeaseGrant::Hit(value))) => Fact::Got {
            version: committed(value),
        },
        (_, Reply::LeaseGet(_)) => Fact::Got { version: None },
        (_, Reply::DbRead(row) | Reply::SharedRead { row, .. }) => Fact::Read {
            version: row.version,
        },
        (
            _,
            Reply::DbWrite { version }
            | Reply::Flush {
                version: Some(version),
            },
        ) => Fact::Committed { version: *version },
        (
            Op::CacheSet { value, .. }
            | Op::LeaseSet { value, .. }
            | Op::CacheSetComputed { value, .. },
            Reply::CacheSet(SetOutcome::Stored { .. }) | Reply::LeaseSet(SetOutcome::Stored { .. }),
        ) => Fact::Stored {
            version: committed(value),
        },
        (
            _,
            Reply::CacheSet(SetOutcome::Rejected(_)) | Reply::LeaseSet(SetOutcome::Rejected(_)),
        ) => Fact::Refused,
        (_, Reply::CacheDelete { .. }) => Fact::Deleted,
        _ => Fact::Other,
    }
}

/// Whether schedule name `name` (`flusher`, `refresher`, `relay`,
/// `consumer`, or `consumer:P` for partition P's consumer) names a
/// background actor of `kind`.
fn background_name_matches(name: &str, kind: ActorKind) -> bool {
    match (name, kind) {
        ("flusher", ActorKind::Flusher)
        | ("refresher", ActorKind::Refresher)
        | ("relay", ActorKind::Relay)
        | ("consumer", ActorKind::Consumer(_)) => true,
        (name, ActorKind::Consumer(p)) => name
            .strip_prefix("consumer:")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n == p),
        _ => false,
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
