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

use super::coroutine::{Coroutine, Resume};
use super::ops::{KeyId, Op, Reply, Resource, Value, Version};
use super::rng::SimRng;
use super::scenario::{Millis, RequestOp, Scenario};
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
    /// Cache sets.
    pub cache_sets: u64,
    /// Cache deletes.
    pub cache_deletes: u64,
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
    /// The highest version of the key committed before it started (a read
    /// returning an older version is stale).
    pub committed_at_start: Version,
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
            committed_at_start: self.committed_at_start,
            finished: self.finished.clone(),
            coroutine: self.coroutine.as_ref().map(|co| co.replay().0),
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
}

impl Simulation {
    /// A simulation at time 0 of a validated scenario (see
    /// [`Scenario::from_json`] / [`Scenario::validate`]).
    pub fn new(scenario: &Scenario) -> Self {
        let key_names: Rc<[String]> = scenario.keys.keys().cloned().collect();
        let key_id = |name: &str| {
            let index = key_names
                .binary_search_by(|k| k.as_str().cmp(name))
                .expect("validated scenario: every request names a declared key");
            KeyId(index as u32)
        };
        let db = Database::new(scenario.keys.values().map(|v| Value::from(v.as_str())));
        let mut cache = Cache::new(key_names.len());
        if scenario.prewarm {
            for index in 0..key_names.len() {
                let key = KeyId(index as u32);
                cache.set(
                    key,
                    CacheEntry {
                        value: db.row(key).clone(),
                        expires_ms: scenario.strategy.ttl_ms,
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
                committed_at_start: 0,
                finished: None,
                coroutine: None,
            })
            .collect();
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
            },
            rng: SimRng::new(scenario.seed),
            requests,
            trace: Vec::new(),
            counters: Counters::default(),
        };
        for (index, spec) in scenario.requests.iter().enumerate() {
            sim.schedule(spec.at_ms, Event::Arrive(index));
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
        self.queue.is_empty()
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
        while let Some(Reverse(next)) = self.queue.pop() {
            debug_assert!(next.at >= self.now, "time never runs backwards");
            self.now = next.at;
            match next.event {
                Event::Arrive(request) => self.start_request(request),
                Event::Effect {
                    request,
                    op,
                    issued_ms,
                } => {
                    self.take_effect(request, op, issued_ms);
                    return self.trace.last();
                }
            }
        }
        None
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

    fn start_request(&mut self, request: usize) {
        let spec = &self.scenario.requests[request];
        let run = &mut self.requests[request];
        let key = run.key;
        run.started_ms = Some(self.now);
        run.committed_at_start = self.world.db.row(key).version;
        let mut coroutine = match spec.op {
            RequestOp::Read => Coroutine::new(move |io| strategy::cache_aside_read(io, key)),
            RequestOp::Write => {
                let value = Value::from(spec.value.as_deref().unwrap_or_default());
                Coroutine::new(move |io| strategy::invalidate_on_write(io, key, value.clone()))
            }
        };
        let first = coroutine.resume(None);
        self.requests[request].coroutine = Some(coroutine);
        self.advance(request, first);
    }

    fn take_effect(&mut self, request: usize, op: Op, issued_ms: Millis) {
        let reply = self.world.apply(&op, self.now);
        self.count(&op, &reply);
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
        let next = coroutine.resume(Some(reply));
        self.advance(request, next);
    }

    /// Issues the request's next operation now, or records its end.
    fn advance(&mut self, request: usize, resume: Resume<Served>) {
        match resume {
            Resume::Perform(op) => {
                if op.resource() == Resource::DbRead {
                    let c = &mut self.counters;
                    c.db_reads_in_flight += 1;
                    c.peak_concurrent_db_reads =
                        c.peak_concurrent_db_reads.max(c.db_reads_in_flight);
                }
                let at = self.now + self.latency(op.resource());
                let issued_ms = self.now;
                self.schedule(
                    at,
                    Event::Effect {
                        request,
                        op,
                        issued_ms,
                    },
                );
            }
            Resume::Done(served) => {
                let run = &mut self.requests[request];
                run.coroutine = None;
                run.finished = Some((self.now, served));
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

    fn count(&mut self, op: &Op, reply: &Reply) {
        let c = &mut self.counters;
        match (op, reply) {
            (Op::CacheGet { .. }, Reply::CacheGet(Some(_))) => c.cache_hits += 1,
            (Op::CacheGet { .. }, _) => c.cache_misses += 1,
            (Op::CacheSet { .. }, _) => c.cache_sets += 1,
            (Op::CacheDelete { .. }, _) => c.cache_deletes += 1,
            (Op::DbRead { .. }, _) => {
                c.db_reads += 1;
                c.db_reads_in_flight -= 1;
            }
            (Op::DbWrite { .. }, _) => c.db_writes += 1,
        }
    }
}
