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
          window here is 142 ms, from the commit at 20 ms to the consumer's \
          delete at 162 ms: the wait for the poll, the poll and the publish, \
          and the bus delay (each unacknowledged publish adds a poll interval). \
          At least once makes the invalidation certain, not the cache fresh: \
          R1 reads v1 at 50 ms, a stale read, and of the 108,874 orders of this \
          scenario 6,827 have one. The read-write race of lesson 2.3 can still \
          follow the consumer's delete.",
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
            "Stale for 142 ms: the wait for a poll, the poll and publish, and the bus delay. Delivered at least once, here twice, never lost; a reader can still read v1 meanwhile."
        ),
    ],
};
