//! The engine's metrics over time (the page's charts) agree with the report
//! of the same run: every bucket added up gives the report's totals, with
//! the trace recorded or not.

use cachescope::sim::series::Series;
use cachescope::sim::workload::Histogram;
use cachescope::sim::{Report, Scenario, Simulation};

fn assert_series_matches_report(scenario: &Scenario, with_trace: bool) -> Report {
    let mut sim = Simulation::new(scenario).unwrap();
    if !with_trace {
        sim = sim.without_trace();
    }
    sim.run();
    let report = Report::of(&sim, false);
    let series = sim.series();
    let total = series.total();
    let name = &scenario.name;
    assert_eq!(total.db_reads, report.db.reads, "{name}: DB reads");
    // A read counts where it starts too; one that never took effect (still
    // in flight at the end, or dropped by its instance's crash) only there.
    let app_crash = scenario.faults.iter().any(|f| {
        matches!(
            f.kind,
            cachescope::sim::scenario::FaultKind::AppCrash { .. }
        )
    });
    if report.unfinished() == 0 && !app_crash {
        assert_eq!(
            total.db_reads_started, report.db.reads,
            "{name}: DB reads started"
        );
    } else {
        assert!(
            total.db_reads_started >= report.db.reads,
            "{name}: DB reads started"
        );
    }
    assert_eq!(total.db_writes, report.db.writes, "{name}: DB writes");
    assert_eq!(total.hits, report.cache.hits, "{name}: hits");
    assert_eq!(total.misses, report.cache.misses, "{name}: misses");
    assert_eq!(total.stale_reads, report.stale_reads, "{name}: stale reads");
    assert_eq!(total.lost_writes, report.lost_writes, "{name}: lost writes");
    assert_eq!(
        total.peak_db_reads, report.db.peak_concurrent_reads,
        "{name}: peak DB concurrency"
    );
    let percentiles = |h: &Histogram| (h.percentile(50), h.percentile(99));
    assert_eq!(
        percentiles(&total.read_latency),
        (report.latency_ms.read_p50, report.latency_ms.read_p99),
        "{name}: read latency"
    );
    assert_eq!(
        percentiles(&total.write_latency),
        (report.latency_ms.write_p50, report.latency_ms.write_p99),
        "{name}: write latency"
    );
    assert_eq!(
        series.width_ms(),
        Series::width_for(report.end_ms),
        "{name}: width"
    );
    assert!(series.buckets().len() <= cachescope::sim::series::MAX_BUCKETS);
    report
}

#[test]
fn every_lessons_series_adds_up_to_its_report() {
    for lesson in cachescope::lessons::LESSONS {
        let scenario = lesson.scenario();
        assert_series_matches_report(&scenario, true);
        assert_series_matches_report(&scenario, false);
    }
}

#[test]
fn a_large_workloads_series_adds_up_without_the_trace() {
    let scenario = Scenario::from_json(
        r#"{"name": "big", "seed": 3, "apps": 4, "keys": {"a": "1", "b": "2", "c": "3"},
            "latency_ms": {"db_read": 40, "jitter_ms": 5},
            "strategy": {"write": "write_behind", "write_behind_ms": 200, "ttl_ms": 300, "ttl_jitter_ms": 50},
            "workload": {"duration_ms": 5000, "reads_per_s": 4000, "writes_per_s": 200, "zipf_s": 1.1},
            "faults": [{"at_ms": 2500, "kind": "cache_crash"}]}"#,
    )
    .unwrap();
    let report = assert_series_matches_report(&scenario, false);
    // Not a vacuous match: the run has every kind of figure.
    assert!(report.lost_writes > 0 && report.db.reads > 0, "{report:?}");
    assert!(report.latency_ms.read_p99 > report.latency_ms.read_p50);
}
