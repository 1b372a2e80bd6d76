//! The catalogue of variants (`sim::variants`): each entry is what the rest
//! of cachescope asks of its variant, so it must agree with the scenario
//! format and the page; and the variant added through it alone, the
//! jittered early recompute, behaves as docs/SCENARIO.md says.

mod support;

use cachescope::model::knobs::KNOBS;
use cachescope::sim::scenario::{Channel, Stampede, Strategy, WriteStrategy};
use serde_json::{Value, json};
use support::{lesson, ran_a_refresher, rejection, run, trace_lines};

/// The name serde gives `variant` in scenario files.
fn serde_name(variant: impl serde::Serialize) -> String {
    serde_json::to_value(variant)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_entry_is_named_as_scenario_files_name_its_variant() {
    for write in WriteStrategy::ALL {
        assert_eq!(write.name(), serde_name(write));
    }
    for channel in Channel::ALL {
        assert_eq!(channel.name(), serde_name(channel));
    }
    for stampede in Stampede::ALL {
        assert_eq!(stampede.name(), serde_name(stampede));
    }
}

#[test]
fn every_setting_an_entry_reads_is_a_strategy_field_with_a_knob() {
    let fields = serde_json::to_value(Strategy::default()).unwrap();
    let settings = WriteStrategy::ALL
        .iter()
        .flat_map(|w| w.entry().settings)
        .chain(Channel::ALL.iter().flat_map(|c| c.entry().settings))
        .chain(Stampede::ALL.iter().flat_map(|s| s.entry().settings));
    for setting in settings {
        assert!(
            fields.get(setting).is_some(),
            "{setting} is not a field of strategy"
        );
        let path = format!("/strategy/{setting}");
        assert!(
            KNOBS.iter().any(|k| k.path == path),
            "{setting} has no knob on the page"
        );
    }
}

#[test]
fn the_lesson_an_entry_names_shows_its_variant() {
    let strategy_of = |name: &str| {
        let lesson =
            cachescope::lessons::lesson(name).unwrap_or_else(|| panic!("{name} is not a lesson"));
        lesson.scenario().strategy
    };
    for write in WriteStrategy::ALL {
        assert_eq!(strategy_of(write.entry().lesson).write, write);
    }
    for channel in Channel::ALL {
        assert_eq!(strategy_of(channel.entry().lesson).channel, channel);
    }
    for stampede in Stampede::ALL {
        if let Some(lesson) = stampede.entry().lesson {
            assert_eq!(strategy_of(lesson).stampede, stampede);
        }
    }
}

#[test]
fn a_knob_is_dimmed_exactly_when_the_chosen_variants_do_not_read_it() {
    let mut scenario = lesson("stampede");
    scenario["strategy"]["stampede"] = json!("early_jitter");
    let scenario: cachescope::sim::Scenario = serde_json::from_value(scenario).unwrap();
    let used = |path: &str| {
        let knob = KNOBS.iter().find(|k| k.path == path).unwrap();
        (knob.used)(&scenario)
    };
    assert!(used("/strategy/early_ms"));
    assert!(!used("/strategy/xfetch_beta"));
    assert!(!used("/strategy/lock_ttl_ms"));
    assert!(!used("/strategy/swr_ms"));
}

/// The stampede lesson (a prewarmed hot key, TTL 300 ms, readers at 50,
/// 100, 150 and 170 ms, then a burst from 300 ms) with the jittered early
/// recompute over a window of `early_ms`.
fn early_jitter(early_ms: u64, seed: u64) -> Value {
    let mut scenario = lesson("stampede");
    scenario["seed"] = json!(seed);
    scenario["strategy"]["stampede"] = json!("early_jitter");
    scenario["strategy"]["early_ms"] = json!(early_ms);
    scenario
}

/// How many of the readers before expiry (E1-E4) recomputed early.
fn early_recomputes(report: &Value) -> usize {
    report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with('E') && r["source"] == "db")
        .count()
}

#[test]
fn with_no_window_it_never_recomputes_early() {
    for seed in 1..=10 {
        let report = run(&early_jitter(0, seed));
        assert_eq!(early_recomputes(&report), 0);
        // At expiry the burst is a plain stampede, as with no protection.
        let none = run(&{
            let mut s = lesson("stampede");
            s["seed"] = json!(seed);
            s
        });
        assert_eq!(report["db"]["reads"], none["db"]["reads"]);
    }
}

#[test]
fn a_reader_nearer_expiry_recomputes_early_more_often() {
    // Window 300 ms (the whole TTL): E1 at 50 ms has 250 ms left and
    // recomputes with chance 1/6; E4 at 170 ms (130 ms left) with 17/30,
    // unless an earlier reader's recompute moved the expiry.
    let (mut e1, mut e4) = (0, 0);
    for seed in 1..=200 {
        let report = run(&early_jitter(300, seed));
        let from_db = |id: &str| {
            report["requests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == id && r["source"] == "db")
        };
        e1 += usize::from(from_db("E1"));
        e4 += usize::from(from_db("E4"));
    }
    assert!((15..=55).contains(&e1), "E1 early in {e1} of 200");
    assert!(e4 > 2 * e1, "E4 early in {e4} of 200, E1 in {e1}");
}

#[test]
fn an_early_reader_recomputes_itself_and_nothing_coordinates_readers() {
    // Some seed makes two readers recompute early at once; each reads the
    // DB itself and answers with what it read.
    let report = (1..=50)
        .map(|seed| run(&early_jitter(300, seed)))
        .find(|r| {
            r["db"]["peak_concurrent_reads"].as_u64().unwrap() >= 2 && early_recomputes(r) >= 2
        })
        .expect("two early recomputes at once in 50 seeds");
    let lines = trace_lines(&report);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("cache.get hot hit v1@1 (expires at 300 ms; computed in 120 ms)"))
    );
    assert!(!ran_a_refresher(&report));
}

#[test]
fn the_early_window_is_a_setting_with_bounds() {
    let mut scenario = early_jitter(300, 1);
    scenario["strategy"]["early_ms"] = json!(86_400_001);
    assert!(rejection(&scenario).contains("strategy.early_ms"));
}

#[test]
fn the_draws_are_the_strategy_codes_and_move_no_other_stream() {
    // The early recompute draws from its own stream: the requests a
    // workload sends are the same with it as without, and the run differs
    // only in how reads were served.
    let workload = |stampede: &str| {
        json!({
            "seed": 5, "apps": 2, "keys": {"a": "1", "b": "1"}, "prewarm": true,
            "latency_ms": {"cache": 1, "db_read": 30, "jitter_ms": 2},
            "strategy": {"stampede": stampede, "ttl_ms": 100, "ttl_jitter_ms": 20, "early_ms": 50},
            "workload": {"duration_ms": 500, "reads_per_s": 400, "writes_per_s": 20}
        })
    };
    let starts = |report: &Value| {
        report["trace"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"].as_str().unwrap().starts_with(['r', 'w']))
            .map(|e| (e["actor"].to_string(), e["key"].to_string()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let jittered = run(&workload("early_jitter"));
    let plain = run(&workload("none"));
    assert_eq!(starts(&jittered), starts(&plain));
    // And some reader found the entry live and still read the DB.
    let early = |report: &Value| {
        let mut last_get = std::collections::BTreeMap::new();
        let mut early = 0;
        for e in report["trace"].as_array().unwrap() {
            let (actor, op, result) = (&e["actor"], &e["op"], e["result"].as_str().unwrap());
            if op == "cache.get" {
                last_get.insert(actor.to_string(), result.starts_with("hit"));
            } else if op == "db.read" && last_get.get(&actor.to_string()) == Some(&true) {
                early += 1;
            }
        }
        early
    };
    assert!(early(&jittered) > 0);
    assert_eq!(early(&plain), 0);
}

/// The values docs/SCENARIO.md's table under `heading` lists, in order.
fn documented_values(heading: &str) -> Vec<String> {
    let doc = include_str!("../docs/SCENARIO.md");
    let section = &doc[doc.find(heading).unwrap_or_else(|| panic!("no {heading}"))..];
    section
        .lines()
        .skip_while(|l| !l.starts_with("| value"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| l[3..].split('`').next().unwrap().to_string())
        .collect()
}

#[test]
fn every_variant_the_scenario_format_documents_is_in_the_catalogue() {
    // A case left out of `ALL` would have no place on the page; the docs'
    // tables are where a new one is written down.
    let names = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(documented_values("### How a write runs")),
        sorted(names(&WriteStrategy::NAMES))
    );
    assert_eq!(
        documented_values("### How invalidations travel"),
        names(&Channel::NAMES)
    );
    assert_eq!(
        documented_values("### What a miss does"),
        names(&Stampede::NAMES)
    );
    // And each is the variant at its place in `ALL`, whose entry it is.
    for (i, write) in WriteStrategy::ALL.into_iter().enumerate() {
        assert_eq!(write as usize, i);
    }
    for (i, channel) in Channel::ALL.into_iter().enumerate() {
        assert_eq!(channel as usize, i);
    }
    for (i, stampede) in Stampede::ALL.into_iter().enumerate() {
        assert_eq!(stampede as usize, i);
    }
}
