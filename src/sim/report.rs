//! The report (docs/SCENARIO.md, "The report"): what a run did, computed
//! from the run itself.
//!
//! Final state, per-request results with the definitions of stale,
//! uncommitted and phantom reads, divergence windows, lost and unflushed
//! writes, DB and cache counters, latency percentiles and the trace.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::consistency::{ConsistencyReport, KeyHistory, consistency};
use super::engine::{BusCounters, DivergenceKind, DivergenceWindow, Simulation};
use super::ops::{Stamp, Version, Versioned, WriteId};
use super::scenario::{Millis, RequestOp};
use super::strategy::{Served, Source};
use super::trace::TraceEvent;

/// A value and its DB version, as the report prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueView {
    /// The value.
    pub value: String,
    /// Its DB version.
    pub version: Version,
}

impl From<&Versioned> for ValueView {
    fn from(v: &Versioned) -> Self {
        ValueView {
            value: v.value.to_string(),
            version: v.version,
        }
    }
}

/// A cache entry at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheView {
    /// The cached value.
    pub value: String,
    /// The DB version it stands for; `null` while not committed.
    pub version: Option<Version>,
    /// When it expires (a dirty entry does not expire until flushed).
    pub expires_ms: Millis,
    /// A write-behind value not yet flushed.
    pub dirty: bool,
}

/// One key at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyState {
    /// The committed row.
    pub db: ValueView,
    /// The live cache entry, or `null`.
    pub cache: Option<CacheView>,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It completed.
    Ok,
    /// Its app instance crashed before it answered.
    Aborted,
    /// It had not completed when the run ended.
    Unfinished,
}

/// One scripted request's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestReport {
    /// Its id.
    pub id: String,
    /// Read or write.
    pub op: RequestOp,
    /// Its key.
    pub key: String,
    /// The app instance that served it.
    pub app: u32,
    /// When it was sent.
    pub start_ms: Option<Millis>,
    /// When it finished.
    pub end_ms: Option<Millis>,
    /// How it ended.
    pub outcome: Outcome,
    /// A write's value was acknowledged but a crash lost it before its flush.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lost: bool,
    /// The value a read returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The version a read returned or a write committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// Where a read's value came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Whether a read returned an older version than was committed when it
    /// started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
    /// Whether a read returned a value not yet committed when it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncommitted: Option<bool>,
    /// Whether a read returned a value that is never committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phantom: Option<bool>,
    /// Whether a read's wait for a lock or lease ran out, so it read the
    /// DB itself without filling the cache (printed only when it did).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
}

/// A divergence window as the report prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowReport {
    /// The key.
    pub key: String,
    /// `stale` (or, later, `ahead`).
    pub kind: DivergenceKind,
    /// When it opened.
    pub from_ms: Millis,
    /// When it closed; `null` if still open at `end_ms`.
    pub to_ms: Option<Millis>,
    /// The trace entry that opened it (not printed: the timeline uses it to
    /// show a window from that entry, not from an earlier one at the same
    /// instant).
    #[serde(skip)]
    pub opened_by: usize,
}

impl WindowReport {
    /// `window` as the report prints it, its key named `key`.
    pub fn of(window: &DivergenceWindow, key: &str) -> WindowReport {
        WindowReport {
            key: key.to_string(),
            kind: window.kind,
            from_ms: window.from_ms,
            to_ms: window.to_ms,
            opened_by: window.opened_by,
        }
    }
}

/// The requests of a run: listed when scripted, counted when generated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Requests {
    /// Every scripted request.
    Listed(Vec<RequestReport>),
    /// A generated workload's requests, counted (memory independent of
    /// their number).
    Counted(RequestCounts),
}

/// Counts of a workload's requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// Reads generated.
    pub reads: u64,
    /// Writes generated.
    pub writes: u64,
    /// Requests an app crash stopped before they answered.
    pub aborted: u64,
    /// Requests not finished when the run ended (nor aborted).
    pub unfinished: u64,
}

/// Database counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbReport {
    /// Reads.
    pub reads: u64,
    /// Commits.
    pub writes: u64,
    /// The most reads in flight at once.
    pub peak_concurrent_reads: u64,
}

/// Cache counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheReport {
    /// Gets that hit.
    pub hits: u64,
    /// Gets that missed.
    pub misses: u64,
    /// Sets.
    pub sets: u64,
    /// Sets the cache refused.
    pub rejected_sets: u64,
    /// Deletes.
    pub deletes: u64,
}

/// Latency percentiles of finished requests (`null` when there were none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// Median read latency.
    pub read_p50: Option<Millis>,
    /// 99th-percentile read latency.
    pub read_p99: Option<Millis>,
    /// Median write latency.
    pub write_p50: Option<Millis>,
    /// 99th-percentile write latency.
    pub write_p99: Option<Millis>,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The scenario's name.
    pub name: String,
    /// Its seed.
    pub seed: u64,
    /// When the last operation took effect.
    pub end_ms: Millis,
    /// Every key's final DB row and cache entry.
    pub keys: BTreeMap<String, KeyState>,
    /// Every scripted request, or counts of a workload's requests.
    pub requests: Requests,
    /// Reads that returned stale values.
    pub stale_reads: u64,
    /// Reads that returned values not yet committed.
    pub uncommitted_reads: u64,
    /// Uncommitted reads whose values are never committed.
    pub phantom_reads: u64,
    /// Every divergence window, in the order they opened.
    pub divergence: Vec<WindowReport>,
    /// Total time keys spent stale in the cache, up to `end_ms`.
    pub stale_ms: Millis,
    /// Total time keys spent ahead of the DB in the cache, up to `end_ms`.
    pub ahead_ms: Millis,
    /// Database counters.
    pub db: DbReport,
    /// Cache counters.
    pub cache: CacheReport,
    /// Bus counters.
    pub bus: BusCounters,
    /// Reads whose wait for a lock or lease ran out (docs/SCENARIO.md).
    pub fallback_reads: u64,
    /// Acknowledged writes never committed that no longer can be.
    pub lost_writes: u64,
    /// Write-behind writes still waiting for their flush at the end.
    pub unflushed_writes: u64,
    /// Latency percentiles.
    pub latency_ms: LatencyReport,
    /// Fresh reads in nines and time until a commit is visible
    /// (docs/SCENARIO.md).
    pub consistency: ConsistencyReport,
    /// Every operation, unless the trace was turned off.
    /// (A report read back from JSON has none: it crosses to the page
    /// from its worker without one.)
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceEvent>>,
}

impl Report {
    /// Requests that had not finished when the run ended (nor were
    /// aborted): what they would have read or written is in no figure.
    pub fn unfinished(&self) -> u64 {
        match &self.requests {
            Requests::Listed(requests) => requests
                .iter()
                .filter(|r| r.outcome == Outcome::Unfinished)
                .count() as u64,
            Requests::Counted(counts) => counts.unfinished,
        }
    }

    /// The report of `sim` as it stands (normally after [`Simulation::run`]).
    pub fn of(sim: &Simulation, with_trace: bool) -> Report {
        let now = sim.now_ms();
        let world = sim.world();
        let db = &world.db;
        let keys = sim
            .keys()
            .map(|key| {
                let cache = world.cache.live(key, now).map(|entry| CacheView {
                    value: entry.value.value.to_string(),
                    version: db.resolve(entry.value.stamp),
                    expires_ms: entry.expires_ms,
                    dirty: entry.dirty,
                });
                let state = KeyState {
                    db: db.row(key).into(),
                    cache,
                };
                (sim.key_name(key).to_string(), state)
            })
            .collect();
        let lost: BTreeSet<WriteId> = sim.lost_writes().iter().copied().collect();
        let never_committed = never_committed(sim);
        let generated = sim.generated();
        let mut read_latency = generated.read_latency.clone();
        let mut write_latency = generated.write_latency.clone();
        let requests: Vec<RequestReport> = sim
            .requests()
            .iter()
            .enumerate()
            .map(|(index, run)| {
                let spec = &sim.scenario().requests[index];
                let mut report = RequestReport {
                    id: spec.id.clone(),
                    op: spec.op,
                    key: spec.key.clone(),
                    app: run.app.expect("requests run on an app instance"),
                    start_ms: run.started_ms,
                    end_ms: None,
                    outcome: Outcome::Unfinished,
                    lost: false,
                    value: None,
                    version: None,
                    source: None,
                    stale: None,
                    uncommitted: None,
                    phantom: None,
                    fallback: false,
                };
                if run.aborted {
                    report.outcome = Outcome::Aborted;
                }
                let (Some(start), Some((end, served))) = (run.started_ms, &run.finished) else {
                    return report;
                };
                report.end_ms = Some(*end);
                report.outcome = Outcome::Ok;
                match served {
                    Served::Read {
                        value,
                        source,
                        fallback,
                    } => {
                        report.fallback = *fallback;
                        read_latency.record(end - start);
                        report.value = Some(value.value.to_string());
                        report.source = Some(*source);
                        let judged = judge_read(db, run.key, start, value, &never_committed);
                        report.version = judged.version;
                        report.stale = Some(judged.stale);
                        report.uncommitted = Some(judged.uncommitted);
                        report.phantom = judged.uncommitted.then_some(judged.phantom);
                    }
                    Served::Write { .. } => {
                        write_latency.record(end - start);
                        let write = WriteId(index as u32);
                        report.version = db.version_of(write);
                        report.lost = lost.contains(&write);
                    }
                }
                report
            })
            .collect();
        let count = |pick: fn(&RequestReport) -> Option<bool>| {
            requests.iter().filter(|r| pick(r) == Some(true)).count() as u64
        };
        let generated_uncommitted: u64 = generated.uncommitted_reads.values().sum();
        let generated_phantom = generated_phantom_reads(sim, &never_committed);
        let finished = read_latency.len() + write_latency.len();
        let divergence: Vec<WindowReport> = sim
            .divergence()
            .into_iter()
            .map(|w| WindowReport::of(&w, sim.key_name(w.key)))
            .collect();
        let consistency = consistency_from(
            sim,
            read_latency.len(),
            count(|r| r.stale) + generated.stale_reads + count(|r| r.phantom) + generated_phantom,
        );
        let time_in = |kind: DivergenceKind| -> Millis {
            divergence
                .iter()
                .filter(|w| w.kind == kind)
                .map(|w| w.to_ms.unwrap_or(now).min(now).saturating_sub(w.from_ms))
                .sum()
        };
        let c = sim.counters();
        Report {
            name: sim.scenario().name.clone(),
            seed: sim.scenario().seed,
            end_ms: now,
            keys,
            stale_reads: count(|r| r.stale) + generated.stale_reads,
            uncommitted_reads: count(|r| r.uncommitted) + generated_uncommitted,
            phantom_reads: count(|r| r.phantom) + generated_phantom,
            stale_ms: time_in(DivergenceKind::Stale),
            ahead_ms: time_in(DivergenceKind::Ahead),
            divergence,
            requests: if sim.scenario().workload.is_some() {
                Requests::Counted(RequestCounts {
                    reads: generated.reads,
                    writes: generated.writes,
                    aborted: generated.aborted,
                    unfinished: generated.reads + generated.writes - finished - generated.aborted,
                })
            } else {
                Requests::Listed(requests)
            },
            db: DbReport {
                reads: c.db_reads,
                writes: c.db_writes,
                peak_concurrent_reads: c.peak_concurrent_db_reads,
            },
            cache: CacheReport {
                hits: c.cache_hits,
                misses: c.cache_misses,
                sets: c.cache_sets,
                rejected_sets: c.rejected_sets,
                deletes: c.cache_deletes,
            },
            bus: sim.bus(),
            fallback_reads: c.fallback_reads,
            lost_writes: sim.lost_writes().len() as u64,
            unflushed_writes: sim.unflushed_writes().count() as u64,
            latency_ms: LatencyReport {
                read_p50: read_latency.percentile(50),
                read_p99: read_latency.percentile(99),
                write_p50: write_latency.percentile(50),
                write_p99: write_latency.percentile(99),
            },
            consistency,
            trace: with_trace.then(|| sim.trace().to_vec()),
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

/// A value that is never committed and no longer can be: lost in a crash,
/// or replaced by a later write of its dirty period.
fn never_committed(sim: &Simulation) -> impl Fn(&WriteId) -> bool {
    let gone: BTreeSet<WriteId> = (sim.lost_writes().iter())
        .chain(sim.coalesced_writes())
        .copied()
        .collect();
    move |write| gone.contains(write)
}

/// Generated reads that returned a value never to be committed.
fn generated_phantom_reads(sim: &Simulation, never_committed: &impl Fn(&WriteId) -> bool) -> u64 {
    (sim.generated().uncommitted_reads.iter())
        .filter(|(write, _)| never_committed(write))
        .map(|(_, n)| n)
        .sum()
}

/// What the report's definitions make of a finished read.
struct JudgedRead {
    /// The DB version it returned, if committed (now or later).
    version: Option<Version>,
    stale: bool,
    uncommitted: bool,
    /// Uncommitted and never to be committed.
    phantom: bool,
}

/// Judges a read of `key` that started at `started_ms` and returned
/// `value` (docs/SCENARIO.md, "Definitions the report uses").
fn judge_read(
    db: &super::world::Database,
    key: super::ops::KeyId,
    started_ms: Millis,
    value: &super::ops::Cached,
    never_committed: &impl Fn(&WriteId) -> bool,
) -> JudgedRead {
    match value.stamp {
        Stamp::Committed(version) => JudgedRead {
            version: Some(version),
            stale: db.is_stale(key, started_ms, value),
            uncommitted: false,
            phantom: false,
        },
        Stamp::Uncommitted(write) => JudgedRead {
            version: db.version_of(write),
            stale: false,
            uncommitted: true,
            phantom: never_committed(&write),
        },
    }
}

/// The consistency figures of `sim`'s run given its reads answered and how
/// many of them were stale or phantom.
fn consistency_from(sim: &Simulation, reads: u64, not_fresh: u64) -> ConsistencyReport {
    let mut stale: Vec<Vec<(Millis, Option<Millis>)>> = vec![Vec::new(); sim.keys().count()];
    for w in sim.divergence() {
        if w.kind == DivergenceKind::Stale {
            stale[w.key.0 as usize].push((w.from_ms, w.to_ms));
        }
    }
    let db = &sim.world().db;
    consistency(
        reads,
        not_fresh,
        sim.keys().zip(stale).map(|(key, stale)| KeyHistory {
            commits: db.commit_times(key),
            stale,
        }),
    )
}

/// The report's `consistency` of `sim` as it stands, without the rest of
/// the report (the page's charts ask at every step).
pub fn consistency_of(sim: &Simulation) -> ConsistencyReport {
    let db = &sim.world().db;
    let never_committed = never_committed(sim);
    let generated = sim.generated();
    let generated_phantom = generated_phantom_reads(sim, &never_committed);
    let (mut reads, mut not_fresh) = (
        generated.read_latency.len(),
        generated.stale_reads + generated_phantom,
    );
    for run in sim.requests() {
        if let (Some(start), Some((_, Served::Read { value, .. }))) =
            (run.started_ms, &run.finished)
        {
            reads += 1;
            let judged = judge_read(db, run.key, start, value, &never_committed);
            not_fresh += u64::from(judged.stale || judged.phantom);
        }
    }
    consistency_from(sim, reads, not_fresh)
}

impl Report {
    /// The scripted requests (empty for a workload).
    pub fn listed_requests(&self) -> &[RequestReport] {
        match &self.requests {
            Requests::Listed(requests) => requests,
            Requests::Counted(_) => &[],
        }
    }
}
