//! The rules revision 2 of the scenario format corrected, each pinned by a
//! timeline derived by hand from docs/SCENARIO.md (the derivation is the
//! comment above each expectation).

mod support;

use serde_json::json;
use support::{run, trace_lines, windows};

/// Asserts that the report's trace has each of these lines
/// (`start-end actor op key result`).
fn has_lines(report: &serde_json::Value, expected: &[&str]) {
    let lines = trace_lines(report);
    for line in expected {
        assert!(lines.iter().any(|l| l == line), "{line} in {lines:#?}");
    }
}

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
    has_lines(&report, &["2-102 R db.read k v2@2"]);
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
    has_lines(
        &report,
        &[
            "0-20 W db.write+outbox k committed @2",
            "100-110 relay outbox.poll * 1 unsent row(s)",
            "110-111 relay bus.publish k not acknowledged: to be published again",
            "200-210 relay outbox.poll * 1 unsent row(s)",
            "210-211 relay bus.publish k sent to partition 0",
            "211-231 relay outbox.mark_sent * marked sent",
            "261-262 consumer cache.delete k deleted",
            "300-310 relay outbox.poll * 0 unsent row(s)",
        ],
    );
    assert_eq!(windows(&report), ["k stale 20-262"]);
    assert_eq!(
        report["bus"],
        json!({"published": 2, "delivered": 1, "lost": 0, "duplicated": 0, "retried": 1, "redelivered": 0})
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
    has_lines(
        &report,
        &[
            "20-20 cdc bus.publish k commit @2 not acknowledged: published again at 30 ms",
            "30-30 cdc bus.publish k commit @2 sent to partition 0 (published again)",
            "80-81 consumer cache.delete k deleted",
        ],
    );
    assert_eq!(windows(&report), ["k stale 20-81"]);
    assert_eq!(
        report["bus"],
        json!({"published": 2, "delivered": 1, "lost": 0, "duplicated": 0, "retried": 1, "redelivered": 0})
    );

    // The app's own publish is fire-and-forget: dropped, it is lost, and
    // the cache stays stale.
    let mut event = cdc;
    event["strategy"]["channel"] = json!("event");
    let report = run(&event);
    assert_eq!(
        report["bus"],
        json!({"published": 1, "delivered": 0, "lost": 1, "duplicated": 0, "retried": 0, "redelivered": 0})
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
    has_lines(
        &report,
        &["32-33 R2 cache.lease_get k miss, stale v1@1 kept (wait for another reader's fill)"],
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
    has_lines(
        &report,
        &[
            "94-95 R2 cache.lease_get k miss, wait for another reader's fill",
            "105-106 R2 cache.lease_get k miss, lease #2",
        ],
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
    has_lines(
        &report,
        &[
            "104-105 R1 cache.unlock k lock expired and now held by #2: left alone",
            "106-107 R3 cache.lock_add k lock held by another",
        ],
    );
    // A plain delete removes R2's lock, so R3 takes a third lock and a
    // third reader reads the DB.
    scenario["strategy"]["unsafe_unlock"] = json!(true);
    let report = run(&scenario);
    has_lines(
        &report,
        &[
            "104-105 R1 cache.unlock k deleted another holder's lock #2",
            "106-107 R3 cache.lock_add k locked, token #3",
        ],
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

#[test]
fn an_app_crash_cancels_what_was_not_yet_sent_and_lets_what_was_take_effect() {
    // W (app 0): commit 0-20, delete 20-21 (acknowledged at 21), second
    // delete due at 20 + 100 = 120. R (app 0): miss 30-31, DB read issued
    // at 31, lands 41. The crash at 35: R's read was sent (31 < 35), so it
    // takes effect at 41 and R stops there, aborted, without its set; W's
    // second delete was not sent (due at 120), so it never happens, and W,
    // acknowledged, stays ok.
    let scenario = json!({
        "keys": {"k": "v1"},
        "prewarm": true,
        "strategy": {"double_delete_ms": 100},
        "requests": [
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0, "app": 0},
            {"id": "R", "op": "read", "key": "k", "at_ms": 30, "app": 0}
        ],
        "faults": [{"at_ms": 35, "kind": "app_crash", "app": 0}]
    });
    let report = run(&scenario);
    assert_eq!(
        trace_lines(&report),
        [
            "0-20 W db.write k committed @2",
            "20-21 W cache.delete k deleted",
            "30-31 R cache.get k miss",
            "35-35 fault app.crash * app 0 restarts; 2 in-flight request(s) stop",
            "31-41 R db.read k v2@2",
        ]
    );
    assert_eq!(report["requests"][0]["outcome"], "ok");
    assert_eq!(report["requests"][1]["outcome"], "aborted");
    assert_eq!(report["cache"]["deletes"], 1);
}

#[test]
fn a_write_through_write_finishes_in_the_cache_tier_when_its_app_crashes() {
    // W (app 0) reaches the tier at 0-1 and commits 1-21; the crash at 10
    // cannot stop the tier's work: the set lands 21-22, and only the
    // reply is dropped (aborted, but committed and cached).
    let report = run(&json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "write_through"},
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0}],
        "faults": [{"at_ms": 10, "kind": "app_crash", "app": 0}]
    }));
    has_lines(&report, &["21-22 W cache.set k stored until 300022 ms"]);
    assert_eq!(report["requests"][0]["outcome"], "aborted");
    assert_eq!(report["keys"]["k"]["cache"]["value"], "v2");
    assert_eq!(report["keys"]["k"]["db"]["version"], 2);
}

#[test]
fn delete_first_with_a_double_delete_removes_the_refill() {
    // W: delete 0-1, commit 1-21 (acknowledged), second delete due 21 + 30
    // = 51, lands 52. R at 2: miss 2-3, reads v1 (its snapshot at 3; the
    // commit lands at 21) 3-13, sets v1 13-14: stale from the commit (21)
    // until the second delete (52).
    let report = run(&json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "delete_first", "double_delete_ms": 30},
        "requests": [
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0},
            {"id": "R", "op": "read", "key": "k", "at_ms": 2}
        ]
    }));
    has_lines(&report, &["51-52 W cache.delete k deleted"]);
    assert_eq!(windows(&report), ["k stale 21-52"]);
    assert_eq!(report["requests"][0]["end_ms"], 21);
}

#[test]
fn a_miss_reads_a_lagging_replica_and_refills_the_old_value_until_a_double_delete() {
    // Replica lag 50. W: commit 0-20 (@2 on the primary; the replica
    // applies it at 70), delete 20-21. R at 30 misses (30-31) and reads the
    // replica (31-41): v1@1, and sets it 41-42: stale from 42 (and, with
    // the prewarmed v1, from the commit to the delete, 20-21). R2 at 110
    // hits v1: a stale read (v2 committed at 20).
    let mut scenario = json!({
        "keys": {"k": "v1"},
        "prewarm": true,
        "db": {"replica_lag_ms": 50},
        "requests": [
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0},
            {"id": "R", "op": "read", "key": "k", "at_ms": 30},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 110}
        ]
    });
    let report = run(&scenario);
    assert_eq!(
        trace_lines(&report),
        [
            "0-20 W db.write k committed @2",
            "20-21 W cache.delete k deleted",
            "30-31 R cache.get k miss",
            "31-41 R db.read k v1@1",
            "41-42 R cache.set k stored until 300042 ms",
            "20-70 replica replica.apply k applied v2@2",
            "110-111 R2 cache.get k hit v1@1",
        ]
    );
    assert_eq!(windows(&report), ["k stale 20-21", "k stale 42-open"]);
    assert_eq!(report["requests"][2]["stale"], true);
    // A double delete later than the lag (20 + 80 = 100, landing 101)
    // removes the refill; R2 misses and reads the caught-up replica.
    scenario["strategy"] = json!({"double_delete_ms": 80});
    let report = run(&scenario);
    assert_eq!(windows(&report), ["k stale 20-21", "k stale 42-101"]);
    assert_eq!(report["requests"][2]["value"], "v2");
    assert_eq!(report["requests"][2]["stale"], false);

    // Scheduled: `replica` is an actor; named after R's read, R reads v1.
    let mut scheduled = json!({
        "keys": {"k": "v1"},
        "prewarm": true,
        "db": {"replica_lag_ms": 50},
        "requests": [
            {"id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0},
            {"id": "R", "op": "read", "key": "k", "at_ms": 30}
        ],
        "schedule": ["W", "W", "R", "R", "R", "replica"]
    });
    let report = run(&scheduled);
    assert_eq!(report["requests"][1]["value"], "v1");
    assert_eq!(windows(&report), ["k stale 20-21", "k stale 42-open"]);
    // Named before R's read (the replica applies at 20 + 50 = 70), R
    // reads v2.
    scheduled["schedule"] = json!(["W", "W", "replica", "R", "R", "R"]);
    let report = run(&scheduled);
    assert_eq!(report["requests"][1]["value"], "v2");
    has_lines(&report, &["20-70 replica replica.apply k applied v2@2"]);
    // Naming it with nothing to apply is an error naming the entry.
    scheduled["schedule"] = json!(["replica"]);
    assert!(support::rejection(&scheduled).starts_with("schedule[0]:"));
}

#[test]
fn a_paused_instance_sees_its_reply_only_when_the_pause_ends_and_its_lock_expires() {
    // Locks live 50 ms. R1 (app 0): miss 0-1, lock #1 1-2 (until 52),
    // re-check 2-3, DB read 3-13; app 0 is paused 5-100, so the row waits
    // until 100. R2 (app 1) at 60: miss 60-61, lock #2 61-62 (R1's expired
    // at 52), re-check 62-63, read 63-73, fill 73-74, unlock 74-75. R1
    // resumes at 100: fill 100-101, and its unlock 101-102 finds no lock.
    let report = run(&json!({
        "apps": 2,
        "keys": {"k": "v1"},
        "strategy": {"stampede": "lock", "lock_ttl_ms": 50},
        "requests": [
            {"id": "R1", "op": "read", "key": "k", "at_ms": 0, "app": 0},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 60, "app": 1}
        ],
        "faults": [{"kind": "app_pause", "app": 0, "from_ms": 5, "to_ms": 100}]
    }));
    has_lines(
        &report,
        &[
            "3-13 R1 db.read k v1@1",
            "61-62 R2 cache.lock_add k locked, token #2",
            "100-101 R1 cache.set k stored until 300101 ms",
            "101-102 R1 cache.unlock k no lock to release (it expired, or another deleted it)",
        ],
    );
    assert_eq!(report["requests"][0]["end_ms"], 102);
    assert_eq!(report["db"]["reads"], 2);
    // A request sent to the paused instance is taken up when it resumes.
    let report = run(&json!({
        "keys": {"k": "v1"},
        "requests": [{"id": "R", "op": "read", "key": "k", "at_ms": 10}],
        "faults": [{"kind": "app_pause", "app": 0, "from_ms": 5, "to_ms": 100}]
    }));
    has_lines(&report, &["100-101 R cache.get k miss"]);
    assert_eq!(report["requests"][0]["start_ms"], 10);
}

#[test]
fn a_write_behind_write_lost_while_its_instance_is_paused_is_lost_only_once_acknowledged() {
    // Write-behind, flush 1000 ms after the dirty set. W (app 0) at 0:
    // cache.set_dirty 0-1 stores A; app 0 is paused 1-100, so the
    // acknowledgement waits until 100. The cache crashes at 50 and loses
    // the dirty A. If the pause ends first (at 100) W's client is told A
    // is written: an acknowledged write never committed, a lost write.
    let mut scenario = json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "write_behind", "write_behind_ms": 1000},
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "A", "at_ms": 0}],
        "faults": [
            {"kind": "app_pause", "app": 0, "from_ms": 1, "to_ms": 100},
            {"at_ms": 50, "kind": "cache_crash"}
        ]
    });
    let report = run(&scenario);
    assert_eq!(report["requests"][0]["end_ms"], 100);
    assert_eq!(report["requests"][0]["lost"], true);
    assert_eq!(report["lost_writes"], 1);
    // If app 0 crashes at 80 instead, before the pause ends, W's client is
    // never answered: nothing was promised, so nothing is lost.
    scenario["faults"]
        .as_array_mut()
        .unwrap()
        .push(json!({"at_ms": 80, "kind": "app_crash", "app": 0}));
    let report = run(&scenario);
    assert_eq!(report["requests"][0]["outcome"], "aborted");
    assert_eq!(report["lost_writes"], 0);
}

#[test]
fn a_consumer_crash_applies_again_what_it_had_not_committed_and_the_cache_regresses() {
    // Update events, offsets committed 100 ms after the first event applied
    // since the last commit. W1 commits A @2 at 20, publishes 20-21; the
    // consumer sets A at 71-72 (commit due at 172). W2 commits B @3 at 50,
    // publishes 50-51; the consumer sets B at 101-102 (so A@2 was stale
    // from its set at 72, the DB having @3 since 50). The crash at 150
    // comes before the commit: both events are applied again, A at 150-151
    // (the cache regresses to @2 while the DB holds @3), B at 151-152.
    let mut scenario = json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "update", "channel": "event"},
        "bus": {"commit_interval_ms": 100},
        "requests": [
            {"id": "W1", "op": "write", "key": "k", "value": "A", "at_ms": 0},
            {"id": "W2", "op": "write", "key": "k", "value": "B", "at_ms": 30}
        ],
        "faults": [{"at_ms": 150, "kind": "consumer_crash", "partition": null}]
    });
    let report = run(&scenario);
    has_lines(
        &report,
        &[
            "150-150 fault consumer.crash * every consumer restarts from its last committed offset; 2 event(s) applied again",
            "150-151 consumer cache.set k stored until 300151 ms",
            "151-152 consumer cache.set k stored until 300152 ms",
        ],
    );
    assert_eq!(windows(&report), ["k stale 72-102", "k stale 151-152"]);
    assert_eq!(report["bus"]["redelivered"], 2);
    // Versioned sets make the consumer idempotent: the replayed A is refused.
    scenario["strategy"]["versioned_sets"] = json!(true);
    let report = run(&scenario);
    assert_eq!(windows(&report), ["k stale 72-102"]);
    assert_eq!(report["cache"]["rejected_sets"], 1);
    // After the commit (due at 172), a crash has nothing to apply again.
    scenario["faults"][0]["at_ms"] = json!(200);
    let report = run(&scenario);
    assert_eq!(report["bus"]["redelivered"], 0);
}

#[test]
fn stale_values_answer_a_write_heavy_hot_keys_readers_at_once_on_the_same_requests() {
    // The paper's use of stale values (NSDI 2013, 3.2.1) is to cut waiting:
    // plain leases against leases with stale values, on the lesson's own
    // workload. Rev 3: the workload's requests come from a stream of their
    // own, so both runs send exactly the same reads and writes.
    let plain = support::lesson("lease-hot-key");
    let mut stale = plain.clone();
    stale["strategy"]["lease_stale_ms"] = json!(1000);
    stale["strategy"]["accept_stale"] = json!(true);
    let (plain, stale) = (run(&plain), run(&stale));
    assert_eq!(plain["requests"], stale["requests"], "paired");
    let n = |r: &serde_json::Value, pointer: &str| r.pointer(pointer).unwrap().as_u64().unwrap();
    // Plain leases: most reads wait out wait_max_ms and fall back; with
    // stale values none waits, and most reads are stale.
    assert!(n(&plain, "/fallback_reads") > 400);
    assert_eq!(n(&stale, "/fallback_reads"), 0);
    assert!(n(&plain, "/latency_ms/read_p50") >= 100);
    assert!(n(&stale, "/latency_ms/read_p50") <= 5);
    assert!(n(&plain, "/db/reads") >= 10 * n(&stale, "/db/reads"));
    assert!(n(&stale, "/stale_reads") > 600);
}

#[test]
fn lock_expiry_shows_a_plain_delete_costing_a_third_db_read() {
    // The lesson's timeline (derived in its text): R1's lock #1 expires
    // while app 0 is paused (35-175); R2 takes #2 at 136-137; R1's plain
    // delete at 176-177 removes #2; W's second delete (20 + 157 = 177,
    // landing 178) clears R1's fill; R3 misses at 179-180 and takes #3.
    let mut scenario = support::lesson("lock-expiry");
    let report = run(&scenario);
    has_lines(
        &report,
        &[
            "176-177 R1 cache.unlock hot deleted another holder's lock #2",
            "177-178 W cache.delete hot deleted",
            "180-181 R3 cache.lock_add hot locked, token #3",
            "189-190 R2 cache.unlock hot deleted another holder's lock #3",
        ],
    );
    assert_eq!(report["db"]["reads"], 3);
    // Compare-and-delete: R1 leaves #2 alone, R3 is refused and hits R2's
    // fill when it looks again at 191.
    scenario["strategy"]["unsafe_unlock"] = json!(false);
    let report = run(&scenario);
    has_lines(
        &report,
        &[
            "176-177 R1 cache.unlock hot lock expired and now held by #2: left alone",
            "191-192 R3 cache.get hot hit v2@2",
        ],
    );
    assert_eq!(report["db"]["reads"], 2);
}

#[test]
fn a_replica_refill_and_a_consumer_replay_explain_themselves() {
    use cachescope::model::explain;
    let explained = |name: &str| {
        let report = support::lesson_report(name);
        let trace = report.trace.clone().unwrap();
        let open = report.divergence.last().unwrap();
        explain::stale_window(&trace, &open.key, open.from_ms, open.to_ms)
            .unwrap()
            .sentence
    };
    assert_eq!(
        explained("replica-lag"),
        "R read v1 from the replica at 41 ms (it applied v2 only at 70 ms); W committed v2 at \
         20 ms and deleted at 21 ms; R set v1 at 42 ms, so the cache is stale until the entry \
         expires"
    );
    let replay = explained("consumer-replay");
    assert!(
        replay.contains(
            "the consumer crashed at 150 ms before committing its offset and applied this event \
             again: it set v2 at 151 ms"
        ),
        "{replay}"
    );
}

#[test]
fn a_fallback_read_is_marked_on_the_timeline_and_explains_itself() {
    use cachescope::model::{explain, timeline};
    // The lease waiter of the test above: R2 falls back at 53-353.
    let scenario = json!({
        "keys": {"k": "v1"},
        "latency_ms": {"cache": 1, "db_read": 300},
        "strategy": {"stampede": "lease", "retry_ms": 10, "wait_max_ms": 50},
        "requests": [
            {"id": "R1", "op": "read", "key": "k", "at_ms": 0},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 1}
        ]
    });
    let scenario = cachescope::sim::Scenario::from_json(&scenario.to_string()).unwrap();
    let mut sim = cachescope::sim::Simulation::new(&scenario).unwrap();
    sim.run();
    let report = cachescope::sim::Report::of(&sim, true);
    let layout = timeline::layout(&report);
    let fallbacks: Vec<_> = layout
        .marks
        .iter()
        .filter(|m| m.kind == timeline::MarkKind::FallbackRead)
        .collect();
    assert_eq!(fallbacks.len(), 1);
    assert_eq!(fallbacks[0].at_ms, 353);
    let r2 = &report.listed_requests()[1];
    let explanation = explain::fallback_read(report.trace.as_deref().unwrap(), r2).unwrap();
    assert_eq!(
        explanation.sentence,
        "R2 was refused a lease token 6 time(s) from 2 ms to 53 ms; its wait ran out, so it read \
         v1 from the DB itself at 353 ms without filling the cache (a fallback read: one more DB \
         read, no protection for the next reader)"
    );
}

#[test]
fn cdc_publishes_in_commit_order_behind_an_unacknowledged_commit() {
    // Timed: W1 commits A @2 at 20, its publish is dropped, so it goes
    // again at 30; W2's commit B @3 at 25 waits behind it; at 30 both are
    // published, A then B; the consumer sets A (80-81) then B (81-82).
    let scenario = json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "update", "channel": "cdc", "retry_ms": 10},
        "faults": [{"at_ms": 0, "kind": "bus_drop", "count": 1}],
        "requests": [
            {"id": "W1", "op": "write", "key": "k", "value": "A", "at_ms": 0},
            {"id": "W2", "op": "write", "key": "k", "value": "B", "at_ms": 5}
        ]
    });
    let report = run(&scenario);
    has_lines(
        &report,
        &[
            "20-20 cdc bus.publish k commit @2 not acknowledged: published again at 30 ms",
            "25-25 cdc bus.publish k commit @3 waits behind an unacknowledged one",
            "30-30 cdc bus.publish k commit @2 sent to partition 0 (published again)",
            "30-30 cdc bus.publish k commit @3 sent to partition 0",
            "80-81 consumer cache.set k stored until 300081 ms",
            "81-82 consumer cache.set k stored until 300082 ms",
        ],
    );
    assert_eq!(report["keys"]["k"]["cache"]["value"], "B");
    assert_eq!(report["bus"]["retried"], 1);

    // Scheduled: the bus_drop is a schedule entry, W's commit at 20 is not
    // acknowledged and its retry instant (30) is computed at once: the
    // consumer's set is issued at the delivery instant 80.
    let scheduled = json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "update", "channel": "cdc", "retry_ms": 10},
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "A", "at_ms": 0}],
        "schedule": [{"kind": "bus_drop", "count": 1}, "W", "consumer"]
    });
    let report = run(&scheduled);
    has_lines(
        &report,
        &[
            "20-20 cdc bus.publish k commit @2 not acknowledged 1 time(s); sent to partition 0 at 30 ms",
            "80-81 consumer cache.set k stored until 300081 ms",
        ],
    );
}

#[test]
fn an_outbox_poll_sees_the_rows_committed_before_it_was_issued() {
    // W1's row commits at 20 and starts the relay; its poll issued at 100
    // lands at 110. W2's row commits at 85 + 20 = 105, during that poll:
    // the poll (a DB read, as of 100) does not see it; the next one, at
    // 200, does.
    let report = run(&json!({
        "keys": {"k": "v1", "j": "v1"},
        "strategy": {"write": "invalidate", "channel": "outbox"},
        "requests": [
            {"id": "W1", "op": "write", "key": "k", "value": "v2", "at_ms": 0},
            {"id": "W2", "op": "write", "key": "j", "value": "v2", "at_ms": 85}
        ]
    }));
    has_lines(
        &report,
        &[
            "85-105 W2 db.write+outbox j committed @2",
            "100-110 relay outbox.poll * 1 unsent row(s)",
            "200-210 relay outbox.poll * 1 unsent row(s)",
            "210-211 relay bus.publish j sent to partition 0",
        ],
    );
}
