//! The `stampede-xfetch` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede-xfetch",
    heading: "XFetch",
    title: "XFetch: readers recompute early at random, so expiry under load is unlikely",
    text: "Probabilistic early expiration (Vattani, Chierichetti and Lowenstein, \
          VLDB 2015): every read draws at random whether to treat the entry as \
          expired, more likely the nearer its expiry and the longer its last \
          recompute took. The reader that draws early recomputes the value \
          itself: it reads the database (122 ms, like a miss) and caches the \
          result with a new TTL. Nothing coordinates readers. Here beta is 2 \
          (the paper's optimum is 1; a larger beta recomputes earlier, which helps a \
          key read only four times before it expires). E2 and E3 draw \
          early, so the entry is fresh when the burst arrives at 300 ms: 9 of \
          its 12 reads hit, and 3 draw early again and read the database at \
          once. Over seeds 1 to 40 the key still expires before the burst in 4 \
          runs, and then all 12 read the database; with beta 1, in 14 of 40. \
          Unlikely, not impossible.",
    scenario_json: include_str!("stampede-xfetch.json"),
    questions: &[Question {
        at: 2,
        reveal: 4,
        prompt: "The entry was recomputed early and is fresh. How many of the 12 burst readers will read the database?",
        choices: &[
            Choice {
                label: "None: nobody needs to",
                check: Check::DbReadsAtMost(2),
            },
            Choice {
                label: "A few: any reader may still draw early",
                check: Check::DbReadsAtLeast(3),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "XFetch: every read may decide, at random, that the entry has expired; the nearer the expiry, the likelier."
        ),
        (
            Did("E2", OpName::DbRead),
            "E2 drew an early expiry at 100 ms: it read the database itself, and its client waited 122 ms."
        ),
        (
            Did("E2", OpName::CacheSet),
            "E2 cached the value with a new TTL: the key will not expire at 300 ms."
        ),
        (
            DbReadsInFlight(3),
            "3 of the burst drew early too: each reads the database, nothing coordinates them."
        ),
        (
            End,
            "9 of the 12 burst reads hit. Try other seeds: in 4 of 40 the key expires first and all 12 read the database."
        ),
    ],
};
