//! The state inspector at the cursor: what it shows inside the cache (TTL
//! countdown, dirty flag, leases and locks), the DB, the bus partitions and
//! the outbox, and which rows it flags as changed by the step just taken.
//! Expected states are read off each lesson's scenario by hand.

use cachescope::lessons::LESSONS;
use cachescope::model::view::{Inspector, inspect};
use cachescope::sim::recording::Recording;

/// The inspector after every step of `lesson` (index 0: before any).
fn walk(lesson: &str) -> Vec<Inspector> {
    let scenario = cachescope::lessons::lesson(lesson).unwrap().scenario();
    let recording = Recording::new(&scenario).unwrap();
    (0..=recording.len())
        .map(|step| {
            let sim = recording.simulation_at(step);
            let before = step.checked_sub(1).map(|s| recording.simulation_at(s));
            inspect(&sim, before.as_ref())
        })
        .collect()
}

#[test]
fn a_lease_is_shown_while_held_and_gone_once_the_write_deletes_the_key() {
    let steps = walk("leases");
    // Step 1: R misses and takes lease #1 (lease TTL 500 ms).
    let cache = &steps[1].cache[0];
    assert_eq!(cache.value, "(empty)");
    assert_eq!(cache.hold, "lease #1, 500 ms left");
    assert!(cache.changed);
    // Step 2: R's DB read; the countdown moves, which is no change.
    assert_eq!(steps[2].cache[0].hold, "lease #1, 490 ms left");
    assert!(!steps[2].cache[0].changed);
    // Step 3: W commits v2; step 4: its delete voids R's lease.
    assert!(steps[3].db[0].changed);
    assert_eq!(
        (steps[3].db[0].value.as_str(), steps[3].db[0].version),
        ("v2", 2)
    );
    assert_eq!(steps[4].cache[0].hold, "");
    assert!(steps[4].cache[0].changed);
    // The end: R2 filled the key with v2 under lease #2.
    assert_eq!(steps[6].cache[0].hold, "lease #2, 500 ms left");
    let end = steps.last().unwrap();
    assert_eq!(end.cache[0].value, "v2 @2");
    assert_eq!(end.cache[0].ttl, "expires in 5 min");
}

#[test]
fn a_dirty_entry_never_expires_and_the_crash_empties_the_cache() {
    let steps = walk("write-behind-crash");
    let cache = &steps[1].cache[0];
    assert_eq!(cache.value, "A (uncommitted)");
    assert_eq!(cache.ttl, "never (dirty)");
    assert!(cache.dirty && cache.diverged && cache.changed);
    // B overwrites A before any flush; the crash (step 4) loses both.
    assert_eq!(steps[2].cache[0].value, "B (uncommitted)");
    assert_eq!(steps[4].cache[0].value, "(empty)");
    assert!(steps[4].cache[0].changed);
    assert!(
        steps.iter().all(|s| s.db[0].version == 1),
        "nothing was ever flushed"
    );
}

#[test]
fn the_outbox_row_is_inserted_with_the_commit_and_marked_sent_by_the_relay() {
    let steps = walk("outbox");
    // Step 1: W commits v2 and its outbox row in one transaction.
    assert!(steps[0].outbox.is_empty());
    assert_eq!(steps[1].outbox.len(), 1);
    assert_eq!(steps[1].outbox[0].event, "#0 delete user:123");
    assert!(!steps[1].outbox[0].sent && steps[1].outbox[0].changed);
    assert!(steps[1].cache[0].diverged);
    // Step 4: the relay publishes; the event travels (bus delay 50 ms).
    assert_eq!(
        steps[4].partitions[0].in_transit,
        ["delete user:123, arrives 161 ms"]
    );
    assert!(steps[4].partitions[0].changed);
    // The relay crashed before marking it sent, so it publishes again
    // (step 8) and marks it sent (step 9): at least once.
    assert_eq!(
        steps[8].partitions[0].in_transit,
        ["delete user:123, arrives 261 ms"]
    );
    assert!(steps[9].outbox[0].sent && steps[9].outbox[0].changed);
    assert!(!steps[10].outbox[0].changed);
}

#[test]
fn an_expired_entry_is_shown_as_expired_and_the_lock_holder_is_shown() {
    let steps = walk("stampede-lock");
    assert_eq!(steps[0].cache[0].ttl, "expires in 300 ms");
    let expired = steps
        .iter()
        .position(|s| s.cache[0].value.ends_with("(expired)"))
        .unwrap();
    assert!(steps[expired].cache[0].changed);
    let locked = steps
        .iter()
        .position(|s| s.cache[0].hold.starts_with("lock"))
        .unwrap();
    assert!(locked > expired);
    assert_eq!(
        steps[locked].cache[0].hold,
        "lock #1 held by R1, 500 ms left"
    );
}

#[test]
fn bus_partitions_appear_only_with_an_event_channel() {
    for lesson in LESSONS {
        let scenario = lesson.scenario();
        let steps = walk(lesson.name);
        let with_bus = scenario.strategy.channel != Default::default();
        assert_eq!(
            steps[0].partitions.len(),
            if with_bus {
                scenario.bus.partitions as usize
            } else {
                0
            },
            "{}",
            lesson.name
        );
        // Before any step nothing can have changed.
        let start = &steps[0];
        assert!(!start.cache.iter().any(|r| r.changed) && !start.db.iter().any(|r| r.changed));
        // A DB row is flagged exactly when its version moved (or its
        // replica's row did).
        for pair in steps.windows(2) {
            for (now, before) in pair[1].db.iter().zip(&pair[0].db) {
                assert_eq!(
                    now.changed,
                    now.version != before.version || now.replica != before.replica,
                    "{}",
                    lesson.name
                );
            }
        }
    }
}

#[test]
fn durations_read_as_people_say_them() {
    use cachescope::model::view::duration;
    let said: Vec<String> = [
        0, 40, 999, 1_000, 1_200, 59_949, 60_000, 299_991, 3_600_000, 5_400_000,
    ]
    .into_iter()
    .map(duration)
    .collect();
    assert_eq!(
        said,
        [
            "0 ms", "40 ms", "999 ms", "1 s", "1.2 s", "59.9 s", "1 min", "5 min", "1 h", "1.5 h"
        ]
    );
}
