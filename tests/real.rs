//! The strategy code on a real Redis and PostgreSQL (Debian's redis-server
//! and postgresql, which `scripts/setup.sh test` installs). Each test starts
//! its own throwaway servers on free loopback ports and stops them.
//!
//! The conformance test replays every lesson's own run and every schedule
//! of the lessons with at most [`CI_INTERLEAVINGS_UP_TO`] schedules, and
//! holds `src/lessons/reproduced.json` (what the page says) to the result;
//! regenerate it with `CACHESCOPE_UPDATE_GOLDEN=1 cargo test --test real`.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::rc::Rc;

use cachescope::lessons::{self, LESSONS};
use cachescope::real::cache::RedisCache;
use cachescope::real::conformance::{self, Options};
use cachescope::real::database::Postgres;
use cachescope::real::live::{self, LiveRun, Performed};
use cachescope::real::live_bus::{LiveStream, event_fields, parse_event};
use cachescope::real::live_cache::{LiveCache, Released};
use cachescope::real::live_check;
use cachescope::real::servers::Servers;
use cachescope::real::{Backend, RealMirror};
use cachescope::sim::ops::Stamp;
use cachescope::sim::scenario::{FaultKind, ScheduleEntry};
use cachescope::sim::{Scenario, Simulation};

/// The lessons whose every interleaving CI replays: those with at most
/// this many schedules (`make conformance` takes on all of them).
const CI_INTERLEAVINGS_UP_TO: u128 = 15_000;

fn servers() -> Servers {
    Servers::start().unwrap_or_else(|e| panic!("cannot start the real servers: {e}"))
}

#[test]
fn every_lessons_run_and_the_interleavings_of_the_smaller_lessons_agree_on_real_servers() {
    let servers = servers();
    let mut backend = Backend::connect(&servers.redis_url, &servers.postgres_url).unwrap();
    let options = Options {
        replay: true,
        interleavings_up_to: CI_INTERLEAVINGS_UP_TO,
        sample: u128::MAX,
        timed_runs: 0,
        scale: 10,
        live_runs: LIVE_RUNS,
        live_random: LIVE_RANDOM,
    };
    let rows = conformance::run_all(&mut backend, LESSONS, &options, &mut |_| {}).unwrap();
    let table = conformance::table(&rows);
    eprintln!("{table}");
    assert!(
        rows.iter().all(|row| row.disagree == 0),
        "real runs disagree with the model:\n{table}"
    );
    // Every lesson is replayed (or says why not), and the ones CI
    // enumerates are all there.
    for lesson in LESSONS {
        assert!(
            rows.iter()
                .any(|r| r.lesson == lesson.name && r.mode == conformance::Mode::Replay),
            "{} was not replayed",
            lesson.name
        );
    }
    let enumerated: u64 = rows
        .iter()
        .filter(|r| r.mode == conformance::Mode::Interleavings)
        .map(|r| r.runs)
        .sum();
    assert!(enumerated > 40_000, "only {enumerated} schedules replayed");
    // The only lesson not run is the read replica's, and it says why.
    let skipped: Vec<&str> = rows
        .iter()
        .filter(|r| r.skipped.is_some())
        .map(|r| r.lesson.as_str())
        .collect();
    assert_eq!(skipped, ["replica-lag", "replica-lag"]);

    // Live runs of every lesson that allows them: the servers decide, and
    // the model's replay of the order they recorded explains every run (or
    // its first difference is a cache operation within a millisecond of its
    // key's entry or lock expiring).
    let live = conformance::live_all(&backend, LESSONS, &options, &mut |_| {}).unwrap();
    let live_table = conformance::live_table(&live, options.scale);
    eprintln!("{live_table}");
    let allowed = LESSONS
        .iter()
        .filter(|l| live::cannot_run_live(&l.scenario()).is_none())
        .count();
    // One row per lesson that allows it, and the random scenarios' row.
    assert_eq!(live.len(), allowed + 1, "{live_table}");
    assert_eq!(live.last().unwrap().runs, LIVE_RANDOM, "{live_table}");
    assert!(live.len() >= 10, "{live_table}");
    assert!(
        live.iter().all(|row| row.explained + row.ties == row.runs),
        "live runs the model's replay did not explain:\n{live_table}"
    );
    // The servers decide the anomalies: delete-first's late reader reads
    // stale in its live runs, as in the model's timed run.
    let delete_first = live.iter().find(|r| r.lesson == "delete-first").unwrap();
    assert!(delete_first.stale.count > 0, "{live_table}");

    let reproduced = conformance::reproduced(backend.versions(), &rows, &live).to_json();
    let path = format!("{}/src/lessons/reproduced.json", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("CACHESCOPE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &reproduced).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        reproduced == committed,
        "{path} differs from what the real servers showed; regenerate it \
         (CACHESCOPE_UPDATE_GOLDEN=1 cargo test --test real) and review the diff"
    );
    drop(backend);
    drop(servers);
}

/// A mirrored simulation of `scenario` on `servers`, not yet run.
fn mirrored(servers: &Servers, scenario: &Scenario) -> (Simulation, Rc<RefCell<RealMirror>>) {
    let connections = cachescope::real::Servers {
        cache: RedisCache::connect(&servers.redis_url).unwrap(),
        db: Postgres::connect(&servers.postgres_url).unwrap(),
    };
    let mut sim = Simulation::new(scenario).unwrap();
    let mirror = Rc::new(RefCell::new(RealMirror::new(connections, &sim).unwrap()));
    sim.set_mirror(mirror.clone());
    (sim, mirror)
}

#[test]
fn a_server_that_does_what_the_model_does_not_predict_is_reported() {
    let servers = servers();
    // read-write-race: R misses and reads v1, W commits v2 and deletes,
    // R puts v1 back. Here another client commits to the row behind the
    // model's back before R reads it: R's read gets that value, not the
    // model's, and the difference is recorded with both answers.
    let scenario = lessons::lesson("read-write-race").unwrap().scenario();
    let (mut sim, mirror) = mirrored(&servers, &scenario);
    assert!(sim.step(), "R's cache.get");
    let mut other = postgres::Client::connect(&servers.postgres_url, postgres::NoTls).unwrap();
    other
        .execute(
            "UPDATE cachescope.rows SET value = 'theirs', version = 7 WHERE key = 'user:123'",
            &[],
        )
        .unwrap();
    sim.run();
    let differences = &mirror.borrow().differences;
    let read = differences
        .iter()
        .find(|d| d.op == "db.read")
        .unwrap_or_else(|| panic!("no db.read difference in {differences:?}"));
    assert_eq!(read.actor, "R");
    assert_eq!(read.model, "v1@1");
    assert_eq!(read.real, "theirs@7");
    drop(sim);
    drop(servers);
}

#[test]
fn a_real_runs_anomalies_come_from_what_the_servers_hold() {
    use cachescope::sim::explore::{Anomaly, anomalies_of};
    let servers = servers();
    // invalidate-on-write: R1 hits v1@1 at 5 ms, before W's commit (at
    // 20): not stale, in the model or on the servers.
    let scenario = lessons::lesson("invalidate-on-write").unwrap().scenario();
    let (mut sim, mirror) = mirrored(&servers, &scenario);
    sim.run();
    assert_eq!(mirror.borrow_mut().anomalies(&sim).unwrap(), []);
    // Another client records a commit of the key at 0 ms in PostgreSQL's
    // commit log and moves the row's version on: judged from the servers'
    // data, R1's read is now stale and the cache Redis holds ends
    // divergent, while the mirrored simulation's own world says neither.
    let mut planter = postgres::Client::connect(&servers.postgres_url, postgres::NoTls).unwrap();
    let mut plant_commit = move |write: i64, version: i64, at_ms: i64| {
        planter
            .execute(
                "INSERT INTO cachescope.commits (write_id, key, version, committed_ms) \
                 VALUES ($1, 'user:123', $2, $3)",
                &[&write, &version, &at_ms],
            )
            .unwrap();
    };
    plant_commit(9999, 99, 0);
    let mut other = postgres::Client::connect(&servers.postgres_url, postgres::NoTls).unwrap();
    other
        .execute(
            "UPDATE cachescope.rows SET version = 100 WHERE key = 'user:123'",
            &[],
        )
        .unwrap();
    assert_eq!(anomalies_of(&sim), []);
    assert_eq!(
        mirror.borrow_mut().anomalies(&sim).unwrap(),
        [Anomaly::Stale, Anomaly::DivergentAtEnd]
    );
    drop(sim);

    // write-behind-crash: the cache crashes while Redis holds W2's dirty
    // entry (W1's was overwritten by it), so the acknowledged write is
    // lost: on the servers as in the model. If PostgreSQL holds a commit
    // of W2 (write 1) after all, the servers no longer show a lost write.
    let scenario = lessons::lesson("write-behind-crash").unwrap().scenario();
    let (mut sim, mirror) = mirrored(&servers, &scenario);
    sim.run();
    assert_eq!(anomalies_of(&sim), [Anomaly::LostWrite]);
    assert_eq!(
        mirror.borrow_mut().anomalies(&sim).unwrap(),
        [Anomaly::LostWrite]
    );
    plant_commit(1, 2, 600);
    assert_eq!(mirror.borrow_mut().anomalies(&sim).unwrap(), []);
    assert_eq!(anomalies_of(&sim), [Anomaly::LostWrite]);
    drop(sim);
    drop(servers);
}

#[test]
fn a_run_interrupted_halfway_leaves_nothing_the_next_run_trips_on() {
    let servers = servers();
    // The outbox lesson with CDC's slot too: stop after a few steps, with
    // cache entries, outbox rows, stream entries and undecoded changes
    // left on the servers.
    let mut scenario = lessons::lesson("outbox").unwrap().scenario();
    let (mut sim, _mirror) = mirrored(&servers, &scenario);
    for _ in 0..4 {
        sim.step();
    }
    drop(sim);
    scenario.strategy.channel = cachescope::sim::scenario::Channel::Cdc;
    let (mut sim, _mirror) = mirrored(&servers, &scenario);
    for _ in 0..3 {
        sim.step();
    }
    drop(sim);
    let mut backend = Backend::connect(&servers.redis_url, &servers.postgres_url).unwrap();
    for name in ["outbox", "event-invalidation", "write-behind-crash"] {
        let run = backend
            .run(&lessons::lesson(name).unwrap().scenario(), false)
            .unwrap();
        assert!(run.differences.is_empty(), "{name}: {:?}", run.differences);
    }
    backend.release().unwrap();
    drop(backend);
    drop(servers);
}

#[test]
fn every_stampede_protection_agrees_on_real_servers_on_the_stampede_lesson() {
    // The protections without a lesson of their own (the jittered early
    // recompute) are checked here too: its reads of an entry's expiry and
    // cost come from Redis.
    let servers = servers();
    let mut backend = Backend::connect(&servers.redis_url, &servers.postgres_url).unwrap();
    for stampede in cachescope::sim::scenario::Stampede::ALL {
        let mut scenario = lessons::lesson("stampede").unwrap().scenario();
        scenario.strategy.stampede = stampede;
        scenario.strategy.early_ms = 200;
        let run = backend.run(&scenario, false).unwrap();
        assert!(
            run.differences.is_empty(),
            "{}: {:?}",
            stampede.name(),
            run.differences
        );
        assert_eq!(
            run.real_anomalies,
            run.model_anomalies,
            "{}",
            stampede.name()
        );
    }
    backend.release().unwrap();
    drop(backend);
    drop(servers);
}

#[test]
fn a_short_ttl_expires_by_redis_own_clock() {
    // No instant of the model's is given: Redis's `PX` decides.
    let servers = servers();
    let mut cache = LiveCache::connect(&servers.redis_url).unwrap();
    cache.set("k", "v1", Stamp::Committed(1), 12, 80).unwrap();
    let entry = cache.get("k").unwrap().expect("read before its TTL: a hit");
    assert_eq!(
        (entry.value.as_str(), entry.stamp, entry.cost_ms),
        ("v1", Stamp::Committed(1), 12)
    );
    assert!((1..=80).contains(&entry.expires_in_ms), "{entry:?}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(cache.get("k").unwrap(), None, "read after its TTL: a miss");
    // A delete removes a live entry, and says whether there was one.
    cache
        .set("k", "v2", Stamp::Committed(2), 0, 60_000)
        .unwrap();
    assert!(cache.delete("k").unwrap());
    assert!(!cache.delete("k").unwrap());
    drop(cache);
    drop(servers);
}

#[test]
fn a_lock_holder_paused_past_its_px_loses_the_lock_to_another() {
    let servers = servers();
    let mut holder = LiveCache::connect(&servers.redis_url).unwrap();
    let mut other = LiveCache::connect(&servers.redis_url).unwrap();
    assert!(holder.lock_add("k", "token-a", 80).unwrap());
    assert!(!other.lock_add("k", "token-b", 80).unwrap(), "held");
    // The holder pauses past its PX: Redis lets the lock go, another takes it.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(other.lock_add("k", "token-b", 60_000).unwrap());
    // The first holder's compare-and-delete leaves the other's lock alone.
    assert_eq!(
        holder.unlock("k", "token-a", true).unwrap(),
        Released::Anothers("token-b".into())
    );
    assert!(
        !holder.lock_add("k", "token-a", 80).unwrap(),
        "still the other's"
    );
    assert_eq!(other.unlock("k", "token-b", true).unwrap(), Released::Mine);
    drop((holder, other));
    drop(servers);
}

#[test]
fn a_schema_that_is_not_cachescopes_own_is_refused_and_left_alone() {
    let servers = servers();
    let (base, _) = servers.postgres_url.rsplit_once('/').unwrap();
    let mut client =
        postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
    client
        .batch_execute("CREATE DATABASE someone_elses")
        .unwrap();
    let theirs = format!("{base}/someone_elses");
    let mut client = postgres::Client::connect(&theirs, postgres::NoTls).unwrap();
    client
        .batch_execute("CREATE SCHEMA cachescope; CREATE TABLE cachescope.rows (id int)")
        .unwrap();
    let refusal = Postgres::connect(&theirs).err().expect("refused");
    assert!(refusal.contains("not cachescope's own"), "{refusal}");
    // Their table is untouched.
    let columns: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_schema = 'cachescope' AND table_name = 'rows'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(columns, 1);
    drop(client);
    drop(servers);
}

#[test]
fn the_command_line_refuses_a_server_it_cannot_reach_with_one_message() {
    let lesson = std::env::temp_dir().join(format!("cachescope-real-{}.json", std::process::id()));
    std::fs::write(
        &lesson,
        lessons::lesson("read-write-race").unwrap().scenario_json,
    )
    .unwrap();
    // Port 1 on loopback: nothing listens there.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cachescope"))
        .arg("real")
        .arg(&lesson)
        .args(["--redis", "redis://127.0.0.1:1/"])
        .args(["--postgres", "postgres://cachescope@127.0.0.1:1/cachescope"])
        .output()
        .unwrap();
    std::fs::remove_file(&lesson).unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("cachescope: cannot reach redis at redis://127.0.0.1:1/"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_command_line_prints_the_real_runs_report_with_its_real_section() {
    let servers = servers();
    let lesson =
        std::env::temp_dir().join(format!("cachescope-real-cli-{}.json", std::process::id()));
    std::fs::write(
        &lesson,
        lessons::lesson("versioned-sets").unwrap().scenario_json,
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cachescope"))
        .arg("real")
        .arg(&lesson)
        .args([
            "--redis",
            &servers.redis_url,
            "--postgres",
            &servers.postgres_url,
        ])
        .arg("--no-trace")
        .output()
        .unwrap();
    std::fs::remove_file(&lesson).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let real = &report["real"];
    assert!(real["redis"].as_str().unwrap().starts_with("7."), "{real}");
    assert!(
        real["postgres"].as_str().unwrap().starts_with("15."),
        "{real}"
    );
    assert_eq!(real["agree"], true);
    assert_eq!(real["differences"], serde_json::json!([]));
    // The report is the real run's, and it is the model's: one stale read.
    assert_eq!(report["stale_reads"], 1, "{report}");
    drop(servers);
}

#[test]
fn timed_runs_with_real_threads_show_the_stampede_and_its_protections() {
    use cachescope::real::timed;
    let servers = servers();
    // Robust claims only (real threads race): without protection the
    // expiry sends several readers to the database; a lock or a lease
    // lets exactly one through, as the model says.
    let scale = 20;
    let run = |name: &str| {
        let scenario = lessons::lesson(name).unwrap().scenario();
        timed::run(&servers.redis_url, &servers.postgres_url, &scenario, scale).unwrap()
    };
    let stampede = run("stampede");
    let model =
        timed::TimedRun::of_model(&lessons::lesson("stampede").unwrap().scenario()).unwrap();
    assert!(model.db_reads > 1);
    assert!(stampede.db_reads > 1, "{stampede:?}");
    assert!(stampede.peak_db_reads > 1, "{stampede:?}");
    for protected in ["stampede-lock", "stampede-lease"] {
        let real = run(protected);
        assert_eq!(
            (real.db_reads, real.peak_db_reads),
            (1, 1),
            "{protected}: {real:?}"
        );
        assert!(
            real.stale.iter().flatten().all(|stale| !stale),
            "{protected}: {real:?}"
        );
    }
    // What cannot run with real threads says why.
    let workload = lessons::lesson("lease-hot-key").unwrap().scenario();
    assert!(timed::cannot_run_timed(&workload).is_some());
    drop(servers);
}

#[test]
fn a_db_read_sees_the_rows_as_of_its_issue_on_postgresql_as_in_the_model() {
    use cachescope::real::timed;
    use cachescope::sim::ops::Stamp;
    let servers = servers();
    // R's DB read is issued at 1 ms and takes 100 ms; W commits v2 at
    // 20 ms, in the middle of it. The model answers R with the row as of
    // the read's issue (v1); PostgreSQL, whose statement sleeps inside
    // (pg_sleep), decides the same under READ COMMITTED.
    let scenario = Scenario::from_json(
        r#"{
          "name": "a read overtaken by a commit",
          "keys": { "k": "v1" },
          "latency_ms": { "cache": 1, "db_read": 100, "db_write": 20 },
          "strategy": { "write": "invalidate" },
          "requests": [
            { "id": "R", "op": "read", "key": "k", "at_ms": 0 },
            { "id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0 }
          ]
        }"#,
    )
    .unwrap();
    let model = timed::TimedRun::of_model(&scenario).unwrap();
    assert_eq!(model.read, [Some(Stamp::Committed(1)), None]);
    let real = timed::run(&servers.redis_url, &servers.postgres_url, &scenario, 20).unwrap();
    assert_eq!(real.read, model.read);
    assert_eq!(real.stale, model.stale);
    drop(servers);
}

#[test]
fn a_timed_lesson_whose_requests_act_at_one_instant_is_marked_as_a_tie() {
    use cachescope::real::timed::TimedRun;
    // cache-then-db's writers both start at 0 ms with equal latencies:
    // their cache sets land together at 1 ms, their commits at 21 ms.
    // read-write-race's requests never act at one instant.
    let model =
        |name: &str| TimedRun::of_model(&lessons::lesson(name).unwrap().scenario()).unwrap();
    assert!(model("cache-then-db").ties);
    assert!(!model("read-write-race").ties);
    assert!(!model("stampede").ties);
}

/// Live runs per lesson in the conformance test (what the page states).
const LIVE_RUNS: u32 = 3;

/// Random scenarios run live in the conformance test.
const LIVE_RANDOM: u32 = 12;

/// Real ms per model ms in the live tests: scheduling noise (well under a
/// real millisecond) stays small beside the model's millisecond.
const LIVE_SCALE: u32 = 10;

fn live_run(servers: &Servers, scenario: &Scenario) -> LiveRun {
    live::run(
        &servers.redis_url,
        &servers.postgres_url,
        scenario,
        LIVE_SCALE,
    )
    .unwrap_or_else(|e| panic!("the live run failed: {e}"))
}

/// The first operation of `actor` in `run` whose meaning starts with `op`.
fn performed<'a>(run: &'a LiveRun, actor: &str, op: &str) -> &'a Performed {
    run.performed
        .iter()
        .find(|p| p.actor == actor && p.op.starts_with(op))
        .unwrap_or_else(|| panic!("{actor} did no {op}: {:#?}", run.performed))
}

/// What the servers' records say of `run`, and the model's replay of it,
/// which must explain it.
fn explained(run: &LiveRun) -> (live_check::Verdicts, live_check::Replay) {
    let verdicts = live_check::judge(run);
    let replay = live_check::replay(run).unwrap();
    assert!(replay.agrees_with(&verdicts), "{replay:#?}\n{verdicts:#?}");
    (verdicts, replay)
}

/// A write whose transaction stays open 100 ms, a reader whose statement
/// starts inside it and answers 150 ms later, and a second reader.
const HELD_OPEN: &str = r#"{
  "name": "a slow reader across a held-open write transaction",
  "seed": 1,
  "keys": { "k": "v1" },
  "latency_ms": { "cache": 1, "db_read": 150, "db_write": 100 },
  "strategy": { "write": "invalidate", "ttl_ms": 300000 },
  "requests": [
    { "id": "W", "op": "write", "key": "k", "value": "v2", "at_ms": 0 },
    { "id": "R", "op": "read", "key": "k", "at_ms": 20 },
    { "id": "R2", "op": "read", "key": "k", "at_ms": 400 }
  ]
}"#;

#[test]
fn a_slow_reader_across_a_held_open_write_transaction_refills_the_old_value() {
    let servers = servers();
    let scenario = Scenario::from_json(HELD_OPEN).unwrap();
    let run = live_run(&servers, &scenario);
    let of = |actor: &str, op: &str| performed(&run, actor, op);
    let (write, read) = (of("W", "db.write"), of("R", "db.read"));
    // PostgreSQL's record: the reader's snapshot was taken while the
    // write's transaction was open (sent before, committed after), so it
    // saw the old row, and its set of it landed after the write's delete.
    assert!(
        write.sent_ms < read.effect_ms && read.effect_ms < write.effect_ms,
        "{write:?} {read:?}"
    );
    assert_eq!(read.reply, "v1@1");
    assert!(of("R", "cache.set").effect_ms > of("W", "cache.delete").effect_ms);
    // The model, following the order the servers recorded, explains it.
    let (verdicts, _) = explained(&run);
    assert_eq!(verdicts.stale_reads, vec!["R2".to_string()], "{verdicts:?}");
    assert_eq!(verdicts.windows.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts.windows[0].to_ms, None, "{verdicts:?}");
    drop(servers);
}

#[test]
fn events_on_two_partitions_reach_their_consumer_threads_out_of_order_and_the_replay_names_them() {
    let servers = servers();
    let scenario = lessons::lesson("kafka-partitions").unwrap().scenario();
    let run = live_run(&servers, &scenario);
    let of = |actor: &str, op: &str| performed(&run, actor, op);
    // Round-robin in the order Redis appended them: W1's event on
    // partition 0 (100 ms behind), W2's on partition 1.
    let (first, second) = (of("W1", "bus.publish"), of("W2", "bus.publish"));
    assert_eq!(
        (first.reply.as_str(), second.reply.as_str()),
        ("sent to partition 0", "sent to partition 1")
    );
    // Each consumer thread applied its event no sooner than the bus's
    // delay (and its partition's lag) after Redis appended it, so by
    // Redis's log B was set before A.
    let (a, b) = (of("consumer:0", "cache.set"), of("consumer:1", "cache.set"));
    assert_eq!(
        (a.op.as_str(), b.op.as_str()),
        ("cache.set A@2", "cache.set B@3")
    );
    assert!(a.effect_ms >= first.effect_ms + 150.0, "{a:?} {first:?}");
    assert!(b.effect_ms >= second.effect_ms + 50.0, "{b:?} {second:?}");
    assert!(b.effect_ms < a.effect_ms);
    // The servers' record: R read A after B had committed; A stays cached.
    // The model follows the order, naming each partition's consumer.
    let (verdicts, replay) = explained(&run);
    assert_eq!(verdicts.stale_reads, vec!["R".to_string()], "{verdicts:?}");
    assert_eq!(verdicts.windows.last().unwrap().to_ms, None, "{verdicts:?}");
    for consumer in ["consumer:0", "consumer:1"] {
        let named = ScheduleEntry::Actor(consumer.into());
        assert!(replay.schedule.contains(&named), "{:?}", replay.schedule);
    }
    drop(servers);
}

#[test]
fn a_crashed_consumers_replacement_claims_the_unacknowledged_events_and_applies_them_again() {
    let servers = servers();
    // Two events applied by 150 ms, acknowledged only 100 ms after the
    // first: the consumer crashes at 150 ms with both unacknowledged.
    let scenario = lessons::lesson("consumer-replay").unwrap().scenario();
    let run = live_run(&servers, &scenario);
    let applied: Vec<(&str, f64)> = run
        .performed
        .iter()
        .filter(|p| p.actor == "consumer")
        .map(|p| (p.op.as_str(), p.effect_ms))
        .collect();
    let ops: Vec<&str> = applied.iter().map(|(op, _)| *op).collect();
    assert_eq!(
        ops,
        [
            "cache.set A@2",
            "cache.set B@3",
            "cache.set A@2",
            "cache.set B@3"
        ],
        "{applied:?}"
    );
    // Redis delivered both again to the replacement, after the crash.
    assert!(applied[1].1 < 150.0 && applied[2].1 > 150.0, "{applied:?}");
    // The model, with the crash in its schedule at its instant, explains
    // the run.
    let (_, replay) = explained(&run);
    let crash = ScheduleEntry::Fault(FaultKind::ConsumerCrash { partition: None });
    assert!(replay.schedule.contains(&crash), "{:?}", replay.schedule);
    drop(servers);
}

#[test]
fn a_paused_instances_request_loses_its_lock_by_redis_px_and_its_unsafe_release_deletes_anothers() {
    let servers = servers();
    // R1 (instance 0) takes the lock for 100 ms and is paused 35-175 ms;
    // R2 (instance 1) comes at 135 ms.
    let scenario = lessons::lesson("lock-expiry").unwrap().scenario();
    let run = live_run(&servers, &scenario);
    let of = |actor: &str, op: &str| performed(&run, actor, op);
    let (taken, retaken) = (of("R1", "cache.lock_add"), of("R2", "cache.lock_add"));
    assert_eq!(
        (taken.reply.as_str(), retaken.reply.as_str()),
        ("locked", "locked")
    );
    // Redis expired R1's lock by its PX while R1's thread was paused.
    assert!(
        taken.effect_ms < 35.0 && retaken.effect_ms > 135.0,
        "{taken:?} {retaken:?}"
    );
    let paused = run
        .performed
        .iter()
        .filter(|p| p.actor == "R1" && p.sent_ms > 35.0 && p.sent_ms < 175.0);
    assert_eq!(paused.count(), 0, "{:#?}", run.performed);
    // Back from the pause, R1's plain release deleted R2's lock.
    let released = of("R1", "cache.unlock");
    assert_eq!(released.reply, "another's lock deleted", "{released:?}");
    assert!(released.effect_ms > retaken.effect_ms);
    explained(&run);
    drop(servers);
}

/// Two readers of a prewarmed key, the second after a write-free pause.
const TWO_READS: &str = r#"{
  "name": "two reads",
  "seed": 1,
  "keys": { "k": "v1" },
  "latency_ms": { "cache": 1, "db_read": 10, "db_write": 20 },
  "strategy": { "write": "invalidate", "ttl_ms": 300000 },
  "requests": [
    { "id": "R1", "op": "read", "key": "k", "at_ms": 0 },
    { "id": "R2", "op": "read", "key": "k", "at_ms": 200 }
  ]
}"#;

#[test]
fn the_models_replay_of_a_live_run_agrees_and_a_value_changed_behind_its_back_is_a_disagreement() {
    let servers = servers();
    let scenario = Scenario::from_json(TWO_READS).unwrap();
    let run = live_run(&servers, &scenario);
    let (_, replay) = explained(&run);
    assert_eq!(
        replay.schedule.len()
            - replay
                .schedule
                .iter()
                .filter(|e| matches!(e, cachescope::sim::scenario::ScheduleEntry::Wait(_)))
                .count(),
        run.performed.len()
    );
    // Now someone else sets the entry between the two reads: the servers
    // record it, the model cannot know it, and the replay says where it
    // first differs.
    let redis_url = servers.redis_url.clone();
    let tamper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(
            100 * u64::from(LIVE_SCALE),
        ));
        let mut other = LiveCache::connect(&redis_url).unwrap();
        other
            .set("k", "changed", Stamp::Committed(1), 0, 60_000)
            .unwrap();
    });
    let run = live_run(&servers, &scenario);
    tamper.join().unwrap();
    let replay = live_check::replay(&run).unwrap();
    let first = replay.first_difference.clone().expect("a disagreement");
    assert_eq!(
        (first.actor.as_str(), first.op.as_str()),
        ("R2", "cache.get")
    );
    assert_eq!(
        (first.model.as_str(), first.real.as_str()),
        ("hit v1@1", "hit changed@1")
    );
    assert!(!replay.agrees_with(&live_check::judge(&run)));
    drop(servers);
}

#[test]
fn a_consumer_killed_before_acknowledging_sees_its_event_redelivered() {
    let servers = servers();
    let url = &servers.redis_url;
    let mut producer = LiveStream::connect(url, "events", "producer").unwrap();
    let mut first = LiveStream::connect(url, "events", "consumer-1").unwrap();
    let id = producer.publish(&event_fields("k", None)).unwrap();
    let (taken, fields) = first.poll().unwrap().expect("the event");
    assert_eq!(taken, id);
    assert_eq!(parse_event(&fields).unwrap(), ("k".to_string(), None));
    // The consumer dies before it acknowledges: the event stays pending.
    drop(first);
    assert_eq!(producer.pending().unwrap(), 1);
    let mut second = LiveStream::connect(url, "events", "consumer-2").unwrap();
    // Nothing new for the group: the event was taken once already.
    assert_eq!(second.poll().unwrap(), None);
    // Not yet idle long enough to be presumed abandoned.
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(second.claim_abandoned(60_000).unwrap().is_empty());
    // Claimed once idle: Redis delivers it again, to the new consumer.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let again = second.claim_abandoned(100).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, id);
    assert_eq!(second.ack(std::slice::from_ref(&id)).unwrap(), 1);
    assert_eq!(producer.pending().unwrap(), 0);
    assert_eq!(second.ack(&[id]).unwrap(), 0, "acknowledged once");
    drop((producer, second));
    drop(servers);
}

#[test]
fn the_command_line_runs_a_scenario_live_and_refuses_one_it_cannot_run_live() {
    let servers = servers();
    let dir = std::env::temp_dir().join(format!("cachescope-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let held_open = dir.join("held-open.json");
    std::fs::write(&held_open, HELD_OPEN).unwrap();
    let leases = dir.join("leases.json");
    std::fs::write(&leases, lessons::lesson("leases").unwrap().scenario_json).unwrap();
    let live = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cachescope"))
            .arg("real")
            .arg(file)
            .args(["--live", "--scale", "10"])
            .args(["--redis", &servers.redis_url])
            .args(["--postgres", &servers.postgres_url])
            .output()
            .unwrap()
    };
    let output = live(&held_open);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["agree"], true, "{report}");
    assert!(
        report["redis"].as_str().unwrap().starts_with("7."),
        "{report}"
    );
    assert_eq!(report["verdicts"]["stale_reads"], serde_json::json!(["R2"]));
    assert_eq!(
        report["replay"]["first_difference"],
        serde_json::Value::Null
    );
    let ops: Vec<&str> = report["performed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["op"].as_str().unwrap())
        .collect();
    assert!(ops.contains(&"db.write v2"), "{ops:?}");
    // A scenario the live mode cannot run: one line, exit status 2.
    let output = live(&leases);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot run live: memcache-style leases and versioned sets"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    drop(servers);
}
