//! Anomalies explain themselves: the operations behind a stale window or
//! a stale read, in order, in one sentence, derived by hand from lessons
//! whose timelines `tests/lessons.rs` pins.

mod support;

use cachescope::lessons::LESSONS;
use cachescope::model::explain::{self, Explanation};
use cachescope::sim::Report;
use cachescope::sim::engine::DivergenceKind;
use cachescope::sim::report::Requests;
use cachescope::sim::trace::OpName;

use support::lesson_report as report_of;

fn window_explanation(report: &Report, index: usize) -> Option<Explanation> {
    let w = &report.divergence[index];
    explain::stale_window(report.trace.as_deref().unwrap(), &w.key, w.from_ms, w.to_ms)
}

fn read_explanation(report: &Report, id: &str) -> Option<Explanation> {
    let Requests::Listed(requests) = &report.requests else {
        panic!("scripted")
    };
    let request = requests.iter().find(|r| r.id == id).unwrap();
    explain::stale_read(report.trace.as_deref().unwrap(), request)
}

/// read-write-race (trace: 0 R get, 1 R db.read v1 at 11, 2 W commits v2 at
/// 25, 3 W deletes at 26, 4 R sets v1 at 26, 5 R2 hits v1 at 41).
#[test]
fn the_read_write_race_explains_itself() {
    let report = report_of("read-write-race");
    assert_eq!(
        window_explanation(&report, 0),
        Some(Explanation {
            steps: vec![1, 2, 3, 4],
            sentence: "R read v1 at 11 ms; W committed v2 at 25 ms and deleted at 26 ms; R set v1 \
                       at 26 ms, so the cache is stale until the entry expires"
                .to_string(),
        })
    );
    assert_eq!(
        read_explanation(&report, "R2"),
        Some(Explanation {
            steps: vec![2, 5],
            sentence: "R2 started at 40 ms, after W committed v2 at 25 ms, and got v1 from the \
                       cache at 41 ms"
                .to_string(),
        })
    );
    assert_eq!(read_explanation(&report, "R"), None);
}

/// update-on-write-race (schedule W1 W2 W2 W1 R): W1 commits v2 at 20, W2
/// commits v3 at 20 (its natural completion; the clock is already there),
/// W2 sets v3 at 21, W1 sets v2 at 21: the older value lands last.
#[test]
fn the_update_on_write_race_explains_itself() {
    let report = report_of("update-on-write-race");
    let trace = report.trace.as_deref().unwrap();
    let lines: Vec<String> = trace
        .iter()
        .map(|e| format!("{} {} {} {}", e.end_ms, e.actor, e.op, e.result))
        .collect();
    let stale = report
        .divergence
        .iter()
        .position(|w| w.kind == DivergenceKind::Stale)
        .unwrap_or_else(|| panic!("{lines:?}"));
    let explanation = window_explanation(&report, stale).unwrap();
    assert_eq!(explanation.steps, [0, 1, 3], "{lines:?}");
    assert!(
        explanation
            .sentence
            .starts_with("W1 committed v2 at 20 ms; W2 committed v3 at 20 ms; W1 set v2 at"),
        "{}",
        explanation.sentence
    );
}

/// ttl-only (prewarmed v1, TTL 1000 ms): W commits v2 at 120 (step 0) and
/// nobody touches the cache: stale until the copy expires at 1000.
/// invalidate-on-write: W commits v2 at 20 (step 1), deletes at 21 (step 2).
#[test]
fn a_commit_that_leaves_the_old_copy_explains_itself() {
    let report = report_of("ttl-only");
    assert_eq!(
        window_explanation(&report, 0),
        Some(Explanation {
            steps: vec![0],
            sentence: "the cache held the prewarmed v1; W committed v2 at 120 ms and the cached \
                       copy stayed, so the cache is stale until it expired at 1000 ms"
                .to_string(),
        })
    );
    let report = report_of("invalidate-on-write");
    assert_eq!(
        window_explanation(&report, 0),
        Some(Explanation {
            steps: vec![1, 2],
            sentence: "the cache held the prewarmed v1; W committed v2 at 20 ms and the cached \
                       copy stayed, so the cache is stale until W deleted it at 21 ms"
                .to_string(),
        })
    );
}

/// Every stale window and every stale read of every lesson has an
/// explanation whose steps are in order and name operations on its key.
#[test]
fn every_stale_window_and_read_of_every_lesson_is_explained() {
    for lesson in LESSONS {
        let report = report_of(lesson.name);
        let trace = report.trace.as_deref().unwrap();
        for (index, window) in report.divergence.iter().enumerate() {
            if window.kind != DivergenceKind::Stale {
                continue;
            }
            let explanation = window_explanation(&report, index)
                .unwrap_or_else(|| panic!("{}: window {index} unexplained", lesson.name));
            assert!(explanation.steps.is_sorted(), "{}", lesson.name);
            for &step in &explanation.steps {
                assert_eq!(trace[step].key.as_deref(), Some(window.key.as_str()));
                assert!(trace[step].end_ms <= window.from_ms.max(window.to_ms.unwrap_or(0)));
            }
        }
        let Requests::Listed(requests) = &report.requests else {
            continue;
        };
        for request in requests.iter().filter(|r| r.stale == Some(true)) {
            let explanation = explain::stale_read(trace, request)
                .unwrap_or_else(|| panic!("{}: {} unexplained", lesson.name, request.id));
            assert!(explanation.steps.is_sorted(), "{}", lesson.name);
            assert!(explanation.sentence.starts_with(&request.id));
        }
    }
}

/// cache-then-db (trace: 0 W1 caches A at 1, 1 W2 caches B at 1, 2 R0 gets
/// B at 6, 3 W2 commits B as @2 at 21, 4 W1 commits A as @3 at 21, 5 R).
#[test]
fn an_ahead_window_names_the_write_that_led_and_what_ended_it() {
    let report = report_of("cache-then-db");
    let trace = report.trace.as_deref().unwrap();
    let w = &report.divergence[0];
    assert_eq!(w.kind, DivergenceKind::Ahead);
    assert_eq!(
        explain::ahead_window(trace, &w.key, w.from_ms, w.to_ms),
        Some(Explanation {
            steps: vec![1, 3],
            sentence: "W2 cached its value at 1 ms before committing it, so the cache was ahead \
                       of the database until W2 committed v2 at 21 ms"
                .to_string(),
        })
    );
}

/// write-behind-crash (trace: 0 W1 dirty A at 1, 1 W2 dirty B at 11, 2 R
/// gets B at 21, 3 the cache crashes at 500, ...).
#[test]
fn a_phantom_read_and_the_lost_writes_explain_themselves() {
    let report = report_of("write-behind-crash");
    let trace = report.trace.as_deref().unwrap();
    let Requests::Listed(requests) = &report.requests else {
        panic!("scripted")
    };
    let read = requests.iter().find(|r| r.id == "R").unwrap();
    assert_eq!(
        explain::phantom_read(trace, read),
        Some(Explanation {
            steps: vec![1, 2, 3],
            sentence: "W2 cached its value at 11 ms before the flusher wrote it to the database; \
                       R read it from the cache at 21 ms; cache.crash at 500 ms lost it, so R \
                       read a value the database never had"
                .to_string(),
        })
    );
    let lost = Explanation {
        steps: vec![0, 1, 3],
        sentence: "W1 at 1 ms and W2 at 11 ms acknowledged once the cache held the value (dirty, \
                   not yet flushed); cache.crash at 500 ms came before the flush, so all are lost"
            .to_string(),
    };
    // From the crash, and from either lost write's answer.
    assert_eq!(explain::lost_writes(trace, 3), Some(lost.clone()));
    assert_eq!(explain::lost_writes(trace, 0), Some(lost));
    // The ahead window the dirty values opened ends at the crash.
    let w = &report.divergence[0];
    let ahead = explain::ahead_window(trace, &w.key, w.from_ms, w.to_ms).unwrap();
    assert!(
        ahead
            .sentence
            .ends_with("until the cache crashed at 500 ms"),
        "{}",
        ahead.sentence
    );
}

/// Every ahead window, phantom read and lost write of every lesson has an
/// explanation.
#[test]
fn every_other_anomaly_of_every_lesson_is_explained() {
    let mut explained = 0;
    for lesson in LESSONS {
        let report = report_of(lesson.name);
        let trace = report.trace.as_deref().unwrap();
        for w in report
            .divergence
            .iter()
            .filter(|w| w.kind == DivergenceKind::Ahead)
        {
            assert!(
                explain::ahead_window(trace, &w.key, w.from_ms, w.to_ms).is_some(),
                "{}",
                lesson.name
            );
            explained += 1;
        }
        let Requests::Listed(requests) = &report.requests else {
            continue;
        };
        for request in requests {
            if request.phantom == Some(true) {
                assert!(
                    explain::phantom_read(trace, request).is_some(),
                    "{}",
                    lesson.name
                );
                explained += 1;
            }
        }
        if report.lost_writes > 0 {
            let crash = trace
                .iter()
                .position(|e| e.op == OpName::CacheCrash)
                .unwrap();
            assert!(
                explain::lost_writes(trace, crash).is_some(),
                "{}",
                lesson.name
            );
            explained += 1;
        }
    }
    assert!(explained >= 4, "{explained}");
}
