//! The discrete-event engine: a queue of timed events, drained in order of
//! (time, sequence number), so simultaneous events keep the order in which
//! they were scheduled and every run of a scenario is the same run.
//!
//! An actor (so far: a client request served by an app instance) issues an
//! operation at the instant its previous one took effect; the operation takes
//! effect one latency later, atomically, and the actor continues from there.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;

use serde::Serialize;

use super::coroutine::{Coroutine, Input, Resume};
use super::ops::{KeyId, LeaseGrant, Op, Reply, Resource, SetOutcome, Value};
use super::rng::SimRng;
use super::scenario::{Millis, RequestOp, Scenario, ScenarioError, ScheduleEntry};
use super::strategy::{self, Served};
use super::world::{Cache, CacheEntry, Database, World};

/// One operation as it happened: issued at `start_ms`, took effect at `end_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// When the actor issued the operation.
    pub start_ms: Millis,
    /// When it took effect.
    pub end_ms: Millis,
    /// Who performed it (a request id).
    pub actor: String,
    /// The app instance that performed it.
    pub app: u32,
    /// `cache.get`, `db.write`, ...
    pub op: &'static str,
    /// The key it acted on.
    pub key: String,
    /// What it returned, in words (`miss`, `hit v1@1`, `committed @2`).
    pub result: String,
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
    /// Cache sets (plain and lease sets), stored or not.
    pub cache_sets: u64,
    /// Cache sets the cache refused.
    pub rejected_sets: u64,
    /// Cache deletes.
    pub cache_deletes: u64,
}

/// What kind of disagreement a divergence window is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DivergenceKind {
    /// The cache holds an older committed version than the database.
    Stale,
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
}

/// The window currently open for a key, and when its entry expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OpenWindow {
    index: usize,
    expires_ms: Millis,
}

/// How a scripted request is getting on.
#[derive(Debug)]
pub struct RequestRun {
    /// Its index in the scenario's `requests`.
    pub index: usize,
    /// The app instance serving it.
    pub app: u32,
    /// Its key.
    pub key: KeyId,
    /// When the client sent it, once it has been sent.
    pub started_ms: Option<Millis>,
    /// When it finished and what it returned.
    pub finished: Option<(Millis, Served)>,
    /// Its strategy code while it runs.
    coroutine: Option<Coroutine<Served>>,
}

impl Clone for RequestRun {
    fn clone(&self) -> Self {
        RequestRun {
            index: self.index,
            app: self.app,
            key: self.key,
            started_ms: self.started_ms,
            finished: self.finished.clone(),
            coroutine: self.coroutine.as_ref().map(Coroutine::replay),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    /// A client sends scripted request `0`.
    Arrive(usize),
    /// A request's operation takes effect.
    Effect {
        request: usize,
        op: Op,
        issued_ms: Millis,
    },
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
    requests: Vec<RequestRun>,
    trace: Vec<TraceEvent>,
    counters: Counters,
    /// Request index by id, for schedules.
    request_ids: Rc<std::collections::BTreeMap<String, usize>>,
    /// The next schedule entry to apply (scheduled mode).
    schedule_pos: usize,
    windows: Vec<DivergenceWindow>,
    open_windows: Vec<Option<OpenWindow>>,
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
                        value: db.row(key).clone(),
                        expires_ms: scenario.strategy.ttl_ms + jitter,
                    },
                );
            }
        }
        let requests = scenario
            .requests
            .iter()
            .enumerate()
            .map(|(index, spec)| RequestRun {
                index,
                app: spec.app.unwrap_or(index as u32 % scenario.apps),
                key: key_id(&spec.key),
                started_ms: None,
                finished: None,
                coroutine: None,
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
            },
            rng,
            requests,
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
        };
        // In scheduled mode a request starts when the schedule first names it.
        if scenario.schedule.is_none() {
            for (index, spec) in scenario.requests.iter().enumerate() {
                sim.schedule(spec.at_ms, Event::Arrive(index));
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
    pub fn requests(&self) -> &[RequestRun] {
        &self.requests
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
            Some(schedule) => schedule[self.schedule_pos..]
                .iter()
                .all(|entry| matches!(entry, ScheduleEntry::Wait(_))),
            None => self.queue.is_empty(),
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
    /// (request id, operation, issued at, takes effect at).
    pub fn in_flight(&self) -> Vec<(&str, &Op, Millis, Millis)> {
        let mut pending: Vec<&Scheduled> = self.queue.iter().map(|Reverse(s)| s).collect();
        pending.sort();
        pending
            .into_iter()
            .filter_map(|s| match &s.event {
                Event::Effect {
                    request,
                    op,
                    issued_ms,
                } => Some((
                    self.scenario.requests[*request].id.as_str(),
                    op,
                    *issued_ms,
                    s.at,
                )),
                Event::Arrive(_) => None,
            })
            .collect()
    }

    /// Advances to the next operation taking effect and applies it. Returns
    /// that operation's trace entry, or `None` when the run is over.
    pub fn step(&mut self) -> Option<&TraceEvent> {
        let stepped = if self.scenario.schedule.is_some() {
            self.step_scheduled()
                .expect("the schedule was checked when the simulation was created")
        } else {
            self.step_timed()
        };
        if stepped { self.trace.last() } else { None }
    }

    /// Timed mode: the operation with the earliest effect time goes next.
    fn step_timed(&mut self) -> bool {
        while let Some(Reverse(next)) = self.queue.pop() {
            debug_assert!(next.at >= self.now, "time never runs backwards");
            self.now = next.at;
            match next.event {
                Event::Arrive(request) => {
                    let at = self.now;
                    self.start_request(request, at);
                }
                Event::Effect {
                    request,
                    op,
                    issued_ms,
                } => {
                    self.take_effect(request, op, issued_ms);
                    return true;
                }
            }
        }
        false
    }

    /// Scheduled mode: the next schedule entry says whose operation goes
    /// next; it takes effect at the later of the previous effect and its
    /// natural completion time.
    fn step_scheduled(&mut self) -> Result<bool, ScenarioError> {
        let schedule = Rc::clone(&self.scenario);
        let schedule = schedule.schedule.as_deref().unwrap_or_default();
        while let Some(entry) = schedule.get(self.schedule_pos) {
            let position = self.schedule_pos;
            self.schedule_pos += 1;
            let name = match entry {
                ScheduleEntry::Wait(ms) => {
                    self.now += ms;
                    continue;
                }
                ScheduleEntry::Actor(name) => name,
            };
            let nothing_pending = || ScenarioError {
                path: format!("schedule[{position}]"),
                message: format!("{name:?} has nothing pending at this point"),
            };
            let request = *self.request_ids.get(name).ok_or_else(nothing_pending)?;
            if self.requests[request].started_ms.is_none() {
                let at = self.scenario.requests[request].at_ms;
                self.start_request(request, at);
            }
            let pending = self
                .queue
                .iter()
                .find(|Reverse(s)| matches!(s.event, Event::Effect { request: r, .. } if r == request))
                .map(|Reverse(s)| s.clone())
                .ok_or_else(nothing_pending)?;
            self.queue.retain(|Reverse(s)| s.seq != pending.seq);
            self.now = self.now.max(pending.at);
            let Event::Effect { op, issued_ms, .. } = pending.event else {
                unreachable!("found by matching an effect")
            };
            self.take_effect(request, op, issued_ms);
            return Ok(true);
        }
        Ok(false)
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        while self.step().is_some() {}
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
        let run = &mut self.requests[request];
        let key = run.key;
        run.started_ms = Some(at);
        let strategy = self.scenario.strategy;
        let mut coroutine = match spec.op {
            RequestOp::Read => Coroutine::new(move |io| strategy::read(io, strategy, key)),
            RequestOp::Write => {
                let value = Value::from(spec.value.as_deref().unwrap_or_default());
                Coroutine::new(move |io| strategy::write(io, strategy, key, value.clone()))
            }
        };
        let first = coroutine.resume(Input {
            reply: None,
            now: at,
        });
        self.requests[request].coroutine = Some(coroutine);
        self.advance(request, first, at);
    }

    fn take_effect(&mut self, request: usize, op: Op, issued_ms: Millis) {
        let reply = self.world.apply(&op, self.now, &mut self.rng);
        self.count(&reply);
        self.track_divergence(op.key());
        let run = &self.requests[request];
        self.trace.push(TraceEvent {
            start_ms: issued_ms,
            end_ms: self.now,
            actor: self.scenario.requests[request].id.clone(),
            app: run.app,
            op: op.name(),
            key: self.key_names[op.key().0 as usize].clone(),
            result: reply.describe(),
        });
        let coroutine = self.requests[request]
            .coroutine
            .as_mut()
            .expect("an operation took effect for a request that is not running");
        let now = self.now;
        let next = coroutine.resume(Input {
            reply: Some(reply),
            now,
        });
        self.advance(request, next, now);
    }

    /// Opens or closes `key`'s divergence window after an effect on it.
    fn track_divergence(&mut self, key: KeyId) {
        let now = self.now;
        let row_version = self.world.db.row(key).version;
        let diverged = self
            .world
            .cache
            .live(key, now)
            .filter(|entry| entry.value.version != row_version)
            .map(|entry| entry.expires_ms);
        let slot = &mut self.open_windows[key.0 as usize];
        // A window whose entry expired before now ended at the expiry, unless
        // a new diverged entry took over at that very instant (then the
        // interval is still one maximal window).
        if let Some(open) = *slot
            && (open.expires_ms < now || (open.expires_ms == now && diverged.is_none()))
        {
            self.windows[open.index].to_ms = Some(open.expires_ms);
            *slot = None;
        }
        match (diverged, *slot) {
            (Some(expires_ms), None) => {
                *slot = Some(OpenWindow {
                    index: self.windows.len(),
                    expires_ms,
                });
                self.windows.push(DivergenceWindow {
                    key,
                    kind: DivergenceKind::Stale,
                    from_ms: now,
                    to_ms: None,
                });
            }
            (Some(expires_ms), Some(open)) => {
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
    fn advance(&mut self, request: usize, mut resume: Resume<Served>, mut issued_ms: Millis) {
        loop {
            let run = &mut self.requests[request];
            let coroutine = run.coroutine.as_mut().expect("advancing a running request");
            if let Some(served) = coroutine.take_response()
                && run.finished.is_none()
            {
                run.finished = Some((issued_ms, served));
            }
            match resume {
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
                    }
                    let at = issued_ms + self.latency(op.resource());
                    self.schedule(
                        at,
                        Event::Effect {
                            request,
                            op,
                            issued_ms,
                        },
                    );
                    return;
                }
                Resume::Done(served) => {
                    run.coroutine = None;
                    if run.finished.is_none() {
                        run.finished = Some((issued_ms, served));
                    }
                    return;
                }
            }
        }
    }

    fn latency(&mut self, resource: Resource) -> Millis {
        let l = &self.scenario.latency_ms;
        let base = match resource {
            Resource::Cache => l.cache,
            Resource::DbRead => l.db_read,
            Resource::DbWrite => l.db_write,
        };
        let jitter = if l.jitter_ms > 0 {
            self.rng.up_to(l.jitter_ms)
        } else {
            0
        };
        base + jitter
    }

    fn count(&mut self, reply: &Reply) {
        let c = &mut self.counters;
        match reply {
            Reply::CacheGet(Some(_)) | Reply::LeaseGet(LeaseGrant::Hit(_)) => c.cache_hits += 1,
            Reply::CacheGet(None) | Reply::LeaseGet(_) => c.cache_misses += 1,
            Reply::CacheSet(outcome) | Reply::LeaseSet(outcome) => {
                c.cache_sets += 1;
                if matches!(outcome, SetOutcome::Rejected(_)) {
                    c.rejected_sets += 1;
                }
            }
            Reply::CacheDelete { .. } => c.cache_deletes += 1,
            Reply::DbRead(_) => {
                c.db_reads += 1;
                c.db_reads_in_flight -= 1;
            }
            Reply::DbWrite { .. } => c.db_writes += 1,
        }
    }
}
