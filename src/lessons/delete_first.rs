//! The `delete-first` lesson: its scenario, its text and its narration.

use super::Check;
use super::Cue::*;
use super::{Beat, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "delete-first",
    heading: "Delete first",
    title: "Delete-first: a read between the delete and the commit refills the old value",
    text: "W deletes the cached v1 first and then commits v2, which takes 20 ms. \
          R misses in between, reads v1 from the database (not yet changed) and \
          stores it. When W's commit lands the cache holds v1 and stays stale \
          until the TTL; R2 reads it.",
    scenario_json: include_str!("delete-first.json"),
    questions: &[Question {
        at: 1,
        reveal: 3,
        prompt: "R misses now, while W's commit is still in flight. What will the cache hold once the commit lands?",
        choices: &[
            Choice {
                label: "v2 or nothing: deleting first kept it safe",
                check: Check::CacheAgrees,
            },
            Choice {
                label: "v1: stale",
                check: Check::CacheDiverged,
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "W deletes the cached value first, then commits (20 ms)."
        ),
        (
            Did("W", OpName::CacheDelete),
            "The key is gone; W's commit is still in flight."
        ),
        (
            Did("R", OpName::CacheSet),
            "R missed, read v1 (the commit has not landed) and cached it."
        ),
        (
            StaleNow,
            "W's commit lands: the cache holds v1, the database v2, until the TTL."
        ),
        (
            StaleRead,
            "R2 reads v1: stale. Deleting first opens the race wider, not narrower."
        ),
    ],
};
