//! The `write-through` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "write-through",
    heading: "Write-through",
    title: "Write-through: the cache tier serialises each key, so writers cannot cross",
    text: "The same two writers, through the cache tier (how cache providers \
          implement write-through): holding the key's lock, the tier commits W1's \
          A and then caches it (a write's first step, cache.tier_lock, is the \
          write reaching the tier and taking the key's lock); W2 waits in line, then commits and caches B. \
          R0's miss is filled through the same lock (read-through), after both \
          writes, so it reads B (from the cache: the tier looks again before \
          it loads). The cache is never ahead and never crosses the database; \
          it trails each commit by the one cache operation that follows it \
          (42 to 43 ms). The price is latency: W2 is acknowledged at 43 ms, \
          after its own commit and two cache operations and W1's whole write.",
    scenario_json: include_str!("write-through.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "Write-through: the cache tier takes the key's lock, commits, then caches."
        ),
        (
            Did("W1", OpName::DbWrite),
            "W1 committed A holding the key's lock; W2 and R0's fill wait in line (see the inspector)."
        ),
        (
            Did("W1", OpName::CacheSet),
            "The tier cached A after its commit: the cache never leads the database."
        ),
        (
            Did("W2", OpName::CacheSet),
            "W2 committed and cached B in turn: the writers cannot cross."
        ),
        (
            End,
            "Cache and database agree: B. Writes of a key wait for each other: W2 took 43 ms."
        ),
    ],
};
