//! The rules revision 2 of the scenario format corrected, each pinned by a
//! timeline derived by hand from docs/SCENARIO.md (the derivation is the
//! comment above each expectation).

mod support;

use serde_json::json;
use support::{run, trace_lines, windows};

#[test]
fn a_slow_db_read_returns_the_row_as_of_its_issue_and_refills_the_old_value() {
    // Timed. R: cache.get 0-2 miss; its DB read is issued at 2, when the
    // DB holds v1@1, and lands at 102. W: commit issued 10, lands 20 (@2);
    // delete 20-22 finds nothing. R's read returns its snapshot v1@1
    // although v2 committed at 20, and R sets it at 102-104: the cache is
    // stale from 104 on. R itself is not stale (it started at 0, before
    // the commit); R3 at 500 hits v1@1 and is.
    let scenario = json!({
        "keys": {"k": "v1"},
        "latency_ms": {"cache": 2, "db_read": 100, "db_write": 10},
        "requests": [
            {"id": "R", "op": "read", "key": "k", "at_ms": 0},
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 10},
            {"id": "R3", "op": "read", "key": "k", "at_ms": 500}
        ]
    });
    let report = run(&scenario);
    assert_eq!(
        trace_lines(&report),
        [
            "0-2 R cache.get k miss",
            "10-20 W db.write k committed @2",
            "20-22 W cache.delete k absent",
            "2-102 R db.read k v1@1",
            "102-104 R cache.set k stored until 300104 ms",
            "500-502 R3 cache.get k hit v1@1",
        ]
    );
    assert_eq!(report["requests"][0]["stale"], false);
    assert_eq!(report["requests"][2]["stale"], true);
    assert_eq!(windows(&report), ["k stale 104-open"]);

    // Scheduled: an operation is issued and takes effect at its step, so
    // a read named after the commit sees it. R get (2), W commit (20),
    // R read (issued 2, natural 102: at 102) sees v2@2.
    let mut scheduled = scenario.clone();
    scheduled["schedule"] = json!(["R", "W", "R", "W", "R", "R3"]);
    let report = run(&scheduled);
    assert!(
        trace_lines(&report).contains(&"2-102 R db.read k v2@2".to_string()),
        "{:#?}",
        trace_lines(&report)
    );
    // Named before the commit, it reads v1 and the race happens.
    scheduled["schedule"] = json!(["R", "R", "W", "W", "R", "R3"]);
    let report = run(&scheduled);
    assert_eq!(report["requests"][2]["value"], "v1");
    assert_eq!(report["requests"][2]["stale"], true);
}

#[test]
fn the_outbox_relay_marks_a_row_sent_only_once_the_bus_acknowledged_it() {
    // W commits with its outbox row at 0-20. The relay polls on the 100 ms
    // grid: poll 100-110 finds the row; its publish 110-111 is dropped
    // (bus_drop), so nothing is marked. Poll 200-210 finds it again;
    // publish 210-211 is taken (a retry), mark 211-231. Delivery at
    // 211 + 50 = 261; the consumer's delete 261-262. The relay's poll
    // 300-310 finds nothing and it stops. Stale from the commit (20) to
    // the delete (262). Nothing is lost.
    let report = run(&json!({
        "keys": {"k": "v1"},
        "prewarm": true,
        "strategy": {"write": "invalidate", "channel": "outbox"},
        "faults": [{"at_ms": 0, "kind": "bus_drop", "count": 1}],
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0}]
    }));
    let lines = trace_lines(&report);
    let expected = [
        "0-20 W db.write+outbox k committed @2",
        "100-110 relay outbox.poll * 1 unsent row(s)",
        "110-111 relay bus.publish k not acknowledged: to be published again",
        "200-210 relay outbox.poll * 1 unsent row(s)",
        "210-211 relay bus.publish k sent to partition 0",
        "211-231 relay outbox.mark_sent * marked sent",
        "261-262 consumer cache.delete k deleted",
        "300-310 relay outbox.poll * 0 unsent row(s)",
    ];
    for line in expected {
        assert!(lines.contains(&line.to_string()), "{line} in {lines:#?}");
    }
    assert_eq!(windows(&report), ["k stale 20-262"]);
    assert_eq!(
        report["bus"],
        json!({"published": 2, "delivered": 1, "lost": 0, "duplicated": 0, "retried": 1})
    );
}

#[test]
fn cdc_retries_an_unacknowledged_publish_but_an_apps_event_is_lost() {
    // CDC: the commit lands at 20 and is published then; the bus drops it,
    // so it goes again retry_ms (10) later, at 30, and is taken. Delivery
    // at 30 + 50 = 80, delete 80-81: stale 20-81.
    let cdc = json!({
        "keys": {"k": "v1"},
        "prewarm": true,
        "strategy": {"write": "invalidate", "channel": "cdc", "retry_ms": 10},
        "faults": [{"at_ms": 0, "kind": "bus_drop", "count": 1}],
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0}]
    });
    let report = run(&cdc);
    let lines = trace_lines(&report);
    assert!(
        lines.contains(
            &"20-20 cdc bus.publish k commit @2 not acknowledged 1 time(s); sent to partition 0 at 30 ms"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(lines.contains(&"80-81 consumer cache.delete k deleted".to_string()));
    assert_eq!(windows(&report), ["k stale 20-81"]);
    assert_eq!(
        report["bus"],
        json!({"published": 2, "delivered": 1, "lost": 0, "duplicated": 0, "retried": 1})
    );

    // The app's own publish is fire-and-forget: dropped, it is lost, and
    // the cache stays stale.
    let mut event = cdc;
    event["strategy"]["channel"] = json!("event");
    let report = run(&event);
    assert_eq!(
        report["bus"],
        json!({"published": 1, "delivered": 0, "lost": 1, "duplicated": 0, "retried": 0})
    );
    assert_eq!(windows(&report), ["k stale 20-open"]);
}

#[test]
fn a_lease_waiter_gives_up_after_wait_max_and_reads_the_db_without_filling() {
    // R1 takes the lease at 0-1 and reads the DB slowly (1-301). R2 is
    // refused at 1-2: its deadline is 2 + 50 = 52. It looks again every
    // 10 ms: 12, 23, 34, 45, then at the deadline itself, 52 (min(56, 52)),
    // is refused once more at 53 >= 52 and reads the DB itself 53-353,
    // without a set. One fill in all (R1's).
    let report = run(&json!({
        "keys": {"k": "v1"},
        "latency_ms": {"cache": 1, "db_read": 300},
        "strategy": {"stampede": "lease", "retry_ms": 10, "wait_max_ms": 50},
        "requests": [
            {"id": "R1", "op": "read", "key": "k", "at_ms": 0},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 1}
        ]
    }));
    let r2: Vec<String> = trace_lines(&report)
        .into_iter()
        .filter(|l| l.contains(" R2 "))
        .collect();
    let refused = "cache.lease_get k miss, wait for another reader's fill";
    assert_eq!(
        r2,
        [
            format!("1-2 R2 {refused}"),
            format!("12-13 R2 {refused}"),
            format!("23-24 R2 {refused}"),
            format!("34-35 R2 {refused}"),
            format!("45-46 R2 {refused}"),
            format!("52-53 R2 {refused}"),
            "53-353 R2 db.read k v1@1".to_string(),
        ]
    );
    assert_eq!(report["requests"][1]["fallback"], true);
    assert_eq!(report["requests"][1]["source"], "db");
    assert_eq!(report["fallback_reads"], 1);
    assert_eq!(report["cache"]["sets"], 1);
}

#[test]
fn a_kept_stale_value_is_returned_at_once_only_with_accept_stale() {
    // W commits v2 at 0-20 and deletes at 20-21, which keeps v1@1 as stale
    // for 100 ms. R1 at 30 takes the lease (30-31), reads v2 31-41, fills
    // 41-42. R2 at 32 is refused a token (32-33) and offered v1@1: with
    // accept_stale it returns it at 33, a stale read (v2 committed at 20,
    // before R2 started).
    let mut scenario = json!({
        "keys": {"k": "v1"},
        "prewarm": true,
        "strategy": {"stampede": "lease", "lease_stale_ms": 100, "accept_stale": true},
        "requests": [
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0},
            {"id": "R1", "op": "read", "key": "k", "at_ms": 30},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 32}
        ]
    });
    let report = run(&scenario);
    assert!(
        trace_lines(&report).contains(
            &"32-33 R2 cache.lease_get k miss, stale v1@1 kept (wait for another reader's fill)"
                .to_string()
        ),
        "{:#?}",
        trace_lines(&report)
    );
    assert_eq!(report["requests"][2]["value"], "v1");
    assert_eq!(report["requests"][2]["end_ms"], 33);
    assert_eq!(report["requests"][2]["stale"], true);
    assert_eq!(report["stale_reads"], 1);
    // Without accept_stale it waits: it looks again at 43 and hits v2.
    scenario["strategy"]["accept_stale"] = json!(false);
    let report = run(&scenario);
    assert_eq!(report["requests"][2]["value"], "v2");
    assert_eq!(report["requests"][2]["end_ms"], 44);
    assert_eq!(report["stale_reads"], 0);
}

#[test]
fn lease_tokens_are_rate_limited_per_key() {
    // One token per 100 ms. R1 takes token #1 at 0-1 and fills at 12.
    // W commits at 20-40 and deletes 40-41. R2 at 50 misses, but the last
    // token went out at 1: refused at 50-51, 61-62, 72-73, 83-84, 94-95;
    // at 105 (>= 101) it gets token #2.
    let report = run(&json!({
        "keys": {"k": "v1"},
        "strategy": {"stampede": "lease", "lease_token_interval_ms": 100},
        "requests": [
            {"id": "R1", "op": "read", "key": "k", "at_ms": 0},
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 20},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 50}
        ]
    }));
    let lines = trace_lines(&report);
    assert!(
        lines.contains(
            &"94-95 R2 cache.lease_get k miss, wait for another reader's fill".to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"105-106 R2 cache.lease_get k miss, lease #2".to_string()),
        "{lines:#?}"
    );
    assert_eq!(report["requests"][2]["value"], "v2");
}

#[test]
fn a_lock_winner_reads_the_cache_again_before_the_db() {
    // Scheduled: R1 and R2 both miss; R1 locks, re-checks (miss), reads,
    // fills and unlocks; only then does R2 add the lock, and its re-check
    // hits what R1 filled: one DB read in all.
    let report = run(&json!({
        "keys": {"k": "v1"},
        "strategy": {"stampede": "lock"},
        "requests": [
            {"id": "R1", "op": "read", "key": "k", "at_ms": 0},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 0}
        ],
        "schedule": ["R1", "R2", "R1", "R1", "R1", "R1", "R1", "R2", "R2", "R2"]
    }));
    let lines = trace_lines(&report);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("R2 cache.lock_add k locked, token #2")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("R2 cache.get k hit v1@1")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("R2 cache.unlock k unlocked")),
        "{lines:#?}"
    );
    assert_eq!(report["db"]["reads"], 1);
    assert_eq!(report["requests"][1]["source"], "cache");
}

#[test]
fn compare_and_delete_keeps_the_next_holders_lock_and_a_plain_delete_does_not() {
    // Locks live 50 ms, a DB read takes 100, an entry 1 ms. R1: miss 0-1,
    // lock #1 1-2 (until 52), re-check 2-3, read 3-103, set 103-104 (lives
    // until 105), unlock 104-105. R2 at 60: miss 60-61, lock #2 61-62 (R1's
    // expired at 52; until 112), re-check 62-63, read 63-163. R3 at 105:
    // miss 105-106 (R1's entry expired at 105), lock_add 106-107.
    let mut scenario = json!({
        "keys": {"k": "v1"},
        "latency_ms": {"cache": 1, "db_read": 100},
        "strategy": {"stampede": "lock", "lock_ttl_ms": 50, "ttl_ms": 1},
        "requests": [
            {"id": "R1", "op": "read", "key": "k", "at_ms": 0},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 60},
            {"id": "R3", "op": "read", "key": "k", "at_ms": 105}
        ]
    });
    // Compare-and-delete: R1's release finds #2 and leaves it; R3 is refused.
    let report = run(&scenario);
    let lines = trace_lines(&report);
    assert!(
        lines.contains(
            &"104-105 R1 cache.unlock k lock expired and now held by #2: left alone".to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"106-107 R3 cache.lock_add k lock held by another".to_string()),
        "{lines:#?}"
    );
    // A plain delete removes R2's lock, so R3 takes a third lock and a
    // third reader reads the DB.
    scenario["strategy"]["unsafe_unlock"] = json!(true);
    let report = run(&scenario);
    let lines = trace_lines(&report);
    assert!(
        lines.contains(&"104-105 R1 cache.unlock k deleted another holder's lock #2".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"106-107 R3 cache.lock_add k locked, token #3".to_string()),
        "{lines:#?}"
    );
    assert_eq!(report["db"]["reads"], 3);
}

#[test]
fn new_fields_are_validated_with_their_json_path() {
    let base = json!({
        "keys": {"k": "v1"},
        "strategy": {"channel": "outbox"},
        "bus": {"loss": 1.0},
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "v2"}]
    });
    let message = support::rejection(&base);
    assert!(message.starts_with("bus.loss:"), "{message}");
    assert!(message.contains("below 1"), "{message}");
    let absurd = json!({
        "keys": {"k": "v1"},
        "strategy": {"wait_max_ms": 1u64 << 60},
        "requests": [{"id": "R", "op": "read", "key": "k"}]
    });
    assert!(support::rejection(&absurd).starts_with("strategy.wait_max_ms:"));
    let wrong_type = json!({
        "keys": {"k": "v1"},
        "strategy": {"accept_stale": "yes"},
        "requests": [{"id": "R", "op": "read", "key": "k"}]
    });
    assert!(support::rejection(&wrong_type).contains("accept_stale"));
}

#[test]
fn the_stale_window_of_a_snapshot_read_says_the_snapshot_predates_the_commit() {
    let scenario = cachescope::sim::Scenario::from_json(
        &json!({
            "keys": {"k": "v1"},
            "latency_ms": {"cache": 2, "db_read": 100, "db_write": 10},
            "requests": [
                {"id": "R", "op": "read", "key": "k", "at_ms": 0},
                {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 10}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let mut sim = cachescope::sim::Simulation::new(&scenario).unwrap();
    sim.run();
    let explanation =
        cachescope::model::explain::stale_window(sim.trace(), "k", 104, None).unwrap();
    assert_eq!(
        explanation.sentence,
        "R's DB read, issued at 2 ms, returned v1 at 102 ms (its snapshot predates the commit); \
         W committed v2 at 20 ms and deleted at 22 ms; R set v1 at 104 ms, so the cache is stale \
         until the entry expires"
    );
}
