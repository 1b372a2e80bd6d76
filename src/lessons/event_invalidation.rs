//! The `event-invalidation` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "event-invalidation",
    heading: "Invalidation by events",
    title: "Event-driven invalidation: stale for as long as the event takes",
    text: "W commits v2 at 20 ms and publishes an invalidation event; the bus \
          delivers it 50 ms later and the consumer deletes the key at 72 ms. \
          Until then the cache serves v1: R1, arriving after the commit, reads \
          it (stale). The window is the bus delay plus the publish and delete \
          operations: eventual consistency, measured.",
    scenario_json: include_str!("event-invalidation.json"),
    questions: &[Question {
        at: 1,
        reveal: 2,
        prompt: "The event takes 50 ms to arrive. What will R1 read meanwhile?",
        choices: &[
            Choice {
                label: "v2, the committed value",
                check: Check::FreshRead("R1"),
            },
            Choice {
                label: "v1: a stale read",
                check: Check::StaleRead("R1"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "The writer publishes an invalidation event; a consumer applies it. Watch the bus in the inspector."
        ),
        (
            Did("W", OpName::BusPublish),
            "W committed v2 and published the event. It travels for 50 ms; the cache still serves v1."
        ),
        (
            StaleRead,
            "R1 reads v1 while the event is on its way: stale."
        ),
        (
            Did("consumer", OpName::CacheDelete),
            "The consumer deletes the key: the window closes. Stale for as long as the event took."
        ),
        (
            End,
            "R2 fills v2. Eventual consistency, measured: the window is the bus delay plus two operations."
        ),
    ],
};
