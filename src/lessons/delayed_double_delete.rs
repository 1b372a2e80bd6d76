//! The `delayed-double-delete` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "delayed-double-delete",
    heading: "Delayed double delete",
    title: "Delayed double delete: a second delete, if it comes after the late set",
    text: "The read-write race again, but W deletes the key a second time 50 ms \
          after its commit. R's late set still puts v1 back at 26 ms, and the \
          second delete removes it at 76 ms: stale for 50 ms, not until the \
          TTL. W's client was answered after the first delete. The second \
          delete helps only if it lands after the late set: a reader slower \
          than the delay sets v1 after it, and the cache stays stale until the \
          TTL. Of the 1,598 orders of this scenario, 112 still end stale. The \
          delay is a guess.",
    scenario_json: include_str!("delayed-double-delete.json"),
    questions: &[Question {
        at: 1,
        reveal: 3,
        prompt: "W will delete again 50 ms after its commit. What will R2 read?",
        choices: &[
            Choice {
                label: "v2: the second delete removed v1",
                check: Check::FreshRead("R2"),
            },
            Choice {
                label: "v1: still stale",
                check: Check::StaleRead("R2"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "The read-write race, but W deletes again 50 ms after its commit."
        ),
        (
            StaleNow,
            "R's late set put v1 back after W's first delete: stale, as before."
        ),
        (
            Did("R2", OpName::CacheGet),
            "W's second delete removed v1 at 76 ms: stale for 50 ms in this run. R2 misses and reads v2."
        ),
        (
            End,
            "The delay is a guess: a reader slower than 50 ms sets v1 after the second delete. 112 of the 1,598 orders end stale."
        ),
    ],
};
