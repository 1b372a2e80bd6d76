//! What each lesson's check against a real Redis and PostgreSQL found, as
//! the page says it. Read from `reproduced.json` beside this file, which
//! the test `tests/real.rs` regenerates on real servers and compares, so
//! the page's claim cannot go stale.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::thousands;

/// The file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reproduced {
    /// "Redis 7.0 and PostgreSQL 15".
    pub servers: String,
    /// By lesson name.
    pub lessons: BTreeMap<String, LessonCheck>,
}

/// One lesson's check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonCheck {
    /// Whether the lesson's own run agreed, operation by operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_agrees: Option<bool>,
    /// How many of the explorer's schedules were replayed, and agreed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_agree: Option<u64>,
    /// Why it was not run on the real servers, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
    /// What the model supplied to the real runs rather than the servers
    /// (the order and the clock, expiry, ...), in a few words each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_supplied: Vec<String>,
    /// Of those, what the lesson's point turns on (a fault, the bus's loss
    /// or order, a random draw): the servers only carried it out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub point_is_the_models: Vec<String>,
    /// Its live runs, where the servers decided, if it was run live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveCheck>,
    /// Why it was not run live, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_live: Option<String>,
}

/// A lesson's live runs: each request a thread of its own on a real clock
/// (and each bus partition's consumer one more), Redis's expiry and
/// PostgreSQL's transactions deciding, judged from the servers' records and
/// replayed by the model in the order they recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCheck {
    pub runs: u32,
    /// Consumer threads reading the bus's partitions on Redis Streams (0:
    /// the lesson has no bus).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub consumers: u32,
    /// Runs whose replay gave every reply and anomaly the servers gave.
    pub explained: u32,
    /// Runs whose first difference was a cache operation within a model
    /// millisecond of its key's entry or lock expiring (which whole
    /// milliseconds cannot order).
    pub ties: u32,
    /// Reads over all runs, and the stale ones by the servers' records.
    pub reads: u64,
    pub stale_reads: u64,
    /// The model's timed runs of the same scenario: reads and stale reads.
    pub model_reads: u64,
    pub model_stale_reads: u64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `a`, `a, and b`, `a, b, and c` (items may hold an "and" of their own:
/// "the order and the clock, and expiry").
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// The file as committed.
pub const REPRODUCED_JSON: &str = include_str!("reproduced.json");

/// The committed file, read once.
pub fn reproduced() -> &'static Reproduced {
    static READ: std::sync::OnceLock<Reproduced> = std::sync::OnceLock::new();
    READ.get_or_init(|| serde_json::from_str(REPRODUCED_JSON).unwrap_or_default())
}

impl Reproduced {
    /// The file's format (what the test compares byte for byte).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises") + "\n"
    }

    /// The sentence the page shows under lesson `name`, if it was checked:
    /// what the servers decided, and what the model supplied.
    pub fn sentence(&self, name: &str) -> Option<String> {
        let check = self.lessons.get(name)?;
        let servers = &self.servers;
        if let Some(reason) = &check.not_checked {
            return Some(format!("Not checked on real servers: {reason}."));
        }
        let verb = if check.point_is_the_models.is_empty() {
            "Checked"
        } else {
            "Replayed"
        };
        let decided = match check.run_agrees {
            Some(true) => {
                "every reply Redis and PostgreSQL gave to its operations matched the model's, \
                 and so did the clients' answers and the final cache and rows"
            }
            Some(false) => "its run does NOT agree with the model (see docs/REAL-SERVERS.md)",
            None => return None,
        };
        let orders = match (check.orders, check.orders_agree) {
            (Some(orders), Some(agree)) if agree == orders => format!(
                "; so in all {} orders, with stale reads and the final cache judged from \
                 the servers' own data",
                thousands(orders)
            ),
            (Some(orders), Some(agree)) => {
                format!(
                    "; only {} of {} orders agree",
                    thousands(agree),
                    thousands(orders)
                )
            }
            _ => String::new(),
        };
        let mut sentence = format!("{verb} on {servers}: {decided}{orders}.");
        if !check.model_supplied.is_empty() {
            sentence += &format!(" The model supplied {}.", listed(&check.model_supplied));
        }
        if !check.point_is_the_models.is_empty() {
            sentence += &format!(
                " What this lesson turns on is the model's, not the servers': {}.",
                listed(&check.point_is_the_models)
            );
        }
        Some(sentence)
    }

    /// The sentence the page shows under lesson `name` about its live
    /// runs: what the servers' records showed and whether the model's
    /// replay explained them; or why it was not run live.
    pub fn live_sentence(&self, name: &str) -> Option<String> {
        let check = self.lessons.get(name)?;
        if let Some(reason) = &check.not_live {
            return Some(format!("Not run live with the servers deciding: {reason}."));
        }
        let live = check.live.as_ref()?;
        let times = match live.runs {
            1 => "once".to_string(),
            2 => "twice".to_string(),
            n => format!("{n} times"),
        };
        let explained = if live.explained == live.runs {
            "gave every reply they gave and found the same anomalies".to_string()
        } else {
            let others = live.runs - live.explained - live.ties;
            let mut said = format!(
                "gave every reply they gave in {} of the {} runs",
                live.explained, live.runs
            );
            if live.ties > 0 {
                said += &format!(
                    "; in {} the first difference was a cache operation Redis ran within a \
                     millisecond of its key's entry or lock expiring, which the model's whole \
                     milliseconds cannot order",
                    live.ties
                );
            }
            if others > 0 {
                said += &format!("; {others} it did NOT explain (see docs/REAL-SERVERS.md)");
            }
            said
        };
        let consumers = match live.consumers {
            0 => String::new(),
            1 => " and the bus's consumer another, reading Redis Streams".to_string(),
            n => format!(
                " and each of the bus's {n} partitions' consumers another, reading Redis Streams"
            ),
        };
        Some(format!(
            "Run live {times} on {}, each request a thread of its own{consumers}, with Redis's \
             own expiry and PostgreSQL's own transactions deciding: their records show {} stale \
             of {} reads (the model's timed runs: {} of {}), and the model, replaying the order \
             they recorded, {explained}.",
            self.servers, live.stale_reads, live.reads, live.model_stale_reads, live.model_reads
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(check: LessonCheck) -> Reproduced {
        Reproduced {
            servers: "Redis 7.0 and PostgreSQL 15".to_string(),
            lessons: [("l".to_string(), check)].into_iter().collect(),
        }
    }

    #[test]
    fn the_sentence_names_what_the_servers_decided_and_what_the_model_supplied() {
        let checked = with(LessonCheck {
            run_agrees: Some(true),
            orders: Some(13016),
            orders_agree: Some(13016),
            model_supplied: vec!["the order and the clock".into(), "expiry".into()],
            ..LessonCheck::default()
        });
        assert_eq!(
            checked.sentence("l").unwrap(),
            "Checked on Redis 7.0 and PostgreSQL 15: every reply Redis and PostgreSQL gave to \
             its operations matched the model's, and so did the clients' answers and the final \
             cache and rows; so in all 13,016 orders, with stale reads and the final cache judged \
             from the servers' own data. The model supplied the order and the clock, and expiry."
        );
        let replayed = with(LessonCheck {
            run_agrees: Some(true),
            model_supplied: vec!["a".into(), "b".into(), "the faults".into()],
            point_is_the_models: vec!["the faults".into()],
            ..LessonCheck::default()
        });
        let sentence = replayed.sentence("l").unwrap();
        assert!(sentence.starts_with("Replayed on "), "{sentence}");
        assert!(sentence.ends_with(
            "The model supplied a, b, and the faults. What this lesson turns on is the \
             model's, not the servers': the faults."
        ));
        let not = with(LessonCheck {
            not_checked: Some("a read replica".into()),
            ..LessonCheck::default()
        });
        assert_eq!(
            not.sentence("l").unwrap(),
            "Not checked on real servers: a read replica."
        );
        assert_eq!(not.sentence("other"), None);
    }

    #[test]
    fn the_live_sentence_says_what_the_servers_records_showed_and_what_the_replay_explained() {
        let live = |explained, ties| {
            with(LessonCheck {
                live: Some(LiveCheck {
                    runs: 3,
                    consumers: 0,
                    explained,
                    ties,
                    reads: 6,
                    stale_reads: 3,
                    model_reads: 6,
                    model_stale_reads: 3,
                }),
                ..LessonCheck::default()
            })
        };
        assert_eq!(
            live(3, 0).live_sentence("l").unwrap(),
            "Run live 3 times on Redis 7.0 and PostgreSQL 15, each request a thread of its own, \
             with Redis's own expiry and PostgreSQL's own transactions deciding: their records \
             show 3 stale of 6 reads (the model's timed runs: 3 of 6), and the model, replaying \
             the order they recorded, gave every reply they gave and found the same anomalies."
        );
        let mut with_bus = live(3, 0);
        if let Some(check) = with_bus.lessons.get_mut("l").and_then(|c| c.live.as_mut()) {
            check.consumers = 2;
        }
        assert!(with_bus.live_sentence("l").unwrap().contains(
            "each request a thread of its own and each of the bus's 2 partitions' consumers \
                 another, reading Redis Streams, with Redis's own expiry"
        ));
        let tied = live(1, 1).live_sentence("l").unwrap();
        assert!(
            tied.ends_with(
                "gave every reply they gave in 1 of the 3 runs; in 1 the first difference was a \
                 cache operation Redis ran within a millisecond of its key's entry or lock \
                 expiring, which the model's whole milliseconds cannot order; 1 it did NOT \
                 explain (see docs/REAL-SERVERS.md)."
            ),
            "{tied}"
        );
        let not = with(LessonCheck {
            not_live: Some("a read replica".into()),
            ..LessonCheck::default()
        });
        assert_eq!(
            not.live_sentence("l").unwrap(),
            "Not run live with the servers deciding: a read replica."
        );
        assert_eq!(live(3, 0).live_sentence("other"), None);
    }
}
