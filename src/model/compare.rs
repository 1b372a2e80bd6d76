//! Running whole scenarios without their trace — a large workload the page
//! shows aggregated, or the configurations of a comparison — in slices, so
//! the page can draw between them; and the variants a one-click comparison
//! runs (every write strategy, every stampede protection) on the same seed.

use serde::{Deserialize, Serialize};

use crate::sim::engine::DivergenceWindow;
use crate::sim::report::WindowReport;
use crate::sim::scenario::{Channel, Stampede, WriteStrategy};
use crate::sim::series::Series;
use crate::sim::workload::Histogram;
use crate::sim::{Report, Scenario, Simulation};

/// A scenario being run without its trace, a slice at a time. Never
/// cloned (so its simulation keeps no history for replays).
#[derive(Debug)]
pub struct Batch {
    /// What it is called in a comparison.
    pub label: String,
    sim: Simulation,
}

/// A finished batch: what a chart, the comparison table and the aggregated
/// timeline need.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Its label.
    pub label: String,
    /// The scenario it ran.
    pub scenario: Scenario,
    /// The report, without the trace.
    pub report: Report,
    /// Metrics over time.
    pub series: Series,
    /// Every divergence window.
    pub windows: Vec<DivergenceWindow>,
    /// Operations that took effect.
    pub operations: u64,
}

impl Batch {
    /// A batch of `scenario`, or why it cannot run.
    pub fn new(label: impl Into<String>, scenario: &Scenario) -> Result<Batch, String> {
        let sim = Simulation::new(scenario).map_err(|e| e.to_string())?;
        Ok(Batch {
            label: label.into(),
            sim: sim.without_trace().without_replay(),
        })
    }

    /// Takes up to `steps` more steps; `true` once the run is over.
    pub fn advance(&mut self, steps: usize) -> bool {
        for _ in 0..steps {
            if !self.sim.step() {
                return true;
            }
        }
        self.sim.is_finished()
    }

    /// How far the run is, from 0 to 1, by virtual time against the time
    /// its requests stop arriving (a guess: the tail after that is short).
    pub fn fraction(&self) -> f64 {
        let scenario = self.sim.scenario();
        let end = scenario
            .until_ms
            .or(scenario.workload.as_ref().map(|w| w.duration_ms))
            .unwrap_or_else(|| scenario.requests.iter().map(|r| r.at_ms).max().unwrap_or(0));
        if self.sim.is_finished() {
            1.0
        } else if end == 0 {
            0.0
        } else {
            (self.sim.now_ms() as f64 / end as f64).min(0.99)
        }
    }

    /// The scenario it runs.
    pub fn scenario(&self) -> &Scenario {
        self.sim.scenario()
    }

    /// Operations that took effect so far.
    pub fn operations(&self) -> u64 {
        self.sim.counters().effects
    }

    /// The outcome (of the run so far: call it once `advance` says done).
    pub fn outcome(&self) -> Outcome {
        self.outcome_of(self.ran())
    }

    /// What the run produced (so far), as it crosses from the page's
    /// worker.
    pub fn ran(&self) -> Ran {
        let mut report = Report::of(&self.sim, false);
        // The windows carry it (a long run has thousands).
        report.divergence = Vec::new();
        Ran {
            visible_after: std::mem::take(&mut report.consistency.visible_after),
            report,
            series: self.sim.series().clone(),
            windows: self.sim.divergence(),
            operations: self.operations(),
        }
    }

    /// The outcome of this batch's scenario, given what running it
    /// produced (here, or in the page's worker).
    pub fn outcome_of(&self, ran: Ran) -> Outcome {
        let Ran {
            mut report,
            visible_after,
            series,
            windows,
            operations,
        } = ran;
        // What the report's JSON leaves out, put back.
        report.consistency.visible_after = visible_after;
        report.divergence = windows
            .iter()
            .map(|w| WindowReport::of(w, self.sim.key_name(w.key)))
            .collect();
        Outcome {
            label: self.label.clone(),
            scenario: self.sim.scenario().clone(),
            report,
            series,
            windows,
            operations,
        }
    }

    /// Runs to the end at once.
    pub fn run(mut self) -> Outcome {
        while !self.advance(usize::MAX) {}
        self.outcome()
    }
}

/// What running a batch produced: its [`Outcome`] less the label and
/// scenario, which the page has. It crosses from the page's worker as
/// JSON, so it carries what the report's JSON leaves out, and its report
/// has no divergence windows: `windows` has them, with what the report's
/// JSON leaves out ([`Batch::outcome_of`] puts them back).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ran {
    pub report: Report,
    /// The report's `consistency.visible_after` (not in its JSON).
    pub visible_after: Histogram,
    pub series: Series,
    pub windows: Vec<DivergenceWindow>,
    pub operations: u64,
}

/// Small generated workloads (reads and writes over a few keys, with
/// singleflight and with leases) simulated a slice at a time and dropped.
/// The page runs one in the background soon after it opens: a browser runs
/// WebAssembly first from a baseline compiler and optimises a function only
/// after it has run a while, so without this a person's first large run
/// would go slower than the next.
pub struct WarmUp {
    batches: Vec<Batch>,
    /// Operations to simulate in each batch.
    each: u64,
}

impl WarmUp {
    /// A warm-up of about `operations` operations in all.
    pub fn new(operations: u64) -> Self {
        // Reads and writes over a few keys, as a person's large runs mostly are.
        const WORKLOAD: &str = r#"{"name": "warm-up", "apps": 4,
            "keys": {"a": "v", "b": "v", "c": "v", "d": "v"},
            "latency_ms": {"cache": 1, "db_read": 40, "db_write": 20, "jitter_ms": 5},
            "strategy": {"stampede": "STAMPEDE", "ttl_ms": 500, "ttl_jitter_ms": 50},
            "workload": {"duration_ms": 60000, "reads_per_s": 9500, "writes_per_s": 500, "zipf_s": 1.1}}"#;
        let batches = ["singleflight", "lease"]
            .into_iter()
            .filter_map(|stampede| {
                let scenario = Scenario::from_json(&WORKLOAD.replace("STAMPEDE", stampede)).ok()?;
                Batch::new("warm-up", &scenario).ok()
            })
            .collect();
        WarmUp {
            batches,
            each: operations / 2,
        }
    }

    /// Simulates about `steps` more steps; `true` once the warm-up is done.
    pub fn slice(&mut self, steps: usize) -> bool {
        let each = self.each;
        match self.batches.iter_mut().find(|b| b.operations() < each) {
            Some(batch) => {
                batch.advance(steps);
                false
            }
            None => true,
        }
    }

    /// What the first workload produced so far, as a run crosses from the
    /// page's worker (the page reads one such reply as part of warming up).
    pub fn ran(&self) -> Option<Ran> {
        self.batches.first().map(Batch::ran)
    }

    /// Operations simulated so far.
    pub fn simulated(&self) -> u64 {
        self.batches.iter().map(Batch::operations).sum()
    }
}

/// `base` with each write strategy (invalidate and update keep the channel;
/// the others are inline; a double delete stays only with invalidate and
/// delete-first; write-through reads through the cache tier, its own
/// stampede protection), the valid ones, labelled by strategy.
pub fn write_strategies(base: &Scenario) -> Vec<(String, Scenario)> {
    WriteStrategy::ALL
        .into_iter()
        .filter_map(|write| {
            let mut scenario = base.clone();
            scenario.strategy.write = write;
            let needs = write.entry();
            if !needs.uses_channel {
                scenario.strategy.channel = Channel::Inline;
            }
            if !needs.settings.contains(&"double_delete_ms") {
                scenario.strategy.double_delete_ms = None;
            }
            if needs.cache_tier {
                scenario.strategy.stampede = Stampede::None;
            }
            labelled(scenario, write.name())
        })
        .collect()
}

/// `base` with each stampede protection, the valid ones.
pub fn stampede_protections(base: &Scenario) -> Vec<(String, Scenario)> {
    Stampede::ALL
        .into_iter()
        .filter_map(|stampede| {
            let mut scenario = base.clone();
            scenario.strategy.stampede = stampede;
            labelled(scenario, stampede.name())
        })
        .collect()
}

/// `scenario` labelled with `name` (as the scenario file spells it), if
/// the scenario is valid. A scripted race's schedule names the operations
/// of its own strategy; a variant whose operations do not fit it runs by
/// its latencies instead, and its label says so (" (timed)").
fn labelled(mut scenario: Scenario, name: &str) -> Option<(String, Scenario)> {
    scenario.validate().ok()?;
    let mut label = name.to_string();
    if scenario.schedule.is_some() && Simulation::new(&scenario).is_err() {
        scenario.schedule = None;
        scenario.validate().ok()?;
        label += TIMED;
    }
    Some((label, scenario))
}

/// What a variant's label ends with when it could not follow the schedule.
pub const TIMED: &str = " (timed)";

/// The highest value of `metric` over the compared runs, if any: the y
/// axis every chart of that metric shares while comparing (a stampede's 12
/// reads in flight and a lease's 1 then look as different as they are).
pub fn shared_peak(
    metric: crate::model::charts::Metric,
    outcomes: &[std::rc::Rc<Outcome>],
) -> Option<f64> {
    let runs = series(outcomes);
    (!runs.is_empty()).then(|| crate::model::charts::overlay(metric, &runs).max())
}

/// Each compared run's series, labelled (what `charts::overlay` draws).
pub fn series(outcomes: &[std::rc::Rc<Outcome>]) -> Vec<(&str, &Series)> {
    outcomes
        .iter()
        .map(|o| (o.label.as_str(), &o.series))
        .collect()
}

/// A figure of a report, as the table shows it.
pub type Figure = fn(&Report) -> String;

/// One column of the comparison table.
#[derive(Clone, Copy)]
pub struct Column {
    /// Its heading.
    pub name: &'static str,
    /// What it counts, for the table's key.
    pub meaning: &'static str,
    /// Its figure of a report.
    pub figure: Figure,
}

/// The comparison table's columns: heading, what it counts, figure.
pub const COLUMNS: &[Column] = &[
    Column::new(
        "unfinished",
        "requests that never returned (no other figure counts them)",
        |r| r.unfinished().to_string(),
    ),
    Column::new(
        "stale reads",
        "reads that returned an older version than was committed when they started",
        |r| r.stale_reads.to_string(),
    ),
    Column::new(
        "stale ms",
        "time some key's cache entry was older than its row",
        |r| r.stale_ms.to_string(),
    ),
    Column::new(
        "ahead ms",
        "time some key's cache entry held a value not (yet) committed",
        |r| r.ahead_ms.to_string(),
    ),
    Column::new(
        "lost writes",
        "acknowledged writes the database never got",
        |r| r.lost_writes.to_string(),
    ),
    Column::new("DB reads", "database reads that finished", |r| {
        r.db.reads.to_string()
    }),
    Column::new(
        "peak DB reads",
        "most database reads in flight at once (finished or not)",
        |r| r.db.peak_concurrent_reads.to_string(),
    ),
    Column::new(
        "fallback reads",
        "reads whose wait for a lock or lease ran out, so they read the database themselves",
        |r| r.fallback_reads.to_string(),
    ),
    Column::new(
        "hit ratio",
        "cache hits over finished lookups (– where none finished)",
        hit_ratio,
    ),
    Column::new(
        "nines",
        "whole nines of fresh reads (99.9% fresh is 3; ≥ where no read was stale or phantom; – where none finished)",
        nines,
    ),
    Column::new(
        "visible p50/p99",
        "median and 99th-percentile time from a commit until the cache serves nothing older, ms (– where no commit became visible)",
        |r| pair(r.consistency.visible_p50_ms, r.consistency.visible_p99_ms),
    ),
    Column::new(
        "never visible",
        "commits the cache still contradicted when the run ended",
        |r| r.consistency.never_visible.to_string(),
    ),
    Column::new(
        "read p50/p99",
        "median and 99th-percentile read latency, ms (– where no read finished)",
        |r| pair(r.latency_ms.read_p50, r.latency_ms.read_p99),
    ),
    Column::new(
        "write p50/p99",
        "median and 99th-percentile write latency, ms (– where no write finished)",
        |r| pair(r.latency_ms.write_p50, r.latency_ms.write_p99),
    ),
];

impl Column {
    const fn new(name: &'static str, meaning: &'static str, figure: Figure) -> Column {
        Column {
            name,
            meaning,
            figure,
        }
    }
}

/// The nines column: "3", "≥1" when every read was fresh, "–" without
/// reads.
fn nines(report: &Report) -> String {
    let c = &report.consistency;
    match c.nines {
        Some(n) if c.all_fresh => format!("≥{n}"),
        Some(n) => n.to_string(),
        None => NOTHING.to_string(),
    }
}

/// What a label's " (timed)" means, for the table's key.
pub const TIMED_MEANING: &str = "(timed): the scenario's hand-chosen order names steps this \
     configuration does not take, so its run is ordered by the latencies instead";

/// Why a compared run left requests unfinished, or `None` if it did not:
/// its figures then leave out what those requests would have done (a read
/// that never returned is neither fresh nor stale), which the table says
/// rather than showing a silent 0.
pub fn why_unfinished(outcome: &Outcome) -> Option<String> {
    let unfinished = outcome.report.unfinished();
    if unfinished == 0 {
        return None;
    }
    let which = match &outcome.report.requests {
        crate::sim::report::Requests::Listed(requests) => {
            let ids: Vec<&str> = requests
                .iter()
                .filter(|r| r.outcome == crate::sim::report::Outcome::Unfinished)
                .map(|r| r.id.as_str())
                .collect();
            format!(" ({})", ids.join(", "))
        }
        crate::sim::report::Requests::Counted(_) => String::new(),
    };
    let (requests, them) = if unfinished == 1 {
        ("request", "it")
    } else {
        ("requests", "them")
    };
    let why = if outcome.scenario.schedule.is_some() {
        "the scenario's schedule ended first (this configuration takes steps it does not \
         name). Open it to choose who goes next"
            .to_string()
    } else if let Some(until) = outcome.scenario.until_ms {
        format!("the run stops at until_ms = {until} ms")
    } else {
        "nothing was left to happen: each waits for something that never comes".to_string()
    };
    Some(format!(
        "{unfinished} {requests}{which} did not finish, so no figure counts {them}: {why}."
    ))
}

/// What a figure shows where nothing was measured.
pub const NOTHING: &str = "–";

/// "12/26" for a median and a 99th percentile, "–" where there were none.
fn pair(p50: Option<u64>, p99: Option<u64>) -> String {
    match (p50, p99) {
        (Some(p50), Some(p99)) => format!("{p50}/{p99}"),
        _ => NOTHING.to_string(),
    }
}

/// Hits over lookups, as a percentage with one decimal.
pub fn hit_ratio(report: &Report) -> String {
    let lookups = report.cache.hits + report.cache.misses;
    if lookups == 0 {
        return NOTHING.to_string();
    }
    format!("{:.1}%", report.cache.hits as f64 * 100.0 / lookups as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::LESSONS;

    #[test]
    fn warming_up_simulates_about_what_it_is_asked_in_slices() {
        let mut warm_up = WarmUp::new(4_000);
        let mut slices = 0;
        while !warm_up.slice(256) {
            slices += 1;
        }
        let simulated = warm_up.simulated();
        assert!((4_000..5_000).contains(&simulated), "{simulated}");
        assert!(slices >= 8, "{slices} slices");
    }

    #[test]
    fn a_variant_whose_reads_never_finish_says_so_instead_of_a_silent_zero() {
        let lesson = LESSONS
            .iter()
            .find(|l| l.name == "update-on-write-race")
            .unwrap();
        let outcomes: Vec<Outcome> = write_strategies(&lesson.scenario())
            .into_iter()
            .map(|(label, scenario)| Batch::new(label, &scenario).unwrap().run())
            .collect();
        let labels: Vec<(&str, u64)> = outcomes
            .iter()
            .map(|o| (o.label.as_str(), o.report.unfinished()))
            .collect();
        let invalidate = outcomes.iter().find(|o| o.label == "invalidate").unwrap();
        assert_eq!(invalidate.report.unfinished(), 1, "{labels:?}");
        assert_eq!(invalidate.report.stale_reads, 0);
        assert_eq!(
            why_unfinished(invalidate).unwrap(),
            "1 request (R) did not finish, so no figure counts it: the scenario's schedule ended \
             first (this configuration takes steps it does not name). Open it to choose who goes \
             next."
        );
        assert_eq!(COLUMNS[0].name, "unfinished");
        assert_eq!((COLUMNS[0].figure)(&invalidate.report), "1");
        let update = outcomes.iter().find(|o| o.label == "update").unwrap();
        assert_eq!(update.report.unfinished(), 0);
        assert_eq!(why_unfinished(update), None);
    }
}
