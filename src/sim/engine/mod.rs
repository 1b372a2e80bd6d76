//! The discrete-event engine: it decides when each operation takes effect.
//!
//! An actor (a client request served by an app instance, or a background
//! job) issues an operation at the instant its previous one took effect;
//! the operation takes effect one latency later, atomically, and the actor
//! continues from there. In scheduled mode a schedule names whose pending
//! operation takes effect next instead.
//!
//! Each part owns its state, its share of [`Simulation::hash_state`] and its
//! reaction to a crash:
//! - [`queue`]: the timed events, in order of (time, sequence number);
//! - [`actors`]: requests and background jobs, their coroutines' lifecycle;
//! - [`generated`]: a workload's arrival streams and statistics;
//! - [`bus`]: the event bus, its partitions and consumers, CDC;
//! - [`faults`]: what each fault does;
//! - [`divergence`]: the stale and ahead windows per key;
//! - [`write_behind`]: dirty periods and lost or coalesced writes;
//! - [`flights`]: singleflight reads;
//! - [`tier`]: the cache tier's per-key locks (write-through, read-through);
//! - [`counters`]: what the report's totals are built from.

mod actors;
mod bus;
mod counters;
mod divergence;
mod faults;
mod flights;
mod generated;
mod mirror;
mod queue;
mod running;
mod tier;
mod write_behind;

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::coroutine::{Coroutine, FramePool};
use super::ops::{
    Cached, KeyId, Op, Published, Reply, Resource, SetOutcome, Stamp, Value, WriteId,
};
use super::rng::RandomStreams;
use super::scenario::{
    Channel, FaultKind, Millis, RequestOp, Scenario, ScenarioError, ScheduleEntry, WriteStrategy,
};
use super::series::Series;
use super::strategy;
use super::strategy::Served;
use super::world::{Cache, CacheEntry, Database, World};

pub use super::ops::BusEvent;
use super::trace::{Actor, Fact, OpName, TraceEvent};
pub use actors::{ActorKind, ActorRun, request_code};
pub use bus::{BusCounters, PartitionView, key_partition};
pub use counters::Counters;
pub use divergence::{DivergenceKind, DivergenceWindow};
pub use faults::app_resumes_at;
pub use generated::GeneratedStats;
pub use mirror::Mirror;

use super::trace::{Trace, fact_of};
use actors::{Actors, Jobs, flight_app};
use bus::{Bus, Sent};
use divergence::Divergence;
use flights::Flights;
use generated::{Arrival, Generator};
use mirror::MirrorSlot;
use queue::{Event, EventQueue};
use tier::Tier;
use write_behind::WriteBehind;

/// A running simulation of one scenario. Cloning it is exact: the clone
/// continues exactly as the original would.
#[derive(Clone, Debug)]
pub struct Simulation {
    scenario: Rc<Scenario>,
    key_names: Rc<[String]>,
    now: Millis,
    queue: EventQueue,
    world: World,
    random: RandomStreams,
    actors: Actors,
    jobs: Jobs,
    generator: Generator,
    trace: Trace,
    /// Whether coroutines keep the inputs a replay needs (see
    /// [`Simulation::without_replay`]).
    replayable: bool,
    counters: Counters,
    /// The next schedule entry to apply (scheduled mode).
    schedule_pos: usize,
    /// Whether a DB read takes its snapshot when issued (a statement under
    /// READ COMMITTED), as in timed mode; a scheduled run reads at the
    /// step instead, unless it replays a live run.
    snapshots_at_issue: bool,
    /// What the last step was (a schedule entry naming it is built only
    /// when asked for: stepping must not pay for a name nobody reads).
    last_step: Option<LastStep>,
    /// Metrics per bucket of time (kept with or without the trace).
    series: Series,
    divergence: Divergence,
    write_behind: WriteBehind,
    flights: Flights,
    bus: Bus,
    tier: Tier,
    /// Per key: who took its current lock, with which token (for the
    /// inspector; history, not state: the token itself is in the cache).
    lock_holders: Vec<Option<(crate::sim::ops::LockToken, Actor)>>,
    /// What performs the operations on real servers as well, if anything.
    mirror: MirrorSlot,
    /// Finished coroutines' frames, for new coroutines of the same kind
    /// (requests, background jobs) to start in.
    frames: FramePool<Served>,
}

/// What a step was: an actor's operation taking effect, a fault, or the
/// read replica applying a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LastStep {
    Effect(ActorKind),
    Fault(FaultKind),
    Replicate,
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
        let mut db = Database::new(scenario.keys.values().map(|v| Value::from(v.as_str())));
        if scenario.db.replica_lag_ms.is_some() {
            db = db.with_replica();
        }
        let mut random = RandomStreams::new(scenario.seed);
        let mut cache = Cache::new(key_names.len());
        cache.grace_ms = scenario.strategy.served_past_expiry_ms();
        cache.stale_keep_ms = scenario.strategy.deleted_kept_ms();
        let mut world = World {
            cache,
            db,
            ttl_ms: scenario.strategy.ttl_ms,
            ttl_jitter_ms: scenario.strategy.ttl_jitter_ms,
            versioned_sets: scenario.strategy.versioned_sets,
            lease_ttl_ms: scenario.strategy.lock_ttl_ms,
            lease_token_interval_ms: scenario.strategy.lease_token_interval_ms,
        };
        if scenario.prewarm {
            for index in 0..key_names.len() {
                let key = KeyId(index as u32);
                let entry = CacheEntry {
                    value: world.db.row(key).clone().into(),
                    expires_ms: world.ttl_with_jitter(&mut random.ttl_jitter),
                    dirty: false,
                    // Counts as computed by one DB read (for XFetch's delta).
                    cost_ms: scenario.latency_ms.db_read,
                };
                world.cache.set(key, entry);
            }
        }
        let actors: Vec<ActorRun> = scenario
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
        let (generator, first_arrivals) = Generator::new(scenario, key_count, &mut random.workload);
        let mut sim = Simulation {
            scenario: Rc::new(scenario.clone()),
            key_names,
            now: 0,
            queue: EventQueue::default(),
            world,
            random,
            actors: Actors::new(actors, scenario.requests.iter().map(|r| r.id.clone())),
            jobs: Jobs::new(key_count),
            generator,
            trace: Trace::default(),
            replayable: true,
            counters: Counters::default(),
            schedule_pos: 0,
            snapshots_at_issue: scenario.schedule.is_none(),
            last_step: None,
            series: Series::default(),
            divergence: Divergence::new(key_count),
            write_behind: WriteBehind::new(key_count),
            flights: Flights::default(),
            bus: Bus::new(scenario.bus.partitions),
            tier: Tier::new(key_count),
            lock_holders: vec![None; key_count],
            mirror: MirrorSlot::default(),
            frames: FramePool::default(),
        };
        for (stream, at) in first_arrivals.into_iter().enumerate() {
            sim.queue.push(at, Event::Generate(stream));
        }
        // In scheduled mode a request starts when the schedule first names
        // it, and faults are schedule entries.
        if scenario.schedule.is_none() {
            for (index, spec) in scenario.requests.iter().enumerate() {
                sim.queue.push(spec.at_ms, Event::Arrive(index));
            }
            for (index, fault) in scenario.faults.iter().enumerate() {
                sim.queue
                    .push(fault.starts_ms().unwrap_or_default(), Event::Fault(index));
            }
        }
        sim
    }

    /// Performs every operation from here on on `mirror` as well, and
    /// hands the strategy code the mirror's replies (see [`Mirror`]).
    pub fn set_mirror(&mut self, mirror: Rc<std::cell::RefCell<dyn Mirror>>) {
        self.mirror = MirrorSlot::new(mirror);
    }

    /// A scheduled run whose DB reads take their snapshot when issued, as
    /// PostgreSQL's statements do: how a live run's recorded order is
    /// replayed, each read named when its answer arrived.
    pub fn with_snapshots_at_issue(mut self) -> Self {
        self.snapshots_at_issue = true;
        self
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
        &self.trace.events
    }

    /// The counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The scripted requests and how far each has got.
    pub fn requests(&self) -> &[ActorRun] {
        self.actors.requests()
    }

    /// Acknowledged writes a crash lost before they were flushed.
    pub fn lost_writes(&self) -> &[WriteId] {
        &self.write_behind.lost
    }

    /// Write-behind writes replaced by a later write of the same dirty
    /// period before the flush (so never committed themselves).
    pub fn coalesced_writes(&self) -> &[WriteId] {
        &self.write_behind.coalesced
    }

    /// Write-behind writes still waiting for their flush.
    pub fn unflushed_writes(&self) -> impl Iterator<Item = WriteId> + '_ {
        self.write_behind.unflushed()
    }

    /// The schedule entry that names the last step: the actor whose
    /// operation took effect (`consumer:P` when the bus has several
    /// partitions, so that the very job is named), or the fault. A run's
    /// steps, named this way, make a schedule that replays them.
    pub fn last_entry(&self) -> Option<ScheduleEntry> {
        Some(match self.last_step? {
            LastStep::Fault(kind) => ScheduleEntry::Fault(kind),
            LastStep::Replicate => ScheduleEntry::Actor(Actor::Replica.to_string()),
            LastStep::Effect(ActorKind::Consumer(p)) if self.scenario.bus.partitions > 1 => {
                ScheduleEntry::Actor(Actor::Consumer(Some(p)).to_string())
            }
            LastStep::Effect(kind) => ScheduleEntry::Actor(self.actor_of(kind).to_string()),
        })
    }

    /// A copy without the trace recorded so far, which records none from
    /// here on: a checkpoint (the trace is kept once, elsewhere), made
    /// without copying the trace.
    pub fn checkpoint(&mut self) -> Self {
        let events = std::mem::take(&mut self.trace.events);
        let mut copy = self.clone();
        self.trace.events = events;
        copy.trace.record = false;
        copy
    }

    /// Stops recording the trace (before running a large scenario).
    pub fn without_trace(mut self) -> Self {
        self.trace.record = false;
        self
    }

    /// For a run that is never cloned once it has started (a benchmark, a
    /// comparison, a large workload): its coroutines keep no history of
    /// their inputs, which a clone needs to move an actor on. Moving on an
    /// actor of a clone of such a run (or hashing its state) panics.
    pub fn without_replay(mut self) -> Self {
        self.replayable = false;
        self
    }

    /// For a run whose metrics over time nobody reads (the explorer's, which
    /// clones a simulation at every branch): its series is one bucket, so a
    /// clone copies one bucket instead of up to [`super::series::MAX_BUCKETS`].
    pub fn without_series(mut self) -> Self {
        self.series = Series::one_bucket();
        self
    }

    /// Metrics per bucket of time, up to now.
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// The bus's counters.
    pub fn bus(&self) -> BusCounters {
        self.bus.counters()
    }

    /// What the generated requests of a workload did.
    pub fn generated(&self) -> &GeneratedStats {
        &self.generator.stats
    }

    /// The cache and the database.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Who took `key`'s lock with `token`, if that is its latest lock.
    pub fn lock_holder(&self, key: KeyId, token: crate::sim::ops::LockToken) -> Option<&Actor> {
        match &self.lock_holders[key.0 as usize] {
            Some((held, actor)) if *held == token => Some(actor),
            _ => None,
        }
    }

    /// Who holds the cache tier's lock of `key` (write-through,
    /// read-through), and how many wait for it.
    pub fn tier_lock(&self, key: KeyId) -> (Option<Actor>, usize) {
        let (holder, waiting) = self.tier.state(key);
        (holder.map(|actor| self.actor(actor)), waiting)
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
                let more = self.queue.peek_at().is_some_and(|at| at <= until);
                // With until_ms the clock still has to reach it.
                !more && self.scenario.until_ms.is_none_or(|until| self.now >= until)
            }
        }
    }

    /// Every divergence window so far, in the order they opened, as of the
    /// current time: an open window whose entry has expired is closed at
    /// its expiry.
    pub fn divergence(&self) -> Vec<DivergenceWindow> {
        self.divergence.as_of(self.now)
    }

    /// Operations issued but not yet taken effect, soonest first, as
    /// (actor, operation, issued at, takes effect at).
    pub fn in_flight(&self) -> Vec<(Actor, &Op, Millis, Millis)> {
        self.queue
            .sorted()
            .into_iter()
            .filter_map(|s| match s.event {
                Event::Effect { actor } => {
                    let (op, issued_ms) = self.actors[actor].pending.as_ref()?;
                    Some((self.actor(actor), op, *issued_ms, s.at))
                }
                Event::Arrive(_)
                | Event::Fault(_)
                | Event::Generate(_)
                | Event::Deliver { .. }
                | Event::Replicate
                | Event::CdcRetry
                | Event::Wake { .. } => None,
            })
            .collect()
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
        while let Some(next) = self.queue.pop_until(until) {
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
                Event::Replicate => {
                    self.replicate();
                    return true;
                }
                Event::Wake { actor } => self.wake(actor),
                Event::CdcRetry => self.publish_captured(true),
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

    /// Feeds `state` everything that decides how this (scheduled-mode) run
    /// can go on, and nothing that only records how it got here, so that
    /// two runs that feed the same data continue identically under every
    /// schedule. The explorer memoises on it.
    ///
    /// Left out, as history: the trace, counters, closed divergence windows,
    /// lost and coalesced writes (the explorer notes those as they happen),
    /// sequence numbers (only their order matters: background jobs are fed
    /// in queue order), which actor slots are free, and the scenario's
    /// constants. A workload's streams are not fed: workloads run timed
    /// only, never explored.
    pub fn hash_state<H: Hasher>(&self, state: &mut H) {
        self.now.hash(state);
        self.random.positions().hash(state);
        self.actors.hash_state(&self.queue, state);
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
        self.jobs.hash_state(state);
        self.flights.hash_state(state);
        self.tier.hash_state(state);
        self.write_behind.hash_state(state);
        self.divergence.hash_state(state);
        self.bus.hash_state(state);
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
        self.bus.count_deliveries(self.now);
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
        if self.actors.request_named(name).is_none() && Actor::parse(name) == Actor::Replica {
            let committed_ms = self
                .world
                .db
                .next_to_replicate()
                .ok_or_else(nothing_pending)?;
            let lag = self.scenario.db.replica_lag_ms.unwrap_or_default();
            self.now = self.now.max(committed_ms + lag);
            self.replicate();
            return Ok(true);
        }
        let actors: Vec<usize> = match self.actors.request_named(name) {
            Some(request) => {
                if self.actors[request].started_ms.is_none() {
                    let at = self.scenario.requests[request].at_ms;
                    self.start_request(request, at);
                }
                vec![request]
            }
            None => {
                let named = Actor::parse(name);
                self.actors
                    .background()
                    .filter(|&a| {
                        self.actors[a].is_running() && self.actors[a].kind.answers_to(&named)
                    })
                    .collect()
            }
        };
        // The named actor's pending operation; for a background actor
        // with several jobs, the one that would complete first.
        let pending = self
            .queue
            .take_first_effect_of(&actors)
            .ok_or_else(nothing_pending)?;
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
        let busy = |named: &Actor| {
            self.actors.background().any(|a| {
                let run = &self.actors[a];
                run.is_running() && run.pending.is_some() && run.kind.answers_to(named)
            })
        };
        let consumers: Vec<Actor> = if self.scenario.bus.partitions > 1 {
            (0..self.scenario.bus.partitions)
                .map(|p| Actor::Consumer(Some(p)))
                .collect()
        } else {
            vec![Actor::Consumer(None)]
        };
        let others = [Actor::Flusher, Actor::Relay, Actor::Refresher];
        for named in consumers.iter().chain(&others) {
            if busy(named) {
                names.push(named.to_string());
            }
        }
        if self.world.db.next_to_replicate().is_some() {
            names.push(Actor::Replica.to_string());
        }
        names
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        while self.step() {}
    }

    /// Records an instantaneous happening that is not an actor's operation
    /// (a fault, a CDC publication) in the trace.
    fn note(&mut self, actor: Actor, op: OpName, key: Option<KeyId>, result: String) {
        let (now, key_names) = (self.now, &self.key_names);
        self.trace.push(|| TraceEvent {
            start_ms: now,
            end_ms: now,
            actor,
            app: None,
            op,
            key: key.map(|k| key_names[k.0 as usize].clone()),
            result,
            fact: Fact::Other,
        });
    }

    fn take_effect(&mut self, actor: usize, op: Op, issued_ms: Millis) {
        self.last_step = Some(LastStep::Effect(self.actors[actor].kind));
        let key = op.key();
        let reply = match op {
            // A flush scheduled for a dirty period a crash has ended finds
            // nothing of its own to write.
            Op::Flush { key, period } if !self.write_behind.is_current(key, period) => {
                Reply::Flush { version: None }
            }
            Op::Publish {
                key,
                ref payload,
                row,
            } => Reply::Publish(self.publish_row(
                BusEvent {
                    key,
                    payload: payload.clone(),
                },
                row,
            )),
            // A poll issued earlier (timed mode) sees the outbox as of its
            // issue, like any DB read (a mirror reads its table as of then).
            Op::OutboxPoll if self.scenario.schedule.is_none() => {
                let simulated = Reply::OutboxRows(self.world.db.unsent_rows(issued_ms));
                self.mirror
                    .effect(self.actor(actor), &op, issued_ms, simulated)
            }
            Op::TierLock { key } => {
                // From here on the cache tier works for the actor.
                self.actors[actor].server_side = true;
                Reply::TierLock {
                    granted: self.tier.acquire(key, actor),
                }
            }
            // A DB read issued earlier (timed mode) returns the row as of
            // its issue: its snapshot (a mirror took its own then).
            Op::DbRead { .. } if self.actors[actor].snapshot.is_some() => {
                Reply::DbRead(self.actors[actor].snapshot.take().expect("just checked"))
            }
            _ => {
                let simulated = self.world.apply(&op, self.now, &mut self.random.ttl_jitter);
                self.mirror
                    .effect(self.actor(actor), &op, self.now, simulated)
            }
        };
        // The leader of a singleflight read shares its row with the others.
        let (reply, sharers) = match (reply, key) {
            (Reply::DbRead(row), Some(key)) => {
                let app = flight_app(&self.actors[actor]);
                self.flights.land(app, key, actor, row)
            }
            (other, _) => (other, Vec::new()),
        };
        self.counters.count(&reply, &mut self.series, self.now);
        match op.resource() {
            Resource::Cache => self.series.at(self.now).cache_ops += 1,
            Resource::Publish => self.series.at(self.now).bus_ops += 1,
            Resource::DbRead | Resource::DbWrite => {}
        }
        self.track_write_behind(&op, &reply);
        if let (Some(lag), Reply::DbWrite { .. } | Reply::Flush { version: Some(_) }) =
            (self.scenario.db.replica_lag_ms, &reply)
            && self.scenario.schedule.is_none()
        {
            // The replica applies this commit `lag` later (in a scheduled
            // run, when a schedule names `replica`).
            self.queue.push(self.now + lag, Event::Replicate);
        }
        if let Some(key) = key {
            self.track_divergence(key);
        }
        self.counters.effects += 1;
        let (now, key_names, run) = (self.now, &self.key_names, &self.actors[actor]);
        let requests = &self.scenario.requests;
        self.trace.push(|| TraceEvent {
            start_ms: issued_ms,
            end_ms: now,
            actor: run.kind.actor(requests),
            app: run.app,
            op: op.name(),
            key: key.map(|k| key_names[k.0 as usize].clone()),
            result: reply.describe(),
            fact: fact_of(&op, &reply),
        });
        if let Some(key) = key {
            self.capture_change(&reply, key);
        }
        if matches!(op, Op::DbWriteOutbox { .. }) {
            self.ensure_relay();
        }
        if let (Reply::LockAdd { token: Some(token) }, Some(key)) = (&reply, key) {
            self.lock_holders[key.0 as usize] = Some((*token, self.actor(actor)));
        }
        if self.actors[actor].aborting && !self.actors[actor].server_side {
            // Its app instance crashed: it stops after this step.
            self.abort(actor);
        } else {
            self.answer(actor, reply);
        }
        for (follower, reply) in sharers {
            self.answer(follower, reply);
        }
    }

    /// Who actor slot `actor` is, as the trace shows it.
    pub fn actor(&self, actor: usize) -> Actor {
        self.actor_of(self.actors[actor].kind)
    }

    /// Who an actor of `kind` is, as the trace shows it.
    fn actor_of(&self, kind: ActorKind) -> Actor {
        kind.actor(&self.scenario.requests)
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
            base *= faults::db_slowdown(&self.scenario.faults, issued_ms);
        }
        let jitter = if l.jitter_ms > 0 {
            self.random.latency.up_to(l.jitter_ms)
        } else {
            0
        };
        base + jitter
    }

    /// Opens or closes `key`'s divergence window after an effect on it (the
    /// step being applied is entered in the trace right after this).
    fn track_divergence(&mut self, key: KeyId) {
        self.divergence
            .track(&self.world, key, self.now, self.trace.entries);
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
                let Some(id) = self.write_behind.dirty_set(*key, write) else {
                    return;
                };
                let (key, since, delay) = (*key, self.now, self.scenario.strategy.write_behind_ms);
                let job = Coroutine::new_in(&mut self.frames, move |io| {
                    strategy::flush_after(io, key, id, since, delay)
                });
                self.spawn(ActorKind::Flusher, key, job);
            }
            (Op::Flush { key, .. }, Reply::Flush { version: Some(_) }) => {
                self.write_behind.flushed(*key);
            }
            _ => {}
        }
    }

    /// The read replica applies the oldest commit it has not applied, now.
    fn replicate(&mut self) {
        self.last_step = Some(LastStep::Replicate);
        let Some((key, row, committed_ms)) = self.world.db.replicate_next() else {
            return;
        };
        self.counters.effects += 1;
        let (now, key_names) = (self.now, &self.key_names);
        self.trace.push(|| TraceEvent {
            start_ms: committed_ms,
            end_ms: now,
            actor: Actor::Replica,
            app: None,
            op: OpName::ReplicaApply,
            key: Some(key_names[key.0 as usize].clone()),
            result: format!("applied {}@{}", row.value, row.version),
            fact: Fact::Replicated {
                version: row.version,
            },
        });
    }

    /// Starts the outbox relay unless it is running.
    /// A fault happens now.
    pub(super) fn inject(&mut self, kind: FaultKind) {
        self.last_step = Some(LastStep::Fault(kind));
        let now = self.now;
        self.mirror.with(|m| m.fault(kind, now));
        match kind {
            FaultKind::AppCrash { app } => {
                let mut stopped = 0;
                for actor in 0..self.actors.len() {
                    let run = &self.actors[actor];
                    if run.app != Some(app) || !run.is_running() {
                        continue;
                    }
                    stopped += 1;
                    // An operation already sent (issued strictly before the
                    // crash, in a timed run) still takes effect at its
                    // server; its reply is dropped. One not yet sent (a
                    // delayed second delete, a retry after a sleep; in a
                    // scheduled run every operation not yet named) never
                    // happens. Waiting on another's read (singleflight),
                    // nothing of its own is in flight.
                    let sent = self.scenario.schedule.is_none()
                        && self.queue.has_effect_of(actor)
                        && run
                            .pending
                            .as_ref()
                            .is_some_and(|(_, issued)| *issued < self.now);
                    if sent || self.actors[actor].server_side {
                        self.actors[actor].aborting = true;
                    } else {
                        self.abort(actor);
                    }
                }
                let result = format!("app {app} restarts; {stopped} in-flight request(s) stop");
                self.note(Actor::Fault, OpName::AppCrash, None, result);
            }
            FaultKind::ConsumerCrash { partition } => {
                let again = self.crash_consumers(partition);
                let which = match partition {
                    Some(p) => format!("the consumer of partition {p} restarts"),
                    None => "every consumer restarts".to_string(),
                };
                let result = format!(
                    "{which} from its last committed offset; {again} event(s) applied again"
                );
                self.note(Actor::Fault, OpName::ConsumerCrash, None, result);
            }
            FaultKind::AppPause { to_ms, app, .. } => {
                let result =
                    format!("app {app} paused until {to_ms} ms (issues nothing, sees no reply)");
                self.note(Actor::Fault, OpName::AppPause, None, result);
            }
            FaultKind::DbSlow { to_ms, factor, .. } => {
                let result = format!("database {factor}x slower until {to_ms} ms");
                self.note(Actor::Fault, OpName::DbSlow, None, result);
            }
            FaultKind::RelayCrash => {
                let relays: Vec<usize> = (0..self.actors.len())
                    .filter(|&a| {
                        self.actors[a].kind == ActorKind::Relay && self.actors[a].is_running()
                    })
                    .collect();
                for relay in relays {
                    self.abort(relay);
                }
                self.note(
                    Actor::Fault,
                    OpName::RelayCrash,
                    None,
                    "relay restarts; rows not marked sent will be published again".to_string(),
                );
                if self.world.db.outbox.iter().any(|row| !row.sent) {
                    self.ensure_relay();
                }
            }
            FaultKind::BusDrop { count } => {
                self.bus.drop_next(count);
                self.note(
                    Actor::Fault,
                    OpName::BusDrop,
                    None,
                    format!("the next {count} event(s) will be lost"),
                );
            }
            FaultKind::ConsumerPause { to_ms, .. } => {
                let result = format!("consumer paused until {to_ms} ms");
                self.note(Actor::Fault, OpName::ConsumerPause, None, result);
            }
            FaultKind::CacheCrash => {
                let dirty_keys = self.world.cache.crash();
                let lost = self.write_behind.cache_crashed();
                for key in self.keys().collect::<Vec<_>>() {
                    self.track_divergence(key);
                }
                self.series.at(self.now).lost_writes += lost as u64;
                let result = format!(
                    "all entries lost; {} dirty key(s), {lost} unflushed write(s) lost",
                    dirty_keys.len()
                );
                self.note(Actor::Fault, OpName::CacheCrash, None, result);
            }
        }
    }

    /// The bus at this instant, one entry per partition: events still
    /// travelling to it, events waiting for its consumer, and whether the
    /// consumer is applying one (the inspector's view).
    pub fn partitions(&self) -> Vec<PartitionView> {
        let in_transit = self
            .queue
            .sorted()
            .into_iter()
            .filter_map(|s| match &s.event {
                Event::Deliver { partition, event } => Some((*partition, s.at, &**event)),
                _ => None,
            });
        self.bus.views(self.now, in_transit)
    }

    /// The relay (or, with `row: None`, an app) publishes an event now.
    fn publish_row(&mut self, event: BusEvent, row: Option<u64>) -> Published {
        if let Some(row) = row {
            self.bus.publishing_row(row);
        }
        let outcome = self.publish(event, self.now);
        if let (Some(row), Published::Unacknowledged) = (row, outcome) {
            self.bus.row_unacknowledged(row);
        }
        outcome
    }

    /// Puts an event on the bus at `published_ms` (now, or a CDC retry's
    /// instant): delivered to its partition's consumer after the bus delay
    /// (once or, duplicated, twice), or not taken: lost (an app's
    /// fire-and-forget publish) or unacknowledged (CDC and the outbox
    /// relay, which publish it again).
    fn publish(&mut self, event: BusEvent, published_ms: Millis) -> Published {
        let sent = self.bus.send(
            &self.key_names[event.key.0 as usize],
            published_ms,
            &self.scenario.bus,
            self.scenario.strategy.channel.at_least_once(),
            &mut self.random.bus,
        );
        let (partition, at, copies) = match sent {
            Sent::NotTaken(outcome) => return outcome,
            Sent::To {
                partition,
                at,
                copies,
            } => (partition, at, copies),
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
        let event = BusEvent { key, payload };
        let now = self.now;
        self.mirror.with(|m| m.captured(key, version, &event, now));
        if self.scenario.schedule.is_none() {
            if self.bus.capture(version, event) {
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
                    self.bus.count_retry();
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
    fn publish_captured(&mut self, mut again: bool) {
        while let Some((version, event)) = self.bus.next_captured() {
            let key = event.key;
            if again {
                self.bus.count_retry();
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
            self.bus.captured_published();
            again = false;
        }
    }

    /// An event reaches its partition's consumer at `at` (or waits out a
    /// pause).
    fn deliver(&mut self, partition: u32, event: BusEvent, at: Millis) {
        if let Some(to_ms) = faults::consumer_paused_until(&self.scenario.faults, at) {
            let event = Box::new(event);
            self.queue.push(to_ms, Event::Deliver { partition, event });
            return;
        }
        let scheduled = self.scenario.schedule.is_some();
        self.bus.arrive(partition, event, at, self.now, scheduled);
        self.consume_next(partition);
    }

    /// A consumer crash: the consumer of `partition` (of every partition
    /// with `None`) restarts from its last committed offset. The cache
    /// operation it had in flight is dropped, and every event from the
    /// committed offset on is applied again, in order. Returns how many
    /// events that had been applied are applied again.
    fn crash_consumers(&mut self, partition: Option<u32>) -> u64 {
        let partitions: Vec<u32> = match partition {
            Some(p) => vec![p],
            None => (0..self.scenario.bus.partitions).collect(),
        };
        let mut again = 0;
        for p in partitions {
            let now = self.now;
            let (applied_again, taken_again) = self.bus.rewind(p, now);
            again += applied_again;
            self.mirror
                .with(|m| m.consumer_restart(p, taken_again, now));
            let running = self.actors.background().find(|&a| {
                self.actors[a].kind == ActorKind::Consumer(p) && self.actors[a].is_running()
            });
            match running {
                // Its retirement starts the consumer again on the queue.
                Some(actor) => self.abort(actor),
                None => self.consume_next(p),
            }
        }
        again
    }

    /// Starts the partition's consumer on its next event, unless it is busy.
    fn consume_next(&mut self, partition: u32) {
        let Some((delivered_ms, event)) = self.bus.take_next(partition) else {
            return;
        };
        let now = self.now;
        self.mirror.with(|m| m.bus_take(partition, &event, now));
        let BusEvent { key, payload } = event;
        let job = Coroutine::new_in(&mut self.frames, move |io| {
            strategy::apply_event(io, key, payload.clone())
        });
        let run = ActorRun::new(ActorKind::Consumer(partition), None, key, None);
        self.start_actor(run, job, self.now.max(delivered_ms));
    }

    /// Starts the request stream `stream` generates now, and schedules its
    /// next arrival.
    fn generate(&mut self, stream: usize) {
        let arrival = self
            .generator
            .arrive(stream, self.scenario.apps, &mut self.random.workload);
        let Arrival {
            op, n, key, app, ..
        } = arrival;
        let write = WriteId(u32::try_from(n).expect("workloads are bounded far below u32"));
        let value = || Value::from(format!("w{n}"));
        let strategy = self.scenario.strategy;
        let coroutine = request_code(&mut self.frames, strategy, op, write, key, value);
        let run = ActorRun::new(
            ActorKind::Generated { op, n },
            Some(app),
            key,
            Some(self.now),
        );
        self.start_actor(run, coroutine, self.now);
        if let Some(at) = arrival.next_ms {
            self.queue.push(at, Event::Generate(stream));
        }
    }

    fn ensure_relay(&mut self) {
        if self.jobs.relay_running {
            return;
        }
        self.jobs.relay_running = true;
        let poll_ms = self.scenario.strategy.outbox_poll_ms;
        let job = Coroutine::new_in(&mut self.frames, move |io| strategy::relay(io, poll_ms));
        // The relay is not about one key; key 0 only fills the field.
        self.spawn(ActorKind::Relay, KeyId(0), job);
    }
}
