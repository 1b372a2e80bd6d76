//! The `stampede-lock` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede-lock",
    heading: "A lock against the stampede",
    title: "Stampede with a lock: one reader refills, the others poll the cache",
    text: "The same burst, but a miss first adds the key's lock entry holding \
          a token (Redis SET NX PX). R1 gets it, looks in the cache once more \
          (an earlier holder may have filled it), reads the database once, \
          refills, and releases the lock only if it still holds its token. \
          The others find the lock held, wait 10 ms and look again, until the \
          refilled value is there; a waiter that waited wait_max_ms would read \
          the database itself. One DB read instead of twelve; the price is \
          the waiters' latency and their repeated cache gets.",
    scenario_json: include_str!("stampede-lock.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "The same burst; a miss must take the key's lock before reading the database."
        ),
        (
            Did("R1", OpName::CacheLockAdd),
            "R1 holds the lock and its token (see the inspector), looks in the cache again, then reads the database."
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
