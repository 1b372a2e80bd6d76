//! The same strategy code on a real Redis and PostgreSQL (native only; the
//! page never compiles it).
//!
//! A run here is a simulation with a mirror ([`crate::sim::engine::Mirror`]):
//! the engine decides who acts when, exactly as in `cachescope run`; each
//! operation is then performed as real commands ([`cache`] on Redis,
//! [`database`] on PostgreSQL, the bus on Redis Streams) and the strategy
//! coroutines of `sim::strategy` get the real replies. Every reply that
//! differs from the model's, every answer a client got that differs from
//! the model run's, and every difference in the final cache, rows and
//! outbox is a [`Difference`]. [`conformance`] runs this over the lessons.

pub mod cache;
pub mod conformance;
pub mod database;
pub mod live;
pub mod live_bus;
pub mod live_cache;
pub mod live_check;
pub mod mirror;
pub mod servers;
pub mod timed;

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;

use crate::sim::explore::{self, Anomaly};
use crate::sim::ops::Versioned;
use crate::sim::scenario::{Channel, Scenario};
use crate::sim::strategy::Served;
use crate::sim::{Report, Simulation};
pub use mirror::{Difference, RealMirror, Servers};

/// A connection to the real servers, ready for runs.
pub struct Backend {
    servers: Option<Servers>,
    /// Where the servers are (timed runs open connections of their own).
    pub redis_url: String,
    pub postgres_url: String,
    /// The Redis server's version (`7.0.15`).
    pub redis_version: String,
    /// The PostgreSQL server's version (`15.18`).
    pub postgres_version: String,
}

/// What one real run found.
pub struct RealRun {
    /// The report of the run, built from the real replies.
    pub report: Report,
    /// Everything that differed from the model's run; empty when the two
    /// agree.
    pub differences: Vec<Difference>,
    /// The anomalies the real run showed, and the model's.
    pub real_anomalies: Vec<Anomaly>,
    pub model_anomalies: Vec<Anomaly>,
}

impl Backend {
    /// Connects to the servers, refusing any it cannot reach and a schema
    /// that is not this backend's.
    pub fn connect(redis_url: &str, postgres_url: &str) -> Result<Backend, String> {
        let mut cache = cache::RedisCache::connect(redis_url)?;
        let mut db = database::Postgres::connect(postgres_url)?;
        let redis_version = cache.version()?;
        let postgres_version = db.version()?;
        Ok(Backend {
            servers: Some(Servers { cache, db }),
            redis_url: redis_url.to_string(),
            postgres_url: postgres_url.to_string(),
            redis_version,
            postgres_version,
        })
    }

    /// Whether PostgreSQL can decode its log for CDC.
    pub fn logical_decoding(&self) -> bool {
        self.servers.as_ref().is_some_and(|s| s.db.logical)
    }

    /// "Redis 7.0 and PostgreSQL 15", as the page says it.
    pub fn versions(&self) -> String {
        let major_minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
        let major = |v: &str| v.split('.').next().unwrap_or(v).to_string();
        format!(
            "Redis {} and PostgreSQL {}",
            major_minor(&self.redis_version),
            major(&self.postgres_version)
        )
    }

    /// Runs `scenario` on the real servers (see the module's docs).
    pub fn run(&mut self, scenario: &Scenario, with_trace: bool) -> Result<RealRun, String> {
        if let Some(reason) = cannot_check(scenario, self.logical_decoding()) {
            return Err(format!("not checked for real: {reason}"));
        }
        let mut model = Simulation::new(scenario).map_err(|e| e.to_string())?;
        let mut mirrored = model.clone();
        if !with_trace {
            model = model.without_trace();
            mirrored = mirrored.without_trace();
        }
        model.run();
        let servers = self
            .servers
            .take()
            .expect("a backend keeps its servers between runs");
        let mut mirror = RealMirror::attach(servers, scenario);
        if let Err(e) = mirror.reset(&mirrored) {
            // The connections stay with the backend for the next run.
            self.servers = Some(mirror.servers);
            return Err(e);
        }
        let mirror = Rc::new(RefCell::new(mirror));
        mirrored.set_mirror(mirror.clone());
        mirrored.run();
        compare_answers(&model, &mirrored, &mut mirror.borrow_mut().differences);
        let (now, cache, rows, outbox) = final_state(&model);
        mirror
            .borrow_mut()
            .compare_final(now, &cache, &rows, &outbox);
        let report = Report::of(&mirrored, with_trace);
        // The real run's anomalies from what the servers returned and hold,
        // never from the mirrored simulation's own world.
        let real_anomalies = mirror.borrow_mut().anomalies(&mirrored);
        let model_anomalies = explore::anomalies_of(&model);
        drop(mirrored);
        let mirror = Rc::try_unwrap(mirror)
            .map_err(|_| "the mirror outlived its run")?
            .into_inner();
        self.servers = Some(mirror.servers);
        let real_anomalies = real_anomalies?;
        Ok(RealRun {
            report,
            differences: mirror.differences,
            real_anomalies,
            model_anomalies,
        })
    }

    /// Leaves nothing behind that holds the server back (the CDC slot).
    pub fn release(&mut self) -> Result<(), String> {
        match &mut self.servers {
            Some(servers) => servers.db.release(),
            None => Ok(()),
        }
    }
}

/// Each request's answer in the two runs, compared.
fn compare_answers(model: &Simulation, real: &Simulation, differences: &mut Vec<Difference>) {
    let describe = |served: Option<&Served>, aborted: bool| match served {
        _ if aborted => "stopped (its app crashed)".to_string(),
        None => "unanswered".to_string(),
        Some(Served::Read {
            value,
            source,
            fallback,
        }) => format!(
            "read {} from {source:?}{}",
            value.describe(),
            if *fallback { " (fallback)" } else { "" }
        ),
        Some(Served::Write { version: Some(v) }) => format!("write committed @{v}"),
        Some(Served::Write { version: None }) => "write acknowledged".to_string(),
    };
    for (index, (m, r)) in model.requests().iter().zip(real.requests()).enumerate() {
        let model_answer = describe(m.finished.as_ref().map(|(_, s)| s), m.aborted);
        let real_answer = describe(r.finished.as_ref().map(|(_, s)| s), r.aborted);
        if model_answer != real_answer {
            let actor = model
                .scenario()
                .requests
                .get(index)
                .map_or_else(|| format!("request {index}"), |spec| spec.id.clone());
            differences.push(Difference {
                at_ms: r.finished.as_ref().map_or(real.now_ms(), |(at, _)| *at),
                actor,
                op: "answer".to_string(),
                key: Some(model.key_name(m.key).to_string()),
                model: model_answer,
                real: real_answer,
            });
        }
    }
}

type FinalState = (
    crate::sim::scenario::Millis,
    Vec<Option<(crate::sim::ops::Cached, bool)>>,
    Vec<Versioned>,
    Vec<(u64, bool)>,
);

/// The model's final state: each key's live entry (as reported), rows,
/// outbox rows' sent flags.
fn final_state(model: &Simulation) -> FinalState {
    let world = model.world();
    let now = model.now_ms();
    let cache = model
        .keys()
        .map(|key| {
            world
                .cache
                .live(key, now)
                .map(|entry| (world.as_of_now(&entry.value), entry.dirty))
        })
        .collect();
    let rows = model.keys().map(|key| world.db.row(key).clone()).collect();
    let outbox = world
        .db
        .outbox
        .iter()
        .map(|row| (row.id, row.sent))
        .collect();
    (now, cache, rows, outbox)
}

/// Why a scenario cannot be run on the real servers at all, if it cannot.
pub fn cannot_check(scenario: &Scenario, logical_decoding: bool) -> Option<String> {
    if scenario.db.replica_lag_ms.is_some() {
        return Some(
            "a read replica (one PostgreSQL server here; its replication lag is the model's)"
                .to_string(),
        );
    }
    if scenario.strategy.channel == Channel::Cdc && !logical_decoding {
        return Some("CDC needs PostgreSQL with wal_level = logical".to_string());
    }
    None
}

/// One thing the model supplies to a real run rather than the servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Supplied {
    /// A few words, for the page's sentence ("the order and the clock").
    pub short: &'static str,
    /// The whole of it, for the command line's report.
    pub detail: &'static str,
    /// Whether what a lesson with it shows turns on it (a fault, the bus's
    /// loss or order, a random draw, a cache rule Redis runs as a port of
    /// the model's): then the servers only carried out what the model
    /// decided, and the page says so.
    pub decides_the_point: bool,
}

const fn supplied(short: &'static str, detail: &'static str, decides_the_point: bool) -> Supplied {
    Supplied {
        short,
        detail,
        decides_the_point,
    }
}

/// What the model supplies to a real run of `scenario`: the parts of the
/// world that are processes, clocks, random draws or the network rather
/// than Redis or PostgreSQL, and the cache rules Redis runs as scripts
/// that port the model's.
pub fn model_supplies(scenario: &Scenario) -> Vec<Supplied> {
    let strategy = &scenario.strategy;
    let protection = strategy.stampede.entry();
    let faults = !scenario.faults.is_empty()
        || scenario
            .schedule
            .iter()
            .flatten()
            .any(|e| matches!(e, crate::sim::scenario::ScheduleEntry::Fault(_)));
    [
        (true, supplied(
            "the order and the clock",
            "who acts when, and every latency: each operation is performed when the model's run reaches it, on the model's clock",
            false,
        )),
        (true, supplied(
            "expiry",
            "expiry: each set's expiry instant is the model's, and the scripts compare it with the model's clock (Redis's own PX is only a backstop)",
            false,
        )),
        (protection.redis_script.is_some(), {
            let (short, detail) = protection.redis_script.unwrap_or_default();
            supplied(short, detail, true)
        }),
        (strategy.versioned_sets, supplied(
            "the versioned-set rule (Lua that ports the model's)",
            "versioned sets: a Lua script on Redis that follows the model's rule",
            true,
        )),
        (strategy.write.entry().cache_tier, supplied(
            "the cache tier's lock",
            "the cache tier's per-key lock (Redis has no write-through tier)",
            true,
        )),
        (protection.draws, supplied(
            "the early recompute's random draws",
            "the early recompute's random draw: the strategy code draws it from the model's seeded stream, as an app draws its own",
            true,
        )),
        (protection.shares_reads, supplied(
            "singleflight's sharing",
            "singleflight's sharing inside an app instance",
            true,
        )),
        (strategy.ttl_jitter_ms > 0, supplied(
            "the TTL jitter",
            "the TTL jitter's random draw",
            false,
        )),
        (strategy.channel.entry().on_the_bus, supplied(
            "the bus's delay, loss and partitions",
            "the bus's network: whether it takes a publish (loss, duplication), its delay and the partition; the events travel on Redis Streams",
            true,
        )),
        (faults, supplied(
            "the faults",
            "faults of processes (app crash or pause, relay or consumer crash); a cache crash deletes Redis's keys",
            true,
        )),
    ]
    .into_iter()
    .filter_map(|(applies, item)| applies.then_some(item))
    .collect()
}

/// What of a scenario the model still decides in a real run, in full (the
/// `real` section's `model_decides`).
pub fn model_decides(scenario: &Scenario) -> Vec<String> {
    model_supplies(scenario)
        .iter()
        .map(|item| item.detail.to_string())
        .collect()
}

/// The `real` section of `cachescope real`'s report.
#[derive(Serialize)]
pub struct RealSection<'a> {
    pub redis: &'a str,
    pub postgres: &'a str,
    pub agree: bool,
    pub differences: &'a [Difference],
    pub model_decides: Vec<String>,
}
