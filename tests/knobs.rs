//! The page's knobs, natively: each reads back what it set, a change is a
//! change to the run (same seed), and a bad value is refused with a message.

use cachescope::lessons;
use cachescope::model::knobs::{self, Control, KNOBS};
use cachescope::sim::Scenario;

mod support;

use support::report_without_trace as report;

fn workload_lesson() -> Scenario {
    let lesson = lessons::lesson("stampede").unwrap().scenario();
    let scenario = knobs::with_generated_workload(&lesson).unwrap();
    knobs::set(
        &scenario,
        knobs::knob("/strategy/ttl_jitter_ms").unwrap(),
        "40",
    )
    .unwrap()
}

#[test]
fn a_scripted_lesson_becomes_a_generated_workload_with_the_same_setup() {
    for lesson in lessons::LESSONS {
        let scripted = lesson.scenario();
        let generated = knobs::with_generated_workload(&scripted)
            .unwrap_or_else(|e| panic!("{}: {e}", lesson.name));
        assert!(generated.requests.is_empty() && generated.schedule.is_none());
        assert_eq!(generated.strategy, scripted.strategy, "{}", lesson.name);
        assert_eq!(generated.keys, scripted.keys);
        assert!(
            report(&generated).db.reads + report(&generated).cache.hits > 100,
            "{}",
            lesson.name
        );
    }
}

#[test]
fn every_knob_reads_back_its_value_unchanged_on_every_lesson() {
    for lesson in lessons::LESSONS {
        let scenario = lesson.scenario();
        for (knob, shown) in KNOBS.iter().zip(knobs::values(&scenario)) {
            if knob.group == knobs::Group::Workload && scenario.workload.is_none() {
                assert!(knobs::set(&scenario, knob, &shown).is_err());
                continue;
            }
            let again = knobs::set(&scenario, knob, &shown)
                .unwrap_or_else(|e| panic!("{} {}: {e}", lesson.name, knob.path));
            assert_eq!(again, scenario, "{} {}", lesson.name, knob.path);
        }
    }
}

#[test]
fn setting_a_knob_changes_exactly_that_setting() {
    let scenario = workload_lesson();
    let set =
        |path: &str, text: &str| knobs::set(&scenario, knobs::knob(path).unwrap(), text).unwrap();
    assert_eq!(set("/strategy/ttl_ms", "250").strategy.ttl_ms, 250);
    assert_eq!(
        set("/strategy/stampede", "lease").strategy.stampede,
        cachescope::sim::scenario::Stampede::Lease
    );
    assert_eq!(
        set("/bus/partition_lag_ms", "75").bus.partition_lag_ms,
        vec![75]
    );
    assert_eq!(
        set("/strategy/double_delete_ms", "")
            .strategy
            .double_delete_ms,
        None
    );
    assert_eq!(
        set("/strategy/double_delete_ms", "40")
            .strategy
            .double_delete_ms,
        Some(40)
    );
    assert_eq!(set("/workload/zipf_s", "1.2").workload.unwrap().zipf_s, 1.2);
    assert_eq!(set("/seed", "99").seed, 99);
    let more_keys = set(knobs::KEY_COUNT, "5");
    assert_eq!(more_keys.keys.len(), 5);
    let changed = set("/strategy/ttl_ms", "250");
    let mut expected = scenario.clone();
    expected.strategy.ttl_ms = 250;
    assert_eq!(changed, expected);
}

#[test]
fn a_changed_knob_changes_the_report_of_the_same_seed() {
    let scenario = workload_lesson();
    let before = report(&scenario);
    for (path, text) in [
        ("/strategy/ttl_ms", "30"),
        ("/strategy/stampede", "singleflight"),
        ("/latency_ms/db_read", "300"),
        ("/workload/reads_per_s", "50"),
        ("/seed", "2"),
    ] {
        let changed = knobs::set(&scenario, knobs::knob(path).unwrap(), text).unwrap();
        if path != "/seed" {
            assert_eq!(changed.seed, scenario.seed);
        }
        assert_ne!(report(&changed), before, "{path} = {text} changed nothing");
    }
    // Singleflight shares a DB read within one app instance only.
    let singleflight = knobs::set(
        &scenario,
        knobs::knob("/strategy/stampede").unwrap(),
        "singleflight",
    )
    .unwrap();
    let one_app = knobs::set(&singleflight, knobs::knob("/apps").unwrap(), "1").unwrap();
    assert!(report(&one_app).db.reads < report(&singleflight).db.reads);
}

#[test]
fn bad_values_are_refused_with_a_message() {
    let set = |scenario: &Scenario, path: &str, text: &str| {
        knobs::set(scenario, knobs::knob(path).unwrap(), text)
    };
    let scenario = workload_lesson();
    let refuse = |path: &str, text: &str| set(&scenario, path, text).unwrap_err();
    assert!(refuse("/strategy/ttl_ms", "abc").contains("whole number"));
    assert!(refuse("/strategy/ttl_ms", "-5").contains("whole number"));
    assert!(refuse("/strategy/ttl_ms", "0").contains("at least 1 ms"));
    assert!(refuse("/bus/loss", "1.5").contains("probability"));
    assert!(refuse("/bus/partitions", "0").contains("1 to 64"));
    assert!(refuse("/apps", "0").contains("app instances"));
    assert!(refuse("/strategy/write", "sideways").contains("expected one of"));
    assert!(refuse("/workload/zipf_s", "NaN").contains("number"));
    assert!(refuse(knobs::KEY_COUNT, "0").contains("1 to"));
    // Channel and write strategy must agree (the validator's own rule).
    let with_event = set(&scenario, "/strategy/channel", "event").unwrap();
    let err = set(&with_event, "/strategy/write", "write_behind").unwrap_err();
    assert!(err.contains("channel"), "{err}");
    let scripted = lessons::lesson("update-on-write-race").unwrap().scenario();
    let err = set(&scripted, "/workload/reads_per_s", "10").unwrap_err();
    assert!(err.contains("scripted"), "{err}");
}

#[test]
fn every_control_kind_is_used() {
    let has = |f: fn(&Control) -> bool| KNOBS.iter().any(|k| f(&k.control));
    assert!(has(|c| matches!(c, Control::Millis)));
    assert!(has(|c| matches!(c, Control::OptionalMillis)));
    assert!(has(|c| matches!(c, Control::Count)));
    assert!(has(|c| matches!(c, Control::OptionalCount)));
    assert!(has(|c| matches!(c, Control::Real)));
    assert!(has(|c| matches!(c, Control::Choice(_))));
    assert!(has(|c| matches!(c, Control::Toggle)));
    assert!(has(|c| matches!(c, Control::MillisList)));
}

#[test]
fn choice_names_are_the_scenario_files_own() {
    use cachescope::sim::scenario::{Channel, Stampede, WriteStrategy};
    let serde_name = |v: serde_json::Value| v.as_str().unwrap().to_string();
    for w in WriteStrategy::ALL {
        assert_eq!(w.name(), serde_name(serde_json::json!(w)));
    }
    for s in Stampede::ALL {
        assert_eq!(s.name(), serde_name(serde_json::json!(s)));
    }
    for c in Channel::ALL {
        assert_eq!(c.name(), serde_name(serde_json::json!(c)));
    }
}

#[test]
fn a_knob_a_scheduled_lesson_ignores_says_why_and_a_timed_run_uses_it() {
    let scenario = lessons::lesson("read-write-race").unwrap().scenario();
    assert!(scenario.schedule.is_some());
    let db_read = knobs::knob("/latency_ms/db_read").unwrap();
    assert_eq!(
        knobs::unused_because(db_read, &scenario),
        Some(knobs::Unused::ScheduledByHand)
    );
    assert!(
        knobs::Unused::ScheduledByHand
            .sentence()
            .contains("chosen by hand")
    );
    let timed = knobs::timed_copy(&scenario).expect("the lesson has a timed form");
    assert!(timed.schedule.is_none());
    assert_eq!(knobs::unused_because(db_read, &timed), None);
    // Timed, the same requests run: the race then depends on the latencies.
    assert_eq!(timed.requests, scenario.requests);
    // A knob no form of this configuration uses says only that.
    let flush = knobs::knob("/strategy/write_behind_ms").unwrap();
    assert_eq!(
        knobs::unused_because(flush, &scenario),
        Some(knobs::Unused::ByConfiguration)
    );
    // A timed scenario has no timed copy to offer.
    assert!(knobs::timed_copy(&timed).is_none());
}
