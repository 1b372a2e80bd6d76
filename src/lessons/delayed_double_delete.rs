//! The `delayed-double-delete` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "delayed-double-delete",
    heading: "Delayed double delete",
    title: "Delayed double delete: the second delete bounds the stale window",
    text: "The read-write race again, but W deletes the key a second time 50 ms \
          after its commit. R's late set still puts v1 back, so the cache is \
          stale from that set until the second delete lands (commit + 50 ms + \
          one cache operation), not until the TTL. W's client was answered after \
          the first delete. If a reader is slower than the delay, the window \
          reopens: the delay is a guess.",
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
            "W's second delete removed v1 at 76 ms, bounding the window to about 50 ms. R2 misses and reads v2."
        ),
        (
            End,
            "The delay is a guess: a reader slower than 50 ms would reopen the window."
        ),
    ],
};
