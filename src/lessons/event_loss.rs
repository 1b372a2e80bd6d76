//! The `event-loss` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "event-loss",
    heading: "A lost event",
    title: "A lost event: the cache stays stale until the TTL",
    text: "The same write, but the bus loses the invalidation event. Nothing \
          else removes v1, so it is served until its TTL expires at 1000 ms: a \
          980 ms stale window instead of 52 ms. R1 reads v1 at 500 ms; only \
          R2, after the expiry, gets v2. A TTL is the backstop for lost events.",
    scenario_json: include_str!("event-loss.json"),
    questions: &[Question {
        at: 1,
        reveal: 2,
        prompt: "The invalidation event is lost. What will R1 read at 500 ms?",
        choices: &[
            Choice {
                label: "v2: the next event or the TTL cleared v1 in time",
                check: Check::FreshRead("R1"),
            },
            Choice {
                label: "v1: nothing removed it, a stale read",
                check: Check::StaleRead("R1"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "The same event-driven write, but the bus will lose the event."
        ),
        (
            Did("W", OpName::BusPublish),
            "The event is lost. Nothing else will remove v1."
        ),
        (StaleRead, "R1 reads v1 at 500 ms: stale."),
        (
            Did("R2", OpName::CacheSet),
            "Only the TTL ended it: R2, after the expiry, cached v2. A TTL is the backstop for lost events."
        ),
    ],
};
