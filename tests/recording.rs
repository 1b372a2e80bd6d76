//! Moving through a run both ways: every position reached by seeking is
//! exactly the state a fresh run has after that many steps; a step back
//! costs at most one checkpoint interval; forks replay the past exactly.

mod support;

use cachescope::lessons::LESSONS;
use cachescope::sim::recording::{FIRST_INTERVAL, MAX_CHECKPOINTS, Recording};
use cachescope::sim::scenario::{FaultKind, ScheduleEntry};
use cachescope::sim::{Report, Scenario, Simulation};

fn scenario_of(lesson: &str) -> Scenario {
    Scenario::from_json(&support::lesson(lesson).to_string()).unwrap()
}

/// What a simulation looks like from outside: its report without trace.
fn state(sim: &Simulation) -> String {
    format!("{} {}", sim.now_ms(), Report::of(sim, false).to_json())
}

/// The state as far as a schedule can tell: in a schedule a request starts
/// when first named, while a timed run sends it at its `at_ms` (so an
/// unfinished request not yet named has no start in the fork).
fn named_state(sim: &Simulation) -> String {
    let mut report = serde_json::to_value(Report::of(sim, false)).unwrap();
    for request in report["requests"].as_array_mut().unwrap() {
        if request["outcome"] == "unfinished" && request["end_ms"].is_null() {
            request["start_ms"] = serde_json::Value::Null;
        }
    }
    format!("{} {report}", sim.now_ms())
}

fn fresh_after(scenario: &Scenario, steps: usize) -> Simulation {
    let mut sim = Simulation::new(scenario).unwrap();
    for _ in 0..steps {
        assert!(sim.step());
    }
    sim
}

#[test]
fn every_position_of_every_lesson_is_exactly_the_runs_state_there() {
    for lesson in LESSONS {
        let scenario = scenario_of(lesson.name);
        let mut recording = Recording::new(&scenario).unwrap();
        let len = recording.len();
        // Forward, then backward one step at a time, then jumps.
        let order: Vec<usize> = (0..=len)
            .chain((0..len).rev())
            .chain([len / 2, 0, len, len / 3])
            .collect();
        for step in order {
            recording.seek(step);
            let fresh = fresh_after(&scenario, step);
            assert_eq!(
                state(recording.current()),
                state(&fresh),
                "{} at {step}",
                lesson.name
            );
            assert_eq!(
                recording.trace(),
                fresh.trace(),
                "{} at {step}",
                lesson.name
            );
        }
    }
}

#[test]
fn a_step_back_costs_at_most_one_checkpoint_interval() {
    let scenario = scenario_of("stampede-lease");
    let mut recording = Recording::new(&scenario).unwrap();
    assert!(recording.len() > 2 * FIRST_INTERVAL, "{}", recording.len());
    recording.seek(recording.len());
    let mut before = recording.steps_applied();
    while recording.step_back() {
        let cost = recording.steps_applied() - before;
        assert!(
            cost < FIRST_INTERVAL as u64,
            "a step back applied {cost} steps"
        );
        before = recording.steps_applied();
    }
    assert_eq!(recording.cursor(), 0);
    assert!(!recording.step_back());
}

/// A run long enough to thin the checkpoints twice still seeks exactly,
/// and each seek applies at most one (doubled) interval of steps.
#[test]
fn long_runs_keep_a_bounded_number_of_checkpoints() {
    let json = serde_json::json!({
        "name": "long", "apps": 2, "keys": {"a": "1", "b": "2"},
        "strategy": {"ttl_ms": 50},
        "workload": {"duration_ms": 4000, "reads_per_s": 5000, "writes_per_s": 500}
    });
    let scenario = Scenario::from_json(&json.to_string()).unwrap();
    let mut recording = Recording::new(&scenario).unwrap();
    let len = recording.len();
    let thinned_interval = FIRST_INTERVAL * 4;
    assert!(len > MAX_CHECKPOINTS * thinned_interval, "{len} steps");
    for step in [len, 1, len / 2 + 7, len - 1, 12_345] {
        let before = recording.steps_applied();
        recording.seek(step);
        assert!(recording.steps_applied() - before <= 2 * len as u64 / MAX_CHECKPOINTS as u64);
        assert_eq!(
            state(recording.current()),
            state(&fresh_after(&scenario, step)),
            "at {step}"
        );
    }
}

/// Be the scheduler: building update-on-write's race by hand (W1 commits,
/// W2 commits and sets, then W1 sets its older value) leaves the cache
/// stale, as the lesson's own schedule does.
#[test]
fn forking_builds_the_update_on_write_race_by_hand() {
    let scenario = scenario_of("update-on-write-race");
    let mut recording = Recording::new(&scenario).unwrap();
    recording.seek(0);
    for name in ["W1", "W2", "W2", "W1", "R"] {
        recording = recording
            .fork(ScheduleEntry::Actor(name.to_string()))
            .unwrap();
    }
    assert_eq!(recording.cursor(), 5);
    let report = Report::of(recording.current(), false);
    assert_eq!(report.stale_reads, 1);
    assert!(report.divergence.iter().any(|w| w.to_ms.is_none()));
    // Naming an actor with nothing pending is refused with the position.
    let error = recording
        .fork(ScheduleEntry::Actor("W1".to_string()))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "schedule[5]: \"W1\" has nothing pending at this point"
    );
}

/// Whether the run so far holds a CDC publish the bus did not take.
fn original_has_cdc_retry(recording: &Recording) -> bool {
    recording
        .trace()
        .iter()
        .any(|e| e.result.contains("not acknowledged: published again"))
}

/// Forking in the middle of any lesson with the step the run took there
/// replays the past exactly: the prefix of a timed run, named step by
/// step, is a schedule that reproduces it.
#[test]
fn a_fork_replays_the_steps_before_it_exactly() {
    for lesson in LESSONS {
        let scenario = scenario_of(lesson.name);
        // A fault that lasts, or a workload, has no scheduled form.
        let spans_time = scenario.workload.is_some()
            || scenario.faults.iter().any(|f| {
                matches!(
                    f.kind,
                    FaultKind::ConsumerPause { .. }
                        | FaultKind::DbSlow { .. }
                        | FaultKind::AppPause { .. }
                )
            });
        let mut recording = Recording::new(&scenario).unwrap();
        let len = recording.len();
        for step in [0, len / 2, len.saturating_sub(1)] {
            recording.seek(step);
            let next = {
                let mut ahead = recording.clone();
                ahead.seek(step + 1);
                ahead.schedule_so_far().last().cloned()
            };
            let Some(next) = next else { continue };
            let fork = recording.fork(next);
            if spans_time {
                assert!(fork.is_err(), "{}", lesson.name);
                continue;
            }
            // The past of the CDC lesson from its first publish on holds a
            // publish the bus did not take, retried on the clock: no
            // schedule says that, and the fork is refused rather than
            // rewriting it.
            if lesson.name == "cdc-invalidation" && original_has_cdc_retry(&recording) {
                let refusal = fork.expect_err("a retried CDC publish has no scheduled form");
                assert_eq!(refusal.path, "schedule");
                continue;
            }
            let fork = fork.unwrap_or_else(|e| panic!("{} at {step}: {e}", lesson.name));
            assert_eq!(fork.len(), step + 1, "{}", lesson.name);
            let mut original = recording.clone();
            original.seek(step + 1);
            assert_eq!(fork.trace(), original.trace(), "{} at {step}", lesson.name);
            assert_eq!(
                named_state(fork.current()),
                named_state(original.current()),
                "{} at {step}",
                lesson.name
            );
        }
    }
}

/// The page's "Report JSON" is what `cachescope run` prints for the page's
/// "Scenario JSON", byte for byte: for every lesson, and for a fork.
#[test]
fn a_recordings_report_is_the_command_lines_for_its_scenario() {
    let run = |scenario: &Scenario| {
        let mut sim = Simulation::new(scenario).unwrap();
        sim.run();
        Report::of(&sim, true).to_json()
    };
    for lesson in LESSONS {
        let recording = Recording::new(&lesson.scenario()).unwrap();
        assert_eq!(
            recording.report().to_json(),
            run(recording.scenario()),
            "{}",
            lesson.name
        );
    }
    let mut recording = Recording::new(&scenario_of("write-behind-crash")).unwrap();
    recording.step_forward();
    let actor = recording.current().schedulable().pop().unwrap();
    let forked = recording.fork(ScheduleEntry::Actor(actor)).unwrap();
    assert_eq!(forked.report().to_json(), run(forked.scenario()));
}
