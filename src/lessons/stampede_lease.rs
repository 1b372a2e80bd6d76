//! The `stampede-lease` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede-lease",
    title: "Stampede with leases: the lease holder refills, the others wait",
    text: "memcache leases: R1's miss gets the lease and reads the database; the \
          others' lease gets say another reader holds it, and they retry every \
          10 ms until the value is cached. One DB read, at a single cache \
          server's say-so.",
    scenario_json: include_str!("stampede-lease.json"),
    narration: beats![
        (Start, "The same burst with memcache leases."),
        (
            Did("R1", OpName::CacheLeaseGet),
            "R1's miss gets the lease and reads the database."
        ),
        (
            Did("R2", OpName::CacheLeaseGet),
            "The others are told another reader holds the lease; they retry every 10 ms."
        ),
        (
            Did("R1", OpName::CacheLeaseSet),
            "R1 fills the key; the retries hit."
        ),
        (End, "One DB read, on the cache server's say-so."),
    ],
};
