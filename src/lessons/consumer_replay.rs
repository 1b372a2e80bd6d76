//! The `consumer-replay` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "consumer-replay",
    heading: "A consumer's replay",
    title: "Consumer replay: a restarted consumer applies old updates again",
    text: "Update events carry the committed value; the consumer commits its \
          offset 100 ms after the first event it applied since the last commit. \
          It sets A at 72 ms and B at 102 ms; its commit is due at 172 ms, but it \
          crashes at 150 ms and restarts from its last committed offset. It \
          applies A again (the cache goes back to A@2 while the database holds \
          B@3), then B: R reads A at 152 ms. At-least-once delivery means \
          duplicates and replays. Setting a value from an event is already \
          idempotent (B applied twice leaves B); what breaks is order: the \
          replayed A lands after B. The fix is to ignore events older than \
          what was applied: turn on versioned sets and the replayed A is \
          refused.",
    scenario_json: include_str!("consumer-replay.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "Update events; the consumer commits its offset 100 ms after applying. Watch the partition's offsets."
        ),
        (
            Did("consumer", OpName::CacheSet),
            "The consumer set A; its offset commit is due 100 ms later."
        ),
        (
            Did("fault", OpName::ConsumerCrash),
            "The consumer crashed before committing: it restarts from the last committed offset."
        ),
        (
            StaleRead,
            "It applied A again: the cache went back to A@2 while the database holds B@3, and R read A."
        ),
        (
            End,
            "B was applied again too; the cache agrees again. The fault was order, not repetition: versioned sets would refuse the older A."
        ),
    ],
};
