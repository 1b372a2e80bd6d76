//! The `read-write-race` lesson: its scenario, its text and its narration.

use super::Check;
use super::Cue::*;
use super::{Beat, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "read-write-race",
    heading: "The read-write race",
    title: "Invalidate-on-write is not always consistent: a slow reader refills the old value",
    text: "R misses and reads v1 from the database. Before R stores it, W commits \
          v2 and deletes the key. Then R's cache set lands, after the delete, and \
          puts v1 back. The cache now holds v1 until the TTL, and R2 reads it: \
          stale. Deleting instead of updating does not prevent this; leases do \
          (against one database: a lagging read replica defeats them too).",
    scenario_json: include_str!("read-write-race.json"),
    questions: &[Question {
        at: 2,
        reveal: 4,
        prompt: "W has deleted the key, but R still holds v1 and will store it. What will R2 read?",
        choices: &[
            Choice {
                label: "v2, the value W committed",
                check: Check::FreshRead("R2"),
            },
            Choice {
                label: "v1, the old value: a stale read",
                check: Check::StaleRead("R2"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "Invalidate-on-write, but the reader is slow. Watch R's cache set."
        ),
        (
            Did("R", OpName::DbRead),
            "R missed and read v1 from the database. It has not stored it yet."
        ),
        (
            Did("W", OpName::CacheDelete),
            "Meanwhile W committed v2 and deleted the key. The cache is empty: consistent, for now."
        ),
        (
            StaleNow,
            "R's set of v1 lands after the delete. The cache holds v1, the database v2: stale until the TTL."
        ),
        (
            StaleRead,
            "R2 reads v1: a stale read. Invalidate-on-write is not always consistent. Click the window for its cause."
        ),
    ],
};
