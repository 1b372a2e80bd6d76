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
pub mod mirror;
pub mod servers;
pub mod timed;

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;

use crate::sim::explore::{self, Anomaly};
use crate::sim::ops::Versioned;
use crate::sim::scenario::{Channel, Scenario, Stampede, WriteStrategy};
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
        let real_anomalies = explore::anomalies_of(&mirrored);
        let model_anomalies = explore::anomalies_of(&model);
        drop(mirrored);
        let mirror = Rc::try_unwrap(mirror)
            .map_err(|_| "the mirror outlived its run")?
            .into_inner();
        self.servers = Some(mirror.servers);
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

/// What of a scenario the model still decides in a real run: the parts
/// of the world that are processes, clocks or the network rather than
/// Redis or PostgreSQL.
pub fn model_decides(scenario: &Scenario) -> Vec<String> {
    let mut notes = vec![
        "who acts when, and every latency (the run follows the model's order of effects)"
            .to_string(),
        "expiry: on the run's clock, by the scripts' logical expiry (Redis's own PX is a backstop)"
            .to_string(),
    ];
    let strategy = &scenario.strategy;
    if strategy.write == WriteStrategy::WriteThrough {
        notes.push("the cache tier's per-key lock (Redis has no write-through tier)".to_string());
    }
    if strategy.stampede == Stampede::Xfetch {
        notes.push("XFetch's random draw for an early refresh".to_string());
    }
    if strategy.stampede == Stampede::Singleflight {
        notes.push("singleflight's sharing inside an app instance".to_string());
    }
    if strategy.ttl_jitter_ms > 0 {
        notes.push("the TTL jitter's random draw".to_string());
    }
    if strategy.channel != Channel::Inline {
        notes.push(
            "the bus's network: delay, loss, duplication, partition choice (events travel on Redis Streams)"
                .to_string(),
        );
    }
    if !scenario.faults.is_empty()
        || scenario
            .schedule
            .iter()
            .flatten()
            .any(|e| matches!(e, crate::sim::scenario::ScheduleEntry::Fault(_)))
    {
        notes.push(
            "faults of processes (app crash or pause, relay or consumer crash); a cache crash deletes Redis's keys"
                .to_string(),
        );
    }
    notes
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
