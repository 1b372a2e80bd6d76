//! The `stampede-swr` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede-swr",
    heading: "Stale-while-revalidate",
    title: "Stale-while-revalidate: serve the expired value, refresh it once",
    text: "After the expiry the entry is still served for swr_ms (1 s here). R1's \
          hit on the expired entry starts one background refresh; everyone, R1 \
          included, gets the old value at once. No reader waits and the \
          database is read once; the price is serving a value past its TTL.",
    scenario_json: include_str!("stampede-swr.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "Stale-while-revalidate: past its TTL an entry is still served for a grace period."
        ),
        (
            Did("R1", OpName::CacheGet),
            "R1 hits the expired entry, gets it at once, and starts one background refresh."
        ),
        (
            Did("refresher", OpName::CacheSet),
            "The refresh read the database once and stored the new value: nobody waited, and the \
             database was read once; the price is serving a value past its TTL."
        ),
    ],
};
