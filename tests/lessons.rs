//! Each built-in lesson's outcome, pinned: the timeline it produces and the
//! anomaly it teaches. The expected times are derived by hand in comments
//! from the lesson's latencies (cache 1 ms, DB read 10 ms, DB write 20 ms).

mod support;

use serde_json::json;
use support::{lesson, run, trace_lines, windows};

#[test]
fn every_lesson_runs_to_completion() {
    for l in cachescope::lessons::LESSONS {
        let report = run(&lesson(l.name));
        match report["requests"].as_array() {
            Some(requests) => {
                // A request is stopped only by its app's crash, on purpose.
                let crashes = l.scenario_json.contains("app_crash");
                for request in requests {
                    let stopped = crashes && request["outcome"] == "aborted";
                    assert!(
                        request["outcome"] == "ok" || stopped,
                        "{}: {request}",
                        l.name
                    );
                }
            }
            // A workload's requests are counted: all answered.
            None => {
                assert_eq!(report["requests"]["unfinished"], 0, "{}", l.name);
                assert_eq!(report["requests"]["aborted"], 0, "{}", l.name);
            }
        }
    }
}

#[test]
fn update_on_write_race_leaves_the_earlier_writers_value_cached_after_the_later_commit() {
    let report = run(&lesson("update-on-write-race"));
    // Both writes are issued at 0 and land at 20 in schedule order (W1 then
    // W2); both cache sets are issued at 20 and land at 21, W2's first.
    assert_eq!(
        trace_lines(&report),
        [
            "0-20 W1 db.write user:123 committed @2",
            "0-20 W2 db.write user:123 committed @3",
            "20-21 W2 cache.set user:123 stored until 300021 ms",
            "20-21 W1 cache.set user:123 stored until 300021 ms",
            "30-31 R cache.get user:123 hit A@2",
        ]
    );
    assert_eq!(
        report["keys"]["user:123"]["db"],
        json!({"value": "B", "version": 3})
    );
    assert_eq!(report["keys"]["user:123"]["cache"]["value"], "A");
    // The window opens at W1's set and is still open: only the TTL ends it.
    assert_eq!(windows(&report), ["user:123 stale 21-open"]);
    assert_eq!(report["stale_ms"], 10);
    assert_eq!(report["requests"][2]["stale"], true);
    assert_eq!(report["stale_reads"], 1);
}

#[test]
fn invalidate_on_write_leaves_only_the_commit_to_delete_gap_stale() {
    let report = run(&lesson("invalidate-on-write"));
    assert_eq!(
        trace_lines(&report),
        [
            "5-6 R1 cache.get user:123 hit v1@1",
            "0-20 W db.write user:123 committed @2",
            "20-21 W cache.delete user:123 deleted",
            "30-31 R2 cache.get user:123 miss",
            "31-41 R2 db.read user:123 v2@2",
            "41-42 R2 cache.set user:123 stored until 300042 ms",
        ]
    );
    // Commit at 20, delete at 21: one millisecond of divergence.
    assert_eq!(windows(&report), ["user:123 stale 20-21"]);
    assert_eq!(report["stale_ms"], 1);
    // R1 read v1 before the commit: old, but not stale by definition.
    assert_eq!(report["requests"][1]["stale"], false);
    assert_eq!(report["stale_reads"], 0);
    assert_eq!(report["keys"]["user:123"]["cache"]["value"], "v2");
}

#[test]
fn read_write_race_under_invalidate_on_write_caches_the_old_value_after_the_delete() {
    let report = run(&lesson("read-write-race"));
    // R's set is issued at 11 (after its DB read) but the schedule holds it
    // until after W's delete at 26: it lands at max(26, 12) = 26.
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 R cache.get user:123 miss",
            "1-11 R db.read user:123 v1@1",
            "5-25 W db.write user:123 committed @2",
            "25-26 W cache.delete user:123 absent",
            "11-26 R cache.set user:123 stored until 300026 ms",
            "40-41 R2 cache.get user:123 hit v1@1",
        ]
    );
    assert_eq!(
        report["keys"]["user:123"]["db"],
        json!({"value": "v2", "version": 2})
    );
    assert_eq!(report["keys"]["user:123"]["cache"]["version"], 1);
    assert_eq!(windows(&report), ["user:123 stale 26-open"]);
    assert_eq!(report["stale_ms"], 15);
    assert_eq!(report["requests"][2]["stale"], true);
}

#[test]
fn delete_first_lets_a_reader_refill_the_old_value_before_the_commit() {
    let report = run(&lesson("delete-first"));
    // W's delete lands at 1 and its commit at 21; R misses at 3, reads v1 at
    // 13 and sets it at 14, before the commit.
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 W cache.delete user:123 deleted",
            "2-3 R cache.get user:123 miss",
            "3-13 R db.read user:123 v1@1",
            "13-14 R cache.set user:123 stored until 300014 ms",
            "1-21 W db.write user:123 committed @2",
            "30-31 R2 cache.get user:123 hit v1@1",
        ]
    );
    assert_eq!(windows(&report), ["user:123 stale 21-open"]);
    assert_eq!(report["stale_ms"], 10);
    assert_eq!(report["requests"][2]["stale"], true);
}

#[test]
fn ttl_only_is_stale_from_the_commit_until_the_entry_expires() {
    let report = run(&lesson("ttl-only"));
    // Prewarmed at 0 with TTL 1000: expires at 1000. Commit at 120. The
    // window is expiry - commit = 880 ms.
    assert_eq!(windows(&report), ["user:123 stale 120-1000"]);
    assert_eq!(report["stale_ms"], 880);
    assert_eq!(report["requests"][1]["value"], "v1");
    assert_eq!(report["requests"][1]["stale"], true);
    assert_eq!(report["requests"][2]["value"], "v2");
    assert_eq!(report["requests"][2]["source"], "db");
    assert_eq!(report["stale_reads"], 1);
}

#[test]
fn leases_reject_the_slow_readers_set_so_the_cache_never_goes_stale() {
    let report = run(&lesson("leases"));
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 R cache.lease_get user:123 miss, lease #1",
            "1-11 R db.read user:123 v1@1",
            "5-25 W db.write user:123 committed @2",
            "25-26 W cache.delete user:123 absent",
            "11-26 R cache.lease_set user:123 rejected: lease invalidated",
            "40-41 R2 cache.lease_get user:123 miss, lease #2",
            "41-51 R2 db.read user:123 v2@2",
            "51-52 R2 cache.lease_set user:123 stored until 300052 ms",
        ]
    );
    assert_eq!(windows(&report), Vec::<String>::new());
    assert_eq!(report["stale_ms"], 0);
    assert_eq!(report["stale_reads"], 0);
    assert_eq!(report["cache"]["rejected_sets"], 1);
    assert_eq!(report["keys"]["user:123"]["cache"]["value"], "v2");
}

#[test]
fn delayed_double_delete_closes_the_window_at_commit_plus_delay_plus_one_cache_op() {
    let report = run(&lesson("delayed-double-delete"));
    // Commit at 25; the second delete is issued at 25 + 50 = 75 and lands
    // at 76. R's late set at 26 opens the window; the second delete closes it.
    assert_eq!(
        trace_lines(&report)[4..],
        [
            "11-26 R cache.set user:123 stored until 300026 ms",
            "75-76 W cache.delete user:123 deleted",
            "100-101 R2 cache.get user:123 miss",
            "101-111 R2 db.read user:123 v2@2",
            "111-112 R2 cache.set user:123 stored until 300112 ms",
        ]
    );
    assert_eq!(windows(&report), ["user:123 stale 26-76"]);
    assert_eq!(report["stale_ms"], 50);
    // The client was answered after the first delete, not the second.
    assert_eq!(report["requests"][1]["end_ms"], 26);
    assert_eq!(report["requests"][2]["value"], "v2");
}

#[test]
fn versioned_sets_accept_the_slow_readers_set_because_the_delete_left_nothing_to_compare() {
    let versioned = run(&lesson("versioned-sets"));
    let unversioned = run(&lesson("read-write-race"));
    // Exactly the unprotected outcome: v1 cached after v2's commit.
    assert_eq!(trace_lines(&versioned), trace_lines(&unversioned));
    assert_eq!(windows(&versioned), ["user:123 stale 26-open"]);
    assert_eq!(versioned["cache"]["rejected_sets"], 0);
    assert_eq!(versioned["stale_reads"], 1);
}

#[test]
fn versioned_sets_do_fix_the_update_on_write_race() {
    let mut scenario = lesson("update-on-write-race");
    scenario["strategy"]["versioned_sets"] = json!(true);
    let report = run(&scenario);
    // W1's set of A@2 arrives after W2's B@3 is cached: refused.
    assert_eq!(
        trace_lines(&report)[3],
        "20-21 W1 cache.set user:123 rejected: cache holds @3"
    );
    assert_eq!(report["keys"]["user:123"]["cache"]["value"], "B");
    assert_eq!(windows(&report), Vec::<String>::new());
    assert_eq!(report["stale_reads"], 0);
}

#[test]
fn a_lease_waiter_retries_until_the_holder_has_filled_the_key() {
    // R1 takes the lease at 1 and fills the key at 12. R2's lease_get at 2
    // must wait; it retries every 10 ms (issued 12, lands 13) and hits.
    let report = run(&json!({
        "keys": {"k": "v1"},
        "strategy": {"stampede": "lease", "retry_ms": 10},
        "requests": [
            {"id": "R1", "op": "read", "key": "k", "at_ms": 0},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 1}
        ]
    }));
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 R1 cache.lease_get k miss, lease #1",
            "1-2 R2 cache.lease_get k miss, wait for another reader's fill",
            "1-11 R1 db.read k v1@1",
            "11-12 R1 cache.lease_set k stored until 300012 ms",
            "12-13 R2 cache.lease_get k hit v1@1",
        ]
    );
    assert_eq!(report["db"]["reads"], 1);
}

#[test]
fn cache_then_db_is_ahead_until_the_commits_then_stale_when_the_writers_cross() {
    let report = run(&lesson("cache-then-db"));
    // Both sets land at 1 (ahead of the DB); R0 reads B uncommitted at 6;
    // W2 commits B (@2) at 21, then W1 commits A (@3) at 21: cache B, DB A.
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 W1 cache.set user:123 stored until 300001 ms",
            "0-1 W2 cache.set user:123 stored until 300001 ms",
            "5-6 R0 cache.get user:123 hit B (uncommitted)",
            "1-21 W2 db.write user:123 committed @2",
            "1-21 W1 db.write user:123 committed @3",
            "30-31 R cache.get user:123 hit B@2",
        ]
    );
    assert_eq!(
        windows(&report),
        ["user:123 ahead 1-21", "user:123 stale 21-open"]
    );
    assert_eq!(
        (report["ahead_ms"].clone(), report["stale_ms"].clone()),
        (json!(20), json!(10))
    );
    // R0's read was uncommitted but B was committed later: not a phantom.
    assert_eq!(report["requests"][2]["uncommitted"], true);
    assert_eq!(report["requests"][2]["phantom"], false);
    assert_eq!(report["requests"][2]["version"], 2);
    assert_eq!(report["uncommitted_reads"], 1);
    assert_eq!(report["phantom_reads"], 0);
    assert_eq!(report["requests"][3]["stale"], true);
    // Cache-then-DB acknowledges after the commit: the writers' latency is
    // the cache set plus the DB write.
    assert_eq!(report["requests"][0]["end_ms"], 21);
}

#[test]
fn write_through_serialises_the_writers_in_the_cache_tier_so_they_cannot_cross() {
    let report = run(&lesson("write-through"));
    // W1 reaches the tier and takes the key's lock (0-1); W2 (0-1) and
    // R0's fill after its miss (6-7) line up. W1 commits A @2 (1-21) and
    // caches it (21-22), letting go: W2 commits B @3 (22-42), caches it
    // (42-43), letting go: R0's fill looks again and hits B (43-44). R at
    // 30 hits A, the latest commit before it started: not stale.
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 W1 cache.tier_lock user:123 key locked in the cache tier",
            "0-1 W2 cache.tier_lock user:123 in line behind another write or fill of the key",
            "5-6 R0 cache.get user:123 miss",
            "6-7 R0 cache.tier_lock user:123 in line behind another write or fill of the key",
            "1-21 W1 db.write user:123 committed @2",
            "21-22 W1 cache.set user:123 stored until 300022 ms",
            "30-31 R cache.get user:123 hit A@2",
            "22-42 W2 db.write user:123 committed @3",
            "42-43 W2 cache.set user:123 stored until 300043 ms",
            "43-44 R0 cache.get user:123 hit B@3",
        ]
    );
    // Never ahead; stale only between W2's commit and its own set.
    assert_eq!(windows(&report), ["user:123 stale 42-43"]);
    assert_eq!(report["keys"]["user:123"]["cache"]["value"], "B");
    assert_eq!(report["stale_reads"], 0);
    assert_eq!(report["uncommitted_reads"], 0);
    assert_eq!(report["requests"][1]["end_ms"], 43);
}

#[test]
fn write_behind_crash_loses_every_acknowledged_unflushed_write() {
    let report = run(&lesson("write-behind-crash"));
    // Acknowledged at once (end 1 and 11), dirty from 1; the crash at 500
    // comes before the flush due at 1 + 1000 = 1001.
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 W1 cache.set_dirty user:123 stored until 300001 ms",
            "10-11 W2 cache.set_dirty user:123 stored until 300011 ms",
            "20-21 R cache.get user:123 hit B (uncommitted)",
            "500-500 fault cache.crash * all entries lost; 1 dirty key(s), 2 unflushed write(s) lost",
            "600-601 R2 cache.get user:123 miss",
            "601-611 R2 db.read user:123 v1@1",
            "611-612 R2 cache.set user:123 stored until 300612 ms",
            "1001-1021 flusher flush user:123 nothing to flush",
        ]
    );
    assert_eq!(report["lost_writes"], 2);
    assert_eq!(report["unflushed_writes"], 0);
    assert_eq!(report["requests"][0]["lost"], true);
    assert_eq!(report["requests"][0]["end_ms"], 1);
    assert_eq!(report["requests"][1]["lost"], true);
    assert_eq!(report["requests"][2]["phantom"], true);
    assert_eq!(report["phantom_reads"], 1);
    assert_eq!(report["db"]["writes"], 0);
    assert_eq!(windows(&report), ["user:123 ahead 1-500"]);
    assert_eq!(report["ahead_ms"], 499);
    assert_eq!(report["requests"][3]["value"], "v1");
}

#[test]
fn write_behind_coalesces_a_dirty_period_into_one_db_write() {
    let mut scenario = lesson("write-behind-crash");
    scenario.as_object_mut().unwrap().remove("faults");
    let report = run(&scenario);
    // Dirty from 1; flushed at 1001 + 20 = 1021 with the latest value B.
    assert_eq!(
        trace_lines(&report).last().unwrap(),
        "1001-1021 flusher flush user:123 committed @2"
    );
    assert_eq!(report["db"]["writes"], 1);
    assert_eq!(
        report["keys"]["user:123"]["db"],
        json!({"value": "B", "version": 2})
    );
    assert_eq!(report["lost_writes"], 0);
    // W1's A was replaced before the flush: acknowledged, never committed
    // by design (coalesced), so not lost.
    assert_eq!(report["requests"][0]["version"], serde_json::Value::Null);
    assert_eq!(report["requests"][1]["version"], 2);
    // R2 (at 600) hits the still-dirty B; the window closes at the flush.
    assert_eq!(report["requests"][3]["value"], "B");
    assert_eq!(windows(&report), ["user:123 ahead 1-1021"]);
}

#[test]
fn write_behind_writes_still_dirty_at_the_end_are_unflushed_not_lost() {
    let scenario = json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "write_behind", "write_behind_ms": 1000},
        "requests": [{"id": "W", "op": "write", "key": "k", "value": "v2"}],
        "schedule": ["W"]
    });
    let report = run(&scenario);
    assert_eq!(report["unflushed_writes"], 1);
    assert_eq!(report["lost_writes"], 0);
    assert_eq!(report["keys"]["k"]["cache"]["dirty"], true);
    assert_eq!(
        report["keys"]["k"]["cache"]["version"],
        serde_json::Value::Null
    );
}

#[test]
fn a_scheduled_cache_crash_and_the_flusher_are_schedule_entries() {
    let scenario = json!({
        "keys": {"k": "v1"},
        "strategy": {"write": "write_behind", "write_behind_ms": 100},
        "requests": [
            {"id": "W1", "op": "write", "key": "k", "value": "A"},
            {"id": "W2", "op": "write", "key": "k", "value": "B", "at_ms": 200}
        ],
        "schedule": ["W1", "flusher", "W2", {"kind": "cache_crash"}, "flusher"]
    });
    let report = run(&scenario);
    assert_eq!(
        trace_lines(&report),
        [
            "0-1 W1 cache.set_dirty k stored until 300001 ms",
            "101-121 flusher flush k committed @2",
            "200-201 W2 cache.set_dirty k stored until 300201 ms",
            "201-201 fault cache.crash * all entries lost; 1 dirty key(s), 1 unflushed write(s) lost",
            "301-321 flusher flush k nothing to flush",
        ]
    );
    assert_eq!(report["lost_writes"], 1);
    assert_eq!(report["requests"][0]["version"], 2);
    assert_eq!(report["requests"][1]["lost"], true);
}

/// DB reads, peak concurrent DB reads, cache misses and read p99 of a lesson.
fn stampede_figures(name: &str) -> (u64, u64, u64, u64) {
    let report = run(&lesson(name));
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    (
        n(&report["db"]["reads"]),
        n(&report["db"]["peak_concurrent_reads"]),
        n(&report["cache"]["misses"]),
        n(&report["latency_ms"]["read_p99"]),
    )
}

#[test]
fn the_stampede_lessons_show_what_each_protection_buys() {
    // Twelve reads arrive at 300-311 ms, after the hot key expired at 300;
    // a refill takes 1 + 120 + 1 ms, so without protection all twelve miss
    // and read the DB concurrently.
    assert_eq!(stampede_figures("stampede"), (12, 12, 12, 122));
    // Lock and lease: one DB read; the others poll every 10 ms (hence the
    // many misses) and wait up to the refill.
    let (reads, peak, misses, p99) = stampede_figures("stampede-lock");
    assert_eq!((reads, peak), (1, 1));
    assert!(misses > 12 && p99 >= 121, "{misses} {p99}");
    let (reads, peak, misses, _) = stampede_figures("stampede-lease");
    assert_eq!((reads, peak), (1, 1));
    assert!(misses > 12);
    // Singleflight: one DB read per app instance (four).
    assert_eq!(stampede_figures("stampede-singleflight").0, 4);
    assert_eq!(stampede_figures("stampede-singleflight").1, 4);
    // XFetch: nobody misses, but each reader that draws early reads the DB
    // itself and waits for it: E2 and E3 before the burst, then R2, R3 and
    // R10 at once (nothing coordinates them).
    assert_eq!(stampede_figures("stampede-xfetch"), (5, 3, 0, 122));
    // SWR: nobody misses and every read is one cache operation.
    assert_eq!(stampede_figures("stampede-swr"), (1, 1, 0, 1));
}

#[test]
fn singleflight_followers_share_the_leaders_read_on_the_same_instance_only() {
    // Three misses at once: Q0 and Q2 on app 0, Q1 on app 1. Q0 leads app
    // 0's read and Q2 shares it; Q1 reads on its own.
    let report = run(&json!({
        "apps": 2, "keys": {"k": "v1"},
        "strategy": {"stampede": "singleflight"},
        "requests": [
            {"id": "Q0", "op": "read", "key": "k", "app": 0},
            {"id": "Q1", "op": "read", "key": "k", "app": 1},
            {"id": "Q2", "op": "read", "key": "k", "app": 0}
        ]
    }));
    let lines = trace_lines(&report);
    assert_eq!(
        lines.iter().filter(|l| l.contains("db.read")).count(),
        2,
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"1-11 Q0 db.read k v1@1".to_string()),
        "{lines:#?}"
    );
    assert_eq!(report["requests"][2]["end_ms"], 11, "Q2 got Q0's row at 11");
    assert_eq!(report["requests"][2]["source"], "db");
    assert_eq!(report["db"]["peak_concurrent_reads"], 2);
}

#[test]
fn event_invalidation_is_stale_for_publish_plus_bus_delay_plus_the_delete() {
    let report = run(&lesson("event-invalidation"));
    // Commit at 20; publish lands at 21; delivery at 21 + 50 = 71; the
    // consumer's delete lands at 72. Window: [20, 72).
    assert_eq!(windows(&report), ["user:123 stale 20-72"]);
    assert_eq!(report["stale_ms"], 52);
    assert_eq!(report["requests"][1]["stale"], true);
    assert_eq!(report["requests"][2]["value"], "v2");
    assert_eq!(
        report["bus"],
        json!({"published": 1, "delivered": 1, "lost": 0, "duplicated": 0, "retried": 0, "redelivered": 0})
    );
}

#[test]
fn with_cdc_the_window_is_the_bus_delay_plus_one_cache_operation() {
    let mut scenario = lesson("event-invalidation");
    scenario["strategy"]["channel"] = json!("cdc");
    let report = run(&scenario);
    // The commit itself publishes at 20 (no app publish): delivered at 70,
    // deleted at 71.
    assert_eq!(windows(&report), ["user:123 stale 20-71"]);
    assert!(
        trace_lines(&report)
            .contains(&"20-20 cdc bus.publish user:123 commit @2 sent to partition 0".to_string())
    );
    // The writer's own work ends at its commit.
    assert_eq!(report["requests"][0]["end_ms"], 20);
}

#[test]
fn a_lost_event_leaves_the_entry_stale_until_its_ttl() {
    let report = run(&lesson("event-loss"));
    // Prewarmed with TTL 1000: the window runs from the commit (20) to the
    // expiry (1000).
    assert_eq!(windows(&report), ["user:123 stale 20-1000"]);
    assert_eq!(report["stale_ms"], 980);
    assert_eq!(report["bus"]["lost"], 1);
    assert_eq!(report["bus"]["delivered"], 0);
    assert_eq!(report["requests"][1]["value"], "v1");
    assert_eq!(report["requests"][2]["value"], "v2");
}

#[test]
fn unkeyed_partitions_with_lag_reorder_update_events() {
    let report = run(&lesson("kafka-partitions"));
    // W1's event: published at 21 on partition 0 (lag 100): delivered 171,
    // set at 172. W2's: published at 31 on partition 1: delivered 81, set at
    // 82. The older value lands last.
    assert_eq!(report["keys"]["user:123"]["db"]["value"], "B");
    assert_eq!(report["keys"]["user:123"]["cache"]["value"], "A");
    assert_eq!(windows(&report), ["user:123 stale 172-open"]);
    assert_eq!(report["requests"][2]["stale"], true);
}

#[test]
fn a_keyed_bus_keeps_a_keys_events_in_order_despite_lag() {
    let mut scenario = lesson("kafka-partitions");
    scenario["bus"]["keyed"] = json!(true);
    let report = run(&scenario);
    // Both events on the key's partition, delivered in publication order.
    assert_eq!(report["keys"]["user:123"]["cache"]["value"], "B");
    assert_eq!(report["stale_reads"], 0);
}

#[test]
fn duplicated_events_are_applied_twice_and_counted() {
    let mut scenario = lesson("event-invalidation");
    scenario["bus"]["duplicate"] = json!(1.0);
    let report = run(&scenario);
    assert_eq!(report["bus"]["duplicated"], 1);
    assert_eq!(report["bus"]["delivered"], 2);
    let deletes = trace_lines(&report)
        .iter()
        .filter(|l| l.contains("consumer cache.delete"))
        .count();
    assert_eq!(deletes, 2);
}

#[test]
fn a_paused_consumer_applies_delivered_events_when_it_resumes() {
    let mut scenario = lesson("event-invalidation");
    scenario["faults"] = json!([{"kind": "consumer_pause", "from_ms": 50, "to_ms": 400}]);
    let report = run(&scenario);
    // Delivered at 71 during the pause: applied at 400, deleted at 401.
    assert_eq!(windows(&report), ["user:123 stale 20-401"]);
}

#[test]
fn the_outbox_relay_publishes_at_least_once_across_a_relay_crash() {
    let report = run(&lesson("outbox"));
    // Row committed at 20; relay polls on the 100 ms grid: poll lands at
    // 110, publish at 111 (delivered 161, deleted 162). The crash at 120
    // comes before the row is marked sent, so the restarted relay's poll at
    // 210 finds it again and republishes it (second delete at 262).
    let lines = trace_lines(&report);
    assert!(lines.contains(&"110-111 relay bus.publish user:123 sent to partition 0".to_string()));
    assert!(lines.contains(&"210-211 relay bus.publish user:123 sent to partition 0".to_string()));
    assert!(lines.contains(&"211-231 relay outbox.mark_sent * marked sent".to_string()));
    assert_eq!(report["bus"]["published"], 2);
    assert_eq!(windows(&report), ["user:123 stale 20-162"]);
    assert_eq!(report["requests"][1]["stale"], true);
    assert_eq!(report["requests"][2]["value"], "v2");
}

/// The event-invalidation lesson with W's app crashing at its commit.
fn crash_at_commit(channel: &str) -> serde_json::Value {
    let mut scenario = lesson("event-invalidation");
    scenario["strategy"]["channel"] = json!(channel);
    scenario["strategy"]["ttl_ms"] = json!(1000);
    scenario["faults"] = json!([{"at_ms": 20, "kind": "app_crash", "app": 0}]);
    run(&scenario)
}

#[test]
fn an_app_crash_between_commit_and_publish_loses_the_event_but_not_with_an_outbox() {
    // The crash at 20 lets W's current step (the commit, landing at 20)
    // finish, then stops it: an app-published event is never sent, and the
    // prewarmed v1 stays until its TTL (1000, after the run's end at 101):
    // R2 reads it, stale.
    let dual_write = crash_at_commit("event");
    assert_eq!(dual_write["requests"][0]["outcome"], "aborted");
    assert_eq!(dual_write["bus"]["published"], 0);
    assert_eq!(windows(&dual_write), ["user:123 stale 20-open"]);
    assert_eq!(dual_write["requests"][2]["stale"], true);
    // With the outbox the row was committed with the write; the relay
    // publishes it although the app died.
    let outbox = crash_at_commit("outbox");
    assert_eq!(outbox["requests"][0]["outcome"], "aborted");
    assert_eq!(outbox["bus"]["published"], 1);
    assert_eq!(windows(&outbox), ["user:123 stale 20-162"]);
}

#[test]
fn cdc_invalidates_although_the_writers_app_crashed_before_publishing() {
    // cdc-invalidation: W's commit lands at 20 and its app crashes at that
    // instant, so W never publishes. Under `event` nothing else
    // would: v1 stays until its TTL (1000) and R1 at 500 reads it. Under
    // `cdc` the commit log publishes at 20; the bus_drop takes that
    // publication, CDC publishes again retry_ms (10) later, at 30-31; the
    // event arrives 50 ms later and the consumer's delete lands at 81. R1
    // misses and reads v2.
    let scenario = lesson("cdc-invalidation");
    let cdc = run(&scenario);
    assert_eq!(cdc["requests"][0]["outcome"], "aborted");
    assert_eq!(windows(&cdc), ["user:123 stale 20-81"]);
    assert_eq!(cdc["bus"]["published"], 2);
    assert_eq!(cdc["bus"]["retried"], 1);
    assert_eq!(cdc["requests"][1]["value"], "v2");
    let mut event = scenario.clone();
    event["strategy"]["channel"] = json!("event");
    let event = run(&event);
    assert_eq!(event["requests"][0]["outcome"], "aborted");
    assert_eq!(event["bus"]["published"], 0);
    assert_eq!(windows(&event), ["user:123 stale 20-1000"]);
    assert_eq!(event["requests"][1]["value"], "v1");
    assert_eq!(event["requests"][1]["stale"], true);
}

#[test]
fn a_slow_database_multiplies_the_latency_of_db_operations_issued_meanwhile() {
    let report = run(&json!({
        "keys": {"k": "v1"},
        "requests": [
            {"id": "R", "op": "read", "key": "k", "at_ms": 0},
            {"id": "R2", "op": "read", "key": "k", "at_ms": 200, "app": 0}
        ],
        "strategy": {"ttl_ms": 1},
        "faults": [{"kind": "db_slow", "from_ms": 0, "to_ms": 100, "factor": 10}]
    }));
    let lines = trace_lines(&report);
    // R's DB read is issued at 1, inside the slow period: 10 x 10 ms.
    assert!(
        lines.contains(&"1-101 R db.read k v1@1".to_string()),
        "{lines:#?}"
    );
    // R2's is issued at 201, after it: 10 ms.
    assert!(
        lines.contains(&"201-211 R2 db.read k v1@1".to_string()),
        "{lines:#?}"
    );
}

#[test]
fn until_ms_ends_the_run_at_that_instant() {
    let mut scenario = lesson("ttl-only");
    scenario["until_ms"] = json!(500);
    let report = run(&scenario);
    assert_eq!(report["end_ms"], 500);
    // R2 (at 1100) never started; the window is still open at 500.
    assert_eq!(report["requests"][2]["outcome"], "unfinished");
    assert_eq!(windows(&report), ["user:123 stale 120-open"]);
    assert_eq!(report["stale_ms"], 380);
}
