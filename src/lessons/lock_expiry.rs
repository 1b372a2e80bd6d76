//! The `lock-expiry` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "lock-expiry",
    heading: "When the lock expires",
    title: "Lock expiry: a paused holder deletes the next holder's lock",
    text: "A lock against stampedes lives 100 ms. R1 takes it at 27 ms and reads \
          the database, but its instance pauses from 35 to 175 ms (a long GC): \
          its lock expires at 127 ms and R2 takes the next one. R1 resumes, \
          fills the key and releases its lock with a plain delete (the \
          \"Unsafe unlock\" setting): it deletes R2's lock. W's delayed second delete then \
          clears the key, R3 misses, finds no lock, takes a third one and reads \
          the database too; R2's plain delete then removes R3's. Three DB reads \
          where the lock promised one. Releasing with compare-and-delete (only \
          if the lock still holds your token, as Redis's docs prescribe: untick \
          \"Unsafe unlock\") leaves R2's lock alone; R3 waits and hits R2's fill.",
    scenario_json: include_str!("lock-expiry.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "A hot key under a lock; R1's instance will pause for 140 ms."
        ),
        (
            Did("R1", OpName::CacheLockAdd),
            "R1 holds lock #1 (see the inspector) and reads the database; then its instance pauses."
        ),
        (
            Did("R2", OpName::CacheLockAdd),
            "R1's lock expired while it was paused: R2 takes lock #2 and reads the database."
        ),
        (
            Did("R1", OpName::CacheUnlock),
            "R1 resumed and released with a plain delete: it deleted R2's lock. Click the unlock for why."
        ),
        (
            Did("R3", OpName::CacheLockAdd),
            "R3 missed after W's second delete, found no lock and took a third: a third DB read."
        ),
        (
            End,
            "Three DB reads where the lock promised one. Untick \"Unsafe unlock\": two, and R3 hits R2's fill."
        ),
    ],
};
