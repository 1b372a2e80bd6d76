//! The `leases` lesson: its scenario, its text and its narration.

use super::Check;
use super::Cue::*;
use super::{Beat, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "leases",
    heading: "Leases",
    title: "Leases: the delete invalidates the slow reader's lease, so its old value is refused",
    text: "The same race as read-write-race, with memcache leases. R's miss \
          hands it lease #1; it reads v1. W commits v2 and deletes the key, \
          which invalidates lease #1. R's set of v1 arrives with that lease and \
          is rejected, so the cache stays empty and R2 fetches v2. No stale \
          window at all. (A lease guards against a slow reader, not a lagging \
          replica: with one, a reader given a fresh token after the delete \
          can still read the old row; see replica-lag.)",
    scenario_json: include_str!("leases.json"),
    questions: &[Question {
        at: 2,
        reveal: 3,
        prompt: "R still holds v1 and lease #1, which W's delete voided. What happens to R's set?",
        choices: &[
            Choice {
                label: "Refused: the cache stays empty",
                check: Check::CacheAgrees,
            },
            Choice {
                label: "Accepted: the cache holds v1, stale",
                check: Check::CacheDiverged,
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "The read-write race again, with memcache leases. Watch the lease in the inspector."
        ),
        (
            Did("R", OpName::CacheLeaseGet),
            "R's miss hands it lease #1: the right to fill the key once."
        ),
        (
            Did("W", OpName::CacheDelete),
            "W committed v2 and deleted the key, which voided lease #1."
        ),
        (
            Did("R", OpName::CacheLeaseSet),
            "R's late set of v1 presents a void lease and is refused. The cache stays empty."
        ),
        (
            End,
            "R2 filled v2 with a fresh lease. No stale window at all: leases fix this race."
        ),
    ],
};
