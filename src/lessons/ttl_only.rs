//! The `ttl-only` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "ttl-only",
    heading: "TTL only",
    title: "TTL only: the cache is wrong from the commit until the entry expires",
    text: "W commits v2 and does nothing to the cache. The cached v1 (TTL 1 s, \
          cached at 0) is served until it expires at 1000 ms: the stale window \
          is expiry minus commit. R reads v1 (stale); R2, after the expiry, \
          misses and reads v2.",
    scenario_json: include_str!("ttl-only.json"),
    questions: &[Question {
        at: 1,
        reveal: 2,
        prompt: "Nothing tells the cache about W's commit. What will R read before the expiry?",
        choices: &[
            Choice {
                label: "v2, the committed value",
                check: Check::FreshRead("R"),
            },
            Choice {
                label: "v1: a stale read",
                check: Check::StaleRead("R"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "TTL only: writers do nothing to the cache. The cached v1 expires at 1000 ms."
        ),
        (
            StaleNow,
            "W committed v2. The cache still serves v1: stale until it expires."
        ),
        (
            StaleRead,
            "R reads v1: stale. The window is expiry minus commit, 880 ms."
        ),
        (
            Did("R2", OpName::CacheSet),
            "After the expiry R2 missed and cached v2. A shorter TTL means a shorter window and more DB reads."
        ),
    ],
};
