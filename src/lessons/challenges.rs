//! Challenges: try to break a design by choosing who goes next. A
//! challenge names a lesson and an anomaly to produce; the learner drives
//! be-the-scheduler from the lesson's start with every order open (faults
//! included, placed by hand), and the page recognises success from the
//! model and compares the attempt with what the explorer finds in every
//! order (how many succeed, and the shortest). A challenge may be
//! impossible; then the explorer's count says so.

use crate::sim::explore::Anomaly;

/// A challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// Its name in links (`?challenge=delete-first-stale`).
    pub name: &'static str,
    /// The lesson whose scenario it runs.
    pub lesson: &'static str,
    /// What the learner must make happen.
    pub goal: Anomaly,
    /// "Leave the cache stale under delete-first".
    pub title: &'static str,
    /// The task, in full.
    pub task: &'static str,
}

/// Every challenge, in the course's order.
pub const CHALLENGES: &[Challenge] = &[
    Challenge {
        name: "read-write-race-stale-read",
        lesson: "read-write-race",
        goal: Anomaly::Stale,
        title: "Make a reader read a stale value under invalidate-on-write",
        task: "Choose who goes next until some read returns a value older than the one \
               committed. Invalidate-on-write deletes after every commit: find the order \
               in which that is not enough.",
    },
    Challenge {
        name: "leases-stale-end",
        lesson: "leases",
        goal: Anomaly::DivergentAtEnd,
        title: "Make leases fail: leave the cache stale at the end",
        task: "Leases refuse a set whose lease a delete invalidated. Find an order that \
               still ends with the cache holding an old value, if there is one.",
    },
    Challenge {
        name: "versioned-sets-stale-end",
        lesson: "versioned-sets",
        goal: Anomaly::DivergentAtEnd,
        title: "Leave the cache stale at the end despite versioned sets",
        task: "A versioned set refuses a value older than the one cached. Find an order \
               that ends with the cache older than the database anyway.",
    },
    Challenge {
        name: "delete-first-stale",
        lesson: "delete-first",
        goal: Anomaly::DivergentAtEnd,
        title: "Leave the cache stale at the end under delete-first, in as few moves as you can",
        task: "The writer deletes the key before it commits. Find the shortest order that \
               ends with the cache holding the old value.",
    },
    Challenge {
        name: "write-behind-lost",
        lesson: "write-behind-crash",
        goal: Anomaly::LostWrite,
        title: "Lose an acknowledged write under write-behind",
        task: "Write-behind acknowledges a write once the cache holds it. Choose who goes \
               next, and when the cache crashes, so that a write its client was told \
               succeeded never reaches the database.",
    },
];

/// The challenge called `name`.
pub fn challenge(name: &str) -> Option<&'static Challenge> {
    CHALLENGES.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_challenge_names_an_explorable_lesson() {
        for challenge in CHALLENGES {
            assert!(
                super::super::explorable().any(|l| l.name == challenge.lesson),
                "{}",
                challenge.name
            );
        }
    }
}
