//! The `stampede` lesson: its scenario, its text and its narration.

use super::Check;
use super::Cue::*;
use super::{Beat, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede",
    heading: "The stampede",
    title: "Cache stampede: when a hot key expires, every concurrent miss reads the database",
    text: "The hot key is cached until 300 ms. E1-E4 hit before that. R1-R12 \
          arrive at 300-311 ms, just after the expiry, over four app instances. \
          The first refill takes 121 ms, so all twelve miss and all twelve read \
          the database at once: twelve concurrent DB reads for one value.",
    scenario_json: include_str!("stampede.json"),
    questions: &[Question {
        at: 1,
        reveal: 2,
        prompt: "Twelve readers arrive within 12 ms of the expiry. How many of them read the database?",
        choices: &[
            Choice {
                label: "One: the others find its refill",
                check: Check::DbReadsAtMost(1),
            },
            Choice {
                label: "All twelve",
                check: Check::DbReadsAtLeast(12),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "A hot key expires at 300 ms; twelve readers arrive just after. Watch the DB band under the timeline."
        ),
        (
            Did("R1", OpName::CacheGet),
            "The key has expired: R1 misses and goes to the database."
        ),
        (
            DbReadsInFlight(12),
            "All twelve missed before the first refill: twelve DB reads at once for one value. That is a stampede."
        ),
        (
            End,
            "Each of them then set the same value. The next lessons protect against it: a lock, singleflight, leases, XFetch, stale-while-revalidate."
        ),
    ],
};
