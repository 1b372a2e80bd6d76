//! The `outbox` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "outbox",
    heading: "The transactional outbox",
    title: "Transactional outbox: the event cannot be lost, but may come twice",
    text: "W commits v2 and an outbox row in one transaction, so no crash can \
          separate them (unlike publishing after the commit). The relay polls \
          every 100 ms, publishes the row at 111 ms, and crashes at 120 ms, \
          before marking it sent. Restarted, it publishes the row again: the \
          consumer deletes the key twice. At least once, never zero times: \
          the relay marks a row sent only after the bus acknowledged its \
          publish, so a lost publish goes again at the next poll. The stale \
          window is the poll interval plus the bus delay (a poll interval \
          more for each unacknowledged publish).",
    scenario_json: include_str!("outbox.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "W commits v2 and an outbox row in one transaction. Watch the outbox in the inspector."
        ),
        (
            Did("W", OpName::DbWriteOutbox),
            "Committed together: no crash can separate the change from its event."
        ),
        (
            Did("relay", OpName::BusPublish),
            "The relay polled and published the row, but has not marked it sent."
        ),
        (
            Did("consumer", OpName::CacheDelete),
            "The relay crashed before marking it; the consumer deleted the key anyway."
        ),
        (
            Did("relay", OpName::OutboxMarkSent),
            "Restarted, the relay published the row again and marked it sent: delivered at least once, here twice."
        ),
        (
            End,
            "The stale window was the poll interval plus the bus delay; an unacknowledged publish adds a poll interval, and none is ever lost."
        ),
    ],
};
