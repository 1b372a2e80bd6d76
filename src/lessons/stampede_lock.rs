//! The `stampede-lock` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede-lock",
    title: "Stampede with a lock: one reader refills, the others poll the cache",
    text: "The same burst, but a miss first adds the key's lock entry. R1 gets \
          it, reads the database once and refills; the others find the lock \
          held, wait 10 ms and look again, until the refilled value is there. \
          One DB read instead of twelve; the price is the waiters' latency and \
          their repeated cache gets.",
    scenario_json: include_str!("stampede-lock.json"),
    narration: beats![
        (
            Start,
            "The same burst; a miss must take the key's lock before reading the database."
        ),
        (
            Did("R1", OpName::CacheLockAdd),
            "R1 holds the lock (see the inspector) and reads the database."
        ),
        (
            Did("R2", OpName::CacheLockAdd),
            "The others find the lock held; they wait 10 ms and look again."
        ),
        (
            Did("R1", OpName::CacheSet),
            "R1 refilled the key; the waiters' next gets hit."
        ),
        (
            End,
            "One DB read instead of twelve; the price is the waiters' latency and their repeated gets."
        ),
    ],
};
