//! The `write-behind-crash` lesson: its scenario, its text and its narration.

use super::Check;
use super::Cue::*;
use super::{Beat, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "write-behind-crash",
    heading: "Write-behind and a crash",
    title: "Write-behind: acknowledged writes live only in the cache until the flush",
    text: "W1 and W2 are acknowledged as soon as the cache holds their values \
          (dirty). The flusher would write the latest one to the database 1 s \
          after the key became dirty, but the cache crashes at 500 ms: both \
          acknowledged writes are lost, R's read of B was a phantom (B never \
          reaches the database), and R2 reads the old v1 from the database.",
    scenario_json: include_str!("write-behind-crash.json"),
    questions: &[Question {
        at: 2,
        reveal: 3,
        prompt: "The cache is about to crash before the flusher has run. What happens to the writes W1 and W2 were told succeeded?",
        choices: &[
            Choice {
                label: "They survive: they are in the database",
                check: Check::NoLostWrite,
            },
            Choice {
                label: "They are lost",
                check: Check::LostWrite,
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "Write-behind: a write is acknowledged once the cache holds it (dirty); a flusher writes it later."
        ),
        (
            Did("W2", OpName::CacheSetDirty),
            "W1 and W2 are acknowledged; their values live only in the cache (dirty, never expire)."
        ),
        (
            Did("R", OpName::CacheGet),
            "R reads B from the cache: a value the database has never seen."
        ),
        (
            LostWrite,
            "The cache crashes before the flush: both acknowledged writes are lost (cross), and R's read becomes a phantom (ring)."
        ),
        (
            Did("R2", OpName::CacheSet),
            "R2 misses and reads v1 from the database: the writes are gone for good."
        ),
    ],
};
