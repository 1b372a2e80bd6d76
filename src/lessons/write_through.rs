//! The `write-through` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "write-through",
    title: "Write-through: the cache leads the database, and two writers can still cross",
    text: "Each writer sets the cache first and commits second. W1 caches A, W2 \
          caches B; R0 reads B before anything is committed (an uncommitted \
          read). Then W2 commits B and W1 commits A: the database ends with A, \
          the cache with B. The cache was ahead of the database, then stale; \
          R reads B after A was committed.",
    scenario_json: include_str!("write-through.json"),
    narration: beats![
        (
            Start,
            "Write-through: each writer sets the cache, then commits."
        ),
        (
            AheadNow,
            "The cache holds a value the database has not committed: ahead (dotted window)."
        ),
        (
            Did("R0", OpName::CacheGet),
            "R0 reads B before any commit: an uncommitted read."
        ),
        (
            StaleNow,
            "W2 committed B, then W1 committed A: the database ends with A, the cache with B. Now stale."
        ),
        (StaleRead, "R reads B after A was committed: a stale read."),
    ],
};
