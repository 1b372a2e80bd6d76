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
}
