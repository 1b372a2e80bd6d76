//! The `versioned-sets` lesson: its scenario, its text and its narration.

use super::Check;
use super::Cue::*;
use super::{Beat, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "versioned-sets",
    heading: "Versioned sets",
    title: "Versioned sets do not fix the read-write race: the delete left nothing to compare",
    text: "Every set carries the DB version it was read at, and the cache refuses a \
          set older than the entry it holds. That stops the update-on-write race \
          (the older writer's set is refused). But here W deleted the key: when \
          R's set of v1@1 arrives the cache holds nothing, so it is accepted and \
          the cache is stale until the TTL, exactly as without versioning.",
    scenario_json: include_str!("versioned-sets.json"),
    questions: &[Question {
        at: 1,
        reveal: 2,
        prompt: "R's set of v1 carries version 1, and the key was deleted. What happens to it?",
        choices: &[
            Choice {
                label: "Refused: nothing older than v2 gets in",
                check: Check::CacheAgrees,
            },
            Choice {
                label: "Accepted: the cache holds v1, stale",
                check: Check::CacheDiverged,
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "Every set carries its DB version; the cache refuses a set older than what it holds."
        ),
        (
            Did("W", OpName::CacheDelete),
            "W committed v2 and deleted the key. The cache now holds nothing to compare against."
        ),
        (
            StaleNow,
            "R's set of v1@1 finds no entry, so it is accepted: stale until the TTL."
        ),
        (
            StaleRead,
            "R2 reads v1. Versioned sets stop writers crossing, not a delete followed by an old fill."
        ),
    ],
};
