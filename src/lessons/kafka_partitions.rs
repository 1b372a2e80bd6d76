//! The `kafka-partitions` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "kafka-partitions",
    heading: "Partitions reorder updates",
    title: "Update events on different partitions arrive out of order",
    text: "Update-on-write over an unkeyed bus: events go round-robin to two \
          partitions, and partition 0 lags 100 ms. W1's event (A) lands on the \
          slow partition, W2's (B) on the fast one, so the consumer sets B and \
          then A: the database holds B, the cache A, until the TTL. A keyed \
          bus (all of a key's events on one partition) keeps them in publication order.",
    scenario_json: include_str!("kafka-partitions.json"),
    questions: &[Question {
        at: 2,
        reveal: 3,
        prompt: "A is still on the slow partition. What will the cache hold once it arrives?",
        choices: &[
            Choice {
                label: "B, as the database does",
                check: Check::CacheAgrees,
            },
            Choice {
                label: "A: stale",
                check: Check::CacheDiverged,
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "Update events over an unkeyed bus: round-robin over two partitions; partition 0 lags 100 ms."
        ),
        (
            Did("W2", OpName::BusPublish),
            "W1's event (A) went to the slow partition 0, W2's (B) to partition 1."
        ),
        (
            Did("consumer", OpName::CacheSet),
            "B arrives first and is set."
        ),
        (
            StaleNow,
            "A arrives last and overwrites B: the cache holds A, the database B."
        ),
        (
            StaleRead,
            "R reads A: stale until the TTL. A keyed bus keeps one key's events in publication order (for events an app publishes, not always commit order)."
        ),
    ],
};
