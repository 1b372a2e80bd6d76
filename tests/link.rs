//! Links and scenario files from strangers: the URL decoder and the scenario
//! parser fuzzed with arbitrary bytes and with mutations of valid inputs
//! (proptest). Nothing panics; every rejection is a message.
#![cfg(not(target_arch = "wasm32"))]

use cachescope::lessons::LESSONS;
use cachescope::model::link::{self, LinkState};
use cachescope::sim::Scenario;
use cachescope::sim::recording::Recording;
use cachescope::sim::scenario::ScheduleEntry;
use proptest::prelude::*;

/// A state as the page would write it: a lesson, perhaps its scenario
/// edited, a fork, a cursor and view settings.
fn states() -> impl Strategy<Value = LinkState> {
    (
        0..LESSONS.len(),
        any::<bool>(),
        prop::option::of(prop::collection::vec(
            prop::sample::select(vec!["A", "B", "W", "flusher"]),
            0..6,
        )),
        0usize..500,
        prop::option::of(0u64..100_000),
        prop::option::of(-8i32..8),
        prop::option::of(prop::sample::select(vec!["time", "steps"])),
        prop::option::of((
            prop::sample::select(vec!["window", "read", "lost", "op"]),
            0usize..50,
        )),
    )
        .prop_map(
            |(lesson, edited, schedule, step, time_ms, speed, axis, selected)| {
                let lesson = &LESSONS[lesson];
                LinkState {
                    lesson: lesson.name.to_string(),
                    scenario: edited
                        .then(|| serde_json::from_str(&lesson.scenario().to_json()).unwrap()),
                    schedule: schedule.map(|actors| {
                        actors
                            .into_iter()
                            .map(|a| ScheduleEntry::Actor(a.to_string()))
                            .collect()
                    }),
                    step,
                    time_ms,
                    speed,
                    axis: axis.map(str::to_string),
                    selected: selected.map(|(kind, index)| format!("{kind}:{index}")),
                    notice: None,
                    // A challenge only where its lesson is the link's.
                    challenge: cachescope::lessons::challenges::CHALLENGES
                        .iter()
                        .find(|c| c.lesson == lesson.name && step % 2 == 0)
                        .map(|c| c.name.to_string()),
                }
            },
        )
}

/// One edit of a text: cut it short, drop, replace or insert a character,
/// or swap two halves.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Remove(usize),
    Replace(usize, char),
    Insert(usize, char),
    Swap(usize),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let at = 0usize..100_000;
    let c = prop::sample::select(vec![
        'A', 'z', '0', '-', '_', '.', '=', '#', '%', ' ', '"', '{', '}', '[', ']', ',', ':', '9',
        'e', '\u{e9}', '\0',
    ]);
    prop::collection::vec(
        prop_oneof![
            at.clone().prop_map(Mutation::Truncate),
            at.clone().prop_map(Mutation::Remove),
            (at.clone(), c.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
            (at.clone(), c).prop_map(|(i, c)| Mutation::Insert(i, c)),
            at.prop_map(Mutation::Swap),
        ],
        1..4,
    )
}

/// `text` with `mutations` applied (positions taken modulo its length, on
/// character boundaries).
fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for mutation in mutations {
        let n = chars.len().max(1);
        match *mutation {
            Mutation::Truncate(i) => chars.truncate(i % n),
            Mutation::Remove(i) if !chars.is_empty() => {
                chars.remove(i % n);
            }
            Mutation::Replace(i, c) if !chars.is_empty() => chars[i % n] = c,
            Mutation::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Mutation::Swap(i) => {
                let mid = (i % n).min(chars.len());
                chars.rotate_left(mid);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// What the page does with a link: decode it, check its scenario, and run
/// it if it is small. Must not panic; a rejection must say something.
fn open(text: &str) {
    match link::decode(text) {
        Ok(state) => match state.parsed_scenario() {
            Ok(Some(scenario)) => run_if_small(&scenario),
            Ok(None) => {}
            Err(message) => assert!(!message.is_empty()),
        },
        Err(message) => assert!(message.len() > 10, "a terse rejection: {message:?}"),
    }
}

/// Runs a scenario that is cheap to run (a mutation can make a workload
/// of millions of requests, which is the command line's business).
fn run_if_small(scenario: &Scenario) {
    let small = match &scenario.workload {
        Some(w) => (w.reads_per_s + w.writes_per_s) * w.duration_ms as f64 / 1000.0 <= 500.0,
        None => scenario.requests.len() <= 200,
    };
    if small {
        // A refusal (an impossible schedule, say) is an answer; a panic is not.
        let _ = Recording::new(scenario);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_state_round_trips(state in states()) {
        let text = link::encode(&state);
        prop_assert!(text.starts_with("v2."));
        prop_assert!(text[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(link::decode(&text).unwrap(), state.clone());
        prop_assert_eq!(link::decode(&format!("#{text}")).unwrap(), state);
    }

    #[test]
    fn arbitrary_text_is_refused_with_a_message(text in ".{0,300}") {
        open(&text);
        open(&format!("v1.{text}"));
        open(&format!("v2.{text}"));
    }

    #[test]
    fn arbitrary_link_characters_are_refused_with_a_message(
        text in "[A-Za-z0-9_-]{0,400}",
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        // Valid characters of garbage: past the alphabet to the inflater;
        // packed garbage: past the inflater to the JSON parser.
        open(&format!("v1.{text}"));
        open(&link::pack(&bytes));
    }

    #[test]
    fn mutated_links_never_panic(state in states(), edits in mutations()) {
        open(&mutate(&link::encode(&state), &edits));
    }

    #[test]
    fn mutated_link_contents_never_panic(state in states(), edits in mutations()) {
        // Mutate the JSON inside, then pack it as a valid link: the
        // state's own parser and the scenario's validator are reached.
        let json = mutate(&serde_json::to_string(&state).unwrap(), &edits);
        open(&link::pack(json.as_bytes()));
    }

    #[test]
    fn mutated_scenarios_never_panic(lesson in 0..LESSONS.len(), edits in mutations()) {
        let text = mutate(LESSONS[lesson].scenario_json, &edits);
        match Scenario::from_json(&text) {
            Ok(scenario) => run_if_small(&scenario),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn arbitrary_scenario_text_never_panics(text in ".{0,200}") {
        if let Err(error) = Scenario::from_json(&text) {
            prop_assert!(error.to_string().len() > 3);
        }
    }
}

/// Numbers changed to extremes in every numeric field of every lesson: the
/// validator answers each one, and what it accepts runs (if small).
#[test]
fn extreme_numbers_in_every_field_are_answered() {
    fn numbers(value: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match value {
            serde_json::Value::Number(_) => out.push(path.clone()),
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    path.push(key.clone());
                    numbers(v, path, out);
                    path.pop();
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    numbers(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let extremes = [
        serde_json::json!(0),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!(u64::MAX),
        serde_json::json!(0.5),
    ];
    let mut answered = 0;
    for lesson in LESSONS {
        let original: serde_json::Value = serde_json::from_str(lesson.scenario_json).unwrap();
        let mut paths = Vec::new();
        numbers(&original, &mut Vec::new(), &mut paths);
        for path in paths {
            for extreme in &extremes {
                let mut value = original.clone();
                let pointer = format!("/{}", path.join("/"));
                *value.pointer_mut(&pointer).unwrap() = extreme.clone();
                match Scenario::from_json(&value.to_string()) {
                    Ok(scenario) => run_if_small(&scenario),
                    Err(error) => assert!(!error.to_string().is_empty()),
                }
                answered += 1;
            }
        }
    }
    assert!(answered > 500, "only {answered} variants tried");
}

#[test]
fn a_revision_1_link_opens_its_write_through_as_cache_then_db_and_says_so() {
    // Revision 1's write-through lesson, and an edited scenario with its
    // write-through, in a `v1.` link.
    let as_revision_1 = |state: &LinkState| format!("v1.{}", &link::encode(state)[3..]);
    let lesson = link::decode(&as_revision_1(&LinkState {
        lesson: "write-through".to_string(),
        step: 2,
        ..LinkState::default()
    }))
    .unwrap();
    assert_eq!(lesson.lesson, "cache-then-db");
    assert!(lesson.notice.as_deref().unwrap().contains("cache_then_db"));
    let mut scenario: serde_json::Value = serde_json::from_str(
        cachescope::lessons::lesson("cache-then-db")
            .unwrap()
            .scenario_json,
    )
    .unwrap();
    scenario["strategy"]["write"] = serde_json::json!("write_through");
    let edited = link::decode(&as_revision_1(&LinkState {
        lesson: "read-write-race".to_string(),
        scenario: Some(scenario),
        ..LinkState::default()
    }))
    .unwrap();
    assert_eq!(
        edited.scenario.as_ref().unwrap()["strategy"]["write"],
        "cache_then_db"
    );
    let page = cachescope::model::playground::Playground::from_link(&edited).unwrap();
    assert!(page.message.as_deref().unwrap().contains("cache_then_db"));
    // A `v1.` link of anything else opens unchanged and silently; a `v2.`
    // link's write_through is the cache tier's.
    let other = LinkState {
        lesson: "read-write-race".to_string(),
        ..LinkState::default()
    };
    assert_eq!(link::decode(&as_revision_1(&other)).unwrap(), other);
    let current = LinkState {
        lesson: "write-through".to_string(),
        ..LinkState::default()
    };
    assert_eq!(link::decode(&link::encode(&current)).unwrap(), current);
}

#[test]
fn rejections_say_what_is_wrong() {
    let good = link::encode(&LinkState {
        lesson: "read-write-race".to_string(),
        step: 3,
        ..LinkState::default()
    });
    let cut = &good[..good.len() / 2];
    for (text, expected) in [
        ("", "no version"),
        ("hello", "no version"),
        ("v9.abc", "newer cachescope (format v9"),
        ("v1.ab*cd", "character 3 is not part of a link"),
        (cut, "cut short or altered"),
        ("v1.", "cut short or altered"),
    ] {
        let message = link::decode(text).unwrap_err();
        assert!(
            message.contains(expected),
            "{text:?}: {message:?} lacks {expected:?}"
        );
    }
    // A state whose scenario the validator refuses: decoded, then refused
    // with the validator's own words.
    let mut scenario: serde_json::Value = serde_json::from_str(LESSONS[0].scenario_json).unwrap();
    scenario["apps"] = serde_json::json!(0);
    let state = link::decode(&link::encode(&LinkState {
        lesson: LESSONS[0].name.to_string(),
        scenario: Some(scenario),
        ..LinkState::default()
    }))
    .unwrap();
    let message = state.parsed_scenario().unwrap_err();
    assert!(message.contains("apps: expected 1 to"), "{message}");
}

#[test]
fn a_lesson_link_is_short() {
    for lesson in LESSONS {
        let text = link::encode(&LinkState {
            lesson: lesson.name.to_string(),
            step: 12,
            ..LinkState::default()
        });
        assert!(
            text.len() < 80,
            "{}: {} characters",
            lesson.name,
            text.len()
        );
        let edited = link::encode(&LinkState {
            lesson: lesson.name.to_string(),
            scenario: Some(serde_json::from_str(lesson.scenario_json).unwrap()),
            ..LinkState::default()
        });
        // Compression: under the JSON's own length (base64 adds a third).
        assert!(
            edited.len() < lesson.scenario_json.len(),
            "{}: {} characters for {} of JSON",
            lesson.name,
            edited.len(),
            lesson.scenario_json.len()
        );
    }
}
