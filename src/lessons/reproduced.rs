//! What each lesson's check against a real Redis and PostgreSQL found, as
//! the page says it. Read from `reproduced.json` beside this file, which
//! the test `tests/real.rs` regenerates on real servers and compares, so
//! the page's claim cannot go stale.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

    /// The sentence the page shows under lesson `name`, if it was checked.
    pub fn sentence(&self, name: &str) -> Option<String> {
        let check = self.lessons.get(name)?;
        let servers = &self.servers;
        if let Some(reason) = &check.not_checked {
            return Some(format!("Not reproduced on real servers: {reason}."));
        }
        let run = match check.run_agrees {
            Some(true) => "its run agrees with the model, reply by reply",
            Some(false) => "its run does NOT agree with the model (see the README's limits)",
            None => return None,
        };
        Some(match (check.orders, check.orders_agree) {
            (Some(orders), Some(agree)) => {
                format!("Reproduced on {servers}: {run}, and {agree} of {orders} orders agree.")
            }
            _ => format!("Reproduced on {servers}: {run}."),
        })
    }
}
