//! Live runs: the servers decide, the model is asked to explain.
//!
//! Each scripted request is a thread with its own Redis and PostgreSQL
//! connections, started at its `at_ms` on a real clock (`scale` real ms
//! per model ms), running the same strategy coroutine as the model. Each
//! operation is what an application sends ([`LiveCache`]: `GET`,
//! `SET ... PX` so that Redis's own clock expires entries, `DEL`, locks as
//! `SET NX PX` released by compare-and-delete; [`Postgres`]: a write is a
//! transaction that updates and locks the row, stays open for the write's
//! latency and commits, a read spends its latency inside the statement).
//! An app's event goes on Redis Streams (`XADD` on the partition's
//! stream); each partition has a consumer thread that reads its stream in a
//! consumer group, holds each event until the bus's delay after Redis
//! appended it, applies it with the same strategy code as the model's
//! consumer, and acknowledges it (`XACK`).
//! Nothing of the model takes part: the threads race, Redis orders its
//! commands and expires its keys, PostgreSQL orders its commits and
//! decides what each snapshot sees.
//!
//! What happened is then read from the servers' own records: Redis's
//! command log (`MONITOR`, which gives when each command ran, in the order
//! it ran them) and PostgreSQL's commit timestamps
//! (`track_commit_timestamp`), with each read's `statement_timestamp()`
//! (its snapshot's instant). [`super::live_check`] judges the run from
//! these records alone and has the model replay the order they show.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};

use serde::Serialize;

use super::cache::RedisCache;
use super::database::Postgres;
use super::live_bus::{LiveStream, appended_s, event_fields, parse_event, stream_key};
use super::live_cache::{CommandLog, LiveCache, LoggedCommand, Released};
use super::mirror::{RealMirror, Servers};
use super::timed::{RunClock, cannot_run_as_request_threads, epoch_s};
use crate::sim::Simulation;
use crate::sim::coroutine::{Coroutine, FramePool, Input, Resume};
use crate::sim::engine::{app_resumes_at, key_partition, request_code};
use crate::sim::ops::{
    Cached, ExpiringEntry, KeyId, LockToken, Op, Published, Reply, Resource, SetOutcome, Stamp,
    Unlocked, Value, Version, Versioned, WriteId,
};
use crate::sim::rng::{Purpose, SimRng};
use crate::sim::scenario::{Channel, Fault, FaultKind, Millis, Scenario};
use crate::sim::strategy::{self, Served};
use crate::sim::trace::Actor;

/// How long a consumer waits (real ms) before it looks at its stream
/// again when it found nothing.
const CONSUMER_POLL_MS: u64 = 1;

/// Why a scenario cannot run live, if it cannot: scripted requests run as
/// threads, and an app's events go to a consumer thread per partition; no
/// other background actor (CDC, relay, flusher, refresher, replica), only
/// the cache operations an application sends to Redis (no memcache-style
/// leases or versioned sets, no cache tier, no app's shared flights), no
/// faults but a consumer's crash and an app's pause, and nothing drawn at
/// random (jitter, a lossy or duplicating bus: the model would draw its
/// own).
pub fn cannot_run_live(scenario: &Scenario) -> Option<&'static str> {
    let bus = |scenario: &Scenario| {
        let settings = &scenario.bus;
        match scenario.strategy.channel {
            Channel::Event
                if settings.loss > 0.0 || settings.duplicate > 0.0 || settings.jitter_ms > 0 =>
            {
                Some("a bus that loses, duplicates or delays events at random")
            }
            Channel::Event | Channel::Inline => None,
            Channel::Cdc => Some("change data capture reads PostgreSQL's log beside the requests"),
            Channel::Outbox => Some("the outbox relay polls beside the requests"),
        }
    };
    let emulated = |strategy: &crate::sim::scenario::Strategy| {
        (strategy.stampede.entry().keeps_deleted || strategy.versioned_sets)
            .then_some("memcache-style leases and versioned sets, which Redis lacks")
    };
    // A consumer crash is a consumer thread that stops, an app's pause its
    // request threads pausing: the faults a live run takes.
    let faults = |faults: &[Fault]| {
        let taken = |f: &Fault| {
            matches!(
                f.kind,
                FaultKind::ConsumerCrash { .. } | FaultKind::AppPause { .. }
            )
        };
        (!faults.iter().all(taken))
            .then_some("faults other than a consumer's crash or an app's pause")
    };
    cannot_run_as_request_threads(scenario, bus, emulated, faults)
}

/// How many consumer threads a live run of `scenario` has: one per bus
/// partition when an app publishes its events, none otherwise.
pub fn consumer_threads(scenario: &Scenario) -> u32 {
    match scenario.strategy.channel {
        Channel::Event => scenario.bus.partitions,
        _ => 0,
    }
}

/// One operation of a live run: what the client sent and got, and when it
/// took effect by the servers' own record.
#[derive(Clone, Debug, Serialize)]
pub struct Performed {
    /// Who sent it, as a schedule names it: a request's id, `consumer`
    /// (`consumer:P` when the bus has several partitions).
    pub actor: String,
    /// What it was ([`op_meaning`]) and where it went.
    pub op: String,
    #[serde(skip)]
    pub resource: Resource,
    /// What it answered ([`reply_meaning`]), and the version a DB write
    /// committed as.
    pub reply: String,
    #[serde(skip)]
    pub committed: Option<Version>,
    /// A cache hit on a value cached before its write committed: the
    /// value and its write. The model reports such a value with the
    /// version it became once the write has committed; the run's record
    /// resolves it the same way after the run (the client cannot know).
    #[serde(skip)]
    pub uncommitted_hit: Option<(String, WriteId)>,
    /// When the client sent it and got the answer, on the run's clock
    /// (model ms).
    pub sent_ms: f64,
    pub answered_ms: f64,
    /// When it took effect by the servers' record, on the run's clock:
    /// Redis's instant for a cache command, the snapshot's for a DB read,
    /// the commit's for a DB write.
    pub effect_ms: f64,
}

/// A scripted request of a live run.
#[derive(Clone, Debug)]
pub struct LiveRequest {
    pub id: String,
    pub key: String,
    /// When it started, on the run's clock.
    pub started_ms: f64,
    /// A read's answer: the value it returned and its stamp.
    pub read: Option<(String, Stamp)>,
}

/// A change to a cache entry by Redis's command log.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheChange {
    pub key: String,
    pub at_ms: f64,
    /// What was stored and for how long (model ms), or `None` for a delete.
    pub stored: Option<(Stamp, f64)>,
}

/// A commit by PostgreSQL's record.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveCommit {
    pub key: String,
    pub version: u64,
    pub write: WriteId,
    pub at_ms: f64,
}

/// Everything a live run recorded.
#[derive(Clone, Debug)]
pub struct LiveRun {
    /// The scenario run (its schedule, if any, left out: live runs are
    /// timed).
    pub scenario: Scenario,
    /// Real ms per model ms.
    pub scale: u32,
    /// Every operation, in the order the servers' records put their
    /// effects.
    pub performed: Vec<Performed>,
    pub requests: Vec<LiveRequest>,
    /// Commits, in commit order.
    pub commits: Vec<LiveCommit>,
    /// Changes to cache entries (prewarmed ones at 0), in Redis's order.
    pub cache_changes: Vec<CacheChange>,
    /// When Redis was to expire each lock taken (key, instant on the run's
    /// clock), by its log's `SET ... NX PX`; entries' expiries are in
    /// `cache_changes`.
    pub lock_expiries: Vec<(String, f64)>,
    /// When the last operation answered, on the run's clock.
    pub end_ms: f64,
}

/// What the threads share.
struct Shared<'a> {
    clock: &'a RunClock,
    /// Lock tokens: unique in the run, as an app's random tokens are.
    tokens: AtomicU64,
    /// The apps' draws for an early recompute: the scenario's stream, taken
    /// in the order the requests ask.
    draws: Mutex<SimRng>,
    /// The partition the next event goes to on a bus that is not keyed
    /// (round-robin in the order Redis appends them: held while appending).
    next_partition: Mutex<u32>,
    /// Request threads still running: consumers stop once none is and
    /// their stream has nothing left.
    requests_left: AtomicUsize,
    /// How far Redis's clock is ahead of this machine's (s): a stream
    /// entry's id is its instant on Redis's clock.
    redis_offset_s: f64,
    /// The scenario's faults: an app's pauses hold its request threads.
    faults: &'a [Fault],
}

/// One request thread's record.
struct ThreadRecord {
    performed: Vec<Performed>,
    started_ms: f64,
    read: Option<(String, Stamp)>,
    answered_ms: f64,
}

/// One thread's connection to Redis as its command log names it, and the
/// operations it performed.
struct Sender {
    actor: String,
    address: String,
    /// The DB write a request's commits carry (none for a consumer).
    write: Option<WriteId>,
    performed: Vec<Performed>,
}

/// A thread's result, or why it has none.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, Result<T, String>>) -> Result<T, String> {
    thread
        .join()
        .unwrap_or_else(|_| Err("a thread of the live run panicked".into()))
}

/// The name a schedule gives the consumer of `partition`.
fn consumer_name(scenario: &Scenario, partition: u32) -> String {
    let which = (scenario.bus.partitions > 1).then_some(partition);
    Actor::Consumer(which).to_string()
}

/// The stream of bus partition `partition`.
fn partition_stream(partition: u32) -> String {
    format!("partition-{partition}")
}

/// How far a server's clock is ahead of this machine's, in seconds:
/// `ask` answers the server's time, taken between two readings of ours.
fn clock_offset(mut ask: impl FnMut() -> Result<f64, String>) -> Result<f64, String> {
    let before = epoch_s();
    let server = ask()?;
    let after = epoch_s();
    Ok(server - (before + after) / 2.0)
}

/// Runs `scenario` live on the servers at the URLs.
pub fn run(
    redis_url: &str,
    postgres_url: &str,
    scenario: &Scenario,
    scale: u32,
) -> Result<LiveRun, String> {
    if let Some(reason) = cannot_run_live(scenario) {
        return Err(format!("cannot run live: {reason}"));
    }
    let scenario = Scenario {
        schedule: None,
        ..scenario.clone()
    };
    let names: Vec<String> = scenario.keys.keys().cloned().collect();
    let key_of = |name: &str| {
        let index = names.iter().position(|k| k == name);
        KeyId(index.expect("a valid scenario's requests name its keys") as u32)
    };
    // The model's initial rows, and the cache emptied, for real.
    let initial = Simulation::new(&scenario).map_err(|e| e.to_string())?;
    let mut db = Postgres::connect(postgres_url)?;
    if !db.records_commit_instants()? {
        return Err(
            "cannot run live: the PostgreSQL does not record commit instants \
             (track_commit_timestamp is off)"
                .into(),
        );
    }
    drop(RealMirror::new(
        Servers {
            cache: RedisCache::connect(redis_url)?,
            db,
        },
        &initial,
    )?);
    let clock = RunClock::new(scale);
    let mut setup = LiveCache::connect(redis_url)?;
    let mut db = Postgres::connect(postgres_url)?;
    let redis_offset_s = clock_offset(|| setup.clock_s())?;
    let postgres_offset = clock_offset(|| db.clock_s())?;
    // Every thread's connections, and their addresses in Redis's log.
    let mut connections = Vec::new();
    for _ in &scenario.requests {
        let mut cache = LiveCache::connect(redis_url)?;
        let address = cache.address()?;
        connections.push((cache, Postgres::connect(postgres_url)?, address));
    }
    let mut consumers = Vec::new();
    for partition in 0..consumer_threads(&scenario) {
        let mut cache = LiveCache::connect(redis_url)?;
        let address = cache.address()?;
        let name = consumer_name(&scenario, partition);
        let stream = LiveStream::connect(redis_url, &partition_stream(partition), &name)?;
        consumers.push((partition, cache, stream, address));
    }
    let mut senders: Vec<Sender> = scenario
        .requests
        .iter()
        .zip(&connections)
        .enumerate()
        .map(|(index, (spec, c))| Sender {
            actor: spec.id.clone(),
            address: c.2.clone(),
            write: Some(WriteId(index as u32)),
            performed: Vec::new(),
        })
        .collect();
    senders.extend(consumers.iter().map(|(partition, _, _, address)| Sender {
        actor: consumer_name(&scenario, *partition),
        address: address.clone(),
        write: None,
        performed: Vec::new(),
    }));
    let log = CommandLog::start(redis_url)?;
    // The clock starts now: prewarmed entries live from here.
    clock.start();
    let mut cache_changes = Vec::new();
    for key in initial.keys() {
        if let Some(entry) = initial.world().cache.stored(key) {
            let name = &names[key.0 as usize];
            let value = entry.value.value.to_string();
            let ttl = clock.real(entry.expires_ms).as_millis() as Millis;
            setup.set(name, &value, entry.value.stamp, entry.cost_ms, ttl)?;
            cache_changes.push(CacheChange {
                key: name.clone(),
                at_ms: 0.0,
                stored: Some((entry.value.stamp, entry.expires_ms as f64)),
            });
        }
    }
    let shared = Shared {
        clock: &clock,
        tokens: AtomicU64::new(1),
        draws: Mutex::new(SimRng::for_purpose(scenario.seed, Purpose::EarlyRecompute)),
        next_partition: Mutex::new(0),
        requests_left: AtomicUsize::new(scenario.requests.len()),
        redis_offset_s,
        faults: &scenario.faults,
    };
    let barrier = Barrier::new(scenario.requests.len() + consumers.len());
    let (records, consumed) = std::thread::scope(|threads| {
        let (scenario, barrier, shared, names) = (&scenario, &barrier, &shared, &names);
        let requests: Vec<_> = connections
            .into_iter()
            .enumerate()
            .map(|(index, (cache, db, _))| {
                let key = key_of(&scenario.requests[index].key);
                threads.spawn(move || {
                    barrier.wait();
                    let record = serve(cache, db, scenario, names, index, key, shared);
                    shared.requests_left.fetch_sub(1, Ordering::SeqCst);
                    record
                })
            })
            .collect();
        let consumers: Vec<_> = consumers
            .into_iter()
            .map(|(partition, cache, stream, _)| {
                threads.spawn(move || {
                    barrier.wait();
                    let crash_of = |fault: &Fault| match fault.kind {
                        FaultKind::ConsumerCrash { partition: p }
                            if p.is_none_or(|p| p == partition) =>
                        {
                            fault.at_ms.map(|at| at as f64)
                        }
                        _ => None,
                    };
                    let mut crashes: Vec<f64> =
                        scenario.faults.iter().filter_map(crash_of).collect();
                    crashes.sort_by(|a, b| b.total_cmp(a));
                    Consumer {
                        actor: consumer_name(scenario, partition),
                        redis_url,
                        partition,
                        cache,
                        stream,
                        scenario,
                        names,
                        shared,
                        crashes,
                        replacements: 0,
                        claimed: Default::default(),
                        unacknowledged: Vec::new(),
                        acknowledge_at: None,
                        performed: Vec::new(),
                    }
                    .run()
                })
            })
            .collect();
        let records: Vec<Result<ThreadRecord, String>> = requests.into_iter().map(joined).collect();
        let consumed: Vec<Result<Vec<Performed>, String>> =
            consumers.into_iter().map(joined).collect();
        (records, consumed)
    });
    let logged = log.finish()?;
    let records = records.into_iter().collect::<Result<Vec<_>, _>>()?;
    let consumed = consumed.into_iter().collect::<Result<Vec<_>, _>>()?;
    let on_clock = |at_s: f64, offset: f64| clock.of_epoch(at_s - offset);
    // PostgreSQL's commits, placed on the run's clock.
    let commits: Vec<LiveCommit> = db
        .commit_log()?
        .into_iter()
        .map(|c| LiveCommit {
            key: c.key,
            version: c.version,
            write: WriteId(c.write),
            at_ms: on_clock(c.at_s, postgres_offset),
        })
        .collect();
    let mut requests = Vec::new();
    let mut end_ms: f64 = 0.0;
    for (index, record) in records.into_iter().enumerate() {
        let spec = &scenario.requests[index];
        end_ms = end_ms.max(record.answered_ms);
        requests.push(LiveRequest {
            id: spec.id.clone(),
            key: spec.key.clone(),
            started_ms: record.started_ms,
            read: record.read,
        });
        senders[index].performed = record.performed;
    }
    let request_count = requests.len();
    for (sender, performed) in senders[request_count..].iter_mut().zip(consumed) {
        sender.performed = performed;
    }
    let mut performed = Vec::new();
    for mut sender in senders {
        let cache_commands = in_the_log(&logged, &sender.address)?;
        let mut commands = cache_commands.iter();
        let actor = &sender.actor;
        for p in &mut sender.performed {
            end_ms = end_ms.max(p.answered_ms);
            match p.resource {
                Resource::Cache | Resource::Publish => {
                    let command = commands.next().ok_or_else(|| {
                        format!("Redis's command log has fewer commands of {actor} than it sent")
                    })?;
                    p.effect_ms = on_clock(command.at_s, redis_offset_s);
                }
                Resource::DbWrite => {
                    let Some(version) = p.committed else {
                        continue;
                    };
                    let commit = commits
                        .iter()
                        .find(|c| Some(c.write) == sender.write && c.version == version)
                        .ok_or_else(|| format!("PostgreSQL has no record of {actor}'s commit"))?;
                    p.effect_ms = commit.at_ms;
                }
                // A DB read's instant came with its answer, on the
                // server's clock.
                Resource::DbRead => p.effect_ms = on_clock(p.effect_ms, postgres_offset),
            }
        }
        for p in &mut sender.performed {
            if let Some((value, write)) = &p.uncommitted_hit
                && let Some(commit) = commits
                    .iter()
                    .find(|c| c.write == *write && c.at_ms <= p.effect_ms)
            {
                p.reply = format!("hit {value}@{}", commit.version);
            }
        }
        if commands.next().is_some() {
            return Err(format!(
                "Redis's command log has more commands of {actor} than it sent"
            ));
        }
        performed.append(&mut sender.performed);
    }
    let mut lock_expiries = Vec::new();
    for command in &logged {
        let at_ms = on_clock(command.at_s, redis_offset_s);
        if let Some((name, px)) = lock_set(command) {
            lock_expiries.push((name.to_string(), at_ms + px / clock.scale));
        }
        cache_changes.extend(cache_change(command, at_ms, &names, clock.scale)?);
    }
    // Instants are microseconds apart: two effects at one instant do not
    // occur in practice, and a stable sort keeps each thread's order.
    performed.sort_by(|a, b| a.effect_ms.total_cmp(&b.effect_ms));
    Ok(LiveRun {
        scenario,
        scale,
        performed,
        requests,
        commits,
        cache_changes,
        lock_expiries,
        end_ms,
    })
}

/// A lock set by a logged command: its cache key and `PX` (real ms).
fn lock_set(command: &LoggedCommand) -> Option<(&str, f64)> {
    let words = &command.words;
    if !words.first()?.eq_ignore_ascii_case("SET") {
        return None;
    }
    let name = super::live_cache::lock_name(words.get(1)?)?;
    let px = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("PX"))
        .and_then(|i| words.get(i + 1))?;
    Some((name, px.parse().ok()?))
}

/// The commands a connection sent, one per cache operation: a `GET` and
/// `PTTL` sent in one `MULTI` count as their `GET`.
fn in_the_log<'a>(
    logged: &'a [LoggedCommand],
    address: &str,
) -> Result<Vec<&'a LoggedCommand>, String> {
    Ok(logged
        .iter()
        .filter(|c| c.client == address)
        .filter(|c| {
            let word = c.words.first().map(|w| w.to_ascii_uppercase());
            !matches!(word.as_deref(), Some("MULTI" | "EXEC" | "PTTL"))
        })
        .collect())
}

/// What a logged command, run at `at_ms` on the run's clock, did to a
/// cache entry, if it changed one.
fn cache_change(
    command: &LoggedCommand,
    at_ms: f64,
    names: &[String],
    scale: f64,
) -> Result<Option<CacheChange>, String> {
    let words = &command.words;
    let (Some(verb), Some(key)) = (words.first(), words.get(1)) else {
        return Ok(None);
    };
    let Some(name) = super::live_cache::entry_name(key) else {
        return Ok(None);
    };
    if !names.iter().any(|n| n == name) {
        return Ok(None);
    }
    let stored = match verb.to_ascii_uppercase().as_str() {
        "DEL" => None,
        "SET" => {
            let text = words.get(2).ok_or("redis: a logged SET without a value")?;
            let (stamp, _, _) = super::live_cache::parse_entry(name, text)?;
            let px = words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("PX"))
                .and_then(|i| words.get(i + 1))
                .and_then(|w| w.parse::<f64>().ok())
                .ok_or("redis: a logged SET without its PX")?;
            Some((stamp, px / scale))
        }
        _ => return Ok(None),
    };
    Ok(Some(CacheChange {
        key: name.to_string(),
        at_ms,
        stored,
    }))
}

/// One request's thread: its strategy coroutine, each operation sent as an
/// application sends it, on the real clock.
fn serve(
    mut cache: LiveCache,
    mut db: Postgres,
    scenario: &Scenario,
    names: &[String],
    index: usize,
    key: KeyId,
    shared: &Shared,
) -> Result<ThreadRecord, String> {
    let clock = shared.clock;
    let spec = &scenario.requests[index];
    clock.sleep_until(spec.at_ms as f64);
    let started_ms = clock.now();
    let value = || Value::from(spec.value.as_deref().unwrap_or_default());
    let coroutine = request_code(
        &mut FramePool::default(),
        scenario.strategy,
        spec.op,
        WriteId(index as u32),
        key,
        value,
    );
    let latency = &scenario.latency_ms;
    let name = &names[key.0 as usize];
    let perform = |op: &Op| -> Result<Option<(Reply, f64)>, String> {
        Ok(Some(match op {
            Op::DbRead { .. } => {
                let sleep_ms = latency.db_read as f64 * clock.scale;
                let (value, version, began_s) = db.read_at_snapshot(name, sleep_ms)?;
                // The server's clock, placed on the run's after the run
                // (with the other PostgreSQL instants).
                let row = Versioned {
                    value: value.into(),
                    version,
                };
                (Reply::DbRead(row), began_s)
            }
            Op::DbWrite { value, write, .. } => {
                let hold = || clock.sleep(latency.db_write);
                let version = db.write_held_open(name, value, write.0, hold)?;
                (Reply::DbWrite { version }, f64::NAN)
            }
            op => {
                let resource = op.resource();
                clock.sleep(match resource {
                    Resource::Publish => latency.publish,
                    _ => latency.cache,
                });
                let reply = redis_op(&mut cache, op, name, scenario, shared)?;
                (reply, f64::NAN)
            }
        }))
    };
    let app = spec.app.unwrap_or(index as u32 % scenario.apps);
    let (performed, served) = drive(coroutine, &spec.id, Some(app), spec.at_ms, shared, perform)?;
    let read = match served {
        Some(Served::Read { value, .. }) => Some((value.value.to_string(), value.stamp)),
        _ => None,
    };
    Ok(ThreadRecord {
        performed,
        started_ms,
        read,
        answered_ms: clock.now(),
    })
}

/// The consumer of one bus partition, a thread of its own: it takes each
/// event of its partition's stream in order (in the consumer group), holds
/// it until the bus's delay (and the partition's lag) after Redis appended
/// it, applies it with the model's consumer code, and acknowledges it:
/// at once, or with a commit interval, every event applied since the last
/// acknowledgement `commit_interval_ms` after the first of them.
///
/// A consumer crash at its instant stops the consumer where it is: an
/// event it holds is not applied, a cache operation not yet sent is not
/// sent, nothing more is acknowledged. Its replacement (a new consumer of
/// the group on a new connection) claims what the group holds
/// unacknowledged (`XAUTOCLAIM`): Redis delivers those events again, in
/// order, before any new one.
struct Consumer<'a> {
    actor: String,
    redis_url: &'a str,
    partition: u32,
    cache: LiveCache,
    stream: LiveStream,
    scenario: &'a Scenario,
    names: &'a [String],
    shared: &'a Shared<'a>,
    /// The crashes still to come (model ms), soonest last.
    crashes: Vec<f64>,
    /// Consumers that took over after a crash.
    replacements: u32,
    /// Entries claimed after a crash, to apply before any new one.
    claimed: std::collections::VecDeque<super::live_bus::Entry>,
    /// Entries applied and not yet acknowledged, and when they will be.
    unacknowledged: Vec<String>,
    acknowledge_at: Option<f64>,
    performed: Vec<Performed>,
}

impl Consumer<'_> {
    /// Runs until every request has answered, no crash is to come and its
    /// stream has nothing left.
    fn run(mut self) -> Result<Vec<Performed>, String> {
        let clock = self.shared.clock;
        let bus = &self.scenario.bus;
        let lag = bus.partition_lag_ms.get(self.partition as usize).copied();
        let transit_ms = (bus.delay_ms + lag.unwrap_or(0)) as f64;
        loop {
            if !self.wait_until(clock.now())? {
                continue;
            }
            // Read before looking: every event of a request that had
            // answered by then was appended before this read.
            let requests_done = self.shared.requests_left.load(Ordering::SeqCst) == 0;
            let entry = match self.claimed.pop_front() {
                Some(entry) => Some(entry),
                None => self.stream.poll()?,
            };
            let Some((id, fields)) = entry else {
                if requests_done && self.crashes.is_empty() {
                    return Ok(self.performed);
                }
                // Redis times a blocked read out on its event loop's ticks,
                // too coarse for a crash's instant: a short sleep of ours
                // instead, never past the next crash.
                let poll = clock.now() + CONSUMER_POLL_MS as f64 / clock.scale;
                self.wait_until(self.crashes.last().map_or(poll, |&c| c.min(poll)))?;
                continue;
            };
            let (name, payload) = parse_event(&fields)?;
            let key = self
                .names
                .iter()
                .position(|n| *n == name)
                .map(|index| KeyId(index as u32))
                .ok_or_else(|| format!("a bus event about a key the scenario lacks: {name}"))?;
            let appended_ms = clock.of_epoch(appended_s(&id)? - self.shared.redis_offset_s);
            if !self.wait_until(appended_ms + transit_ms)? {
                continue;
            }
            let job = Coroutine::new_in(&mut FramePool::default(), move |io| {
                strategy::apply_event(io, key, payload.clone())
            });
            let (actor, shared) = (self.actor.clone(), self.shared);
            let latency = self.scenario.latency_ms.cache as f64;
            let perform = |op: &Op| -> Result<Option<(Reply, f64)>, String> {
                if !self.wait_until(clock.now() + latency)? {
                    return Ok(None);
                }
                let reply = redis_op(&mut self.cache, op, &name, self.scenario, shared)?;
                Ok(Some((reply, f64::NAN)))
            };
            let now = clock.now() as Millis;
            let (mut applied, served) = drive(job, &actor, None, now, shared, perform)?;
            self.performed.append(&mut applied);
            if served.is_some() {
                self.acknowledge(id, clock.now())?;
            }
        }
    }

    /// The next instant the consumer must act at on its own: a crash or
    /// an acknowledgement.
    fn deadline(&self) -> Option<f64> {
        let crash = self.crashes.last().copied();
        match (crash, self.acknowledge_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Waits until `at` on the run's clock, acknowledging when that is due;
    /// false if the consumer crashed first (its replacement has taken
    /// over).
    fn wait_until(&mut self, at: f64) -> Result<bool, String> {
        let clock = self.shared.clock;
        loop {
            let now = clock.now();
            if self.acknowledge_at.is_some_and(|due| due <= now) {
                let ids = std::mem::take(&mut self.unacknowledged);
                self.stream.ack(&ids)?;
                self.acknowledge_at = None;
            }
            if self.crashes.last().is_some_and(|&crash| crash <= now) {
                self.crashes.pop();
                self.replace()?;
                return Ok(false);
            }
            if now >= at {
                return Ok(true);
            }
            clock.sleep_until(self.deadline().map_or(at, |due| due.min(at)));
        }
    }

    /// An event applied: acknowledged now, or with those applied since the
    /// last acknowledgement once the commit interval is up.
    fn acknowledge(&mut self, id: String, now: f64) -> Result<(), String> {
        let interval = self.scenario.bus.commit_interval_ms;
        if interval == 0 {
            return self.stream.ack(&[id]).map(drop);
        }
        self.unacknowledged.push(id);
        self.acknowledge_at.get_or_insert(now + interval as f64);
        Ok(())
    }

    /// The consumer crashed: a new one of the group, on a new connection,
    /// claims every event the group holds unacknowledged.
    fn replace(&mut self) -> Result<(), String> {
        self.replacements += 1;
        let name = format!("{} #{}", self.actor, self.replacements);
        let stream = partition_stream(self.partition);
        self.stream = LiveStream::connect(self.redis_url, &stream, &name)?;
        self.unacknowledged.clear();
        self.acknowledge_at = None;
        self.claimed = self.stream.claim_abandoned(0)?.into();
        Ok(())
    }
}

/// Drives one actor's strategy coroutine on the real clock from model
/// instant `now`, each operation performed by `perform`, which spends the
/// operation's latency and answers its reply and, for a DB read, its
/// snapshot's instant on PostgreSQL's clock (NaN otherwise: the servers'
/// records place it after the run), or nothing if the actor stopped
/// first (a crash): then the coroutine's answer is `None`. A request of
/// app instance `app` is a thread of that instance: while it is paused
/// the thread neither starts, nor sends, nor takes a reply in hand (one
/// that arrives waits for the pause to end), as the model's instance.
fn drive(
    mut coroutine: Coroutine<Served>,
    actor: &str,
    app: Option<u32>,
    now: Millis,
    shared: &Shared,
    mut perform: impl FnMut(&Op) -> Result<Option<(Reply, f64)>, String>,
) -> Result<(Vec<Performed>, Option<Served>), String> {
    let clock = shared.clock;
    // Sleeps through a pause of the instance in force at `at` (model ms);
    // when the thread goes on.
    let unpaused = |at: f64| {
        let resumes = app.map_or(at, |app| {
            app_resumes_at(shared.faults, app, at as Millis).max(at as Millis) as f64
        });
        if resumes > at {
            clock.sleep_until(resumes);
            return resumes;
        }
        at
    };
    let mut performed = Vec::new();
    let now = unpaused(now as f64) as Millis;
    let mut input = Input { reply: None, now };
    loop {
        match coroutine.resume(input) {
            Resume::Perform(op) => {
                let sent_ms = clock.now();
                let Some((reply, effect_ms)) = perform(&op)? else {
                    // The actor stopped before the operation took effect.
                    return Ok((performed, None));
                };
                let answered_ms = clock.now();
                let in_hand = unpaused(answered_ms);
                performed.push(Performed {
                    actor: actor.to_string(),
                    op: op_meaning(&op),
                    resource: op.resource(),
                    reply: reply_meaning(&reply),
                    committed: match reply {
                        Reply::DbWrite { version } => Some(version),
                        _ => None,
                    },
                    uncommitted_hit: match &reply {
                        Reply::CacheGet(Some(hit))
                        | Reply::CacheGetExpiry(Some(ExpiringEntry { value: hit, .. })) => {
                            match hit.stamp {
                                Stamp::Uncommitted(write) => Some((hit.value.to_string(), write)),
                                Stamp::Committed(_) => None,
                            }
                        }
                        _ => None,
                    },
                    sent_ms,
                    answered_ms,
                    effect_ms,
                });
                input = Input {
                    reply: Some(reply),
                    now: in_hand as Millis,
                };
            }
            Resume::SleepUntil(instant) => {
                clock.sleep_until(instant as f64);
                let woke = unpaused((instant as f64).max(clock.now()));
                input = Input {
                    reply: None,
                    now: woke as Millis,
                };
            }
            Resume::Draw => {
                let draw = shared.draws.lock().expect("not poisoned").unit_draw();
                input = Input {
                    reply: Some(Reply::Drawn(draw)),
                    now: clock.now() as Millis,
                };
            }
            Resume::Done(served) => return Ok((performed, Some(served))),
            Resume::SharedRead(_) | Resume::TierLock(_) | Resume::TierUnlock(_) => {
                return Err("a shared read or the cache tier's lock in a live run".into());
            }
        }
    }
}

/// An operation on Redis sent as an application sends it, now on the
/// run's clock: a cache operation, or an event appended to its partition's
/// stream; its reply in the model's terms (an expiry is now plus what
/// Redis says is left).
fn redis_op(
    cache: &mut LiveCache,
    op: &Op,
    name: &str,
    scenario: &Scenario,
    shared: &Shared,
) -> Result<Reply, String> {
    let (strategy, now) = (&scenario.strategy, shared.clock.now());
    let clock = shared.clock;
    let real_ms = |model_ms: Millis| clock.real(model_ms).as_millis() as Millis;
    let cached = |entry: &super::live_cache::LiveEntry| Cached {
        value: entry.value.as_str().into(),
        stamp: entry.stamp,
    };
    let stored = SetOutcome::Stored {
        expires_ms: now as Millis + strategy.ttl_ms,
    };
    Ok(match op {
        Op::CacheGet { .. } => Reply::CacheGet(cache.get(name)?.as_ref().map(cached)),
        Op::CacheGetExpiry { .. } => {
            Reply::CacheGetExpiry(cache.get(name)?.map(|entry| ExpiringEntry {
                value: cached(&entry),
                expires_ms: (now + entry.expires_in_ms as f64 / clock.scale) as Millis,
                cost_ms: entry.cost_ms,
            }))
        }
        Op::CacheSet {
            value,
            dirty: false,
            ..
        } => {
            let text = value.value.to_string();
            cache.set(name, &text, value.stamp, 0, real_ms(strategy.ttl_ms))?;
            Reply::CacheSet(stored)
        }
        Op::CacheSetComputed { value, cost_ms, .. } => {
            let text = value.value.to_string();
            cache.set(name, &text, value.stamp, *cost_ms, real_ms(strategy.ttl_ms))?;
            Reply::CacheSet(stored)
        }
        Op::CacheDelete { .. } => Reply::CacheDelete {
            removed: cache.delete(name)?,
        },
        Op::Publish {
            payload, row: None, ..
        } => {
            let fields = event_fields(name, payload.as_ref());
            let bus = &scenario.bus;
            let partition = if bus.keyed {
                let partition = key_partition(name, bus.partitions);
                cache.publish(&stream_key(&partition_stream(partition)), &fields)?;
                partition
            } else {
                // Held while appending, so that Redis appends in the
                // order the partitions were handed out.
                let mut next = shared.next_partition.lock().expect("not poisoned");
                let partition = *next;
                cache.publish(&stream_key(&partition_stream(partition)), &fields)?;
                *next = (partition + 1) % bus.partitions;
                partition
            };
            Reply::Publish(Published::To(partition))
        }
        Op::LockAdd { .. } => {
            let token = shared.tokens.fetch_add(1, Ordering::SeqCst);
            let taken = cache.lock_add(name, &token.to_string(), real_ms(strategy.lock_ttl_ms))?;
            Reply::LockAdd {
                token: taken.then_some(LockToken(token)),
            }
        }
        Op::Unlock { token, compare, .. } => {
            let released = cache.unlock(name, &token.0.to_string(), *compare)?;
            Reply::Unlock(match released {
                Released::Mine => Unlocked::Released,
                Released::Nothing => Unlocked::Expired,
                Released::Anothers(holder) => {
                    let holder = LockToken(holder.parse().map_err(|_| {
                        format!("redis: a lock of {name} holds a token not ours: {holder:?}")
                    })?);
                    if *compare {
                        Unlocked::HeldByAnother(holder)
                    } else {
                        Unlocked::DeletedAnothers(holder)
                    }
                }
            })
        }
        other => {
            return Err(format!(
                "{} is not an operation of a live run",
                other.name()
            ));
        }
    })
}

/// What an operation is, in the trace's words, without what differs
/// between a live run and its replay (tokens, costs): `cache.set v2@2`.
pub fn op_meaning(op: &Op) -> String {
    let what = match op {
        Op::CacheSet { value, .. } | Op::CacheSetComputed { value, .. } => value.describe(),
        Op::DbWrite { value, .. } => value.to_string(),
        _ => String::new(),
    };
    format!("{} {what}", op.name()).trim_end().to_string()
}

/// What a reply says, without what differs between a live run and its
/// replay: instants (an expiry is Redis's `PTTL` live, the model's
/// arithmetic replayed) and token numbers (random in an app, counted in
/// the model).
pub fn reply_meaning(reply: &Reply) -> String {
    match reply {
        Reply::CacheGet(Some(value)) => format!("hit {}", value.describe()),
        Reply::CacheGetExpiry(Some(entry)) => format!("hit {}", entry.value.describe()),
        Reply::CacheGet(None) | Reply::CacheGetExpiry(None) => "miss".into(),
        Reply::CacheSet(SetOutcome::Stored { .. }) => "stored".into(),
        Reply::LockAdd { token: Some(_) } => "locked".into(),
        Reply::LockAdd { token: None } => "lock held by another".into(),
        Reply::Unlock(Unlocked::Released) => "unlocked".into(),
        Reply::Unlock(Unlocked::Expired) => "no lock to release".into(),
        Reply::Unlock(Unlocked::HeldByAnother(_)) => "another's lock left alone".into(),
        Reply::Unlock(Unlocked::DeletedAnothers(_)) => "another's lock deleted".into(),
        Reply::DbRead(row) => format!("{}@{}", row.value, row.version),
        Reply::DbWrite { version } => format!("committed as version {version}"),
        other => other.describe(),
    }
}
