//! The `cache-aside-basics` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "cache-aside-basics",
    heading: "Cache-aside basics",
    title: "Cache-aside: miss, read the database, fill the cache, hit",
    text: "R1 finds the cache empty (a miss), reads user:123 from the database \
          and stores it in the cache. R2 arrives later and is served from the \
          cache without touching the database.",
    scenario_json: include_str!("cache-aside-basics.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "Two readers of user:123, an empty cache. Press Step (or Play) and watch R1."
        ),
        (
            Did("R1", OpName::CacheGet),
            "R1 asks the cache first: a miss. It goes to the database."
        ),
        (
            Did("R1", OpName::CacheSet),
            "R1 read v1 and stored it in the cache, with a TTL (see the inspector's countdown)."
        ),
        (
            Did("R2", OpName::CacheGet),
            "R2 is served from the cache: a hit, no database read. Cache and database agree."
        ),
    ],
};
