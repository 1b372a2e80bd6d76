//! The `cache-then-db` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "cache-then-db",
    heading: "Cache, then database",
    title: "Cache, then DB: the cache leads the database, and two writers can cross",
    text: "An app-orchestrated dual write: each writer sets the cache first and \
          commits second. W1 caches A, W2 caches B; R0 reads B before anything \
          is committed (an uncommitted read). Then W2 commits B and W1 commits \
          A: the database ends with A, the cache with B. The cache was ahead of \
          the database, then stale; R reads B after A was committed. Real \
          write-through (lesson 4.1) runs inside the cache tier and cannot \
          cross.",
    scenario_json: include_str!("cache-then-db.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "Cache, then DB: each writer sets the cache, then commits."
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
