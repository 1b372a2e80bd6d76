//! The report's consistency figures (docs/SCENARIO.md, "Definitions the
//! report uses") on lessons whose values follow by hand from their traces,
//! and the charts that show them: DB reads counted where they start, the
//! distribution of the time until a commit is visible, the words a screen
//! reader gets.

use cachescope::model::charts::{self, Metric};
use cachescope::sim::consistency::ConsistencyReport;
use cachescope::sim::{Report, Simulation};

fn run(lesson: &str) -> (Simulation, Report) {
    let scenario = cachescope::lessons::lesson(lesson).unwrap().scenario();
    let mut sim = Simulation::new(&scenario).unwrap();
    sim.run();
    let report = Report::of(&sim, false);
    (sim, report)
}

fn consistency(lesson: &str) -> ConsistencyReport {
    run(lesson).1.consistency
}

#[test]
fn invalidate_on_write_is_visible_when_its_delete_lands() {
    // W commits v2 at 20 ms and deletes the entry at 21 ms; R1 (a hit on
    // v1 at 5 ms, before the commit) and R2 (v2 from the DB) are fresh.
    let c = consistency("invalidate-on-write");
    assert_eq!((c.reads, c.fresh_reads, c.all_fresh), (2, 2, true));
    // Two reads can show no whole nine, and the figure says it is a bound.
    assert_eq!(c.nines, Some(0));
    assert_eq!(c.nines_text(), "all 2 reads fresh: at least 0 nines");
    assert_eq!((c.writes, c.visible_writes, c.never_visible), (1, 1, 0));
    assert_eq!(
        (c.visible_p50_ms, c.visible_p99_ms, c.visible_max_ms),
        (Some(1), Some(1), Some(1))
    );
}

#[test]
fn a_slow_readers_stale_set_keeps_the_commit_from_ever_being_visible() {
    // The delete lands, then the slow reader sets v1 after it: the commit
    // was briefly uncontradicted, but the cache serves v1 again until the
    // end. First convergence would say "1 ms" and teach the seed's error.
    let c = consistency("read-write-race");
    assert_eq!((c.reads, c.fresh_reads), (2, 1));
    assert_eq!(c.nines, Some(0));
    assert_eq!(c.nines_text(), "0 nines: 50% of 2 reads fresh");
    assert_eq!((c.writes, c.never_visible), (1, 1));
    assert_eq!(c.visible_p50_ms, None);
    assert_eq!(c.visible_text(), "none visible; 1 never");
}

#[test]
fn the_second_delete_and_the_ttl_decide_when_a_commit_is_visible() {
    // Delayed double delete: commit at 25 ms, R's v1 set at 26 ms, the
    // second delete at 76 ms.
    let c = consistency("delayed-double-delete");
    assert_eq!((c.visible_max_ms, c.never_visible), (Some(51), 0));
    // TTL only: commit at 120 ms, the v1 entry expires at 1000 ms.
    let c = consistency("ttl-only");
    assert_eq!((c.visible_p50_ms, c.visible_max_ms), (Some(880), Some(880)));
    assert_eq!((c.reads, c.fresh_reads), (2, 1));
}

#[test]
fn nines_are_whole_and_computed_from_counts() {
    // 808 reads, 3 stale: 3 × 100 ≤ 808 < 3 × 1000, so 2 nines (99.6%).
    let (_, report) = run("lease-hot-key");
    let c = &report.consistency;
    assert_eq!((c.reads, c.reads - c.fresh_reads), (808, 3));
    assert_eq!(report.stale_reads + report.phantom_reads, 3);
    assert_eq!(c.nines, Some(2));
    assert_eq!(c.nines_text(), "2 nines: 99.6% of 808 reads fresh");
    // Every commit is counted once, visible or never.
    assert_eq!(c.writes, report.db.writes);
    assert_eq!(c.visible_writes + c.never_visible, c.writes);
}

#[test]
fn the_json_report_carries_the_figures() {
    let (_, report) = run("ttl-only");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let c = &json["consistency"];
    assert_eq!(c["reads"], 2);
    assert_eq!(c["fresh_reads"], 1);
    assert_eq!(c["nines"], 0);
    assert_eq!(c["all_fresh"], false);
    assert_eq!(c["visible_p99_ms"], 880);
    assert_eq!(c["never_visible"], 0);
}

#[test]
fn the_stampede_chart_shows_its_twelve_reads_starting_together() {
    // Twelve readers arrive 1 ms apart from 300 ms and all miss: counted
    // where they start, they are one bar of 12 (counted where they finish,
    // 120 ms later, they were spread thin).
    let (sim, report) = run("stampede");
    let width = charts::bucket_width(report.end_ms);
    let chart = charts::chart(Metric::DbReads, sim.series(), width);
    assert_eq!(width, 20);
    assert_eq!(chart.max(), 12.0);
    assert_eq!(
        chart.description(),
        "DB reads started per 20 ms: peak 12 at 300-320 ms, 12 in all"
    );
    let in_flight = charts::chart(Metric::DbConcurrency, sim.series(), width);
    assert_eq!(in_flight.max(), report.db.peak_concurrent_reads as f64);
    // No gaps: a level for every bucket from the start.
    assert_eq!(
        in_flight.lines[0].points.len() as u64,
        in_flight.lines[0].points.last().unwrap().0 / width + 1
    );
    let (header, rows) = chart.table();
    assert_eq!(header, ["time", "DB reads started"]);
    assert!(rows.contains(&vec!["300-320 ms".to_string(), "12".to_string()]));
}

#[test]
fn the_visibility_chart_counts_every_visible_commit() {
    let (_, report) = run("lease-hot-key");
    let chart = charts::visibility(&report.consistency);
    assert_eq!(chart.sum(), report.consistency.visible_writes as f64);
    assert!(
        chart
            .description()
            .starts_with("Writes by time until visible")
    );
    let (_, ttl) = run("ttl-only");
    let chart = charts::visibility(&ttl.consistency);
    assert_eq!(
        chart.description(),
        "Writes by time until visible (per 50 ms): most writes (1) visible after 850-900 ms"
    );
}

#[test]
fn the_figures_at_any_step_are_the_reports_at_that_step() {
    // The page asks `consistency_of` at every step; it must be the
    // report's figure there.
    for lesson in cachescope::lessons::LESSONS {
        let mut sim = Simulation::new(&lesson.scenario()).unwrap();
        loop {
            assert_eq!(
                cachescope::sim::report::consistency_of(&sim),
                Report::of(&sim, false).consistency,
                "{} at {} ms",
                lesson.name,
                sim.now_ms()
            );
            if !sim.step() {
                break;
            }
        }
    }
}
