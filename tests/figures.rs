//! Every figure a learner reads is held to the run it describes.
//!
//! For each lesson, the phrases below are built from the model: the
//! lesson's own run (its report and trace), the explorer's counts (the
//! golden file, itself held to the model by `tests/golden.rs`), its
//! scenario's settings, and paired variants of its scenario (the same seed
//! and requests with one setting changed). Each phrase must appear in what
//! the lesson shows (title, text, narration, questions), and every number
//! the lesson shows must lie inside one of them. A model change that makes
//! a sentence false fails here, and so does a new number nobody derived.
//! `docs/TEACHING.md` is held the same way.

mod support;

use cachescope::lessons::{self, LESSONS, Lesson, thousands as count};
use serde_json::{Value, json};
use support::run;

/// What a lesson's figures are computed from.
struct Facts {
    scenario: Value,
    report: Value,
    explore: Value,
}

impl Facts {
    fn of(name: &str) -> Facts {
        let scenario = support::lesson(name);
        let report = run(&scenario);
        let explore = explorations()[name].clone();
        Facts {
            scenario,
            report,
            explore,
        }
    }

    /// A setting of the scenario, by JSON pointer (`/latency_ms/db_read`).
    fn setting(&self, pointer: &str) -> String {
        let value = self
            .scenario
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no setting {pointer}"));
        number(value)
    }

    /// A whole-number setting of the scenario, by JSON pointer.
    fn millis(&self, pointer: &str) -> u64 {
        self.scenario
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("no whole-number setting {pointer}"))
    }

    /// The report of the same scenario with `patch` merged into it: a
    /// paired variant (same seed, same requests).
    fn variant(&self, patch: Value) -> Value {
        let mut scenario = self.scenario.clone();
        merge(&mut scenario, &patch);
        run(&scenario)
    }

    /// The report of the scenario changed by `change`: a paired variant.
    fn variant_with(&self, change: impl FnOnce(&mut Value)) -> Value {
        let mut scenario = self.scenario.clone();
        change(&mut scenario);
        run(&scenario)
    }

    /// A request's entry in the report.
    fn request(&self, id: &str) -> &Value {
        request(&self.report, id)
    }

    /// When `actor`'s `n`th (from 0) operation `op` took effect.
    fn effect(&self, actor: &str, op: &str, n: usize) -> u64 {
        effect(&self.report, actor, op, n)
    }

    /// The explorer's count of orders with `anomaly` (`stale`,
    /// `divergent_at_end`, `lost_writes`) and of all orders.
    fn orders(&self, anomaly: &str) -> (u64, u64) {
        (
            self.explore[anomaly].as_u64().expect("explored"),
            self.explore["schedules"].as_u64().expect("explored"),
        )
    }
}

fn request<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["requests"]
        .as_array()
        .expect("scripted requests")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no request {id}"))
}

fn effect(report: &Value, actor: &str, op: &str, n: usize) -> u64 {
    report["trace"]
        .as_array()
        .expect("a trace")
        .iter()
        .filter(|e| e["actor"] == actor && e["op"] == op)
        .nth(n)
        .unwrap_or_else(|| panic!("no {op} number {n} by {actor}"))["end_ms"]
        .as_u64()
        .expect("taken effect")
}

/// The explorer's golden counts, by lesson.
fn explorations() -> Value {
    serde_json::from_str(include_str!("golden/explore.json")).expect("golden JSON")
}

fn merge(into: &mut Value, patch: &Value) {
    match (into, patch) {
        (Value::Object(into), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(into.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (into, patch) => *into = patch.clone(),
    }
}

/// A JSON number as the prose writes it: `1000`, `1.5`, `2` for `2.0`.
fn number(value: &Value) -> String {
    match value.as_f64() {
        Some(x) if x.fract() == 0.0 => format!("{}", x as i64),
        Some(x) => format!("{x}"),
        None => panic!("not a number: {value}"),
    }
}

/// A share in whole percent.
fn percent(part: u64, whole: u64) -> String {
    format!("{}%", (part as f64 * 100.0 / whole as f64).round() as u64)
}

/// Everything a lesson shows, one piece a line.
fn prose(lesson: &Lesson) -> String {
    let mut pieces = vec![lesson.heading, lesson.title, lesson.text];
    pieces.extend(lesson.narration.iter().map(|beat| beat.text));
    for question in lesson.questions {
        pieces.push(question.prompt);
        pieces.extend(question.choices.iter().map(|c| c.label));
    }
    pieces.join("\n")
}

/// Each number in `text` that is not part of a name (`v1`, `R2`, `p99`),
/// as a byte range.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || (matches!(bytes[i], b'.' | b',')
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            found.push((start, i));
        } else if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            // A word, digits and all, with what names a thing after it
            // (`user:123`, `A@2`, `present=1`): a name, not a figure.
            let name_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            while i < bytes.len()
                && (name_char(bytes[i])
                    || (matches!(bytes[i], b':' | b'@' | b'=')
                        && bytes.get(i + 1).copied().is_some_and(name_char)))
            {
                i += 1;
            }
        } else if bytes[i] == b'#' {
            // A token's name (`lease #1`).
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    found
}

/// Checks `text` against `phrases`: each phrase appears, and every number
/// lies inside an appearance of one. Returns what is wrong.
fn check(what: &str, text: &str, phrases: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut covered = vec![false; text.len()];
    for phrase in phrases {
        let mut found = false;
        for (at, _) in text.match_indices(phrase.as_str()) {
            found = true;
            covered[at..at + phrase.len()]
                .iter_mut()
                .for_each(|c| *c = true);
        }
        if !found {
            problems.push(format!(
                "{what}: the run says {phrase:?}, the text does not"
            ));
        }
    }
    for (start, end) in numbers(text) {
        if !covered[start..end].iter().all(|c| *c) {
            let from = text[..start]
                .char_indices()
                .rev()
                .nth(30)
                .map_or(0, |(i, _)| i);
            let to = text[end..]
                .char_indices()
                .nth(30)
                .map_or(text.len(), |(i, _)| end + i);
            problems.push(format!(
                "{what}: {:?} in \"...{}...\" is derived from nothing",
                &text[start..end],
                &text[from..to]
            ));
        }
    }
    problems
}

#[test]
fn every_figure_a_lesson_shows_comes_from_its_run() {
    let mut problems = Vec::new();
    for lesson in LESSONS {
        let facts = Facts::of(lesson.name);
        let phrases = figures(lesson.name, &facts);
        problems.extend(check(lesson.name, &prose(lesson), &phrases));
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_checker_finds_a_figure_nobody_derived_and_a_phrase_the_text_lacks() {
    let problems = check(
        "example",
        "stale for 40 ms, then 12 reads",
        &["stale for 40 ms".to_string(), "R2 reads v1".to_string()],
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("\"R2 reads v1\""));
    assert!(problems[1].contains("\"12\""));
    // Names with digits are not figures.
    assert_eq!(
        numbers("v1 R2 p99 W1's 1.5 1,598 3.2.1"),
        [(15, 18), (19, 24), (25, 30)]
    );
}

/// Where lesson `name` sits in the course ("2.3").
fn number_of(name: &str) -> String {
    lessons::course::place(name).expect("a lesson").number()
}

/// The seeds the XFetch lesson's "over seeds" figures are counted on.
const SEEDS: std::ops::RangeInclusive<u64> = 1..=40;

/// Of the stampede-xfetch lesson's runs over [`SEEDS`] with `beta`: how
/// many see the key expire before the burst (and then, each, a burst of
/// twelve concurrent DB reads).
fn xfetch_expiries(f: &Facts, beta: f64) -> u64 {
    let mut expired = 0;
    for seed in SEEDS {
        let report = f.variant(json!({"seed": seed, "strategy": {"xfetch_beta": beta}}));
        if report["cache"]["misses"].as_u64() > Some(0) {
            assert_eq!(report["db"]["peak_concurrent_reads"], 12, "seed {seed}");
            expired += 1;
        }
    }
    expired
}

/// The phrases each lesson's figures must appear in, computed from the model.
fn figures(name: &str, f: &Facts) -> Vec<String> {
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"));
    let stale_ms = n(&f.report["stale_ms"]);
    let window = |i: usize| {
        let w = &f.report["divergence"][i];
        (n(&w["from_ms"]), n(&w["to_ms"]))
    };
    match name {
        "cache-aside-basics"
        | "invalidate-on-write"
        | "read-write-race"
        | "leases"
        | "stampede-singleflight" => Vec::new(),
        "update-on-write-race" => vec![format!(
            "W1 committed A (@{}), then W2 committed B (@{})",
            f.request("W1")["version"],
            f.request("W2")["version"]
        )],
        "delayed-double-delete" => {
            let delay = f.setting("/strategy/double_delete_ms");
            let (stale_end, orders) = f.orders("divergent_at_end");
            let second = f.effect("W", "cache.delete", 1);
            assert_eq!(window(0), (f.effect("R", "cache.set", 0), second));
            vec![
                format!("a second time {delay} ms after its commit"),
                format!("puts v1 back at {} ms", f.effect("R", "cache.set", 0)),
                format!("removes it at {second} ms: stale for {stale_ms} ms"),
                format!(
                    "Of the {} orders of this scenario, {} still end stale",
                    count(orders),
                    count(stale_end)
                ),
                format!("W deletes again {delay} ms after its commit"),
                format!("removed v1 at {second} ms: stale for {stale_ms} ms in this run"),
                format!("a reader slower than {delay} ms"),
                format!(
                    "{} of the {} orders end stale",
                    count(stale_end),
                    count(orders)
                ),
                format!("W will delete again {delay} ms after its commit"),
            ]
        }
        "versioned-sets" => vec![format!("carries version {}", f.request("R")["version"])],
        "delete-first" => {
            let commit = f.setting("/latency_ms/db_write");
            vec![
                format!("commits v2, which takes {commit} ms"),
                format!("then commits ({commit} ms)"),
            ]
        }
        "replica-lag" => {
            let lag = f.setting("/db/replica_lag_ms");
            let applied = f.effect("replica", "replica.apply", 0);
            let late = |delay: u64| {
                f.variant_with(|s| {
                    s["strategy"]["double_delete_ms"] = json!(delay);
                    s["requests"][1]["at_ms"] = json!(65);
                })
            };
            let (short, long) = (late(55), late(80));
            assert!(
                55 > f.millis("/db/replica_lag_ms"),
                "55 is longer than the lag"
            );
            // With 55 the refill lands after the second delete; with 80
            // no reader's refill of v1 can (a reader at any instant).
            assert!(short["divergence"].as_array().unwrap().last().unwrap()["to_ms"].is_null());
            for at in 21..=120 {
                let report = f.variant_with(|s| {
                    s["strategy"]["double_delete_ms"] = json!(80);
                    s["requests"][1]["at_ms"] = json!(at);
                });
                let last = report["divergence"].as_array().unwrap().last().cloned();
                assert!(last.is_none_or(|w| !w["to_ms"].is_null()), "R at {at}");
            }
            vec![
                format!("applies each commit {lag} ms after the primary"),
                format!(
                    "W commits v2 at {} ms and deletes the key at {} ms",
                    f.effect("W", "db.write", 0),
                    f.effect("W", "cache.delete", 0)
                ),
                format!("R misses at {} ms", f.effect("R", "cache.get", 0)),
                format!("(it will at {applied} ms)"),
                format!("R2 reads v1 at {} ms", f.request("R2")["end_ms"]),
                format!(
                    "Set double_delete_ms to 55 (longer than the lag) and move R to 65 ms: the second delete lands at {} ms, R's refill at {} ms",
                    effect(&short, "W", "cache.delete", 1),
                    effect(&short, "R", "cache.set", 0)
                ),
                format!(
                    "With 80 the second delete lands at {} ms",
                    effect(&long, "W", "cache.delete", 1)
                ),
                format!("a replica {lag} ms behind the primary"),
                format!("still has v1 until {applied} ms"),
                format!("caught up at {applied} ms"),
            ]
        }
        "write-through" => {
            let (from, to) = window(0);
            let w2 = f.request("W2");
            assert_eq!(w2["start_ms"], 0);
            vec![
                format!("({from} to {to} ms)"),
                format!("W2 is acknowledged at {} ms", w2["end_ms"]),
                format!("W2 took {} ms", n(&w2["end_ms"]) - n(&w2["start_ms"])),
            ]
        }
        "cache-then-db" => vec![format!(
            "write-through (lesson {})",
            number_of("write-through")
        )],
        "write-behind-crash" => vec![
            format!(
                "to the database {} s after the key became dirty",
                f.millis("/strategy/write_behind_ms") / 1000
            ),
            format!("the cache crashes at {} ms", f.setting("/faults/0/at_ms")),
        ],
        "ttl-only" => {
            let ttl = f.millis("/strategy/ttl_ms");
            let (commit, expiry) = window(0);
            vec![
                format!("(TTL {} s, cached at {})", ttl / 1000, expiry - ttl),
                format!("until it expires at {expiry} ms"),
                format!("v1 expires at {expiry} ms"),
                format!("expiry minus commit, {} ms", expiry - commit),
            ]
        }
        "event-invalidation" => {
            let delay = f.setting("/bus/delay_ms");
            vec![
                format!("W commits v2 at {} ms", f.effect("W", "db.write", 0)),
                format!("delivers it {delay} ms later"),
                format!(
                    "deletes the key at {} ms",
                    f.effect("consumer", "cache.delete", 0)
                ),
                format!("It travels for {delay} ms"),
                format!("The event takes {delay} ms to arrive"),
            ]
        }
        "event-loss" => {
            let (_, expiry) = window(0);
            let delivered = f.variant(json!({"faults": []}));
            let r1 = f.request("R1")["start_ms"].clone();
            vec![
                format!(
                    "expires at {expiry} ms: a {stale_ms} ms stale window instead of {} ms",
                    delivered["stale_ms"]
                ),
                format!("R1 reads v1 at {r1} ms"),
                format!("What will R1 read at {r1} ms"),
            ]
        }
        "cdc-invalidation" => {
            let event = f.variant(json!({"strategy": {"channel": "event"}}));
            let (_, expiry) = {
                let w = &event["divergence"][0];
                (n(&w["from_ms"]), n(&w["to_ms"]))
            };
            assert_eq!(request(&event, "R1")["stale"], true);
            assert_eq!(f.request("R1")["stale"], false);
            let delete = f.effect("consumer", "cache.delete", 0);
            let r1 = f.request("R1")["start_ms"].clone();
            vec![
                {
                    let commit = f.effect("W", "db.write", 0);
                    assert_eq!(f.millis("/faults/0/at_ms"), commit);
                    format!("W commits v2 at {commit} ms, and its instance crashes at that instant")
                },
                format!(
                    "again {} ms later (retry_ms)",
                    f.setting("/strategy/retry_ms")
                ),
                format!("it arrives {} ms after that", f.setting("/bus/delay_ms")),
                format!(
                    "deletes v1 at {delete} ms: stale for {stale_ms} ms, and R1 reads v2 at {r1} ms"
                ),
                format!(
                    "expires at {expiry} ms, a {} ms stale window",
                    event["stale_ms"]
                ),
                format!("deleted v1 at {delete} ms"),
                format!("What will R1 read at {r1} ms"),
                format!("lesson {}", number_of("read-write-race")),
                {
                    let (end, orders) = f.orders("divergent_at_end");
                    format!(
                        "of this scenario's {} orders {} end stale",
                        count(orders),
                        count(end)
                    )
                },
            ]
        }
        "kafka-partitions" => {
            let lags = f.scenario["bus"]["partition_lag_ms"].as_array().unwrap();
            let slow = lags.iter().position(|l| n(l) > 0).unwrap();
            let partition = |actor: &str| {
                let publish = f.report["trace"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["actor"] == actor && e["op"] == "bus.publish")
                    .unwrap();
                publish["result"]
                    .as_str()
                    .unwrap()
                    .rsplit(' ')
                    .next()
                    .unwrap()
                    .to_string()
            };
            assert_eq!(partition("W1"), slow.to_string());
            vec![
                format!("partition {slow} lags {} ms", lags[slow]),
                format!(
                    "the slow partition {slow}, W2's (B) to partition {}",
                    partition("W2")
                ),
            ]
        }
        "outbox" => {
            let (commit, delete) = window(0);
            let (stale_reads, orders) = f.orders("stale");
            vec![
                format!("polls every {} ms", f.setting("/strategy/outbox_poll_ms")),
                format!(
                    "publishes the row at {} ms",
                    f.effect("relay", "bus.publish", 0)
                ),
                format!("crashes at {} ms", f.setting("/faults/0/at_ms")),
                format!(
                    "window here is {stale_ms} ms, from the commit at {commit} ms to the consumer's delete at {delete} ms"
                ),
                format!(
                    "R1 reads v1 at {} ms, a stale read",
                    f.request("R1")["start_ms"]
                ),
                format!(
                    "of the {} orders of this scenario {} have one",
                    count(orders),
                    count(stale_reads)
                ),
                format!("lesson {}", number_of("read-write-race")),
                format!("Stale for {stale_ms} ms"),
            ]
        }
        "consumer-replay" => {
            let interval = f.setting("/bus/commit_interval_ms");
            let first = f.effect("consumer", "cache.set", 0);
            vec![
                format!("commits its offset {interval} ms after the first event"),
                format!(
                    "It sets A at {first} ms and B at {} ms; its commit is due at {} ms, but it crashes at {} ms",
                    f.effect("consumer", "cache.set", 1),
                    first + f.millis("/bus/commit_interval_ms"),
                    f.setting("/faults/0/at_ms")
                ),
                format!("R reads A at {} ms", f.request("R")["end_ms"]),
                format!("commits its offset {interval} ms after applying"),
                format!("due {interval} ms later"),
            ]
        }
        "stampede" => {
            let ttl = f.setting("/strategy/ttl_ms");
            let (first, last) = (
                f.request("R1")["start_ms"].clone(),
                f.request("R12")["start_ms"].clone(),
            );
            vec![
                format!("cached until {ttl} ms"),
                format!("arrive at {first}-{last} ms"),
                format!(
                    "The first refill takes {} ms",
                    f.effect("R1", "cache.set", 0) - f.effect("R1", "cache.get", 0)
                ),
                format!("expires at {ttl} ms"),
                format!(
                    "within {} ms of the expiry",
                    n(&last) - f.millis("/strategy/ttl_ms") + 1
                ),
            ]
        }
        "stampede-lock" => {
            let retry = f.setting("/strategy/retry_ms");
            vec![
                format!("wait {retry} ms and look again"),
                format!("they wait {retry} ms"),
            ]
        }
        "lock-expiry" => {
            let ttl = f.setting("/strategy/lock_ttl_ms");
            let taken = f.effect("R1", "cache.lock_add", 0);
            let (from, to) = (f.setting("/faults/0/from_ms"), f.setting("/faults/0/to_ms"));
            let pause = f.millis("/faults/0/to_ms") - f.millis("/faults/0/from_ms");
            vec![
                format!("lives {ttl} ms. R1 takes it at {taken} ms"),
                format!("pauses from {from} to {to} ms"),
                format!(
                    "its lock expires at {} ms",
                    taken + f.millis("/strategy/lock_ttl_ms")
                ),
                format!("pause for {pause} ms"),
            ]
        }
        "stampede-lease" => {
            let retry = f.setting("/strategy/retry_ms");
            let unprotected = f.variant(json!({"strategy": {"stampede": "none"}}));
            let peak = &unprotected["db"]["peak_concurrent_reads"];
            assert_eq!(f.report["db"]["reads"], 1);
            vec![
                format!("retry every {retry} ms until"),
                format!("reads the database {peak} times at once"),
                // Quoted from the source it names.
                "its peak database query rate was 17K/s, with leases 1.3K/s (NSDI 2013, 3.2.1)"
                    .to_string(),
                format!("they retry every {retry} ms"),
                format!("this burst makes {peak}"),
            ]
        }
        "lease-hot-key" => {
            let (reads_per_s, writes_per_s) = (
                f.setting("/workload/reads_per_s"),
                f.setting("/workload/writes_per_s"),
            );
            let wait = f.setting("/strategy/wait_max_ms");
            let sent = &f.report["requests"];
            let (reads, writes) = (n(&sent["reads"]), n(&sent["writes"]));
            let fills: Vec<&Value> = f.report["trace"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["op"] == "cache.lease_set")
                .collect();
            let refused = fills
                .iter()
                .filter(|e| e["result"].as_str().unwrap().starts_with("rejected"))
                .count();
            let hits = n(&f.report["cache"]["hits"]);
            let fallbacks = n(&f.report["fallback_reads"]);
            // Each read ends in exactly one way: a hit, a fill of its own,
            // or a fallback.
            assert_eq!(hits + fills.len() as u64 + fallbacks, reads);
            let stale =
                f.variant(json!({"strategy": {"lease_stale_ms": 1000, "accept_stale": true}}));
            assert_eq!(stale["requests"], f.report["requests"], "paired");
            assert_eq!(stale["fallback_reads"], 0);
            vec![
                format!("{reads_per_s} reads and {writes_per_s} writes a second"),
                format!("this run sends {reads} reads and {writes} writes"),
                format!("often refused ({refused} of {} here)", fills.len()),
                format!("waits, up to {wait} ms (wait_max_ms)"),
                format!(
                    "Of the {reads} reads, {hits} ({}) are answered from the cache and {fallbacks} ({}) wait out the {wait} ms and fall back: {} DB reads",
                    percent(hits, reads),
                    percent(fallbacks, reads),
                    f.report["db"]["reads"]
                ),
                format!(
                    "the median read takes {} ms",
                    f.report["latency_ms"]["read_p50"]
                ),
                "(NSDI 2013, 3.2.1)".to_string(),
                "Set lease_stale_ms to 1000".to_string(),
                format!("the same {reads} reads and {writes} writes go again"),
                format!(
                    "the median read takes {} ms, and the database sees {} reads",
                    stale["latency_ms"]["read_p50"], stale["db"]["reads"]
                ),
                format!("paid for in {} stale reads", stale["stale_reads"]),
                format!("read {reads_per_s} and written {writes_per_s} times a second"),
                format!("wait up to {wait} ms for a fill"),
                format!("{fallbacks} of {reads} reads fell back"),
                format!("no waiting, {} DB reads", stale["db"]["reads"]),
            ]
        }
        "stampede-xfetch" => {
            let beta = f.setting("/strategy/xfetch_beta");
            let e2 = f.request("E2");
            let recompute = n(&e2["end_ms"]) - n(&e2["start_ms"]);
            let burst: Vec<&Value> = (1..=12).map(|i| f.request(&format!("R{i}"))).collect();
            let hits = burst.iter().filter(|r| r["source"] == "cache").count();
            let early = burst.len() - hits;
            assert_eq!(f.report["db"]["peak_concurrent_reads"], early as u64);
            let arrival = burst[0]["start_ms"].clone();
            let (expired, expired_at_1) = (
                xfetch_expiries(f, beta.parse().unwrap()),
                xfetch_expiries(f, 1.0),
            );
            let (low, high) = (SEEDS.start(), SEEDS.end());
            vec![
                "(Vattani, Chierichetti and Lowenstein, VLDB 2015)".to_string(),
                format!("reads the database ({recompute} ms, like a miss)"),
                format!("Here beta is {beta} (the paper's optimum is 1;"),
                format!(
                    "arrives at {arrival} ms: {hits} of its {} reads hit, and {early} draw early again",
                    burst.len()
                ),
                format!(
                    "Over seeds {low} to {high} the key still expires before the burst in {expired} runs, and then all {} read the database; with beta 1, in {expired_at_1} of {high}",
                    burst.len()
                ),
                format!(
                    "early expiry at {} ms: it read the database itself, and its client waited {recompute} ms",
                    e2["start_ms"]
                ),
                format!("will not expire at {arrival} ms"),
                format!("{early} of the burst drew early too"),
                format!("{hits} of the {} burst reads hit", burst.len()),
                format!(
                    "in {expired} of {high} the key expires first and all {} read the database",
                    burst.len()
                ),
                format!("How many of the {} burst readers", burst.len()),
            ]
        }
        "stampede-swr" => vec![format!(
            "swr_ms ({} s here)",
            f.millis("/strategy/swr_ms") / 1000
        )],
        other => panic!("no figures for lesson {other}: add its phrases here"),
    }
}

/// A schedule as the guide writes it: `R → R → W`, a fault as `⚡ cache crash`.
fn path(schedule: &Value) -> String {
    schedule
        .as_array()
        .expect("a schedule")
        .iter()
        .map(|entry| match entry.as_str() {
            Some(actor) => actor.to_string(),
            None => format!("⚡ {}", entry["kind"].as_str().unwrap().replace('_', " ")),
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

#[test]
fn every_figure_the_teachers_guide_gives_comes_from_the_model() {
    // Whitespace as one space, so a phrase may span the file's lines.
    let guide = include_str!("../docs/TEACHING.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let of = Facts::of;
    let race = of("read-write-race");
    let (race_stale, race_orders) = race.orders("stale");
    let (race_end, _) = race.orders("divergent_at_end");
    let leases = of("leases");
    let (leases_end, leases_orders) = leases.orders("divergent_at_end");
    let (leases_stale, _) = leases.orders("stale");
    let versioned = of("versioned-sets");
    let (versioned_end, versioned_orders) = versioned.orders("divergent_at_end");
    let first = of("delete-first");
    let (first_end, first_orders) = first.orders("divergent_at_end");
    let first_shortest = &first.explore["examples"]["divergent_at_end"]["schedule"];
    let double = of("delayed-double-delete");
    let (double_end, double_orders) = double.orders("divergent_at_end");
    let behind = of("write-behind-crash");
    let (lost, behind_orders) = behind.orders("lost_writes");
    let stampede = of("stampede");
    let burst = stampede.report["db"]["peak_concurrent_reads"].clone();
    let race_shortest = &race.explore["examples"]["stale"]["schedule"];
    let chapter = |name: &str| lessons::course::place(name).unwrap().chapter + 1;
    let mut phrases: Vec<String> = [
        "cache-aside-basics",
        "update-on-write-race",
        "invalidate-on-write",
        "read-write-race",
        "leases",
        "versioned-sets",
        "delete-first",
        "write-behind-crash",
        "event-invalidation",
        "event-loss",
        "cdc-invalidation",
        "stampede",
        "stampede-lease",
    ]
    .iter()
    .map(|name| {
        format!(
            "{} {}",
            number_of(name),
            lessons::lesson(name).unwrap().heading
        )
    })
    .collect();
    phrases.extend([
        format!("{} The outbox", number_of("outbox")),
        format!("{} The transactional outbox", number_of("outbox")),
        format!("Chapter {}, races on write", chapter("read-write-race")),
        format!("Chapter {}, fixes and what they miss", chapter("leases")),
        format!("Chapter {}, events and the bus", chapter("outbox")),
        format!("Chapter {}, stampedes", chapter("stampede")),
        format!("no; {} showed two setters", number_of("update-on-write-race")),
        format!("by hand ({})", number_of("read-write-race")),
        format!("({}, if time allows)", number_of("delayed-double-delete")),
        format!("lesson {} shows that case", number_of("replica-lag")),
        format!("**{race_stale} of the {race_orders}** possible orders give a stale read"),
        format!(
            "The shortest ({} moves) is {}",
            race_shortest.as_array().unwrap().len(),
            path(race_shortest)
        ),
        format!("another count: {race_end} of the {race_orders}"),
        format!("\"{race_stale} in {race_orders}: rare, so harmless?\""),
        format!("reports **none of the {}** ends", count(leases_orders)),
        format!("{leases_stale} of those orders still give a stale read"),
        format!("carries version {}", versioned.request("R")["version"]),
        format!("**{versioned_end} of {versioned_orders}** orders end stale"),
        format!(
            "the shortest is {}",
            path(&versioned.explore["examples"]["divergent_at_end"]["schedule"])
        ),
        format!("**{first_end} of {first_orders}** orders end stale"),
        format!(
            "the fewest moves is {} ({})",
            first_shortest.as_array().unwrap().len(),
            path(first_shortest)
        ),
        format!("ends the stale window after {} ms", double.report["stale_ms"]),
        format!("**{double_end} of its {}** orders", count(double_orders)),
        format!("**{} of {}** orders lose", count(lost), count(behind_orders)),
        format!(
            "the shortest complete order is {}",
            path(&behind.explore["examples"]["lost_writes"]["schedule"])
        ),
        format!("arrive within {} ms of the expiry", {
            let last = stampede.request("R12")["start_ms"].as_u64().unwrap();
            last - stampede.millis("/strategy/ttl_ms") + 1
        }),
        format!("\"×{burst} db.read\""),
        format!(
            "(\"{} waiting\")",
            burst.as_u64().unwrap() - of("stampede-lease").report["db"]["reads"].as_u64().unwrap()
        ),
        format!("({race_stale} of {race_orders} orders give a stale read, {race_end} end with the cache stale)"),
        format!("(leases: {leases_end} of {} end stale)", count(leases_orders)),
        format!("(versioned sets, {versioned_end} of {versioned_orders})"),
    ]);
    assert_eq!(leases_end, 0, "the guide calls leases the fix that holds");
    // Not figures of a run: the session's plan, the page's address, the
    // presenter layout's tested screen sizes, the default speed (checked
    // against the code) and the guide's own list numbers.
    assert_eq!(
        cachescope::model::playback::Playback::default().label(),
        "0.020x"
    );
    phrases.extend(
        [
            "90-minute",
            "http://127.0.0.1:8080",
            "at 1920x1080 and at 1280x720",
            "1/50 of real time (a 10 ms database read takes half a second",
            "lesson number (\"2.3\")",
            "1. explain",
            "2. show",
            "3. tell",
            "4. say",
            "5. recognise",
            "| 0-10 |",
            "| 10-25 |",
            "| 25-35 |",
            "| 35-55 |",
            "| 55-65 |",
            "| 65-75 |",
            "| 75-85 |",
            "| 85-90 |",
            "### 0-10",
            "### 10-25",
            "### 25-35",
            "### 35-55",
            "### 55-65",
            "### 65-75",
            "### 75-85",
            "### 85-90",
        ]
        .map(String::from),
    );
    let problems = check("docs/TEACHING.md", &guide, &phrases);
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}
