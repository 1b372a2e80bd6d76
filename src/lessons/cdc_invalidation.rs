//! The `cdc-invalidation` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "cdc-invalidation",
    heading: "Invalidation by CDC",
    title: "Change data capture: the database publishes, so a crashed app loses nothing",
    text: "W commits v2 at 20 ms, and its instance crashes at that instant, \
          before it could publish. With channel cdc \
          the database's change log publishes the commit, not the app. The bus \
          drops that first publication; CDC publishes it again 10 ms later \
          (retry_ms), it arrives 50 ms after that, and the consumer deletes v1 \
          at 81 ms: stale for 61 ms, and R1 reads v2 at 500 ms. Switch the \
          channel to event: the app that was to publish is gone, nothing \
          invalidates, and v1 is served until its TTL expires at 1000 ms, a \
          980 ms stale window in which R1 reads v1. Change data capture removes \
          the dual write from the app. It makes the invalidation certain, not \
          the cache fresh: the read-write race of lesson 2.3 can still follow \
          the consumer's delete, and of this scenario's 25,306 orders 3,172 end \
          stale.",
    scenario_json: include_str!("cdc-invalidation.json"),
    questions: &[Question {
        at: 1,
        reveal: 3,
        prompt: "W's instance crashed before publishing, and the bus drops the next publication. What will R1 read at 500 ms?",
        choices: &[
            Choice {
                label: "v2: the commit log's event got through",
                check: Check::FreshRead("R1"),
            },
            Choice {
                label: "v1: nobody is left to invalidate, a stale read",
                check: Check::StaleRead("R1"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "Change data capture: the database's log publishes each commit. W's instance will crash before it publishes, and the bus will drop a publication."
        ),
        (
            Did("W", OpName::DbWrite),
            "v2 is committed although W's instance has crashed. The cache still holds v1."
        ),
        (
            Did("consumer", OpName::CacheDelete),
            "The change log's event was dropped once and published again: the consumer deleted v1 at 81 ms."
        ),
        (
            Did("R1", OpName::CacheSet),
            "R1 missed and cached v2. With channel event nobody would have published: try it."
        ),
    ],
};
