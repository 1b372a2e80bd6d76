//! The timeline's layout, a pure function of the report: lanes, spans,
//! marks, shaded windows and the DB concurrency band, derived by hand from
//! lessons whose timelines `tests/lessons.rs` pins.

mod support;

use cachescope::lessons::LESSONS;
use cachescope::model::timeline::{self, Lane, LaneKind, Level, Mark, MarkKind, Shade, Timeline};
use cachescope::sim::engine::DivergenceKind;
use cachescope::sim::trace::Actor;
use cachescope::sim::{Report, Scenario, Simulation};

use support::lesson_report as report_of;

fn lane_names(t: &Timeline) -> Vec<(&str, LaneKind)> {
    t.lanes
        .iter()
        .map(|Lane { name, kind }| (name.as_str(), *kind))
        .collect()
}

/// read-write-race: R misses (0-1), reads v1 (1-11); W commits (5-25) and
/// deletes (25-26); R sets v1 (11-26); R2 hits v1 (40-41), stale since v2
/// committed at 25 < 40. The cache is stale from 26 to the end (41).
#[test]
fn the_read_write_race_shows_r2_stale_and_the_cache_stale_from_26() {
    let t = timeline::layout(&report_of("read-write-race"));
    assert_eq!(
        lane_names(&t),
        [
            ("R", LaneKind::Request),
            ("W", LaneKind::Request),
            ("R2", LaneKind::Request),
            ("cache", LaneKind::Cache),
        ]
    );
    assert_eq!(t.cache_lane, 3);
    let spans: Vec<(usize, u64, u64, &str)> = t
        .spans
        .iter()
        .map(|s| (s.lane, s.start_ms, s.end_ms, s.op.as_str()))
        .collect();
    assert_eq!(
        spans,
        [
            (0, 0, 1, "cache.get"),
            (0, 1, 11, "db.read"),
            (1, 5, 25, "db.write"),
            (1, 25, 26, "cache.delete"),
            (0, 11, 26, "cache.set"),
            (2, 40, 41, "cache.get"),
        ]
    );
    assert_eq!(
        t.marks,
        [Mark {
            lane: 2,
            at_ms: 41,
            kind: MarkKind::StaleRead,
            step: Some(5),
            known_at: Some(5),
            label: "stale: R2 read v1@1".to_string(),
        }]
    );
    assert_eq!(
        t.windows,
        [Shade {
            key: "user:123".to_string(),
            kind: DivergenceKind::Stale,
            from_ms: 26,
            to_ms: 41,
            open: true,
            // R's set (entry 4), not W's delete (entry 3) at the same 26 ms.
            opened_by: Some(4),
        }]
    );
    assert_eq!(
        t.db_concurrency,
        [Level {
            from_ms: 1,
            to_ms: 11,
            reads: 1
        }]
    );
    assert_eq!(t.end_ms, 41);
}

/// write-behind-crash: W1 and W2 are acknowledged at 1 and 11 (dirty in
/// the cache), R reads W2's B from the cache at 21 (a phantom: B is never
/// committed), the crash at 500 loses both writes; the flusher later finds
/// nothing. Marks: each write's acknowledgement, R's phantom read, and the
/// crash with its count.
#[test]
fn a_crash_that_loses_writes_is_marked_at_the_crash_and_on_each_write() {
    let t = timeline::layout(&report_of("write-behind-crash"));
    assert_eq!(
        lane_names(&t),
        [
            ("W1", LaneKind::Request),
            ("W2", LaneKind::Request),
            ("R", LaneKind::Request),
            ("R2", LaneKind::Request),
            ("flusher", LaneKind::Background),
            ("cache", LaneKind::Cache),
            ("faults", LaneKind::Faults),
        ]
    );
    let marks: Vec<(usize, u64, MarkKind, &str)> = t
        .marks
        .iter()
        .map(|m| (m.lane, m.at_ms, m.kind, m.label.as_str()))
        .collect();
    assert_eq!(
        marks,
        [
            (0, 1, MarkKind::LostWrite, "W1: acknowledged, then lost"),
            (1, 11, MarkKind::LostWrite, "W2: acknowledged, then lost"),
            (
                2,
                21,
                MarkKind::PhantomRead,
                "phantom: R read B (never committed)"
            ),
            (
                6,
                500,
                MarkKind::LostWrite,
                "cache.crash: 2 acknowledged write(s) lost"
            ),
        ]
    );
    // Each is only known to be lost (or a phantom) once the crash, trace
    // entry 3, has happened: the page shows them from there on.
    assert!(
        t.marks.iter().all(|m| m.known_at == Some(3)),
        "{:?}",
        t.marks
    );
    assert_eq!(t.marks[0].step, Some(0));
    // The crash is drawn as an instant on the faults lane.
    let crash = &t.spans[3];
    assert_eq!((crash.lane, crash.start_ms, crash.end_ms), (6, 500, 500));
}

/// Every lesson: one span per trace entry on its actor's lane; the band's
/// peak is the report's peak DB concurrency; a stale mark per stale read;
/// levels are disjoint and in order.
#[test]
fn every_lessons_layout_agrees_with_its_report() {
    for lesson in LESSONS {
        let report = report_of(lesson.name);
        let t = timeline::layout(&report);
        let trace = report.trace.as_deref().unwrap();
        assert_eq!(t.spans.len(), trace.len(), "{}", lesson.name);
        for (span, event) in t.spans.iter().zip(trace) {
            let lane = &t.lanes[span.lane].name;
            let expected = match &event.actor {
                Actor::Fault => "faults".to_string(),
                // A workload's requests share a lane per kind.
                Actor::Generated { op, .. } => format!("{op:?}s").to_lowercase(),
                actor => actor.to_string(),
            };
            assert_eq!(*lane, expected, "{}", lesson.name);
        }
        let peak = t.db_concurrency.iter().map(|l| l.reads).max().unwrap_or(0);
        assert_eq!(
            u64::from(peak),
            report.db.peak_concurrent_reads,
            "{}",
            lesson.name
        );
        for pair in t.db_concurrency.windows(2) {
            assert!(pair[0].to_ms <= pair[1].from_ms, "{}", lesson.name);
        }
        for level in &t.db_concurrency {
            assert!(level.from_ms < level.to_ms && level.reads > 0);
        }
        let stale_marks = t
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::StaleRead)
            .count();
        // A mark per stale read of a scripted request (a workload's
        // requests are counted, not listed, so none is marked).
        let listed_stale = report
            .listed_requests()
            .iter()
            .filter(|r| r.stale == Some(true))
            .count();
        assert_eq!(stale_marks, listed_stale, "{}", lesson.name);
        assert_eq!(t.windows.len(), report.divergence.len());
    }
}

/// The stampede lesson: twelve readers miss at once after the expiry, so
/// twelve DB reads are in flight together: the band shows the burst.
#[test]
fn a_stampede_is_a_tall_band() {
    let report = report_of("stampede");
    let t = timeline::layout(&report);
    let peak = t.db_concurrency.iter().map(|l| l.reads).max().unwrap();
    assert_eq!(u64::from(peak), report.db.peak_concurrent_reads);
    assert!(peak >= 10, "peak {peak}");
    let lease = timeline::layout(&report_of("stampede-lease"));
    let lease_peak = lease.db_concurrency.iter().map(|l| l.reads).max().unwrap();
    assert_eq!(lease_peak, 1);
}

/// A workload's requests share one lane per kind (drawing a lane per
/// generated request would not scale); no per-request marks exist there.
#[test]
fn generated_requests_share_a_lane_per_kind() {
    let json = serde_json::json!({
        "name": "w", "keys": {"k": "v"},
        "workload": {"duration_ms": 1000, "reads_per_s": 50, "writes_per_s": 5}
    });
    let scenario = Scenario::from_json(&json.to_string()).unwrap();
    let mut sim = Simulation::new(&scenario).unwrap();
    sim.run();
    let report = Report::of(&sim, true);
    let t = timeline::layout(&report);
    let names = lane_names(&t);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&("reads", LaneKind::Generated)), "{names:?}");
    // In the report they are named by kind and number: r0, w3, ...
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let actors: Vec<&str> = json["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.iter().all(|a| {
            let (kind, number) = a.split_at(1);
            (kind == "r" || kind == "w") && number.parse::<u64>().is_ok()
        }),
        "{actors:?}"
    );
    assert!(
        names.contains(&("writes", LaneKind::Generated)),
        "{names:?}"
    );
    assert_eq!(names.last(), Some(&("cache", LaneKind::Cache)));
    assert!(t.marks.is_empty());
}

/// The page lays out the whole run once and shows, at each cursor position,
/// the marks known and the windows opened by then, cut at the cursor's time.
/// That is exactly what the report at the cursor says, at every position of
/// every lesson.
#[test]
fn the_whole_runs_layout_seen_at_any_cursor_matches_the_report_at_that_cursor() {
    use cachescope::sim::recording::Recording;
    for lesson in cachescope::lessons::LESSONS {
        let recording = Recording::new(&lesson.scenario()).unwrap();
        let whole = timeline::of_recording(&recording);
        let mut cursor = recording.clone();
        cursor.seek(0);
        loop {
            let sim = cursor.current();
            let mut report = cachescope::sim::Report::of(sim, false);
            report.trace = Some(cursor.trace().to_vec());
            let here = timeline::layout(&report);
            let entries = cursor.trace().len();
            let at = cursor.cursor();
            // Lanes are compared by name: the whole run has every lane from
            // the start (a background actor's lane before it first acts).
            let seen: Vec<_> = whole
                .marks_known(0..whole.marks.len(), entries)
                .map(|(_, m)| (&whole.lanes[m.lane].name, m.at_ms, m.kind))
                .collect();
            let expected: Vec<_> = here
                .marks
                .iter()
                .map(|m| (&here.lanes[m.lane].name, m.at_ms, m.kind))
                .collect();
            assert_eq!(seen, expected, "{} marks at step {at}", lesson.name);
            let seen: Vec<_> = whole
                .windows_at(0..whole.windows.len(), entries, sim.now_ms())
                .map(|(_, w)| (w.key, w.kind, w.from_ms, w.to_ms))
                .collect();
            let expected: Vec<_> = here
                .windows
                .iter()
                .map(|w| (w.key.clone(), w.kind, w.from_ms, w.to_ms.min(sim.now_ms())))
                .collect();
            assert_eq!(seen, expected, "{} windows at step {at}", lesson.name);
            if !cursor.step_forward() {
                break;
            }
        }
    }
}

/// Only a cache crash loses acknowledged writes: with an app crash between
/// the writes and the cache crash, the lost writes and the phantom read are
/// known from the cache crash (entry 4), not from the app crash (entry 3).
#[test]
fn losses_are_known_from_the_cache_crash_not_an_earlier_app_crash() {
    let mut scenario = support::lesson("write-behind-crash");
    scenario["faults"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "at_ms": 300, "kind": "app_crash", "app": 0 }));
    let scenario = Scenario::from_json(&scenario.to_string()).unwrap();
    let recording = cachescope::sim::recording::Recording::new(&scenario).unwrap();
    let t = timeline::of_recording(&recording);
    let ops: Vec<&str> = recording
        .full_trace()
        .iter()
        .map(|e| e.op.as_str())
        .collect();
    assert_eq!(&ops[3..5], ["app.crash", "cache.crash"]);
    let losses: Vec<_> = t
        .marks
        .iter()
        .filter(|m| matches!(m.kind, MarkKind::LostWrite | MarkKind::PhantomRead))
        .collect();
    assert_eq!(losses.len(), 4, "{losses:?}");
    assert!(losses.iter().all(|m| m.known_at == Some(4)), "{losses:?}");
}

#[test]
fn a_small_frame_groups_neighbouring_readers_and_keeps_every_span_and_mark() {
    let whole = timeline::layout(&report_of("stampede-lease"));
    assert!(whole.lanes.len() > 7, "{}", whole.lanes.len());
    let grouped = whole.with_lanes_at_most(7);
    assert!(grouped.lanes.len() <= 7, "{:?}", lane_names(&grouped));
    // The readers share lanes named after their first and last; the cache
    // keeps its own, as does every lane that is not a request's.
    assert!(
        grouped
            .lanes
            .iter()
            .any(|l| l.name.contains('…') && l.kind == LaneKind::Request),
        "{:?}",
        lane_names(&grouped)
    );
    assert_eq!(grouped.lanes[grouped.cache_lane].name, "cache");
    let others = |t: &Timeline| -> Vec<String> {
        t.lanes
            .iter()
            .filter(|l| l.kind != LaneKind::Request)
            .map(|l| l.name.clone())
            .collect()
    };
    assert_eq!(others(&grouped), others(&whole));
    // Nothing is lost: each span and mark on the lane of its group.
    assert_eq!(grouped.spans.len(), whole.spans.len());
    assert_eq!(grouped.marks.len(), whole.marks.len());
    let index = |name: &str| whole.lanes.iter().position(|l| l.name == name).unwrap();
    for (span, was) in grouped.spans.iter().zip(&whole.spans) {
        let name = &grouped.lanes[span.lane].name;
        let (first, last) = name.split_once('…').unwrap_or((name, name));
        assert!(
            (index(first)..=index(last)).contains(&was.lane),
            "{} drawn on {name}",
            whole.lanes[was.lane].name
        );
    }
    // A timeline that fits is left as it is.
    let small = timeline::layout(&report_of("read-write-race"));
    assert_eq!(small.with_lanes_at_most(7), small);
}

#[test]
fn every_part_that_names_an_actor_has_that_actors_lane_to_show() {
    use cachescope::model::narration::Focus;
    for lesson in LESSONS {
        let t = timeline::layout(&report_of(lesson.name));
        for beat in lesson.narration {
            if let Some(Focus::Lane(actor)) = beat.when.focus() {
                assert!(
                    t.lanes.iter().any(|l| l.name == actor),
                    "{}: no lane for {actor} ({:?})",
                    lesson.name,
                    lane_names(&t)
                );
            }
        }
    }
}
