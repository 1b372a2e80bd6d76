//! Runs without the trace, in slices (the page's large workloads and
//! comparisons), and the charts drawn from them, against the report of
//! the same scenario run at once.

use cachescope::lessons;
use cachescope::model::charts::{self, Metric};
use cachescope::model::compare::{self, Batch};
use cachescope::model::knobs;
use cachescope::sim::{Scenario, Simulation};

mod support;

use support::report_without_trace as report;

fn workload() -> Scenario {
    let lesson = lessons::lesson("write-behind-crash").unwrap().scenario();
    knobs::with_generated_workload(&lesson).unwrap()
}

#[test]
fn a_batch_run_in_slices_reports_what_one_run_at_once_does() {
    let scenario = workload();
    let mut batch = Batch::new("x", &scenario).unwrap();
    let mut slices = 0;
    while !batch.advance(20) {
        slices += 1;
        assert!(batch.fraction() < 1.0);
    }
    assert!(slices > 10);
    assert_eq!(batch.fraction(), 1.0);
    let outcome = batch.outcome();
    assert_eq!(outcome.report, report(&scenario));
    let mut sim = Simulation::new(&scenario).unwrap().without_trace();
    sim.run();
    assert_eq!(outcome.operations, sim.counters().effects);
}

#[test]
fn comparing_write_strategies_runs_each_valid_one_on_the_same_seed() {
    let scenario = workload();
    let variants = compare::write_strategies(&scenario);
    let labels: Vec<&str> = variants.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "invalidate",
            "update",
            "delete_first",
            "ttl_only",
            "write_through",
            "cache_then_db",
            "write_behind"
        ]
    );
    let outcomes: Vec<_> = variants
        .iter()
        .map(|(label, s)| Batch::new(label.clone(), s).unwrap().run())
        .collect();
    for (outcome, (_, s)) in outcomes.iter().zip(&variants) {
        assert_eq!(s.seed, scenario.seed);
        assert_eq!(outcome.report, report(s), "{}", outcome.label);
    }
    // The trade-off the seed lists: only write-behind loses writes here.
    let lost: Vec<u64> = outcomes.iter().map(|o| o.report.lost_writes).collect();
    assert_eq!(lost[..6], [0, 0, 0, 0, 0, 0]);
    assert!(lost[6] > 0, "{lost:?}");
    // A bus channel keeps invalidate and update only on the bus.
    let on_bus = knobs::set(
        &scenario,
        knobs::knob("/strategy/write").unwrap(),
        "invalidate",
    )
    .and_then(|s| knobs::set(&s, knobs::knob("/strategy/channel").unwrap(), "cdc"))
    .unwrap();
    let variants = compare::write_strategies(&on_bus);
    assert_eq!(variants.len(), 7);
    assert!(variants.iter().all(|(l, s)| (s.strategy.channel
        == cachescope::sim::scenario::Channel::Cdc)
        == (l == "invalidate" || l == "update")));
}

#[test]
fn comparing_stampede_protections_cuts_db_reads_of_the_stampede_lesson() {
    let scenario = lessons::lesson("stampede").unwrap().scenario();
    let outcomes: Vec<_> = compare::stampede_protections(&scenario)
        .into_iter()
        .map(|(label, s)| Batch::new(label, &s).unwrap().run())
        .collect();
    let reads: Vec<(String, u64)> = outcomes
        .iter()
        .map(|o| (o.label.clone(), o.report.db.reads))
        .collect();
    assert_eq!(reads[0], ("none".to_string(), 12));
    assert_eq!(reads[3], ("lease".to_string(), 1));
    let chart = charts::overlay(
        Metric::DbReads,
        &outcomes
            .iter()
            .map(|o| (o.label.as_str(), &o.series))
            .collect::<Vec<_>>(),
    );
    assert_eq!(chart.lines.len(), outcomes.len());
    for (line, o) in chart.lines.iter().zip(&outcomes) {
        let sum: f64 = line.points.iter().map(|p| p.1).sum();
        assert_eq!(sum, o.report.db.reads as f64, "{}", o.label);
    }
}

#[test]
fn charts_and_density_match_the_report() {
    let mut scenario = workload();
    scenario.strategy.ttl_ms = 200;
    let outcome = Batch::new("x", &scenario).unwrap().run();
    let r = &outcome.report;
    let width = outcome.series.width_ms();
    let chart = |m| charts::chart(m, &outcome.series, width);
    assert_eq!(chart(Metric::DbReads).sum(), r.db.reads as f64);
    assert_eq!(
        chart(Metric::DbConcurrency).max(),
        r.db.peak_concurrent_reads as f64
    );
    let last = |m| chart(m).lines[0].points.last().unwrap().1;
    assert_eq!(last(Metric::StaleReads), r.stale_reads as f64);
    assert_eq!(last(Metric::LostWrites), r.lost_writes as f64);
    assert!(r.lost_writes > 0);
    assert_eq!(chart(Metric::Latency).lines.len(), 4);
    let ratio = chart(Metric::HitRatio);
    assert!(
        ratio.lines[0]
            .points
            .iter()
            .all(|p| (0.0..=1.0).contains(&p.1))
    );
    let density = charts::density(&outcome.series, &outcome.windows, r.end_ms);
    let lane = |name: &str| {
        density
            .lanes
            .iter()
            .find(|l| l.name == name)
            .unwrap()
            .values
            .iter()
            .sum::<f64>()
    };
    assert_eq!(lane("DB reads"), r.db.reads as f64);
    assert_eq!(lane("lost writes"), r.lost_writes as f64);
    assert!((lane("keys stale") * density.width_ms as f64 - r.stale_ms as f64).abs() < 1e-6);
    // All the charts at once are each chart made alone.
    let alone: Vec<_> = Metric::ALL
        .into_iter()
        .map(|m| charts::chart(m, &outcome.series, width * 4))
        .collect();
    assert_eq!(charts::every_chart(&outcome.series, width * 4), alone);
    // Re-binned to a coarser axis, the sums stay.
    assert_eq!(
        charts::chart(Metric::DbReads, &outcome.series, width * 4).sum(),
        r.db.reads as f64
    );
    let hover = chart(Metric::DbReads).describe_at(0);
    assert!(
        hover.starts_with(&format!("0-{width} ms: DB reads ")),
        "{hover}"
    );
}

#[test]
fn a_variant_that_does_not_fit_a_scripted_schedule_runs_timed_and_says_so() {
    let scenario = lessons::lesson("read-write-race").unwrap().scenario();
    assert!(scenario.schedule.is_some());
    let variants = compare::write_strategies(&scenario);
    assert_eq!(variants.len(), 7);
    for (label, s) in &variants {
        let timed = label.ends_with(compare::TIMED);
        assert_eq!(timed, s.schedule.is_none(), "{label}");
        Batch::new(label.clone(), s).unwrap().run();
    }
    // The lesson's own strategy follows its schedule: the race happens.
    assert_eq!(variants[0].0, "invalidate");
    assert!(
        Batch::new("x", &variants[0].1)
            .unwrap()
            .run()
            .report
            .stale_ms
            > 0
    );
    assert!(variants.iter().any(|(l, _)| l.ends_with(compare::TIMED)));
}

#[test]
fn a_long_runs_density_strip_has_coarser_columns_that_keep_the_sums() {
    // Misses read a lagging replica: keys go stale.
    let lesson = lessons::lesson("replica-lag").unwrap().scenario();
    let mut scenario = knobs::with_generated_workload(&lesson).unwrap();
    let generated = scenario.workload.as_mut().unwrap();
    generated.duration_ms = 10_000;
    generated.reads_per_s = 300.0;
    generated.writes_per_s = 30.0;
    let outcome = Batch::new("x", &scenario).unwrap().run();
    let r = &outcome.report;
    let density = charts::density(&outcome.series, &outcome.windows, r.end_ms);
    // The series keeps more buckets than the strip has columns.
    assert!(density.width_ms > outcome.series.width_ms());
    let columns = density.lanes[0].values.len() as u64;
    assert!(columns <= 256, "{columns}");
    let series_end = outcome.series.buckets().len() as u64 * outcome.series.width_ms();
    assert!(columns * density.width_ms >= series_end);
    let lane = |name: &str| {
        let lane = density.lanes.iter().find(|l| l.name == name).unwrap();
        assert_eq!(lane.values.len() as u64, columns, "{name}");
        lane.values.iter().sum::<f64>()
    };
    assert_eq!(lane("DB reads"), r.db.reads as f64);
    assert_eq!(lane("stale reads"), r.stale_reads as f64);
    assert!(r.stale_ms > 0);
    assert!((lane("keys stale") * density.width_ms as f64 - r.stale_ms as f64).abs() < 1e-6);
}
