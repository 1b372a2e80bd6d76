//! Timed runs with real concurrency: each request of a lesson is a thread
//! of its own, with its own Redis and PostgreSQL connections, started at
//! its `at_ms` on a real clock, running the same strategy coroutine as the
//! model. Latencies are scaled up (`scale` real ms per model ms) so that
//! scheduling noise is small beside the gaps between operations. A cache
//! operation or commit takes effect after its latency, as in the model; a
//! DB read spends its latency inside the statement (`pg_sleep`), so that
//! PostgreSQL itself decides what the read sees.
//!
//! Nothing here follows the model's order: the threads race for real. What
//! is compared, per run, is each read's staleness (as the report defines
//! it), and the DB reads and their peak concurrency (the stampede lessons'
//! measure).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Servers;
use super::cache::RedisCache;
use super::database::Postgres;
use super::mirror::RealMirror;
use crate::sim::coroutine::{FramePool, Input, Resume};
use crate::sim::engine::request_code;
use crate::sim::ops::{KeyId, Op, Reply, Resource, Stamp, Value, Version, Versioned, WriteId};
use crate::sim::scenario::{Millis, Scenario};
use crate::sim::strategy::Served;
use crate::sim::trace::Actor;
use crate::sim::{Report, Simulation};

/// Why a scenario cannot run timed with real threads, if it cannot: only
/// client requests run as threads, so nothing may need a background actor
/// (a bus consumer, relay, flusher, refresher), a process fault, an app's
/// shared state (singleflight) or the model's cache tier; nor may a
/// protection draw at random.
pub fn cannot_run_timed(scenario: &Scenario) -> Option<&'static str> {
    let bus = |_: &Scenario| Some("the bus's consumer is a background actor");
    let draws = |strategy: &crate::sim::scenario::Strategy| {
        strategy
            .stampede
            .entry()
            .draws
            .then_some("an early recompute's random draws")
    };
    cannot_run_as_request_threads(scenario, bus, draws, |_| Some("faults of processes"))
}

/// Why a scenario cannot run with its requests as threads (see
/// [`cannot_run_timed`]): the reasons both real-clock modes share, in the
/// order they are given, with the mode's own reasons where they differ:
/// `bus` for a scenario whose events travel on the bus, `own` after the
/// background actors, and `faults` for a scenario with faults.
pub(super) fn cannot_run_as_request_threads(
    scenario: &Scenario,
    bus: impl FnOnce(&Scenario) -> Option<&'static str>,
    own: impl FnOnce(&crate::sim::scenario::Strategy) -> Option<&'static str>,
    faults: impl FnOnce(&[crate::sim::scenario::Fault]) -> Option<&'static str>,
) -> Option<&'static str> {
    let s = &scenario.strategy;
    let protection = s.stampede.entry();
    if scenario.workload.is_some() {
        Some("a generated workload (its requests are not threads of their own)")
    } else if scenario.db.replica_lag_ms.is_some() {
        Some("a read replica")
    } else if let Some(reason) = s
        .channel
        .entry()
        .on_the_bus
        .then(|| bus(scenario))
        .flatten()
    {
        Some(reason)
    } else if s.write.entry().flusher || s.write.entry().cache_tier {
        Some("the flusher or the cache tier runs beside the requests")
    } else if protection.shares_reads || protection.refreshers {
        Some("shared flights or background refreshers")
    } else if let Some(reason) = own(s) {
        Some(reason)
    } else if let Some(reason) = (!scenario.faults.is_empty())
        .then(|| faults(&scenario.faults))
        .flatten()
    {
        Some(reason)
    } else if scenario.latency_ms.jitter_ms > 0 || s.ttl_jitter_ms > 0 {
        Some("random jitter")
    } else {
        None
    }
}

/// What one timed run found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedRun {
    /// Per scripted request: `Some(stale)` for a read that answered,
    /// `None` for a write.
    pub stale: Vec<Option<bool>>,
    /// Per scripted request: the stamp of the value a read returned.
    pub read: Vec<Option<Stamp>>,
    /// DB reads made.
    pub db_reads: u64,
    /// The most DB reads in flight at once.
    pub peak_db_reads: u64,
    /// Whether two requests' conflicting operations on one key (on its
    /// cache entry or its row, one of them changing it) take effect at the
    /// same instant in the model's run: the model orders them by when they
    /// were scheduled, real threads either way.
    pub ties: bool,
}

impl TimedRun {
    /// The model's timed run of `scenario` (its schedule, if any, left out).
    pub fn of_model(scenario: &Scenario) -> Result<TimedRun, String> {
        let mut sim = Simulation::new(&timed(scenario)).map_err(|e| e.to_string())?;
        sim.run();
        let db = &sim.world().db;
        let stale = sim
            .requests()
            .iter()
            .map(|run| match (&run.finished, run.started_ms) {
                (Some((_, Served::Read { value, .. })), Some(start)) => {
                    Some(db.is_stale(run.key, start, value))
                }
                _ => None,
            })
            .collect();
        let read = sim
            .requests()
            .iter()
            .map(|run| match &run.finished {
                Some((_, Served::Read { value, .. })) => Some(value.stamp),
                _ => None,
            })
            .collect();
        // Two operations conflict when they act on one key's cache entry,
        // or its row, and one of them changes it.
        let mut seen: std::collections::BTreeMap<_, Vec<(bool, bool)>> = Default::default();
        let mut ties = false;
        for event in sim.trace() {
            if !matches!(event.actor, Actor::Request(_)) {
                continue;
            }
            let name = event.op.to_string();
            let on_cache = name.starts_with("cache.");
            let changes = if on_cache {
                name != "cache.get"
            } else {
                name.starts_with("db.write")
            };
            let others = seen.entry((event.end_ms, event.key.clone())).or_default();
            ties |= others
                .iter()
                .any(|&(cache, change)| cache == on_cache && (change || changes));
            others.push((on_cache, changes));
        }
        let report = Report::of(&sim, false);
        Ok(TimedRun {
            stale,
            read,
            ties,
            db_reads: report.db.reads,
            peak_db_reads: report.db.peak_concurrent_reads,
        })
    }
}

/// `scenario` without its schedule: the requests at their `at_ms`.
fn timed(scenario: &Scenario) -> Scenario {
    Scenario {
        schedule: None,
        ..scenario.clone()
    }
}

/// This machine's clock now, in seconds since the epoch.
pub(super) fn epoch_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// A run's clock on real time: model milliseconds are `scale` real ones,
/// counted from the moment the first thread asks for the time.
pub(super) struct RunClock {
    start: OnceLock<Instant>,
    /// The run's time 0 on the system clock, in seconds since the epoch
    /// (set with `start`): how the servers' own timestamps are placed on
    /// the run's clock.
    start_epoch_s: OnceLock<f64>,
    pub(super) scale: f64,
}

impl RunClock {
    pub(super) fn new(scale: u32) -> RunClock {
        RunClock {
            start: OnceLock::new(),
            start_epoch_s: OnceLock::new(),
            scale: f64::from(scale),
        }
    }

    pub(super) fn start(&self) -> Instant {
        *self.start.get_or_init(|| {
            let now = Instant::now();
            let _ = self.start_epoch_s.set(epoch_s());
            now
        })
    }

    /// The model's clock: real time since the start, divided by the scale.
    pub(super) fn now(&self) -> f64 {
        self.start().elapsed().as_secs_f64() * 1000.0 / self.scale
    }

    /// An instant of the system clock (seconds since the epoch) on the
    /// model's clock.
    pub(super) fn of_epoch(&self, epoch_s: f64) -> f64 {
        self.start();
        let start = self.start_epoch_s.get().copied().unwrap_or(epoch_s);
        (epoch_s - start) * 1000.0 / self.scale
    }

    pub(super) fn sleep_until(&self, model_ms: f64) {
        let at = self.start() + Duration::from_secs_f64(model_ms * self.scale / 1000.0);
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }

    /// `model_ms` of the model's time in real time.
    pub(super) fn real(&self, model_ms: Millis) -> Duration {
        Duration::from_secs_f64(model_ms as f64 * self.scale / 1000.0)
    }

    pub(super) fn sleep(&self, model_ms: Millis) {
        std::thread::sleep(self.real(model_ms));
    }
}

/// What the threads share: the clock, the commits, the DB read counters.
struct Shared {
    clock: RunClock,
    /// (key, version, when committed on the model's clock).
    commits: Mutex<Vec<(u32, Version, f64)>>,
    in_flight: AtomicU64,
    peak: AtomicU64,
    reads: AtomicU64,
}

/// Runs `scenario` timed on the servers at the URLs, with real threads.
pub fn run(
    redis_url: &str,
    postgres_url: &str,
    scenario: &Scenario,
    scale: u32,
) -> Result<TimedRun, String> {
    if let Some(reason) = cannot_run_timed(scenario) {
        return Err(format!("cannot run timed with real threads: {reason}"));
    }
    let scenario = timed(scenario);
    let connect = || -> Result<Servers, String> {
        Ok(Servers {
            cache: RedisCache::connect(redis_url)?,
            db: Postgres::connect(postgres_url)?,
        })
    };
    // The model's initial cache (prewarmed entries) and rows, for real.
    let initial = Simulation::new(&scenario).map_err(|e| e.to_string())?;
    drop(RealMirror::new(connect()?, &initial)?);
    let keys: Vec<u32> = scenario
        .requests
        .iter()
        .map(|spec| {
            let index = scenario.keys.keys().position(|k| *k == spec.key);
            index.expect("a valid scenario's requests name its keys") as u32
        })
        .collect();
    let shared = Shared {
        clock: RunClock::new(scale),
        commits: Mutex::new(Vec::new()),
        in_flight: AtomicU64::new(0),
        peak: AtomicU64::new(0),
        reads: AtomicU64::new(0),
    };
    let barrier = Barrier::new(scenario.requests.len());
    let answers: Vec<Result<Option<(Millis, Stamp)>, String>> = std::thread::scope(|threads| {
        let handles: Vec<_> = (0..scenario.requests.len())
            .map(|index| {
                let (scenario, barrier, shared, keys) = (&scenario, &barrier, &shared, &keys);
                let connections = connect();
                threads.spawn(move || {
                    // Every thread is connected before the clock starts.
                    barrier.wait();
                    let mirror = RealMirror::attach(connections?, scenario);
                    serve(mirror, scenario, index, KeyId(keys[index]), shared)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a request thread panicked".into()))
            })
            .collect()
    });
    let commits = shared.commits.into_inner().expect("not poisoned");
    let committed_before = |key: u32, start: f64| {
        1 + commits
            .iter()
            .filter(|(k, _, at)| *k == key && *at < start)
            .count() as Version
    };
    let (mut stale, mut read) = (Vec::new(), Vec::new());
    for (index, answer) in answers.into_iter().enumerate() {
        let answer = answer?;
        stale.push(answer.map(|(start, stamp)| match stamp {
            Stamp::Committed(version) => version < committed_before(keys[index], start as f64),
            Stamp::Uncommitted(_) => false,
        }));
        read.push(answer.map(|(_, stamp)| stamp));
    }
    Ok(TimedRun {
        stale,
        read,
        db_reads: shared.reads.into_inner(),
        peak_db_reads: shared.peak.into_inner(),
        ties: false,
    })
}

/// One request's thread: its strategy coroutine, driven by real replies
/// on the real clock. Returns, for a read, when it started and the stamp
/// of the value it returned.
fn serve(
    mut mirror: RealMirror,
    scenario: &Scenario,
    index: usize,
    key: KeyId,
    shared: &Shared,
) -> Result<Option<(Millis, Stamp)>, String> {
    let spec = &scenario.requests[index];
    shared.clock.sleep_until(spec.at_ms as f64);
    let value = || Value::from(spec.value.as_deref().unwrap_or_default());
    let mut coroutine = request_code(
        &mut FramePool::default(),
        scenario.strategy,
        spec.op,
        WriteId(index as u32),
        key,
        value,
    );
    let latency = &scenario.latency_ms;
    let mut input = Input {
        reply: None,
        now: spec.at_ms,
    };
    loop {
        match coroutine.resume(input) {
            Resume::Perform(op) => {
                let reply = match (&op, op.resource()) {
                    (Op::DbRead { .. }, _) => {
                        let in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        shared.peak.fetch_max(in_flight, Ordering::SeqCst);
                        shared.reads.fetch_add(1, Ordering::SeqCst);
                        let name = mirror.name(key).to_string();
                        let sleep_ms = latency.db_read as f64 * shared.clock.scale;
                        let row = mirror.servers.db.read_slowly(&name, sleep_ms);
                        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                        let (value, version) = row?;
                        Reply::DbRead(Versioned {
                            value: value.into(),
                            version,
                        })
                    }
                    (_, resource) => {
                        shared.clock.sleep(match resource {
                            Resource::Cache => latency.cache,
                            Resource::DbRead => latency.db_read,
                            Resource::DbWrite => latency.db_write,
                            Resource::Publish => latency.publish,
                        });
                        let reply = mirror.perform_alone(&op, shared.clock.now() as Millis)?;
                        if let Reply::DbWrite { version } = reply {
                            let at = shared.clock.now();
                            let mut commits = shared.commits.lock().expect("not poisoned");
                            commits.push((key.0, version, at));
                        }
                        reply
                    }
                };
                input = Input {
                    reply: Some(reply),
                    now: shared.clock.now() as Millis,
                };
            }
            Resume::SleepUntil(instant) => {
                shared.clock.sleep_until(instant as f64);
                input = Input {
                    reply: None,
                    now: instant.max(shared.clock.now() as Millis),
                };
            }
            Resume::Done(Served::Read { value, .. }) => return Ok(Some((spec.at_ms, value.stamp))),
            Resume::Done(Served::Write { .. }) => return Ok(None),
            Resume::SharedRead(_) | Resume::TierLock(_) | Resume::TierUnlock(_) | Resume::Draw => {
                return Err(
                    "a shared read, the cache tier's lock or an early recompute's draw in a timed real run"
                        .into(),
                );
            }
        }
    }
}

/// Timed runs of one lesson, compared with the model's.
#[derive(Clone, Debug, Serialize)]
pub struct TimedRow {
    pub lesson: String,
    /// Runs made.
    pub runs: u32,
    /// Reads judged over all runs, and those whose staleness agreed.
    pub reads: u64,
    pub reads_agree: u64,
    /// Stale reads: the model's per run, and the real runs' in all.
    pub model_stale: u64,
    pub real_stale: u64,
    /// DB reads and their peak concurrency: the model's per run, and the
    /// real runs' lowest and highest.
    pub model_db_reads: u64,
    pub real_db_reads: (u64, u64),
    pub model_peak: u64,
    pub real_peak: (u64, u64),
    /// Runs in which every read's staleness, the DB reads and the peak
    /// all agreed.
    pub runs_agree: u32,
    /// Whether the model's run has requests' operations on a key at one
    /// instant (see [`TimedRun::ties`]): where the real order may differ.
    pub ties: bool,
}

/// `runs` timed runs of `scenario` (lesson `name`), compared.
pub fn compare(
    redis_url: &str,
    postgres_url: &str,
    name: &str,
    scenario: &Scenario,
    runs: u32,
    scale: u32,
) -> Result<TimedRow, String> {
    let model = TimedRun::of_model(scenario)?;
    let mut row = TimedRow {
        lesson: name.to_string(),
        runs,
        reads: 0,
        reads_agree: 0,
        model_stale: model.stale.iter().flatten().filter(|s| **s).count() as u64,
        real_stale: 0,
        model_db_reads: model.db_reads,
        real_db_reads: (u64::MAX, 0),
        model_peak: model.peak_db_reads,
        real_peak: (u64::MAX, 0),
        runs_agree: 0,
        ties: model.ties,
    };
    for _ in 0..runs {
        let real = run(redis_url, postgres_url, scenario, scale)?;
        let mut agree =
            real.db_reads == model.db_reads && real.peak_db_reads == model.peak_db_reads;
        for (m, r) in model.stale.iter().zip(&real.stale) {
            if let (Some(m), Some(r)) = (m, r) {
                row.reads += 1;
                row.real_stale += u64::from(*r);
                if m == r {
                    row.reads_agree += 1;
                } else {
                    agree = false;
                }
            } else if m != r {
                agree = false;
            }
        }
        row.runs_agree += u32::from(agree);
        row.real_db_reads = (
            row.real_db_reads.0.min(real.db_reads),
            row.real_db_reads.1.max(real.db_reads),
        );
        row.real_peak = (
            row.real_peak.0.min(real.peak_db_reads),
            row.real_peak.1.max(real.peak_db_reads),
        );
    }
    Ok(row)
}
