//! The `lease-hot-key` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};

pub const LESSON: Lesson = Lesson {
    name: "lease-hot-key",
    heading: "A write-heavy hot key",
    title: "A write-heavy hot key: leases alone make every reader wait, stale values fix it",
    text: "800 reads and 40 writes a second on one key, through four instances, \
          with memcache leases. Each write deletes the key and invalidates the \
          lease, usually before its holder's 50 ms DB read returns, so the key \
          stays empty: every reader refused a token waits 100 ms (wait_max_ms) \
          and then reads the database itself. Peak load: 880 DB reads a second \
          (88 in the busiest 100 ms), nearly one per read. Facebook's answer \
          (NSDI 2013, 3.2.1): a delete keeps the old value as stale, and a \
          reader refused a token takes it at once. Set lease_stale_ms to 1000 \
          and accept_stale on: peak 70 DB reads a second, 12.6 times fewer \
          (Facebook saw 17K/s fall to 1.3K/s), paid for in stale reads.",
    scenario_json: include_str!("lease-hot-key.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "A hot key, read 800 and written 40 times a second, under memcache leases."
        ),
        (
            DbReadsInFlight(20),
            "Writes keep invalidating the lease: readers wait 100 ms for a fill that never lands, then read the database themselves."
        ),
        (
            End,
            "Nearly every read fell back to the database. Turn on lease_stale_ms and accept_stale: the load falls twelvefold."
        ),
    ],
};
