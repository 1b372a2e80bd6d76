//! The `replica-lag` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Check, Choice, Lesson, Question};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "replica-lag",
    heading: "A lagging replica",
    title: "Replica lag: a miss after the invalidation refills the old value",
    text: "Cache misses read a read replica that applies each commit 50 ms after \
          the primary. W commits v2 at 20 ms and deletes the key at 21 ms, in \
          the right order. R misses at 31 ms and reads the replica, which has \
          not applied v2 yet (it will at 70 ms): R returns v1 (a stale read) \
          and puts it back, and the cache is stale until the TTL; R2 reads v1 \
          at 111 ms. The most common real cause of a stale refill, and the \
          reason for a delayed double delete. Its delay must outlast every \
          refill of v1: the lag plus the replica read plus the cache set, not \
          the lag alone. Set double_delete_ms to 55 (longer than the lag) and \
          move R to 65 ms: the second delete lands at 76 ms, R's refill at 77 \
          ms, and the cache stays stale. With 80 the second delete lands at \
          101 ms, after any refill of v1.",
    scenario_json: include_str!("replica-lag.json"),
    questions: &[Question {
        at: 1,
        reveal: 3,
        prompt: "R misses now, and misses read the replica. What will R read?",
        choices: &[
            Choice {
                label: "v2: W committed it before R's miss",
                check: Check::FreshRead("R"),
            },
            Choice {
                label: "v1: the replica has not caught up",
                check: Check::StaleRead("R"),
            },
        ],
    }],
    narration: beats![
        (
            Start,
            "Misses read a replica 50 ms behind the primary. Watch both in the inspector."
        ),
        (
            Did("W", OpName::CacheDelete),
            "W committed v2 on the primary and deleted the key. The replica still has v1 until 70 ms."
        ),
        (
            Did("R", OpName::DbRead),
            "R's miss read the replica: v1, a stale read. The delete came before the replica caught up."
        ),
        (
            StaleNow,
            "R put v1 back after the delete: stale, though W did everything in order."
        ),
        (
            Did("replica", OpName::ReplicaApply),
            "The replica caught up at 70 ms; the cache still holds v1."
        ),
        (
            Did("R2", OpName::CacheGet),
            "R2 reads v1: stale until the TTL. A second delete repairs it only if it lands after every refill of v1: later than the lag, the replica read and the set."
        ),
    ],
};
