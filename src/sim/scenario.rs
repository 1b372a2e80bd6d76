//! The scenario file (spec section 2): what is simulated.
//!
//! This is the subset of the contract the engine models so far: keys, app
//! instances, operation latencies, the TTL, and scripted requests in timed
//! mode, served by cache-aside reads and invalidate-on-write writes. Field
//! names and defaults are the spec's; fields the engine does not model yet are
//! rejected as unknown rather than silently ignored, so a scenario never
//! appears to test something it does not.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds of virtual time.
pub type Millis = u64;

/// The largest latency, TTL or start time a scenario may give: one day. Larger
/// values are almost certainly a unit mistake, and keeping times small keeps
/// all arithmetic far from overflow.
pub const MAX_MILLIS: Millis = 86_400_000;
/// The most scripted requests a scenario may list.
pub const MAX_REQUESTS: usize = 10_000;
/// The most keys a scenario may declare.
pub const MAX_KEYS: usize = 10_000;
/// The most app instances a scenario may run.
pub const MAX_APPS: u32 = 64;

/// A complete scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A human-readable title.
    #[serde(default)]
    pub name: String,
    /// Seed of the one RNG every random choice is drawn from.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How many application instances serve requests.
    #[serde(default = "default_apps")]
    pub apps: u32,
    /// The keys and their initial values (each at DB version 1).
    pub keys: BTreeMap<String, String>,
    /// Cache every key at time 0 with its initial value.
    #[serde(default)]
    pub prewarm: bool,
    /// How long each kind of operation takes.
    #[serde(default)]
    pub latency_ms: Latencies,
    /// How reads and writes use the cache.
    #[serde(default)]
    pub strategy: Strategy,
    /// Scripted requests.
    pub requests: Vec<RequestSpec>,
}

/// Operation latencies in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Latencies {
    /// Any cache operation.
    pub cache: Millis,
    /// A database read.
    pub db_read: Millis,
    /// A database write (commit).
    pub db_write: Millis,
    /// Publishing an event on the bus.
    pub publish: Millis,
    /// Each operation's latency gets a uniform random 0..=jitter_ms added.
    pub jitter_ms: Millis,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            cache: 1,
            db_read: 10,
            db_write: 20,
            publish: 1,
            jitter_ms: 0,
        }
    }
}

/// The caching strategy. So far: cache-aside reads with a TTL, and
/// invalidate-on-write writes performed inline by the app instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Strategy {
    /// How long a cache set lives.
    pub ttl_ms: Millis,
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy { ttl_ms: 300_000 }
    }
}

/// What a request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestOp {
    /// Read one key.
    Read,
    /// Write one key.
    Write,
}

/// One scripted client request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// The request's name, unique in the scenario (it names the actor).
    pub id: String,
    /// Read or write.
    pub op: RequestOp,
    /// The key read or written; must be one of `keys`.
    pub key: String,
    /// The value a write stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// When the client sends it.
    #[serde(default)]
    pub at_ms: Millis,
    /// Which app instance serves it (default: round-robin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<u32>,
}

fn default_seed() -> u64 {
    1
}

fn default_apps() -> u32 {
    1
}

/// Why a scenario was rejected: the JSON path of the offending field and
/// what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Where in the document, e.g. `requests[2].key` (`$` for the whole).
    pub path: String,
    /// What was wrong, phrased as what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl Scenario {
    /// Parses and validates a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = serde_json::from_str(text).map_err(|e| {
            ScenarioError::at(
                "$",
                format!(
                    "not a valid scenario (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The scenario as pretty-printed JSON (it parses back to itself).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Checks every rule the types alone cannot express.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.apps == 0 || self.apps > MAX_APPS {
            return Err(ScenarioError::at(
                "apps",
                format!("expected 1 to {MAX_APPS} app instances, got {}", self.apps),
            ));
        }
        if self.keys.is_empty() || self.keys.len() > MAX_KEYS {
            return Err(ScenarioError::at(
                "keys",
                format!("expected 1 to {MAX_KEYS} keys, got {}", self.keys.len()),
            ));
        }
        let latencies = [
            ("cache", self.latency_ms.cache),
            ("db_read", self.latency_ms.db_read),
            ("db_write", self.latency_ms.db_write),
            ("publish", self.latency_ms.publish),
            ("jitter_ms", self.latency_ms.jitter_ms),
        ];
        for (field, value) in latencies {
            check_millis(&format!("latency_ms.{field}"), value)?;
        }
        check_millis("strategy.ttl_ms", self.strategy.ttl_ms)?;
        if self.strategy.ttl_ms == 0 {
            return Err(ScenarioError::at(
                "strategy.ttl_ms",
                "expected a TTL of at least 1 ms",
            ));
        }
        if self.requests.is_empty() || self.requests.len() > MAX_REQUESTS {
            return Err(ScenarioError::at(
                "requests",
                format!(
                    "expected 1 to {MAX_REQUESTS} requests, got {}",
                    self.requests.len()
                ),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, request) in self.requests.iter().enumerate() {
            let path = |field: &str| format!("requests[{i}].{field}");
            if request.id.is_empty() || !ids.insert(request.id.as_str()) {
                return Err(ScenarioError::at(
                    path("id"),
                    format!("expected a unique, non-empty id, got {:?}", request.id),
                ));
            }
            if !self.keys.contains_key(&request.key) {
                return Err(ScenarioError::at(
                    path("key"),
                    format!("expected one of the scenario's keys, got {:?}", request.key),
                ));
            }
            match (request.op, &request.value) {
                (RequestOp::Write, None) => {
                    return Err(ScenarioError::at(path("value"), "a write needs a value"));
                }
                (RequestOp::Read, Some(_)) => {
                    return Err(ScenarioError::at(path("value"), "a read takes no value"));
                }
                _ => {}
            }
            check_millis(&path("at_ms"), request.at_ms)?;
            if let Some(app) = request.app
                && app >= self.apps
            {
                return Err(ScenarioError::at(
                    path("app"),
                    format!("expected an instance below apps ({}), got {app}", self.apps),
                ));
            }
        }
        Ok(())
    }
}

fn check_millis(path: &str, value: Millis) -> Result<(), ScenarioError> {
    if value > MAX_MILLIS {
        return Err(ScenarioError::at(
            path,
            format!("expected at most {MAX_MILLIS} ms (one day), got {value}"),
        ));
    }
    Ok(())
}
