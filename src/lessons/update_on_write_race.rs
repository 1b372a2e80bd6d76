//! The `update-on-write-race` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "update-on-write-race",
    heading: "Two writers cross",
    title: "Update-on-write: two writers commit in one order and set the cache in the other",
    text: "W1 commits A, then W2 commits B: the database ends with B. But W2 sets \
          the cache first and W1 second, so the cache ends with A. Nothing \
          corrects it until the TTL: R, arriving later, reads A although B was \
          committed before it started, a stale read.",
    scenario_json: include_str!("update-on-write-race.json"),
    questions: &[Question {
        at: 2,
        reveal: 4,
        prompt: "W2 has set B; W1's set of A is still on its way. What will R read?",
        choices: &[
            Choice {
                label: "B, the value committed last",
                check: Check::FreshRead("R"),
            },
            Choice {
                label: "A: a stale read",
                check: Check::StaleRead("R"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "Two writers update user:123 at the same moment; each commits, then sets the cache to its own value."
        ),
        (
            Did("W2", OpName::DbWrite),
            "W1 committed A (@2), then W2 committed B (@3): the database ends with B."
        ),
        (
            Did("W2", OpName::CacheSet),
            "W2 sets the cache to B first. So far so good."
        ),
        (
            StaleNow,
            "Then W1's set lands last: the cache holds A, the database B. The hatched window on the cache lane is the stale period."
        ),
        (
            StaleRead,
            "R arrives later and is served A: a stale read (triangle). Nothing fixes it until the TTL. Click the triangle to see why."
        ),
    ],
};
