//! The report (spec section 4): what a run did, computed from the run itself.
//!
//! So far this covers the fields the engine can already produce (final state,
//! per-request results with staleness, stale divergence windows, DB and cache
//! counters, latency percentiles, the trace). Ahead windows, uncommitted and
//! phantom reads, the bus and lost writes come with the strategies that
//! create them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::engine::{DivergenceKind, Simulation, TraceEvent};
use super::ops::{Version, Versioned};
use super::scenario::{Millis, RequestOp};
use super::strategy::{Served, Source};

/// A value and its DB version, as the report prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CacheView {
    /// The cached value.
    pub value: String,
    /// The DB version it was read at.
    pub version: Version,
    /// When it expires.
    pub expires_ms: Millis,
}

/// One key at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyState {
    /// The committed row.
    pub db: ValueView,
    /// The live cache entry, or `null`.
    pub cache: Option<CacheView>,
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It completed.
    Ok,
    /// It had not completed when the run ended.
    Unfinished,
}

/// One scripted request's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
}

/// A divergence window as the report prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WindowReport {
    /// The key.
    pub key: String,
    /// `stale` (or, later, `ahead`).
    pub kind: DivergenceKind,
    /// When it opened.
    pub from_ms: Millis,
    /// When it closed; `null` if still open at `end_ms`.
    pub to_ms: Option<Millis>,
}

/// Database counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DbReport {
    /// Reads.
    pub reads: u64,
    /// Commits.
    pub writes: u64,
    /// The most reads in flight at once.
    pub peak_concurrent_reads: u64,
}

/// Cache counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The scenario's name.
    pub name: String,
    /// Its seed.
    pub seed: u64,
    /// When the last operation took effect.
    pub end_ms: Millis,
    /// Every key's final DB row and cache entry.
    pub keys: BTreeMap<String, KeyState>,
    /// Every scripted request.
    pub requests: Vec<RequestReport>,
    /// Reads that returned stale values.
    pub stale_reads: u64,
    /// Every divergence window, in the order they opened.
    pub divergence: Vec<WindowReport>,
    /// Total time keys spent stale in the cache, up to `end_ms`.
    pub stale_ms: Millis,
    /// Database counters.
    pub db: DbReport,
    /// Cache counters.
    pub cache: CacheReport,
    /// Latency percentiles.
    pub latency_ms: LatencyReport,
    /// Every operation, unless the trace was turned off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceEvent>>,
}

impl Report {
    /// The report of `sim` as it stands (normally after [`Simulation::run`]).
    pub fn of(sim: &Simulation, with_trace: bool) -> Report {
        let now = sim.now_ms();
        let world = sim.world();
        let keys = sim
            .keys()
            .map(|key| {
                let cache = world.cache.live(key, now).map(|entry| CacheView {
                    value: entry.value.value.to_string(),
                    version: entry.value.version,
                    expires_ms: entry.expires_ms,
                });
                let state = KeyState {
                    db: world.db.row(key).into(),
                    cache,
                };
                (sim.key_name(key).to_string(), state)
            })
            .collect();
        let mut read_latencies = Vec::new();
        let mut write_latencies = Vec::new();
        let requests: Vec<RequestReport> = sim
            .requests()
            .iter()
            .map(|run| {
                let spec = &sim.scenario().requests[run.index];
                let mut report = RequestReport {
                    id: spec.id.clone(),
                    op: spec.op,
                    key: spec.key.clone(),
                    app: run.app,
                    start_ms: run.started_ms,
                    end_ms: None,
                    outcome: Outcome::Unfinished,
                    value: None,
                    version: None,
                    source: None,
                    stale: None,
                };
                if let (Some(start), Some((end, served))) = (run.started_ms, &run.finished) {
                    report.end_ms = Some(*end);
                    report.outcome = Outcome::Ok;
                    match served {
                        Served::Read { value, source } => {
                            read_latencies.push(end - start);
                            report.value = Some(value.value.to_string());
                            report.version = Some(value.version);
                            report.source = Some(*source);
                            // Stale: older than what was committed before the
                            // read started (spec section 3).
                            let committed = world.db.committed_before(run.key, start);
                            report.stale = Some(value.version < committed);
                        }
                        Served::Write { version } => {
                            write_latencies.push(end - start);
                            report.version = Some(*version);
                        }
                    }
                }
                report
            })
            .collect();
        let stale_reads = requests.iter().filter(|r| r.stale == Some(true)).count() as u64;
        let divergence: Vec<WindowReport> = sim
            .divergence()
            .into_iter()
            .map(|w| WindowReport {
                key: sim.key_name(w.key).to_string(),
                kind: w.kind,
                from_ms: w.from_ms,
                to_ms: w.to_ms,
            })
            .collect();
        let stale_ms = divergence
            .iter()
            .filter(|w| w.kind == DivergenceKind::Stale)
            .map(|w| w.to_ms.unwrap_or(now).min(now).saturating_sub(w.from_ms))
            .sum();
        let c = sim.counters();
        Report {
            name: sim.scenario().name.clone(),
            seed: sim.scenario().seed,
            end_ms: now,
            keys,
            requests,
            stale_reads,
            divergence,
            stale_ms,
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
            latency_ms: LatencyReport {
                read_p50: percentile(&mut read_latencies, 50),
                read_p99: percentile(&mut read_latencies, 99),
                write_p50: percentile(&mut write_latencies, 50),
                write_p99: percentile(&mut write_latencies, 99),
            },
            trace: with_trace.then(|| sim.trace().to_vec()),
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

/// Nearest-rank percentile: the smallest sample with at least `p` percent of
/// the samples at or below it.
fn percentile(samples: &mut [Millis], p: usize) -> Option<Millis> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = (p * samples.len()).div_ceil(100).max(1);
    Some(samples[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&mut [], 50), None);
        assert_eq!(percentile(&mut [7], 99), Some(7));
        let mut xs: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentile(&mut xs, 50), Some(50));
        assert_eq!(percentile(&mut xs, 99), Some(99));
        assert_eq!(percentile(&mut [3, 1, 2], 50), Some(2));
    }
}
