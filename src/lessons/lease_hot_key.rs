//! The `lease-hot-key` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};

pub const LESSON: Lesson = Lesson {
    name: "lease-hot-key",
    heading: "A write-heavy hot key",
    title: "A write-heavy hot key: leases alone make readers wait, stale values answer them at once",
    text: "800 reads and 40 writes a second on one key, through four instances, \
          with memcache leases: this run sends 808 reads and 40 writes. Each \
          write deletes the key and invalidates the outstanding lease, so the \
          holder's fill is often refused (32 of 38 here). Until a fill lands, a \
          reader refused a token waits, up to 100 ms (wait_max_ms), then reads \
          the database itself without filling. Of the 808 reads, 333 (41%) are \
          answered from the cache and 437 (54%) wait out the 100 ms and fall \
          back: 475 DB reads, and the median read takes 155 ms. \
          Facebook's answer to the waiting (NSDI 2013, 3.2.1): a delete keeps \
          the old value as stale, and a reader that can use a slightly stale \
          value takes it at once. Set lease_stale_ms to 1000 and accept_stale \
          on, and the same 808 reads and 40 writes go again: no reader waits or \
          falls back, the median read takes 3 ms, and the database sees 36 \
          reads, paid for in 650 stale reads.",
    scenario_json: include_str!("lease-hot-key.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "A hot key, read 800 and written 40 times a second, under memcache leases."
        ),
        (
            DbReadsInFlight(20),
            "Writes keep invalidating the lease: readers refused a token wait up to 100 ms for a fill, then read the database themselves."
        ),
        (
            End,
            "437 of 808 reads fell back to the database after waiting. Turn on lease_stale_ms and accept_stale: the same requests, no waiting, 36 DB reads."
        ),
    ],
};
