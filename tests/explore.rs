//! The exhaustive explorer: counts derived by hand for small scenarios,
//! examples that replay through `run`, and the memoised count held to a
//! brute-force enumeration that checks every schedule through `run`.

mod support;

use cachescope::lessons::LESSONS;
use cachescope::sim::explore::{self, Anomaly, Exploration, ExploreError, Limits};
use cachescope::sim::scenario::ScheduleEntry;
use cachescope::sim::{Report, Scenario, Simulation};
use proptest::prelude::*;
use serde_json::{Value, json};

fn scenario(json: &Value) -> Scenario {
    Scenario::from_json(&json.to_string()).expect("valid scenario")
}

fn explore_json(json: &Value) -> Exploration {
    explore::explore(&scenario(json), Limits::default(), &mut |_| {}).expect("explorable")
}

/// (schedules, stale, divergent at end, lost writes)
fn counts(json: &Value) -> (u128, u128, u128, u128) {
    let e = explore_json(json);
    (
        e.schedules(),
        e.count(Anomaly::Stale),
        e.count(Anomaly::DivergentAtEnd),
        e.count(Anomaly::LostWrite),
    )
}

/// The anomalies a complete run of `scenario` shows in its report.
fn anomalies_of(scenario: &Scenario) -> Vec<Anomaly> {
    let mut sim = Simulation::new(scenario).expect("a schedule the explorer produced is valid");
    sim.run();
    let report = Report::of(&sim, false);
    let mut found = Vec::new();
    if report.stale_reads > 0 {
        found.push(Anomaly::Stale);
    }
    if report.divergence.iter().any(|w| w.to_ms.is_none()) {
        found.push(Anomaly::DivergentAtEnd);
    }
    if report.lost_writes > 0 {
        found.push(Anomaly::LostWrite);
    }
    found
}

fn names(schedule: &[ScheduleEntry]) -> Vec<String> {
    schedule
        .iter()
        .map(|e| match e {
            ScheduleEntry::Actor(name) => name.clone(),
            other => serde_json::to_string(other).unwrap(),
        })
        .collect()
}

fn base(strategy: Value, requests: Value) -> Value {
    json!({
        "name": "explore test",
        "keys": { "k": "v1" },
        "latency_ms": { "cache": 1, "db_read": 10, "db_write": 20 },
        "strategy": strategy,
        "requests": requests
    })
}

fn two_writers(write: &str) -> Value {
    base(
        json!({ "write": write, "ttl_ms": 300000 }),
        json!([
            { "id": "W1", "op": "write", "key": "k", "value": "A" },
            { "id": "W2", "op": "write", "key": "k", "value": "B" }
        ]),
    )
}

/// Two writers, each commit (c) then cache set (s): C(4,2) = 6 orders.
/// The cache ends with the last set, the DB with the last commit; they
/// differ when the sets come in the other order than the commits:
///   c1 c2 s2 s1 (cache A, DB B) and c2 c1 s1 s2 (cache B, DB A): 2 of 6.
/// No reads, so no stale reads.
#[test]
fn two_writers_under_update_on_write_leave_the_cache_divergent_in_2_of_6() {
    assert_eq!(counts(&two_writers("update")), (6, 0, 2, 0));
    let e = explore_json(&two_writers("update"));
    let divergent: Vec<Vec<String>> = e
        .schedules_with(Some(Anomaly::DivergentAtEnd))
        .map(|s| names(&s))
        .collect();
    assert_eq!(
        divergent,
        [["W1", "W2", "W2", "W1"], ["W2", "W1", "W1", "W2"]]
    );
}

/// Two writers, each commit then delete: whatever the order, both deletes
/// leave the cache empty (it starts empty): 0 of 6.
#[test]
fn two_writers_under_invalidate_on_write_never_diverge() {
    assert_eq!(counts(&two_writers("invalidate")), (6, 0, 0, 0));
}

/// Two writers, each cache set (s, of the uncommitted value) then commit
/// (c): like update-on-write with the steps swapped, the cache and the DB
/// disagree when sets and commits come in opposite orders:
///   s1 s2 c2 c1 and s2 s1 c1 c2: 2 of 6.
#[test]
fn two_writers_under_cache_then_db_diverge_in_2_of_6() {
    assert_eq!(counts(&two_writers("cache_then_db")), (6, 0, 2, 0));
}

/// Two writers through the cache tier, each tier lock (t), commit (c),
/// set (s). Whoever takes the tier lock first commits and caches before
/// the other goes on; the other's t can come before its c, between c and
/// s, or after s (in line, it has nothing to schedule until the s):
///   t1 t2 c1 s1 c2 s2, t1 c1 t2 s1 c2 s2, t1 c1 s1 t2 c2 s2,
///   and the same three with W2 first: 6, each set right after its own
///   commit, so none divergent at the end.
#[test]
fn two_writers_under_write_through_never_diverge() {
    assert_eq!(counts(&two_writers("write_through")), (6, 0, 0, 0));
}

fn reader_and_writer(strategy: Value) -> Value {
    base(
        strategy,
        json!([
            { "id": "R", "op": "read", "key": "k" },
            { "id": "W", "op": "write", "key": "k", "value": "v2" }
        ]),
    )
}

/// Reader R on a cold cache: get (g, a miss: only R fills the cache), DB
/// read (r), set (s). Writer W: commit (c), delete (d). C(5,2) = 10 orders.
/// The cache ends stale only if R read before the commit and set after the
/// delete: r < c < d < s, which with g < r leaves exactly g r c d s: 1 of 10.
/// R starts at 0 ms, before any commit, so it is never stale itself.
/// Invalidate-on-write is not "always consistent".
#[test]
fn reader_and_writer_under_invalidate_on_write_diverge_in_1_of_10() {
    let scenario = reader_and_writer(json!({ "write": "invalidate", "ttl_ms": 300000 }));
    assert_eq!(counts(&scenario), (10, 0, 1, 0));
    let e = explore_json(&scenario);
    assert_eq!(
        names(&e.shortest(Anomaly::DivergentAtEnd).unwrap()),
        ["R", "R", "W", "W", "R"]
    );
}

/// Delete-first: W deletes (d) then commits (c); R as above. The cache ends
/// stale when R read before the commit and set after the delete: r < c and
/// d < s. Placing d and c in the gaps 0..=3 of g r s (d's gap i <= c's gap
/// j): r < c needs j >= 2, d < s needs i <= 2, so i in {0,1,2} and j in
/// {2,3}: 6 of the 10 orders. Deleting first widens the window.
#[test]
fn reader_and_writer_under_delete_first_diverge_in_6_of_10() {
    let scenario = reader_and_writer(json!({ "write": "delete_first", "ttl_ms": 300000 }));
    assert_eq!(counts(&scenario), (10, 0, 6, 0));
}

/// Leases: R's miss takes a lease (g), reads (r), sets with the lease (s);
/// the only other client is W, so R never waits and always takes 3 steps:
/// 10 orders. In the one racy order g r c d s, W's delete invalidates the
/// lease and R's set is rejected: 0 of 10.
#[test]
fn reader_and_writer_under_leases_never_diverge() {
    let scenario = reader_and_writer(json!({
        "write": "invalidate", "stampede": "lease", "ttl_ms": 300000
    }));
    assert_eq!(counts(&scenario), (10, 0, 0, 0));
}

/// Versioned sets: in g r c d s, R's set of v1 meets an empty cache (the
/// delete removed the entry it would be compared with), so it is stored:
/// still 1 of 10. Versioned sets do not fix the race once the key was
/// deleted.
#[test]
fn reader_and_writer_under_versioned_sets_still_diverge_in_1_of_10() {
    let scenario = reader_and_writer(json!({
        "write": "invalidate", "versioned_sets": true, "ttl_ms": 300000
    }));
    assert_eq!(counts(&scenario), (10, 0, 1, 0));
}

/// Event-driven invalidation, cache prewarmed with v1. W commits (c) and
/// publishes (p); the consumer (an actor once p has happened) deletes (x).
/// R starts at 100 ms and hits v1 (one step, g) unless x came first (then
/// g r s, reading v2). Orders: g before c (g at 101; W's commit then lands
/// at 101, not before R started: not stale); g between c and p, or between
/// p and x (c at 20 < 100, v1 served: stale); or after x (g r s: fresh).
/// 4 schedules, 2 stale, none divergent at the end.
#[test]
fn a_writer_with_event_invalidation_leaves_stale_reads_until_the_consumer_acts() {
    let scenario = json!({
        "name": "event invalidation",
        "keys": { "k": "v1" },
        "prewarm": true,
        "latency_ms": { "cache": 1, "db_read": 10, "db_write": 20, "publish": 1 },
        "strategy": { "write": "invalidate", "channel": "event", "ttl_ms": 300000 },
        "requests": [
            { "id": "W", "op": "write", "key": "k", "value": "v2" },
            { "id": "R", "op": "read", "key": "k", "at_ms": 100 }
        ]
    });
    assert_eq!(counts(&scenario), (4, 2, 0, 0));
    let e = explore_json(&scenario);
    let all: Vec<Vec<String>> = e.schedules_with(None).map(|s| names(&s)).collect();
    assert_eq!(
        all,
        [
            vec!["W", "W", "R", "consumer"],
            vec!["W", "W", "consumer", "R", "R", "R"],
            vec!["W", "R", "W", "consumer"],
            vec!["R", "W", "W", "consumer"],
        ]
    );
}

/// The benchmark's scenario: four writers of three steps each (commit,
/// delete, delayed delete) interleave in 12!/(3!^4) = 369,600 ways.
#[test]
fn four_writers_of_three_steps_have_369600_schedules() {
    let writer = |id: &str| json!({ "id": id, "op": "write", "key": "k", "value": id });
    let scenario = base(
        json!({ "write": "invalidate", "double_delete_ms": 50, "ttl_ms": 300000 }),
        json!([writer("W1"), writer("W2"), writer("W3"), writer("W4")]),
    );
    let e = explore_json(&scenario);
    assert_eq!(e.schedules(), 369_600);
    // Far fewer states than schedules: that is the memoisation working.
    assert!(e.states() < 100_000, "{} states", e.states());
}

#[test]
fn beyond_the_state_limit_the_explorer_refuses() {
    let json = support::lesson("leases");
    let limits = Limits { max_states: 2_000 };
    let error = explore::explore(&scenario(&json), limits, &mut |_| {}).unwrap_err();
    assert_eq!(error, ExploreError::TooManyStates { limit: 2_000 });
    assert!(error.to_string().contains("more than 2000 distinct states"));
    // A stopped explorer stays stopped, with the same reason.
    let mut explorer = explore::Explorer::new(&scenario(&json), limits).unwrap();
    while explorer.advance(1_000) == Ok(false) {}
    assert_eq!(explorer.advance(1_000), Err(error));
    assert!(explorer.finish().is_none());
}

#[test]
fn progress_is_reported() {
    let mut calls = Vec::new();
    let json = support::lesson("write-behind-crash");
    explore::explore(&scenario(&json), Limits::default(), &mut |p| calls.push(p)).unwrap();
    assert!(calls.len() > 1);
    let last = calls.last().unwrap();
    assert_eq!((last.depth, last.fraction), (0, 1.0));
    assert!(calls.windows(2).all(|w| w[0].states <= w[1].states));
    // The estimate only grows (up to rounding), from below 1 until the end.
    assert!(
        calls
            .windows(2)
            .all(|w| w[0].fraction <= w[1].fraction + 1e-9)
    );
    assert!(calls[0].fraction < 1.0 && calls[0].fraction >= 0.0);
}

/// The page advances an exploration a slice at a time (and cancels by
/// dropping it): slices add up to the same answer.
#[test]
fn an_explorer_advanced_in_slices_gives_the_same_counts() {
    let scenario = scenario(&support::lesson("cache-then-db"));
    let whole = explore::explore(&scenario, Limits::default(), &mut |_| {}).unwrap();
    let mut explorer = explore::Explorer::new(&scenario, Limits::default()).unwrap();
    let mut slices = 0;
    while !explorer.advance(100).unwrap() {
        slices += 1;
        assert!(explorer.progress().states <= whole.states());
    }
    assert!(slices > 10, "{slices} slices");
    let sliced = explorer.finish().unwrap();
    assert_eq!(
        (sliced.schedules(), sliced.states()),
        (whole.schedules(), whole.states())
    );
    for a in Anomaly::ALL {
        assert_eq!(sliced.count(a), whole.count(a));
        assert_eq!(sliced.shortest(a), whole.shortest(a));
    }
    let mut cancelled = explore::Explorer::new(&scenario, Limits::default()).unwrap();
    assert!(!cancelled.advance(10).unwrap());
    drop(cancelled);
}

#[test]
fn more_than_ten_requests_are_refused_at_once() {
    let error = explore::explore(
        &scenario(&support::lesson("stampede")),
        Limits::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "requests: explore follows at most 10 concurrent requests, got 16: the schedules grow \
         factorially with them (sample them instead: `explore --sample N`)"
    );
}

#[test]
fn faults_that_span_time_and_workloads_are_refused() {
    let mut json = reader_and_writer(json!({ "write": "invalidate" }));
    json["faults"] = json!([{ "kind": "db_slow", "from_ms": 0, "to_ms": 10, "factor": 2 }]);
    let error = explore::explore(&scenario(&json), Limits::default(), &mut |_| {}).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("faults[0]: this fault spans time")
    );
    let workload = json!({
        "name": "w", "keys": { "k": "v" },
        "workload": { "duration_ms": 10, "reads_per_s": 100 }
    });
    let error = explore::explore(&scenario(&workload), Limits::default(), &mut |_| {}).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("workload: explore follows scripted requests"),
        "{error}"
    );
}

/// Explores a lesson and checks each example: it is complete, as short as
/// the explorer says, and `run` shows the anomaly.
fn check_examples(name: &str, e: &Exploration) {
    for anomaly in Anomaly::ALL {
        let Some(example) = e.shortest(anomaly) else {
            assert_eq!(e.count(anomaly), 0, "{name}: a count without an example");
            continue;
        };
        let replay = e.scenario_with(example.clone());
        assert!(
            anomalies_of(&replay).contains(&anomaly),
            "{name}: {:?} does not reproduce {anomaly:?}",
            names(&example)
        );
        // None of the first 2,000 schedules with the anomaly is shorter.
        let shortest = e
            .schedules_with(Some(anomaly))
            .take(2_000)
            .map(|s| s.len())
            .min();
        assert!(shortest >= Some(example.len()), "{name}: {anomaly:?}");
    }
}

/// Every lesson with few enough requests explores (the stampede lessons,
/// 16 concurrent readers, are refused); each example replays through `run`
/// to its anomaly. Counts pinned here are the command line's output, so a
/// change in the model shows up.
#[test]
fn every_lesson_explores_or_is_refused_and_examples_replay() {
    let expected: &[(&str, [u128; 4])] = &[
        ("cache-aside-basics", [20, 0, 0, 0]),
        ("update-on-write-race", [188, 6, 64, 0]),
        ("invalidate-on-write", [30, 4, 0, 0]),
        ("read-write-race", [534, 3, 70, 0]),
        ("delete-first", [146, 2, 66, 0]),
        ("delayed-double-delete", [1598, 4, 112, 0]),
        ("versioned-sets", [534, 3, 52, 0]),
        ("write-through", [13016, 0, 0, 0]),
        ("cache-then-db", [7440, 66, 5868, 0]),
        ("replica-lag", [196, 109, 70, 0]),
        ("write-behind-crash", [50060, 0, 14880, 26992]),
        ("ttl-only", [73, 1, 33, 0]),
        ("event-invalidation", [38, 12, 0, 0]),
        ("event-loss", [5804, 84, 718, 0]),
        ("kafka-partitions", [1582, 26, 542, 0]),
        ("outbox", [108874, 6827, 0, 0]),
        ("consumer-replay", [14026, 228, 3634, 0]),
        ("cdc-invalidation", [25306, 224, 3172, 0]),
        ("leases", [490938, 44, 0, 0]),
    ];
    for lesson in LESSONS {
        let json = support::lesson(lesson.name);
        match explore::explore(&scenario(&json), Limits::default(), &mut |_| {}) {
            Ok(e) => {
                let got = [
                    e.schedules(),
                    e.count(Anomaly::Stale),
                    e.count(Anomaly::DivergentAtEnd),
                    e.count(Anomaly::LostWrite),
                ];
                let want = expected.iter().find(|(n, _)| *n == lesson.name);
                assert_eq!(Some(got), want.map(|w| w.1), "{}", lesson.name);
                check_examples(lesson.name, &e);
            }
            Err(e @ ExploreError::TooManyRequests { .. }) => {
                assert!(lesson.name.starts_with("stampede"), "{}: {e}", lesson.name);
                assert!(e.sampling_helps());
            }
            Err(ExploreError::Scenario(e)) if e.path.starts_with("faults[") => {
                let faults = &lesson.scenario().faults;
                assert!(
                    faults.iter().any(|f| f.kind.spans_time()),
                    "{}: {e}",
                    lesson.name
                );
            }
            Err(ExploreError::Scenario(e)) if e.path == "workload" => {
                assert!(lesson.scenario().workload.is_some(), "{}: {e}", lesson.name);
            }
            Err(other) => panic!("{}: {other}", lesson.name),
        }
    }
}

/// Every complete schedule, by brute force: no memo, each followed from
/// the start. Returns None beyond `cap` schedules.
fn brute_force(scenario: &Scenario, cap: usize) -> Option<Vec<Vec<ScheduleEntry>>> {
    let faults: Vec<ScheduleEntry> = scenario
        .faults
        .iter()
        .map(|f| ScheduleEntry::Fault(f.kind))
        .collect();
    let mut scheduled = scenario.clone();
    scheduled.faults.clear();
    scheduled.schedule = Some(Vec::new());
    let root = Simulation::new(&scheduled).unwrap();
    let mut done = Vec::new();
    let mut stack = vec![(root, Vec::<ScheduleEntry>::new(), vec![false; faults.len()])];
    while let Some((sim, path, placed)) = stack.pop() {
        let mut choices: Vec<(ScheduleEntry, Option<usize>)> = sim
            .schedulable()
            .into_iter()
            .map(|n| (ScheduleEntry::Actor(n), None))
            .collect();
        for (i, fault) in faults.iter().enumerate() {
            if !placed[i] {
                choices.push((fault.clone(), Some(i)));
            }
        }
        if choices.is_empty() {
            done.push(path);
            if done.len() > cap {
                return None;
            }
            continue;
        }
        for (entry, fault) in choices {
            let mut next = sim.clone();
            next.apply_entry(&entry, path.len()).unwrap();
            let mut next_path = path.clone();
            next_path.push(entry);
            let mut next_placed = placed.clone();
            if let Some(i) = fault {
                next_placed[i] = true;
            }
            stack.push((next, next_path, next_placed));
        }
    }
    Some(done)
}

fn small_scenario() -> impl Strategy<Value = Value> {
    let write = prop::sample::select(support::WRITE_STRATEGIES.to_vec());
    let stampede = prop::sample::select(vec!["none", "lock", "lease", "singleflight", "swr"]);
    let channel = prop::sample::select(vec!["inline", "event", "cdc", "outbox"]);
    let request = (any::<bool>(), 0u64..40, 0u32..2);
    let fault = prop::sample::select(vec![
        None,
        Some(json!({ "kind": "cache_crash", "at_ms": 0 })),
        Some(json!({ "kind": "app_crash", "app": 0, "at_ms": 0 })),
        Some(json!({ "kind": "bus_drop", "count": 1, "at_ms": 0 })),
        Some(json!({ "kind": "consumer_crash", "at_ms": 0 })),
    ]);
    (
        write,
        stampede,
        channel,
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(request, 2..=3),
        fault,
        prop::option::of(0u64..60),
        (
            prop::sample::select(vec![0u64, 25, 1000]),
            any::<bool>(),
            prop::sample::select(vec![0u64, 40]),
            prop::sample::select(vec![0u64, 50]),
            any::<bool>(),
        ),
        (
            prop::option::of(prop::sample::select(vec![0u64, 30])),
            prop::sample::select(vec![0u64, 40]),
        ),
    )
        .prop_map(
            |(
                write,
                stampede,
                channel,
                versioned,
                prewarm,
                requests,
                fault,
                double,
                waiting,
                (replica, commit),
            )| {
                let (wait_max, unsafe_unlock, token_interval, stale_keep, accept_stale) = waiting;
                let stampede = if write == "write_through" {
                    "none"
                } else {
                    stampede
                };
                // Only invalidate and update use a channel.
                let channel = if matches!(write, "invalidate" | "update") {
                    channel
                } else {
                    "inline"
                };
                let mut strategy = json!({
                    "write": write, "stampede": stampede, "channel": channel,
                    "versioned_sets": versioned, "ttl_ms": 60, "write_behind_ms": 30,
                    "lock_ttl_ms": 30, "retry_ms": 10, "swr_ms": 20, "outbox_poll_ms": 25,
                    "wait_max_ms": wait_max, "unsafe_unlock": unsafe_unlock,
                    "lease_token_interval_ms": token_interval, "lease_stale_ms": stale_keep,
                    "accept_stale": accept_stale
                });
                if let (Some(ms), "invalidate" | "delete_first") = (double, write) {
                    strategy["double_delete_ms"] = json!(ms);
                }
                let requests: Vec<Value> = requests
                    .iter()
                    .enumerate()
                    .map(|(i, (read, at, app))| {
                        let mut r = json!({
                            "id": format!("Q{i}"), "key": "k", "at_ms": at, "app": app,
                            "op": if *read { "read" } else { "write" }
                        });
                        if !read {
                            r["value"] = json!(format!("x{i}"));
                        }
                        r
                    })
                    .collect();
                json!({
                    "name": "random small scenario",
                    "apps": 2,
                    "keys": { "k": "v1" },
                    "prewarm": prewarm,
                    "latency_ms": { "cache": 1, "db_read": 10, "db_write": 20, "publish": 1 },
                    "strategy": strategy,
                    "bus": { "delay_ms": 5, "commit_interval_ms": commit },
                    "db": { "replica_lag_ms": replica },
                    "requests": requests,
                    "faults": fault.into_iter().collect::<Vec<_>>()
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The memoised counts equal a brute-force enumeration in which every
    /// complete schedule is run by `run` and judged by its report.
    #[test]
    fn memoised_counts_equal_brute_force(json in small_scenario()) {
        let scenario = match Scenario::from_json(&json.to_string()) {
            Ok(s) => s,
            // Some combinations are invalid (e.g. a channel with a write
            // strategy that does not use one); those are not the point here.
            Err(_) => return Ok(()),
        };
        let Some(all) = brute_force(&scenario, 3_000) else { return Ok(()) };
        let e = explore::explore(&scenario, Limits::default(), &mut |_| {}).unwrap();
        prop_assert_eq!(e.schedules(), all.len() as u128);
        let mut by_anomaly = [0u128; 3];
        for schedule in &all {
            let found = anomalies_of(&e.scenario_with(schedule.clone()));
            for (i, a) in Anomaly::ALL.into_iter().enumerate() {
                if found.contains(&a) {
                    by_anomaly[i] += 1;
                }
            }
        }
        for (i, a) in Anomaly::ALL.into_iter().enumerate() {
            prop_assert_eq!(e.count(a), by_anomaly[i], "{:?}", a);
            prop_assert_eq!(e.schedules_with(Some(a)).count() as u128, by_anomaly[i]);
        }
        prop_assert_eq!(e.schedules_with(None).count(), all.len());
    }
}
