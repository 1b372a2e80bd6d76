//! Scheduled mode: the schedule picks whose pending
//! operation takes effect next; an effect lands at the later of the previous
//! effect and its own natural completion.

mod support;

use serde_json::{Value, json};
use support::{rejection, run, trace_lines};

fn one_reader(schedule: Value) -> Value {
    json!({
        "keys": {"k": "v1"},
        "requests": [{"id": "R", "op": "read", "key": "k", "at_ms": 0}],
        "schedule": schedule
    })
}

#[test]
fn an_effect_waits_for_its_natural_completion_when_the_schedule_is_ahead_of_it() {
    // R's get is issued at 0 and completes naturally at 1; the previous
    // effect is at 0 (nothing yet), so it lands at 1, not earlier.
    let report = run(&one_reader(json!(["R", "R", "R"])));
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 R cache.get k miss",
            "1-11 R db.read k v1@1",
            "11-12 R cache.set k stored until 300012 ms",
        ]
    );
}

#[test]
fn wait_ms_advances_the_clock_and_later_effects_land_then() {
    // After the get at 1, the clock moves to 101; the DB read (natural
    // completion 11) therefore lands at 101, and the set at 102.
    let report = run(&one_reader(json!(["R", {"wait_ms": 100}, "R", "R"])));
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 R cache.get k miss",
            "1-101 R db.read k v1@1",
            "101-102 R cache.set k stored until 300102 ms",
        ]
    );
    assert_eq!(report["requests"][0]["end_ms"], 102);
}

#[test]
fn a_trailing_wait_extends_the_run_and_its_stale_time() {
    let scenario = json!({
        "keys": {"k": "v1"}, "prewarm": true,
        "strategy": {"write": "ttl_only"},
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "v2"}],
        "schedule": ["W", {"wait_ms": 480}]
    });
    let report = run(&scenario);
    // Commit at 20, run ends at 500: 480 ms stale, window still open.
    assert_eq!(report["end_ms"], 500);
    assert_eq!(report["stale_ms"], 480);
    assert_eq!(report["divergence"][0]["to_ms"], Value::Null);
}

#[test]
fn a_request_the_schedule_does_not_finish_is_unfinished() {
    let report = run(&one_reader(json!(["R"])));
    assert_eq!(report["requests"][0]["outcome"], "unfinished");
    assert_eq!(report["requests"][0]["end_ms"], Value::Null);
    assert_eq!(report["end_ms"], 1);
}

#[test]
fn a_request_not_yet_named_starts_at_its_at_ms_even_if_the_clock_is_later() {
    // W (at 0) commits at 20; R (at 5) is first named afterwards: its get
    // was issued at 5 and lands at max(20, 6) = 20, after the commit.
    let scenario = json!({
        "keys": {"k": "v1"}, "prewarm": true, "strategy": {"write": "ttl_only"},
        "requests": [
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0},
            {"id": "R", "op": "read", "key": "k", "at_ms": 5}
        ],
        "schedule": ["W", "R"]
    });
    let report = run(&scenario);
    assert_eq!(trace_lines(&report)[1], "5-20 R cache.get k hit v1@1");
    // R started at 5, before the commit at 20: not stale by definition.
    assert_eq!(report["requests"][1]["stale"], false);
}

#[test]
fn naming_an_actor_with_nothing_pending_is_rejected_with_the_schedule_index() {
    assert_eq!(
        rejection(&one_reader(json!(["R", "R", "R", "R"]))),
        "schedule[3]: \"R\" has nothing pending at this point"
    );
    assert_eq!(
        rejection(&one_reader(json!(["consumer"]))),
        "schedule[0]: \"consumer\" has nothing pending at this point"
    );
    assert_eq!(
        rejection(&one_reader(json!(["R", "Q"]))),
        "schedule[1]: expected a request id, a background actor (consumer, flusher, relay, \
         refresher, replica) or consumer:P for a partition P below bus.partitions, got \"Q\""
    );
    assert_eq!(
        rejection(&one_reader(json!(["R", {"wait": 3}]))),
        "schedule[1]: expected an actor name, {\"wait_ms\": N} or a fault {\"kind\": ...}, got {\"wait\":3}"
    );
    assert_eq!(
        rejection(&one_reader(json!([{"wait_ms": -3}]))),
        "schedule[0]: wait_ms: expected a whole number of milliseconds, got -3"
    );
}

#[test]
fn a_request_may_not_take_a_background_actors_name() {
    let scenario = json!({
        "keys": {"k": "v"},
        "requests": [{"id": "consumer", "op": "read", "key": "k"}]
    });
    assert!(rejection(&scenario).starts_with(
        "requests[0].id: expected a unique, non-empty id that is not a background actor's name"
    ));
    let scenario = json!({
        "keys": {"k": "v"},
        "requests": [{"id": "consumer:0", "op": "read", "key": "k"}]
    });
    assert!(rejection(&scenario).ends_with(
        "(consumer, flusher, relay, refresher, replica, cdc, fault, consumer:P), got \"consumer:0\""
    ));
    // The trace's other actors are refused too: a request called `fault`
    // would be drawn on the faults lane.
    for taken in ["fault", "cdc", "consumer:x", ""] {
        let scenario = json!({
            "keys": {"k": "v"},
            "requests": [{"id": taken, "op": "read", "key": "k"}]
        });
        assert!(
            rejection(&scenario).starts_with("requests[0].id: "),
            "{taken:?}"
        );
    }
}

#[test]
fn a_request_whose_id_starts_like_a_background_actors_is_a_request_everywhere() {
    use cachescope::model::architecture::{Node, architecture};
    use cachescope::model::timeline::{self, LaneKind};
    use cachescope::sim::trace::Actor;
    use cachescope::sim::{Scenario, Simulation};

    let scenario = json!({
        "keys": {"k": "v"},
        "requests": [
            {"id": "consumer2", "op": "read", "key": "k"},
            {"id": "flusher-1", "op": "read", "key": "k", "at_ms": 1}
        ]
    });
    let parsed = Scenario::from_json(&scenario.to_string()).unwrap();
    let mut whole = Simulation::new(&parsed).unwrap();
    whole.run();
    let report = cachescope::sim::Report::of(&whole, true);
    let trace = report.trace.as_deref().unwrap();
    assert_eq!(trace[0].actor, Actor::Request("consumer2".to_string()));
    let layout = timeline::layout(&report);
    let kinds: Vec<_> = layout
        .lanes
        .iter()
        .map(|l| (l.name.as_str(), l.kind))
        .collect();
    assert_eq!(
        kinds[..2],
        [
            ("consumer2", LaneKind::Request),
            ("flusher-1", LaneKind::Request)
        ]
    );
    // The strip draws its operations from the app, not from a consumer.
    let mut sim = Simulation::new(&parsed).unwrap();
    sim.step();
    let tokens = architecture(&sim, sim.now_ms() as f64).tokens;
    assert!(!tokens.is_empty());
    assert!(tokens.iter().all(|t| t.from == Node::App), "{tokens:?}");
}

#[test]
fn an_actor_name_reads_back_as_the_actor_it_names() {
    use cachescope::sim::trace::Actor;
    for actor in [
        Actor::Request("R1".to_string()),
        Actor::Flusher,
        Actor::Refresher,
        Actor::Consumer(None),
        Actor::Consumer(Some(3)),
        Actor::Relay,
        Actor::Cdc,
        Actor::Fault,
    ] {
        assert_eq!(Actor::parse(&actor.to_string()), actor);
    }
    assert_eq!(
        Actor::parse("consumer:x"),
        Actor::Request("consumer:x".to_string())
    );
    // A generated request is written r17, but a schedule never names one:
    // read back, r17 is a scripted request's id.
    let generated = Actor::Generated {
        op: cachescope::sim::scenario::RequestOp::Read,
        n: 17,
    };
    assert_eq!(generated.to_string(), "r17");
    assert_eq!(Actor::parse("r17"), Actor::Request("r17".to_string()));
}

#[test]
fn ttl_jitter_spreads_expiries_within_the_jitter_and_is_reproducible() {
    let expiry = |seed: u64| {
        let report = run(&json!({
            "seed": seed, "keys": {"k": "v"},
            "strategy": {"ttl_ms": 1000, "ttl_jitter_ms": 500},
            "requests": [{"id": "R", "op": "read", "key": "k"}]
        }));
        report["keys"]["k"]["cache"]["expires_ms"].as_u64().unwrap()
    };
    let expiries: Vec<u64> = (1..=20).map(expiry).collect();
    // The set lands at 12: expiry in 12 + 1000 ..= 12 + 1500.
    assert!(
        expiries.iter().all(|e| (1012..=1512).contains(e)),
        "{expiries:?}"
    );
    assert!(
        expiries.iter().any(|e| *e != expiries[0]),
        "jitter varies by seed"
    );
    assert_eq!(expiry(7), expiry(7));
}

#[test]
fn faults_are_timed_in_timed_mode_and_inline_in_scheduled_mode() {
    let mut timed_without_time = one_reader(Value::Null);
    timed_without_time
        .as_object_mut()
        .unwrap()
        .remove("schedule");
    timed_without_time["faults"] = json!([{"kind": "cache_crash"}]);
    assert_eq!(
        rejection(&timed_without_time),
        "faults[0].at_ms: a fault needs at_ms"
    );

    let mut listed_in_scheduled_mode = one_reader(json!(["R"]));
    listed_in_scheduled_mode["faults"] = json!([{"at_ms": 3, "kind": "cache_crash"}]);
    assert_eq!(
        rejection(&listed_in_scheduled_mode),
        "faults[0]: in scheduled mode, put faults in the schedule (without at_ms)"
    );

    let unknown_kind = one_reader(json!(["R", {"kind": "meteor"}]));
    assert!(
        rejection(&unknown_kind)
            .starts_with("schedule[1]: a fault entry: unknown variant `meteor`"),
        "{}",
        rejection(&unknown_kind)
    );
}

#[test]
fn a_run_is_finished_exactly_when_stepping_has_nothing_left_to_do() {
    use cachescope::sim::{Scenario, Simulation};
    let trailing_wait = one_reader(json!(["R", "R", "R", {"wait_ms": 50}]));
    let mut until = one_reader(Value::Null);
    until.as_object_mut().unwrap().remove("schedule");
    until["until_ms"] = json!(100);
    for scenario in [trailing_wait, until] {
        let scenario = Scenario::from_json(&scenario.to_string()).unwrap();
        let mut sim = Simulation::new(&scenario).unwrap();
        let mut steps = 0;
        while !sim.is_finished() {
            sim.step();
            steps += 1;
            assert!(steps < 100, "is_finished never became true");
        }
        // Stepping a finished run changes nothing.
        let end = sim.now_ms();
        assert!(!sim.step());
        assert_eq!(sim.now_ms(), end);
        let mut whole = Simulation::new(&scenario).unwrap();
        whole.run();
        assert_eq!(
            whole.now_ms(),
            end,
            "stepping to the end = running to the end"
        );
    }
}

fn two_event_writers(schedule: Value) -> Value {
    json!({
        "keys": {"k": "v1"},
        "latency_ms": {"cache": 1, "db_read": 10, "db_write": 20, "publish": 1},
        "strategy": {"write": "update", "channel": "event"},
        "bus": {"delay_ms": 50, "partitions": 2, "keyed": false, "partition_lag_ms": [100, 0]},
        "requests": [
            {"id": "W1", "op": "write", "key": "k", "value": "A", "at_ms": 0},
            {"id": "W2", "op": "write", "key": "k", "value": "B", "at_ms": 0}
        ],
        "schedule": schedule
    })
}

#[test]
fn the_consumer_is_an_actor_whose_operation_is_issued_at_the_delivery_instant() {
    // W1 commits at 20 and publishes at 21 to partition 0 (round robin),
    // which delivers at 21 + 50 + 100 lag = 171; its consumer's set then
    // completes at 172. W2 commits at max(21, 20) = 21, publishes at 22 to
    // partition 1, delivered at 72, applied at 73.
    let report = run(&two_event_writers(json!([
        "W1", "W1", "W2", "W2", "consumer", "consumer"
    ])));
    assert_eq!(
        trace_lines(&report)[4..],
        [
            "72-73 consumer cache.set k stored until 300073 ms",
            "171-172 consumer cache.set k stored until 300172 ms",
        ]
    );
    // `consumer` takes the job that completes first: B, then A, so the
    // cache ends with A (version 2) while the DB holds B (version 3).
    assert_eq!(report["keys"]["k"]["cache"]["value"], "A");
}

#[test]
fn consumer_p_names_one_partition_s_consumer() {
    // Naming partition 0 first applies A before B: the cache ends right.
    // B's set was issued at its delivery (72) and lands after A's, at 172.
    let report = run(&two_event_writers(json!([
        "W1",
        "W1",
        "W2",
        "W2",
        "consumer:0",
        "consumer:1"
    ])));
    assert_eq!(
        trace_lines(&report)[4..],
        [
            "171-172 consumer cache.set k stored until 300172 ms",
            "72-172 consumer cache.set k stored until 300172 ms",
        ]
    );
    assert_eq!(report["keys"]["k"]["cache"]["value"], "B");
    assert_eq!(
        rejection(&two_event_writers(json!(["W1", "consumer:2"]))),
        "schedule[1]: expected a request id, a background actor (consumer, flusher, relay, \
         refresher, replica) or consumer:P for a partition P below bus.partitions, got \"consumer:2\""
    );
    assert_eq!(
        rejection(&two_event_writers(json!(["W1", "W1", "consumer:1"]))),
        "schedule[2]: \"consumer:1\" has nothing pending at this point"
    );
}
