//! `cachescope conformance`: the lessons on the real servers, in two modes.
//!
//! - **replay**: the lesson's own run (its schedule, or in a timed lesson the
//!   model's order of effects), every operation performed for real.
//! - **interleavings**: every schedule `cachescope explore` enumerates for
//!   the lesson (or, past a limit, every k-th of them in the explorer's
//!   order), each replayed for real; the anomaly counts of the real runs
//!   are compared with the explorer's.
//!
//! A run agrees when no reply, answer or final state differed and it shows
//! the same anomalies as the model's run.
//!
//! Beside them, timed runs with real threads ([`timed`]) and live runs
//! ([`live`]): the servers decide, their records give the verdicts, and the
//! model's replay of the recorded order must explain each run.

use serde::Serialize;

use super::timed::{self, TimedRow};
use super::{Backend, Difference, cannot_check};
use super::{live, live_check};
use crate::lessons::Lesson;
use crate::lessons::reproduced::{LessonCheck, LiveCheck, Reproduced};
use crate::sim::Scenario;
use crate::sim::explore::{self, Anomaly, Limits};
use crate::sim::sample::Share;

/// Which check a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The lesson's own run.
    Replay,
    /// The explorer's schedules.
    Interleavings,
}

/// Model and real counts of one anomaly over a row's runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub model: u64,
    pub real: u64,
}

/// The first run of a row that disagreed.
#[derive(Clone, Debug, Serialize)]
pub struct FirstDisagreement {
    /// Its schedule (empty for a timed lesson's replay).
    pub schedule: Vec<String>,
    pub model_anomalies: Vec<&'static str>,
    pub real_anomalies: Vec<&'static str>,
    /// What differed (the first few).
    pub differences: Vec<Difference>,
}

/// One line of the table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub lesson: String,
    pub mode: Mode,
    /// Runs made.
    pub runs: u64,
    pub agree: u64,
    pub disagree: u64,
    /// How many schedules the explorer counts (interleavings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedules: Option<u128>,
    /// Whether the runs are a sample of the schedules.
    pub sampled: bool,
    pub stale: Counts,
    pub divergent_at_end: Counts,
    pub lost_writes: Counts,
    /// Why nothing was run, if nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_disagreement: Option<FirstDisagreement>,
}

impl Row {
    fn new(lesson: &str, mode: Mode) -> Row {
        Row {
            lesson: lesson.to_string(),
            mode,
            runs: 0,
            agree: 0,
            disagree: 0,
            schedules: None,
            sampled: false,
            stale: Counts::default(),
            divergent_at_end: Counts::default(),
            lost_writes: Counts::default(),
            skipped: None,
            first_disagreement: None,
        }
    }

    fn counts_mut(&mut self, anomaly: Anomaly) -> &mut Counts {
        match anomaly {
            Anomaly::Stale => &mut self.stale,
            Anomaly::DivergentAtEnd => &mut self.divergent_at_end,
            Anomaly::LostWrite => &mut self.lost_writes,
        }
    }

    /// Runs `scenario` for real and counts it in.
    fn run(&mut self, backend: &mut Backend, scenario: &Scenario) -> Result<(), String> {
        let run = backend.run(scenario, false)?;
        self.runs += 1;
        for anomaly in &run.model_anomalies {
            self.counts_mut(*anomaly).model += 1;
        }
        for anomaly in &run.real_anomalies {
            self.counts_mut(*anomaly).real += 1;
        }
        if run.differences.is_empty() && run.real_anomalies == run.model_anomalies {
            self.agree += 1;
            return Ok(());
        }
        self.disagree += 1;
        if self.first_disagreement.is_none() {
            let names = |list: &[Anomaly]| list.iter().map(|a| a.name()).collect();
            self.first_disagreement = Some(FirstDisagreement {
                schedule: schedule_names(scenario),
                model_anomalies: names(&run.model_anomalies),
                real_anomalies: names(&run.real_anomalies),
                differences: run.differences.into_iter().take(5).collect(),
            });
        }
        Ok(())
    }
}

/// A schedule as the scenario file writes it (`"W1"`, a fault as JSON).
fn schedule_names(scenario: &Scenario) -> Vec<String> {
    scenario
        .schedule
        .iter()
        .flatten()
        .map(|entry| match serde_json::to_value(entry) {
            Ok(serde_json::Value::String(name)) => name,
            Ok(other) => other.to_string(),
            Err(_) => format!("{entry:?}"),
        })
        .collect()
}

/// How far `conformance` goes.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Replay the lessons' own runs.
    pub replay: bool,
    /// Replay the explorer's schedules of lessons with at most this many
    /// schedules (0: none).
    pub interleavings_up_to: u128,
    /// Past this many schedules, a lesson's interleavings are a sample of
    /// this size (every k-th in the explorer's order).
    pub sample: u128,
    /// Timed runs with real threads per lesson that allows them (0: none).
    pub timed_runs: u32,
    /// Real milliseconds per model millisecond in timed and live runs.
    pub scale: u32,
    /// Live runs per lesson that allows them (0: none).
    pub live_runs: u32,
    /// Live runs of random scenarios (0: none).
    pub live_random: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            replay: true,
            interleavings_up_to: u128::MAX,
            sample: 20_000,
            timed_runs: 5,
            scale: 10,
            live_runs: 5,
            live_random: 20,
        }
    }
}

/// The lesson's own run, replayed for real.
pub fn replay(backend: &mut Backend, lesson: &Lesson) -> Result<Row, String> {
    let mut row = Row::new(lesson.name, Mode::Replay);
    let scenario = lesson.scenario();
    if let Some(reason) = cannot_check(&scenario, backend.logical_decoding()) {
        row.skipped = Some(reason);
        return Ok(row);
    }
    row.run(backend, &scenario)?;
    Ok(row)
}

/// The explorer's schedules of the lesson, replayed for real; `None` when
/// the lesson cannot be explored (a timed workload) or has more schedules
/// than `options` takes on.
pub fn interleavings(
    backend: &mut Backend,
    lesson: &Lesson,
    options: &Options,
    progress: &mut dyn FnMut(&Row),
) -> Result<Option<Row>, String> {
    let scenario = lesson.scenario();
    let Ok(exploration) = explore::explore(&scenario, Limits::default(), &mut |_| {}) else {
        return Ok(None);
    };
    let total = exploration.schedules();
    if total > options.interleavings_up_to {
        return Ok(None);
    }
    let mut row = Row::new(lesson.name, Mode::Interleavings);
    row.schedules = Some(total);
    if let Some(reason) = cannot_check(&scenario, backend.logical_decoding()) {
        row.skipped = Some(reason);
        return Ok(Some(row));
    }
    let stride = total.div_ceil(options.sample.max(1)).max(1);
    row.sampled = stride > 1;
    for (index, schedule) in exploration.schedules_with(None).enumerate() {
        if !(index as u128).is_multiple_of(stride) {
            continue;
        }
        row.run(backend, &exploration.scenario_with(schedule))?;
        progress(&row);
    }
    if !row.sampled {
        // Every schedule was run: the model's counts are the explorer's.
        for anomaly in Anomaly::ALL {
            let counted = exploration.count(anomaly);
            let model = u128::from(row.counts_mut(anomaly).model);
            if counted != model {
                return Err(format!(
                    "{}: the explorer counts {counted} schedules with {}, its runs {model}",
                    lesson.name,
                    anomaly.name()
                ));
            }
        }
    }
    Ok(Some(row))
}

/// Every lesson, in both modes as `options` say.
pub fn run_all(
    backend: &mut Backend,
    lessons: &[Lesson],
    options: &Options,
    progress: &mut dyn FnMut(&Row),
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for lesson in lessons {
        if options.replay {
            let row = replay(backend, lesson)?;
            progress(&row);
            rows.push(row);
        }
        if options.interleavings_up_to > 0
            && let Some(row) = interleavings(backend, lesson, options, progress)?
        {
            rows.push(row);
        }
    }
    backend.release()?;
    Ok(rows)
}

/// The table `conformance` prints.
pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<24} {:<13} {:>7} {:>7} {:>8}  {:>13} {:>13} {:>11}  {}\n",
        "lesson",
        "mode",
        "runs",
        "agree",
        "disagree",
        "stale m/r",
        "divergent m/r",
        "lost m/r",
        "note"
    );
    let pair = |c: Counts| format!("{}/{}", c.model, c.real);
    for row in rows {
        let note = match (&row.skipped, row.schedules) {
            (Some(reason), _) => format!("not checked: {reason}"),
            (None, Some(total)) if row.sampled => format!("a sample of {total} schedules"),
            (None, Some(total)) => format!("all {total} schedules"),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "{:<24} {:<13} {:>7} {:>7} {:>8}  {:>13} {:>13} {:>11}  {}\n",
            row.lesson,
            match row.mode {
                Mode::Replay => "replay",
                Mode::Interleavings => "interleavings",
            },
            row.runs,
            row.agree,
            row.disagree,
            pair(row.stale),
            pair(row.divergent_at_end),
            pair(row.lost_writes),
            note
        ));
    }
    for row in rows {
        if let Some(first) = &row.first_disagreement {
            out.push_str(&format!(
                "\nfirst disagreement, {} {:?}: schedule {:?}; anomalies model {:?}, real {:?}\n",
                row.lesson, row.mode, first.schedule, first.model_anomalies, first.real_anomalies
            ));
            for d in &first.differences {
                out.push_str(&format!(
                    "  {} ms {} {} {}: model {}, real {}\n",
                    d.at_ms,
                    d.actor,
                    d.op,
                    d.key.as_deref().unwrap_or("-"),
                    d.model,
                    d.real
                ));
            }
        }
    }
    out
}

/// What the page says of each lesson (`src/lessons/reproduced.json`),
/// from a conformance run's rows on servers described as `servers`.
pub fn reproduced(servers: String, rows: &[Row], live_rows: &[LiveRow]) -> Reproduced {
    let mut lessons = std::collections::BTreeMap::<String, LessonCheck>::new();
    for row in rows {
        let check = lessons.entry(row.lesson.clone()).or_insert_with(|| {
            let supplied = crate::lessons::lesson(&row.lesson)
                .map(|lesson| super::model_supplies(&lesson.scenario()))
                .unwrap_or_default();
            let short = |item: &super::Supplied| item.short.to_string();
            LessonCheck {
                model_supplied: supplied.iter().map(short).collect(),
                point_is_the_models: supplied
                    .iter()
                    .filter(|item| item.decides_the_point)
                    .map(short)
                    .collect(),
                ..LessonCheck::default()
            }
        });
        if let Some(reason) = &row.skipped {
            check.not_checked = Some(reason.clone());
            // Nothing ran: there is nothing the model supplied to.
            check.model_supplied.clear();
            check.point_is_the_models.clear();
            continue;
        }
        match row.mode {
            Mode::Replay => check.run_agrees = Some(row.disagree == 0),
            Mode::Interleavings => {
                check.orders = Some(row.runs);
                check.orders_agree = Some(row.agree);
            }
        }
    }
    for (name, check) in &mut lessons {
        let Some(lesson) = crate::lessons::lesson(name) else {
            continue;
        };
        check.not_live = live::cannot_run_live(&lesson.scenario()).map(str::to_string);
        check.live = live_rows
            .iter()
            .find(|r| &r.lesson == name)
            .map(|row| LiveCheck {
                runs: row.runs,
                consumers: live::consumer_threads(&lesson.scenario()),
                explained: row.explained,
                ties: row.ties,
                reads: row.reads,
                stale_reads: row.stale.count as u64,
                model_reads: row.model_reads,
                model_stale_reads: row.model_stale,
            });
    }
    Reproduced { servers, lessons }
}

/// Timed runs with real threads of every lesson that allows them.
pub fn timed_all(
    backend: &Backend,
    lessons: &[Lesson],
    options: &Options,
    progress: &mut dyn FnMut(&TimedRow),
) -> Result<Vec<TimedRow>, String> {
    let mut rows = Vec::new();
    if options.timed_runs == 0 {
        return Ok(rows);
    }
    for lesson in lessons {
        let scenario = lesson.scenario();
        if timed::cannot_run_timed(&scenario).is_some() {
            continue;
        }
        let row = timed::compare(
            &backend.redis_url,
            &backend.postgres_url,
            lesson.name,
            &scenario,
            options.timed_runs,
            options.scale,
        )?;
        progress(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The timed runs' table: per lesson, how many runs agreed in full, how
/// many reads' staleness agreed, and the DB reads and peak concurrency of
/// the model against the real runs' range.
pub fn timed_table(rows: &[TimedRow], scale: u32) -> String {
    let mut out = format!(
        "timed, with real threads (latencies x{scale}):\n{:<24} {:>5} {:>11} {:>12} {:>10} {:>13} {:>11}  {}\n",
        "lesson",
        "runs",
        "runs agree",
        "reads agree",
        "stale m/r",
        "db reads m/r",
        "peak m/r",
        "note"
    );
    let range = |(low, high): (u64, u64)| {
        if low == high {
            low.to_string()
        } else {
            format!("{low}-{high}")
        }
    };
    for row in rows {
        let percent = if row.reads == 0 {
            100.0
        } else {
            row.reads_agree as f64 * 100.0 / row.reads as f64
        };
        let note = if row.ties {
            "operations at one instant: the model orders them, real threads either way"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:<24} {:>5} {:>11} {:>12} {:>10} {:>13} {:>11}  {note}\n",
            row.lesson,
            row.runs,
            row.runs_agree,
            format!("{}/{} ({percent:.0}%)", row.reads_agree, row.reads),
            format!(
                "{}/{}",
                row.model_stale * u64::from(row.runs),
                row.real_stale
            ),
            format!("{}/{}", row.model_db_reads, range(row.real_db_reads)),
            format!("{}/{}", row.model_peak, range(row.real_peak)),
        ));
    }
    out
}

/// Live runs of one lesson: the servers' verdicts, and whether the model's
/// replay of each run's recorded order explained it.
#[derive(Clone, Debug, Serialize)]
pub struct LiveRow {
    pub lesson: String,
    pub runs: u32,
    /// Runs whose replay gave every reply and anomaly the servers gave.
    pub explained: u32,
    /// Runs whose first difference is a cache operation Redis ran within a
    /// model millisecond of its key's entry or lock expiring (see
    /// [`live_check::Replay`]).
    pub ties: u32,
    /// Reads over all runs, and the stale ones by the servers' record,
    /// with its share's 95% interval.
    pub reads: u64,
    pub stale: Share,
    /// The model's timed runs of the same scenarios: their reads and stale
    /// reads.
    pub model_reads: u64,
    pub model_stale: u64,
    /// The first run the model did not explain: where its replay first
    /// differed, or the anomalies that did.
    pub first_unexplained: Option<String>,
}

/// A random small scripted scenario a live run can take (seeded): one or
/// two keys, two to six requests within 60 ms, a write strategy that needs
/// no background actor but the bus's consumers, no protection or a lock, a
/// short TTL so entries expire during the run, sometimes prewarmed,
/// sometimes a delayed second delete, and for half the invalidating or
/// updating writes an app-published event on a bus of one or two
/// partitions (keyed or round-robin, each with its own lag, a commit
/// interval), whose consumers crash once in half of them; in a third of
/// all, two app instances, the first pausing once.
pub fn random_live_scenario(seed: u64) -> Scenario {
    let mut random = crate::sim::rng::SimRng::new(seed);
    let mut pick = |n: u64| random.up_to(n - 1);
    let writes = [
        "invalidate",
        "update",
        "delete_first",
        "ttl_only",
        "cache_then_db",
    ];
    let write = writes[pick(writes.len() as u64) as usize];
    let keys = 1 + pick(2);
    let requests: Vec<serde_json::Value> = (0..2 + pick(5))
        .map(|i| {
            let is_write = pick(3) == 0;
            let mut request = serde_json::json!({
                "id": format!("Q{i}"),
                "op": if is_write { "write" } else { "read" },
                "key": format!("k{}", pick(keys)),
                "at_ms": pick(61),
            });
            if is_write {
                request["value"] = serde_json::json!(format!("w{i}"));
            }
            request
        })
        .collect();
    let double_delete =
        (matches!(write, "invalidate" | "delete_first") && pick(3) == 0).then(|| 10 + pick(40));
    let mut scenario = serde_json::json!({
        "name": format!("random live scenario {seed}"),
        "seed": seed,
        "keys": (0..keys).map(|k| (format!("k{k}"), serde_json::json!("v0")))
            .collect::<serde_json::Map<_, _>>(),
        "prewarm": pick(2) == 0,
        "latency_ms": { "cache": 1, "db_read": 5 + pick(30), "db_write": 5 + pick(30) },
        "strategy": {
            "write": write,
            "stampede": if pick(3) == 0 { "lock" } else { "none" },
            "ttl_ms": 20 + pick(180),
            "lock_ttl_ms": 20 + pick(100),
            "retry_ms": 5 + pick(10),
            "double_delete_ms": double_delete,
        },
        "requests": requests,
    });
    if matches!(write, "invalidate" | "update") && pick(2) == 0 {
        let partitions = 1 + pick(2);
        scenario["strategy"]["channel"] = serde_json::json!("event");
        scenario["latency_ms"]["publish"] = serde_json::json!(1);
        scenario["bus"] = serde_json::json!({
            "delay_ms": 5 + pick(40),
            "partitions": partitions,
            "keyed": pick(2) == 0,
            "partition_lag_ms": (0..partitions).map(|_| pick(30)).collect::<Vec<_>>(),
            "commit_interval_ms": pick(60),
        });
        if pick(2) == 0 {
            let crash = serde_json::json!(
                { "at_ms": 20 + pick(100), "kind": "consumer_crash", "partition": null }
            );
            scenario["faults"] = serde_json::json!([crash]);
        }
    }
    if pick(3) == 0 {
        // Two instances, the requests taking turns; the first pauses.
        let from = pick(40);
        let pause = serde_json::json!(
            { "kind": "app_pause", "app": 0, "from_ms": from, "to_ms": from + 20 + pick(80) }
        );
        scenario["apps"] = serde_json::json!(2);
        match scenario["faults"].as_array_mut() {
            Some(faults) => faults.push(pause),
            None => scenario["faults"] = serde_json::json!([pause]),
        }
    }
    Scenario::from_json(&scenario.to_string()).expect("generated scenarios are valid")
}

/// Live runs of `count` random scenarios (seeds `seed..seed + count`), as
/// one row.
pub fn live_random(
    backend: &Backend,
    count: u32,
    seed: u64,
    scale: u32,
) -> Result<LiveRow, String> {
    let scenarios: Vec<Scenario> = (0..u64::from(count))
        .map(|i| random_live_scenario(seed + i))
        .collect();
    live_row(backend, "random scenarios", &scenarios, scale)
}

/// Live runs of every lesson that allows them, `live_runs` each, then of
/// `live_random` random scenarios (seeds from 1).
pub fn live_all(
    backend: &Backend,
    lessons: &[Lesson],
    options: &Options,
    progress: &mut dyn FnMut(&LiveRow),
) -> Result<Vec<LiveRow>, String> {
    let mut rows = Vec::new();
    let lessons = if options.live_runs > 0 { lessons } else { &[] };
    for lesson in lessons {
        let scenario = lesson.scenario();
        if live::cannot_run_live(&scenario).is_some() {
            continue;
        }
        let runs = vec![scenario; options.live_runs as usize];
        let row = live_row(backend, lesson.name, &runs, options.scale)?;
        progress(&row);
        rows.push(row);
    }
    if options.live_random > 0 {
        let row = live_random(backend, options.live_random, 1, options.scale)?;
        progress(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// One live run of each of `scenarios`, as one row named `name`.
fn live_row(
    backend: &Backend,
    name: &str,
    scenarios: &[Scenario],
    scale: u32,
) -> Result<LiveRow, String> {
    let (mut reads, mut stale, mut explained, mut ties) = (0u64, 0usize, 0u32, 0u32);
    let (mut model_reads, mut model_stale) = (0u64, 0u64);
    let mut first_unexplained = None;
    for scenario in scenarios {
        let model = timed::TimedRun::of_model(scenario)?;
        model_reads += model.stale.iter().flatten().count() as u64;
        model_stale += model.stale.iter().flatten().filter(|s| **s).count() as u64;
        let run = live::run(&backend.redis_url, &backend.postgres_url, scenario, scale)?;
        let verdicts = live_check::judge(&run);
        let replay = live_check::replay(&run)?;
        reads += run.requests.iter().filter(|r| r.read.is_some()).count() as u64;
        stale += verdicts.stale_reads.len();
        if replay.agrees_with(&verdicts) {
            explained += 1;
        } else if replay.tie_at_expiry {
            ties += 1;
        } else if first_unexplained.is_none() {
            let what = match &replay.first_difference {
                Some(d) => format!(
                    "{} {} at {} ms: model {}, servers {}",
                    d.actor, d.op, d.at_ms, d.model, d.real
                ),
                None => format!(
                    "anomalies: model {} stale reads, {} windows; servers {} stale reads, {} windows",
                    replay.stale_reads,
                    replay.windows.len(),
                    verdicts.stale_reads.len(),
                    verdicts.windows.len()
                ),
            };
            first_unexplained = Some(format!("{}: {what}", scenario.name));
        }
    }
    let runs = scenarios.len() as u32;
    Ok(LiveRow {
        lesson: name.to_string(),
        runs,
        explained,
        ties,
        reads,
        stale: Share::of(stale, reads as usize, 1.96),
        model_reads,
        model_stale,
        first_unexplained,
    })
}

/// The live runs' table.
pub fn live_table(rows: &[LiveRow], scale: u32) -> String {
    let mut out = format!(
        "live, the servers deciding (latencies x{scale}):\n{:<24} {:>5} {:>10} {:>5} {:>26} {:>12}  {}\n",
        "lesson",
        "runs",
        "explained",
        "ties",
        "stale reads (95%)",
        "model timed",
        "first unexplained"
    );
    for row in rows {
        out.push_str(&format!(
            "{:<24} {:>5} {:>10} {:>5} {:>26} {:>12}  {}\n",
            row.lesson,
            row.runs,
            row.explained,
            row.ties,
            format!(
                "{}/{} ({:.0}-{:.0}%)",
                row.stale.count,
                row.reads,
                row.stale.low * 100.0,
                row.stale.high * 100.0
            ),
            format!("{}/{}", row.model_stale, row.model_reads),
            row.first_unexplained.as_deref().unwrap_or(""),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Channel;

    #[test]
    fn random_live_scenarios_can_all_run_live_and_a_share_of_them_carry_events_on_the_bus_and_crash_its_consumers()
     {
        let scenarios: Vec<Scenario> = (1..=60).map(random_live_scenario).collect();
        for scenario in &scenarios {
            assert_eq!(live::cannot_run_live(scenario), None, "{}", scenario.name);
        }
        let on_the_bus = |partitions: u32| {
            scenarios
                .iter()
                .filter(|s| s.strategy.channel == Channel::Event && s.bus.partitions == partitions)
                .count()
        };
        let (one, two) = (on_the_bus(1), on_the_bus(2));
        assert!(one >= 2 && two >= 2 && one + two >= 8, "{one} {two}");
        let with = |kind: &str| {
            let named = |s: &&Scenario| s.faults.iter().any(|f| f.kind.entry().name == kind);
            scenarios.iter().filter(named).count()
        };
        let (crashing, pausing) = (with("consumer_crash"), with("app_pause"));
        assert!(crashing >= 3 && pausing >= 10, "{crashing} {pausing}");
    }
}
