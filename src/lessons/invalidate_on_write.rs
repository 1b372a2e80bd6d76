//! The `invalidate-on-write` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "invalidate-on-write",
    heading: "Invalidate on write",
    title: "Invalidate-on-write: commit, then delete, and the next read refills",
    text: "W commits v2 and then deletes the cached v1. For the one cache \
          operation between commit and delete the cache still serves v1 (a short \
          divergence window); after the delete the next read misses and fills \
          the cache with v2. In this timing it works; the read-write-race \
          lesson shows a timing where it does not.",
    scenario_json: include_str!("invalidate-on-write.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "W will commit v2 and then delete the cached v1; readers come before and after."
        ),
        (
            Did("W", OpName::DbWrite),
            "W committed v2. For one cache operation the cache still holds v1: a short stale window."
        ),
        (
            Did("W", OpName::CacheDelete),
            "W deleted the key. The window closes: the next read will miss."
        ),
        (
            Did("R2", OpName::CacheSet),
            "R2 missed, read v2 and filled the cache. In this timing invalidation worked; try read-write-race next."
        ),
    ],
};
