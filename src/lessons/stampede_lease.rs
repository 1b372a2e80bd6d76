//! The `stampede-lease` lesson: its scenario, its text and its narration.

use super::Check;
use super::Cue::*;
use super::{Beat, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede-lease",
    heading: "Leases against the stampede",
    title: "Stampede with leases: the lease holder refills, the others wait",
    text: "memcache leases: R1's miss gets the lease and reads the database; the \
          others' lease gets give no token, and they retry every 10 ms until \
          the value is cached (for at most wait_max_ms; then a reader reads \
          the database itself, without filling). One DB read, at a single \
          cache server's say-so, where the same burst without leases (set \
          stampede to none) reads the database 12 times at once. Facebook \
          measured the same effect on a production hot key: without leases \
          its peak database query rate was 17K/s, with leases 1.3K/s (NSDI \
          2013, 3.2.1).",
    scenario_json: include_str!("stampede-lease.json"),
    questions: &[Question {
        at: 0,
        reveal: 4,
        prompt: "The same burst of twelve readers, now with leases. How many DB reads?",
        choices: &[
            Choice {
                label: "One",
                check: Check::DbReadsAtMost(1),
            },
            Choice {
                label: "Twelve",
                check: Check::DbReadsAtLeast(12),
            },
        ],
    }],
    narration: beats![
        (Start, "The same burst with memcache leases."),
        (
            Did("R1", OpName::CacheLeaseGet),
            "R1's miss gets the lease and reads the database."
        ),
        (
            Did("R2", OpName::CacheLeaseGet),
            "The others get no token while R1 holds the lease; they retry every 10 ms."
        ),
        (
            Did("R1", OpName::CacheLeaseSet),
            "R1 fills the key; the retries hit."
        ),
        (
            End,
            "One DB read, on the cache server's say-so: without leases this burst makes 12."
        ),
    ],
};
