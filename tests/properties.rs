//! Invariants over random small scripted scenarios (proptest).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use cachescope::sim::ops::WriteId;
use cachescope::sim::scenario::{RequestOp, WriteStrategy};
use cachescope::sim::trace::OpName;
use cachescope::sim::{Report, Scenario, Simulation};
use proptest::prelude::*;
use serde_json::{Value, json};

/// A random small timed scenario: 1-3 keys, 1-8 requests, any write
/// strategy and protection, short TTLs (so expiries happen), optional jitter.
fn scenarios() -> impl Strategy<Value = Scenario> {
    let request = (any::<bool>(), 0..3usize, 0u64..60, 0..3u32);
    let protection = (
        prop::sample::select(vec![
            "none",
            "lock",
            "singleflight",
            "lease",
            "xfetch",
            "swr",
        ]),
        any::<bool>(),
        prop::option::of(0u64..80),
        1u64..30,
        1u64..100,
        (1u64..120, prop::option::of(0u64..150)),
        (
            0u64..300,
            any::<bool>(),
            0u64..100,
            0u64..200,
            any::<bool>(),
        ),
        (prop::option::of(0u64..80), 0u64..60),
    );
    let bus = (
        prop::sample::select(vec!["inline", "event", "cdc", "outbox"]),
        (1u32..=3, any::<bool>(), 0u64..60, 0u64..20),
        (
            prop::sample::select(vec![0.0, 0.3, 1.0]),
            prop::sample::select(vec![0.0, 0.5]),
        ),
        prop::collection::vec(0u64..100, 0..=3),
        (
            prop::option::of((0u64..100, 1u64..3)),
            prop::option::of((0u64..100, 0u64..200)),
        ),
    );
    (
        any::<u64>(),
        1..=3usize,
        1..=3u32,
        prop::sample::select(support::WRITE_STRATEGIES.to_vec()),
        (1u64..200, 0u64..50, 0u64..6),
        any::<bool>(),
        prop::collection::vec(request, 1..=8),
        protection,
        bus,
    )
        .prop_map(|(seed, keys, apps, write, (ttl, ttl_jitter, jitter), prewarm, requests, protection, bus)| {
            let (channel, (partitions, keyed, delay, bus_jitter), (loss, duplicate), mut lag, (drop, pause)) = bus;
            let channel = if matches!(write, "invalidate" | "update") { channel } else { "inline" };
            // CDC and the outbox retry until the bus takes the event.
            let loss = if matches!(channel, "cdc" | "outbox") { f64::min(loss, 0.9) } else { loss };
            lag.truncate(partitions as usize);
            let (stampede, versioned, double_delete, retry, lease_ttl, (flush_delay, crash_at), waiting, (replica_lag, commit_interval)) =
                protection;
            let (wait_max, unsafe_unlock, token_interval, stale_keep, accept_stale) = waiting;
            let double_delete = if matches!(write, "invalidate" | "delete_first") { double_delete } else { None };
            // Write-through reads through the cache tier's lock: no other
            // stampede protection goes with it.
            let stampede = if write == "write_through" { "none" } else { stampede };
            let key_names: Vec<String> = (0..keys).map(|k| format!("k{k}")).collect();
            let requests: Vec<Value> = requests
                .into_iter()
                .enumerate()
                .map(|(i, (is_write, key, at, app))| {
                    let mut r = json!({
                        "id": format!("Q{i}"),
                        "op": if is_write { "write" } else { "read" },
                        "key": key_names[key % keys],
                        "at_ms": at,
                        "app": app % apps,
                    });
                    if is_write {
                        r["value"] = json!(format!("w{i}"));
                    }
                    r
                })
                .collect();
            let scenario = json!({
                "seed": seed,
                "apps": apps,
                "keys": key_names.iter().map(|k| (k.clone(), json!("v0"))).collect::<serde_json::Map<_, _>>(),
                "prewarm": prewarm,
                "latency_ms": {"cache": 1, "db_read": 10, "db_write": 20, "jitter_ms": jitter},
                "strategy": {
                    "write": write, "channel": channel, "ttl_ms": ttl, "ttl_jitter_ms": ttl_jitter,
                    "stampede": stampede, "versioned_sets": versioned,
                    "double_delete_ms": double_delete, "retry_ms": retry, "lock_ttl_ms": lease_ttl,
                    "write_behind_ms": flush_delay, "wait_max_ms": wait_max,
                    "unsafe_unlock": unsafe_unlock, "lease_token_interval_ms": token_interval,
                    "lease_stale_ms": stale_keep, "accept_stale": accept_stale
                },
                "bus": {
                    "delay_ms": delay, "jitter_ms": bus_jitter, "loss": loss, "duplicate": duplicate,
                    "partitions": partitions, "keyed": keyed, "partition_lag_ms": lag,
                    "commit_interval_ms": commit_interval
                },
                "db": {"replica_lag_ms": replica_lag},
                "requests": requests,
                "faults": crash_at.map(|at| json!({"at_ms": at, "kind": "cache_crash"}))
                    .into_iter()
                    .chain(drop.map(|(at, count)| json!({"at_ms": at, "kind": "bus_drop", "count": count})))
                    .chain(pause.map(|(from, len)| json!({"kind": "consumer_pause", "from_ms": from, "to_ms": from + len})))
                    .chain(drop.map(|(at, _)| json!({"at_ms": at + 7, "kind": "app_crash", "app": 0})))
                    .chain(pause.map(|(from, len)| json!({"kind": "db_slow", "from_ms": from, "to_ms": from + len, "factor": 3})))
                    .chain(crash_at.map(|at| json!({"at_ms": at + 3, "kind": "relay_crash"})))
                    .chain(crash_at.map(|at| json!({"at_ms": at + 5, "kind": "consumer_crash"})))
                    .chain(pause.map(|(from, len)| json!({"kind": "app_pause", "app": 0, "from_ms": from + 2, "to_ms": from + 2 + len})))
                    .collect::<Vec<_>>()
            });
            Scenario::from_json(&scenario.to_string()).expect("generated scenarios are valid")
        })
}

fn report(scenario: &Scenario) -> Report {
    let mut sim = Simulation::new(scenario).unwrap();
    sim.run();
    Report::of(&sim, true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_request_waits_without_bound(scenario in scenarios()) {
        // Waiting is bounded: a read is refused a lease or lock at most
        // wait_max/retry + 2 times (a look every retry_ms up to the
        // deadline, and one at it), each look at most two operations,
        // then at most five more (re-check, DB read, set, unlock; or a
        // fallback read). A write is at most four operations (commit,
        // delete or set or publish, a second delete). Background work is
        // bounded by what the requests published and committed, and the
        // relay by its polls up to the end of the run.
        let mut sim = Simulation::new(&scenario).unwrap();
        sim.run();
        let r = Report::of(&sim, false);
        let s = &scenario.strategy;
        let reads = scenario.requests.iter().filter(|q| q.op == RequestOp::Read).count() as u64;
        let writes = scenario.requests.len() as u64 - reads;
        let per_read = 2 * (s.wait_max_ms / s.retry_ms.max(1) + 2) + 5;
        let polls = r.end_ms / s.outbox_poll_ms.max(1) + 2;
        let background = 2 * r.bus.published  // consumers, duplicates included
            + polls * (writes + 2)               // relay: poll, publishes, mark
            + writes                             // flushes
            + 2 * (reads + writes);              // refreshes (a DB read and a set)
        let bound = reads * per_read + 4 * writes + background;
        prop_assert!(sim.counters().effects <= bound, "{} effects > bound {}", sim.counters().effects, bound);
    }

    #[test]
    fn the_same_scenario_gives_a_byte_identical_report(scenario in scenarios()) {
        prop_assert_eq!(report(&scenario).to_json(), report(&scenario).to_json());
    }

    #[test]
    fn a_scenario_round_trips_through_json_unchanged(scenario in scenarios()) {
        prop_assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
    }

    #[test]
    fn reads_never_write_the_database(scenario in scenarios()) {
        let report = report(&scenario);
        let writers: Vec<&str> = scenario.requests.iter()
            .filter(|r| r.op == cachescope::sim::scenario::RequestOp::Write)
            .map(|r| r.id.as_str())
            .collect();
        let commits: Vec<String> = report.trace.as_ref().unwrap().iter()
            .filter(|e| {
                matches!(e.op, OpName::DbWrite | OpName::DbWriteOutbox)
                    || (e.op == OpName::Flush && e.result.starts_with("committed"))
            })
            .map(|e| e.actor.name().into_owned())
            .collect();
        // Every commit is a write request's (or the flusher's, on their
        // behalf), and no write commits twice.
        prop_assert!(commits.iter().all(|c| writers.contains(&c.as_str()) || c == "flusher"));
        prop_assert!(commits.len() <= writers.len());
        prop_assert_eq!(report.db.writes, commits.len() as u64);
        if !matches!(scenario.strategy.write, WriteStrategy::WriteBehind) {
            // Every write that answered committed (an app crash may stop a
            // write before its commit).
            let answered = report.listed_requests().iter()
                .filter(|r| r.op == cachescope::sim::scenario::RequestOp::Write)
                .filter(|r| r.outcome == cachescope::sim::report::Outcome::Ok)
                .count();
            prop_assert!(commits.len() >= answered);
        }
    }

    #[test]
    fn writes_are_lost_only_by_write_behind_in_a_cache_crash(scenario in scenarios()) {
        let report = report(&scenario);
        let crashed = scenario
            .faults
            .iter()
            .any(|f| f.kind == cachescope::sim::scenario::FaultKind::CacheCrash);
        if !(crashed && scenario.strategy.write == WriteStrategy::WriteBehind) {
            prop_assert_eq!(report.lost_writes, 0);
        }
        if scenario.strategy.write != WriteStrategy::WriteBehind {
            prop_assert_eq!(report.unflushed_writes, 0);
            prop_assert_eq!(report.phantom_reads, 0);
        }
        // The report's count of lost writes is the requests it marks lost.
        prop_assert!(report.listed_requests().iter().filter(|r| r.lost).count() as u64 == report.lost_writes);
    }

    #[test]
    fn every_acknowledged_write_is_committed_coalesced_lost_or_unflushed(scenario in scenarios()) {
        let mut sim = Simulation::new(&scenario).unwrap();
        sim.run();
        let coalesced: Vec<WriteId> = sim.coalesced_writes().to_vec();
        let lost: Vec<WriteId> = sim.lost_writes().to_vec();
        let unflushed: Vec<WriteId> = sim.unflushed_writes().collect();
        for (index, request) in scenario.requests.iter().enumerate() {
            let run = &sim.requests()[index];
            if request.op != RequestOp::Write || run.finished.is_none() {
                continue;
            }
            // Acknowledged: exactly one fate.
            let write = WriteId(index as u32);
            let fates = [
                sim.world().db.version_of(write).is_some(),
                coalesced.contains(&write),
                lost.contains(&write),
                unflushed.contains(&write),
            ];
            prop_assert_eq!(
                fates.iter().filter(|&&f| f).count(),
                1,
                "{} (committed, coalesced, lost, unflushed): {:?}",
                request.id,
                fates
            );
        }
    }

    #[test]
    fn without_cache_then_db_or_write_behind_the_cache_is_never_ahead(scenario in scenarios()) {
        let report = report(&scenario);
        if !matches!(scenario.strategy.write, WriteStrategy::CacheThenDb | WriteStrategy::WriteBehind) {
            prop_assert_eq!(report.ahead_ms, 0);
            prop_assert_eq!(report.uncommitted_reads, 0);
        }
    }

    #[test]
    fn without_writes_there_is_no_stale_read_and_no_divergence(scenario in scenarios()) {
        let mut reads_only = scenario.clone();
        reads_only.requests.retain(|r| r.op == cachescope::sim::scenario::RequestOp::Read);
        prop_assume!(!reads_only.requests.is_empty());
        let report = report(&reads_only);
        prop_assert_eq!(report.stale_reads, 0);
        prop_assert!(report.divergence.is_empty());
        prop_assert_eq!(report.stale_ms, 0);
    }

    #[test]
    fn divergence_windows_of_a_key_are_disjoint_ordered_and_sum_to_stale_ms(scenario in scenarios()) {
        let report = report(&scenario);
        let mut total = 0;
        for key in scenario.keys.keys() {
            let windows: Vec<_> = report.divergence.iter().filter(|w| &w.key == key).collect();
            for pair in windows.windows(2) {
                let earlier_end = pair[0].to_ms.expect("only a key's last window can be open");
                prop_assert!(earlier_end <= pair[1].from_ms, "{:?}", pair);
            }
            for w in &windows {
                prop_assert!(w.to_ms.is_none_or(|to| w.from_ms <= to && to <= report.end_ms));
                total += w.to_ms.unwrap_or(report.end_ms) - w.from_ms;
            }
        }
        prop_assert_eq!(report.stale_ms + report.ahead_ms, total);
    }

    #[test]
    fn with_leases_invalidate_on_write_never_leaves_the_cache_stale_at_the_end(scenario in scenarios()) {
        // A set needs the key's current lease, and a delete invalidates it:
        // a value read before a commit is either refused or deleted after.
        // (Reads can still be stale in the commit-to-delete gap.)
        let mut scenario = scenario;
        scenario.strategy.write = cachescope::sim::scenario::WriteStrategy::Invalidate;
        scenario.strategy.stampede = cachescope::sim::scenario::Stampede::Lease;
        scenario.strategy.channel = cachescope::sim::scenario::Channel::Inline;
        // An app crash can stop a writer between its commit and its delete:
        // that is the crash's anomaly, not the lease's.
        scenario.faults.retain(|f| !matches!(f.kind, cachescope::sim::scenario::FaultKind::AppCrash { .. }));
        // A lagging replica defeats leases: a reader given a fresh token
        // after the delete can still read the old row from the replica
        // (memcache needed "remote markers" for that). So: one database.
        scenario.db.replica_lag_ms = None;
        let report = report(&scenario);
        prop_assert!(report.listed_requests().iter().all(|r| r.outcome == cachescope::sim::report::Outcome::Ok));
        prop_assert!(
            report.divergence.iter().all(|w| w.to_ms.is_some()),
            "{:?}", report.divergence
        );
    }

    #[test]
    fn a_clone_at_any_step_finishes_exactly_like_the_original(scenario in scenarios(), cut in 0usize..40) {
        let whole = report(&scenario);
        let mut sim = Simulation::new(&scenario).unwrap();
        for _ in 0..cut {
            sim.step();
        }
        let mut fork = sim.clone();
        fork.run();
        prop_assert_eq!(Report::of(&fork, true), whole);
    }
}
