//! Generated workloads: arrivals, key skew, instances,
//! summary reports, and the stampede on a hot key.

mod support;

use serde_json::{Value, json};
use support::{rejection, run};

/// A hot-key read workload: `rate` Poisson reads a second for `duration`
/// ms over `apps` instances, TTL 1 s, DB read 120 ms.
fn hot_key(stampede: &str, apps: u32, rate: f64, duration: u64) -> Value {
    json!({
        "seed": 7, "apps": apps, "keys": {"hot": "v1"},
        "latency_ms": {"cache": 1, "db_read": 120, "db_write": 20},
        "strategy": {"stampede": stampede, "ttl_ms": 1000, "retry_ms": 10},
        "workload": {"duration_ms": duration, "reads_per_s": rate}
    })
}

#[test]
fn a_workload_report_counts_requests_instead_of_listing_them() {
    let report = run(&hot_key("none", 4, 2000.0, 5000));
    let counts = &report["requests"];
    let reads = counts["reads"].as_u64().unwrap();
    // 2000/s for 5 s: about 10,000 Poisson arrivals.
    assert!((9_600..10_400).contains(&reads), "{reads}");
    assert_eq!(counts["writes"], 0);
    assert_eq!(counts["unfinished"], 0);
    assert_eq!(
        report["cache"]["hits"].as_u64().unwrap() + report["cache"]["misses"].as_u64().unwrap(),
        reads
    );
}

#[test]
fn without_protection_every_miss_during_a_refill_reads_the_db() {
    // Each expiry leaves the key missing for one DB read (120 ms) plus the
    // set; every read arriving then misses too: about rate x 0.121 s = 242
    // concurrent DB reads at 2000/s, once per TTL period (1 s + refill).
    let report = run(&hot_key("none", 4, 2000.0, 5000));
    let peak = report["db"]["peak_concurrent_reads"].as_u64().unwrap();
    assert!((180..320).contains(&peak), "peak {peak}");
    let reads = report["db"]["reads"].as_u64().unwrap();
    // Five refills in 5 s (the first at time 0, then after each expiry).
    assert!((900..1_500).contains(&reads), "db reads {reads}");
}

#[test]
fn with_leases_one_reader_refills_while_the_others_wait() {
    let report = run(&hot_key("lease", 4, 2000.0, 5000));
    // One lease holder per refill: one DB read at a time, and about one per
    // TTL period (1 s) in 5 s.
    assert_eq!(report["db"]["peak_concurrent_reads"], 1);
    let reads = report["db"]["reads"].as_u64().unwrap();
    assert!((4..=6).contains(&reads), "db reads {reads}");
    // The waiters pay for it in latency: they retry every 10 ms.
    assert!(report["latency_ms"]["read_p99"].as_u64().unwrap() >= 120);
}

#[test]
fn generated_requests_are_spread_round_robin_over_instances_and_reproducible() {
    let scenario = hot_key("none", 3, 500.0, 1000);
    assert_eq!(run(&scenario), run(&scenario));
    let mut with_trace = scenario.clone();
    with_trace["workload"]["reads_per_s"] = json!(100.0);
    let report = run(&with_trace);
    let apps: Vec<u64> = report["trace"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["op"] == "cache.get")
        .take(6)
        .map(|e| e["app"].as_u64().unwrap())
        .collect();
    assert_eq!(apps.len(), 6);
    let mut sorted = apps.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 0, 1, 1, 2, 2], "{apps:?}");
}

#[test]
fn zipf_skew_makes_the_first_key_the_hot_one() {
    let keys: serde_json::Map<String, Value> =
        (0..10).map(|i| (format!("k{i}"), json!("v"))).collect();
    let report = run(&json!({
        "keys": keys,
        "strategy": {"ttl_ms": 1},
        "workload": {"duration_ms": 2000, "reads_per_s": 2000.0, "zipf_s": 1.5, "arrival": "uniform"}
    }));
    let trace = report["trace"].as_array().unwrap();
    let reads_of = |key: &str| {
        trace
            .iter()
            .filter(|e| e["op"] == "cache.get" && e["key"] == key)
            .count()
    };
    assert!(
        reads_of("k0") > 3 * reads_of("k1").max(1) / 2,
        "{} vs {}",
        reads_of("k0"),
        reads_of("k1")
    );
    assert!(reads_of("k1") > reads_of("k9"));
}

#[test]
fn writes_in_a_workload_commit_and_make_stale_reads_countable() {
    let report = run(&json!({
        "seed": 3, "keys": {"a": "v", "b": "v"},
        "strategy": {"write": "ttl_only", "ttl_ms": 500},
        "workload": {"duration_ms": 3000, "reads_per_s": 400.0, "writes_per_s": 20.0}
    }));
    let writes = report["requests"]["writes"].as_u64().unwrap();
    assert_eq!(report["db"]["writes"].as_u64().unwrap(), writes);
    // TTL-only with a 500 ms TTL: reads after a commit and before expiry
    // are stale, so some must be.
    assert!(report["stale_reads"].as_u64().unwrap() > 0);
    assert!(report["stale_ms"].as_u64().unwrap() > 0);
}

#[test]
fn bad_workloads_are_rejected_with_the_field() {
    let mut both = hot_key("none", 1, 10.0, 10);
    both["requests"] = json!([{"id": "R", "op": "read", "key": "hot"}]);
    assert_eq!(
        rejection(&both),
        "workload: give either scripted requests or a workload, not both"
    );
    let mut too_many = hot_key("none", 1, 10.0, 10);
    too_many["workload"]["reads_per_s"] = json!(9_000_000.0);
    too_many["workload"]["duration_ms"] = json!(86_400_000);
    assert!(rejection(&too_many).starts_with("workload: expected at most 50000000 requests"));
    let mut negative = hot_key("none", 1, 10.0, 10);
    negative["workload"]["writes_per_s"] = json!(-1.0);
    assert!(rejection(&negative).starts_with("workload.writes_per_s: expected 0 to"));
    let mut keys = hot_key("none", 1, 10.0, 10);
    keys["workload"]["keys"] = json!(2);
    assert_eq!(
        rejection(&keys),
        "workload.keys: expected 1 to 1 (the scenario's keys), got 2"
    );
}

/// The hot key prewarmed at 0 (expiring at 1000), so every protection
/// starts from the same full cache and the stampede is the one at expiry.
fn prewarmed_hot_key(stampede: &str) -> Value {
    let mut scenario = hot_key(stampede, 4, 2000.0, 5000);
    scenario["prewarm"] = json!(true);
    scenario
}

fn db(report: &Value) -> (u64, u64) {
    (
        report["db"]["reads"].as_u64().unwrap(),
        report["db"]["peak_concurrent_reads"].as_u64().unwrap(),
    )
}

#[test]
fn stampede_without_protection_reads_the_db_once_per_miss_during_each_refill() {
    // At 2000 reads/s, a refill (DB read 120 ms + set 1 ms) lets about
    // 2000 x 0.121 = 242 reads miss: that is the peak DB concurrency.
    let (reads, peak) = db(&run(&prewarmed_hot_key("none")));
    assert!((180..320).contains(&peak), "peak {peak}");
    // Four expiries (1 s TTL, 5 s run) of ~242 misses each.
    assert!((700..1_250).contains(&reads), "reads {reads}");
}

#[test]
fn stampede_with_a_lock_reads_the_db_one_at_a_time() {
    let report = run(&prewarmed_hot_key("lock"));
    let (reads, peak) = db(&report);
    assert_eq!(peak, 1);
    // One refill per expiry.
    assert!((3..=5).contains(&reads), "reads {reads}");
    // Waiters retry every 10 ms until the refill lands.
    assert!(report["latency_ms"]["read_p99"].as_u64().unwrap() >= 100);
}

#[test]
fn stampede_with_singleflight_reads_the_db_at_most_once_per_instance() {
    let (reads, peak) = db(&run(&prewarmed_hot_key("singleflight")));
    // Four instances, none coordinating with the others.
    assert_eq!(peak, 4);
    assert!((12..=20).contains(&reads), "reads {reads}");
}

#[test]
fn stampede_with_leases_reads_the_db_one_at_a_time() {
    let (reads, peak) = db(&run(&prewarmed_hot_key("lease")));
    assert_eq!(peak, 1);
    assert!((3..=5).contains(&reads), "reads {reads}");
}

#[test]
fn xfetch_readers_recompute_early_themselves_and_nothing_coordinates_them() {
    let report = run(&prewarmed_hot_key("xfetch"));
    let (reads, peak) = db(&report);
    // A read r ms before expiry draws an early expiry with probability
    // exp(-r / 120) (delta 120 ms, beta 1). At 2 reads/ms the first draw
    // comes where 2 x 120 x exp(-r / 120) = 1: r = 120 ln 240 = 658 ms
    // before expiry. That reader recomputes (121 ms); meanwhile each read
    // draws with probability about 1/240 again, so about one more of the
    // ~242 reads of those 121 ms recomputes too: two or three DB reads per
    // refresh, which comes every ~1000 - 658 + 121 = 463 ms (about 11 in
    // 5 s). Nobody misses: the entry never expires.
    assert_eq!(report["cache"]["misses"], 0);
    assert!((15..=45).contains(&reads), "reads {reads}");
    // Uncoordinated: several readers recompute at once.
    assert!(peak >= 3, "peak {peak}");
    // A recomputing reader waits for it (122 ms), but they are so few
    // that the 99th percentile is a hit.
    assert_eq!(report["latency_ms"]["read_p99"], 1);
}

#[test]
fn stale_while_revalidate_serves_the_expired_entry_so_readers_never_wait() {
    let report = run(&prewarmed_hot_key("swr"));
    let (reads, peak) = db(&report);
    assert_eq!(peak, 1);
    assert!((3..=5).contains(&reads), "reads {reads}");
    assert_eq!(report["cache"]["misses"], 0);
    // Reads are served by one cache operation (1 ms), even at the 99th
    // percentile.
    assert_eq!(report["latency_ms"]["read_p99"], 1);
}

/// A run that keeps no history for replays (the command line's, a
/// comparison's, the page's large runs) reports exactly what a run that
/// keeps it reports: every lesson, and a hot key under each protection.
#[test]
fn a_run_without_replay_history_reports_the_same() {
    use cachescope::sim::{Report, Scenario, Simulation};
    let report = |scenario: &Scenario, replayable: bool| {
        let mut sim = Simulation::new(scenario).expect("valid scenario");
        if !replayable {
            sim = sim.without_replay();
        }
        sim.run();
        serde_json::to_string(&Report::of(&sim, true)).unwrap()
    };
    let mut scenarios: Vec<Scenario> = cachescope::lessons::LESSONS
        .iter()
        .map(|lesson| lesson.scenario())
        .collect();
    for stampede in cachescope::sim::scenario::Stampede::NAMES {
        let mut workload = hot_key(stampede, 4, 3000.0, 3000);
        workload["workload"]["writes_per_s"] = json!(20);
        scenarios.push(Scenario::from_json(&workload.to_string()).unwrap());
    }
    for scenario in &scenarios {
        assert_eq!(
            report(scenario, true),
            report(scenario, false),
            "{}",
            scenario.name
        );
    }
}
