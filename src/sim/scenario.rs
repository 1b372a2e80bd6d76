//! The scenario file (docs/SCENARIO.md): what is simulated.
//!
//! Field names and defaults are those of docs/SCENARIO.md; unknown fields
//! and values are rejected rather than silently ignored, so a scenario never
//! appears to test something it does not. `Scenario::validate` makes every
//! check of its "Bad input" section.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use super::variants::{Channel, FaultKind, Stampede, WriteStrategy};
use super::vocabulary::Actor;
pub use super::vocabulary::{Millis, RequestOp};

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
    /// The event bus (used by the `event` and `cdc` channels).
    #[serde(default)]
    pub bus: Bus,
    /// The database: optionally a read replica.
    #[serde(default, skip_serializing_if = "Db::is_default")]
    pub db: Db,
    /// Scripted requests (or none, with a `workload`).
    #[serde(default)]
    pub requests: Vec<RequestSpec>,
    /// A generated workload instead of scripted requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
    /// The order of effects, chosen explicitly (scheduled mode). Without it,
    /// requests start at their `at_ms` and run by their latencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<ScheduleEntry>>,
    /// Faults at points in time (timed mode; in scheduled mode faults are
    /// schedule entries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// Stop the run at this instant (timed mode); `null` runs until nothing
    /// is left to happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<Millis>,
}

/// The database (`db`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Db {
    /// A read replica applying each commit this long after the primary
    /// committed it; cache-aside misses (and refreshers) read it. `None`:
    /// one database.
    pub replica_lag_ms: Option<Millis>,
}

impl Db {
    fn is_default(&self) -> bool {
        *self == Db::default()
    }
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

/// The event bus (`bus`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bus {
    /// Delivery delay after publication.
    pub delay_ms: Millis,
    /// Plus a uniform random 0..=jitter_ms.
    pub jitter_ms: Millis,
    /// Probability that an event is lost.
    pub loss: f64,
    /// Probability that an event is delivered twice.
    pub duplicate: f64,
    /// How many ordered partitions.
    pub partitions: u32,
    /// All events of a key on one partition (hash of the key); otherwise
    /// round-robin over partitions in publication order.
    pub keyed: bool,
    /// Extra delay per partition (missing entries: 0).
    pub partition_lag_ms: Vec<Millis>,
    /// Each partition's consumer commits its offset this long after the
    /// first event it applied since its last commit (0: after every event).
    pub commit_interval_ms: Millis,
}

impl Default for Bus {
    fn default() -> Self {
        Bus {
            delay_ms: 50,
            jitter_ms: 0,
            loss: 0.0,
            duplicate: 0.0,
            partitions: 1,
            keyed: true,
            partition_lag_ms: Vec::new(),
            commit_interval_ms: 0,
        }
    }
}

/// The most bus partitions.
pub const MAX_PARTITIONS: u32 = 64;

/// The most publications one `bus_drop` fault takes. CDC and the outbox
/// publish a dropped event again, so each drop is a retry: the bound keeps
/// a run's work bounded (see the waiting invariant).
pub const MAX_DROPS: u64 = 10_000;

/// The caching strategy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Strategy {
    /// How a write request runs.
    pub write: WriteStrategy,
    /// How `invalidate` / `update` reach the cache.
    pub channel: Channel,
    /// What a read does on a miss.
    pub stampede: Stampede,
    /// How long a cache set lives.
    pub ttl_ms: Millis,
    /// Each cache set lives a uniform random 0..=ttl_jitter_ms longer.
    pub ttl_jitter_ms: Millis,
    /// Every cache set carries its DB version; the cache refuses a set older
    /// than the entry it holds.
    pub versioned_sets: bool,
    /// With `invalidate`: delete the key again this long after the commit.
    pub double_delete_ms: Option<Millis>,
    /// How long a lease (or lock) is held before another reader may take it.
    pub lock_ttl_ms: Millis,
    /// How long a reader waits before retrying when another holds the lease.
    pub retry_ms: Millis,
    /// Write-behind: how long after a key first became dirty it is flushed.
    pub write_behind_ms: Millis,
    /// XFetch's beta: above 1 recomputes earlier, below 1 later.
    pub xfetch_beta: f64,
    /// Stale-while-revalidate: how long past expiry an entry is served.
    pub swr_ms: Millis,
    /// Jittered early recompute: the window before expiry in which a
    /// reader may recompute (more likely the nearer expiry is).
    pub early_ms: Millis,
    /// Outbox: how often the relay polls for unsent rows.
    pub outbox_poll_ms: Millis,
    /// Leases and locks: how long a reader waits for another's fill before
    /// it reads the DB itself, without filling (a fallback read).
    pub wait_max_ms: Millis,
    /// Locks: release with a plain delete instead of compare-and-delete, so
    /// a holder whose lock expired deletes the next holder's lock.
    pub unsafe_unlock: bool,
    /// Leases: at most one token per key this often (0: whenever none is
    /// outstanding).
    pub lease_token_interval_ms: Millis,
    /// Leases: how long a deleted value is kept as stale (0: not kept).
    pub lease_stale_ms: Millis,
    /// Leases: a reader refused a token returns the kept stale value at once.
    pub accept_stale: bool,
}

impl Strategy {
    /// Whether a run under this strategy reads `setting` (a field of
    /// `strategy`, by name): the TTL always, the others as the catalogue
    /// says of the write strategy, its channel and the protection.
    pub fn reads(&self, setting: &str) -> bool {
        let write = self.write.entry();
        matches!(
            setting,
            "ttl_ms" | "ttl_jitter_ms" | "versioned_sets" | "stampede" | "write"
        ) || write.settings.contains(&setting)
            || (write.uses_channel && self.channel.entry().settings.contains(&setting))
            || self.stampede.entry().settings.contains(&setting)
    }

    /// How long past its TTL the cache still serves an entry (the
    /// stale-while-revalidate grace).
    pub fn served_past_expiry_ms(&self) -> Millis {
        if self.stampede.entry().serves_expired {
            self.swr_ms
        } else {
            0
        }
    }

    /// How long a delete keeps the deleted value as stale (leases).
    pub fn deleted_kept_ms(&self) -> Millis {
        if self.stampede.entry().keeps_deleted {
            self.lease_stale_ms
        } else {
            0
        }
    }
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy {
            write: WriteStrategy::Invalidate,
            channel: Channel::Inline,
            stampede: Stampede::None,
            ttl_ms: 300_000,
            ttl_jitter_ms: 0,
            versioned_sets: false,
            double_delete_ms: None,
            lock_ttl_ms: 500,
            retry_ms: 10,
            write_behind_ms: 5000,
            xfetch_beta: 1.0,
            swr_ms: 30_000,
            early_ms: 1000,
            outbox_poll_ms: 100,
            wait_max_ms: 1000,
            unsafe_unlock: false,
            lease_token_interval_ms: 0,
            lease_stale_ms: 0,
            accept_stale: false,
        }
    }
}

/// A fault at a point in time (timed mode).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// When it happens (`consumer_pause` gives `from_ms` instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<Millis>,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
}

impl Fault {
    /// When the fault starts.
    pub fn starts_ms(&self) -> Option<Millis> {
        match self.kind.span() {
            Some((from_ms, _)) => Some(from_ms),
            None => self.at_ms,
        }
    }
}

/// One entry of a `schedule`: which actor's pending operation takes effect
/// next, how far to advance the clock, or a fault to inject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleEntry {
    /// The named actor's next pending operation takes effect.
    Actor(String),
    /// The clock advances this far.
    Wait(Millis),
    /// This fault happens now.
    Fault(FaultKind),
}

impl Serialize for ScheduleEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ScheduleEntry::Actor(name) => serializer.serialize_str(name),
            ScheduleEntry::Wait(ms) => {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("wait_ms", ms)?;
                map.end()
            }
            ScheduleEntry::Fault(kind) => kind.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ScheduleEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Written out (not `untagged`) so a bad entry says what was expected.
        use serde::de::Error;
        let expected = "expected an actor name, {\"wait_ms\": N} or a fault {\"kind\": ...}";
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(name) => Ok(ScheduleEntry::Actor(name)),
            serde_json::Value::Object(map) if map.len() == 1 && map.contains_key("wait_ms") => {
                match map["wait_ms"].as_u64() {
                    Some(ms) => Ok(ScheduleEntry::Wait(ms)),
                    None => Err(D::Error::custom(format!(
                        "wait_ms: expected a whole number of milliseconds, got {}",
                        map["wait_ms"]
                    ))),
                }
            }
            serde_json::Value::Object(map) if map.contains_key("kind") => {
                let kind: FaultKind = serde_json::from_value(serde_json::Value::Object(map))
                    .map_err(|e| D::Error::custom(format!("a fault entry: {e}")))?;
                Ok(ScheduleEntry::Fault(kind))
            }
            other => Err(D::Error::custom(format!("{expected}, got {other}"))),
        }
    }
}

/// How generated requests arrive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// A Poisson process: exponential gaps with the given mean rate.
    #[default]
    Poisson,
    /// Evenly spaced at the given rate.
    Uniform,
}

/// A generated workload (`workload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// How long requests keep arriving.
    pub duration_ms: Millis,
    /// Read requests per second.
    #[serde(default)]
    pub reads_per_s: f64,
    /// Write requests per second.
    #[serde(default)]
    pub writes_per_s: f64,
    /// How many of the scenario's keys (in sorted order) requests touch;
    /// all of them by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<usize>,
    /// Zipf exponent of key popularity (0: uniform; the first key is the
    /// most popular).
    #[serde(default)]
    pub zipf_s: f64,
    /// Poisson or uniform arrivals.
    #[serde(default)]
    pub arrival: Arrival,
}

/// The most requests a workload may generate (rate x duration, reads and
/// writes together).
pub const MAX_GENERATED_REQUESTS: f64 = 50_000_000.0;
/// The highest rate of each request kind.
pub const MAX_RATE_PER_S: f64 = 10_000_000.0;

/// The background actors a schedule may name (besides `consumer:P`).
const SCHEDULED_BACKGROUND: [Actor; 5] = [
    Actor::Consumer(None),
    Actor::Flusher,
    Actor::Relay,
    Actor::Refresher,
    Actor::Replica,
];

/// The names a request id may not take, as a list for messages.
fn not_request_names() -> Vec<String> {
    Actor::NOT_REQUESTS.iter().map(|a| a.to_string()).collect()
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
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl Scenario {
    /// Parses and validates a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let scenario: Scenario =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let path = if path.is_empty() || path == "." {
                    "$".to_string()
                } else {
                    path
                };
                if inner.is_syntax() || inner.is_eof() {
                    ScenarioError::at(
                        "$",
                        format!(
                            "not valid JSON (line {}, column {}): {}",
                            inner.line(),
                            inner.column(),
                            strip_position(&inner.to_string())
                        ),
                    )
                } else {
                    ScenarioError::at(path, strip_position(&inner.to_string()))
                }
            })?;
        deserializer.end().map_err(|e| {
            ScenarioError::at("$", format!("unexpected text after the scenario: {e}"))
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
        check_millis("strategy.ttl_jitter_ms", self.strategy.ttl_jitter_ms)?;
        check_millis("strategy.lock_ttl_ms", self.strategy.lock_ttl_ms)?;
        check_millis("strategy.retry_ms", self.strategy.retry_ms)?;
        check_millis("strategy.write_behind_ms", self.strategy.write_behind_ms)?;
        check_millis("strategy.swr_ms", self.strategy.swr_ms)?;
        check_millis("strategy.early_ms", self.strategy.early_ms)?;
        check_millis("strategy.outbox_poll_ms", self.strategy.outbox_poll_ms)?;
        check_millis("strategy.wait_max_ms", self.strategy.wait_max_ms)?;
        if let Some(lag) = self.db.replica_lag_ms {
            check_millis("db.replica_lag_ms", lag)?;
        }
        check_millis(
            "strategy.lease_token_interval_ms",
            self.strategy.lease_token_interval_ms,
        )?;
        check_millis("strategy.lease_stale_ms", self.strategy.lease_stale_ms)?;
        if self.strategy.channel.entry().relay && self.strategy.outbox_poll_ms == 0 {
            return Err(ScenarioError::at(
                "strategy.outbox_poll_ms",
                "expected at least 1 ms with the outbox channel",
            ));
        }
        if let Some(until) = self.until_ms {
            check_millis("until_ms", until)?;
            if self.schedule.is_some() {
                return Err(ScenarioError::at(
                    "until_ms",
                    "a scheduled run ends with its schedule; until_ms is for timed runs",
                ));
            }
        }
        if self.strategy.channel.entry().on_the_bus && !self.strategy.write.entry().uses_channel {
            return Err(ScenarioError::at(
                "strategy.channel",
                "a bus channel carries invalidate or update writes; other writes use \"inline\"",
            ));
        }
        check_millis("bus.delay_ms", self.bus.delay_ms)?;
        check_millis("bus.commit_interval_ms", self.bus.commit_interval_ms)?;
        check_millis("bus.jitter_ms", self.bus.jitter_ms)?;
        for (field, p) in [("loss", self.bus.loss), ("duplicate", self.bus.duplicate)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(ScenarioError::at(
                    format!("bus.{field}"),
                    format!("expected a probability from 0 to 1, got {p}"),
                ));
            }
        }
        if self.strategy.channel.at_least_once() && self.bus.loss >= 1.0 {
            // Every publish would go unacknowledged and be retried for ever.
            return Err(ScenarioError::at(
                "bus.loss",
                format!(
                    "expected a probability below 1 with channel \"{}\" (an unacknowledged publish is retried until the bus takes it), got {}",
                    self.strategy.channel.name(),
                    self.bus.loss
                ),
            ));
        }
        if self.bus.partitions == 0 || self.bus.partitions > MAX_PARTITIONS {
            return Err(ScenarioError::at(
                "bus.partitions",
                format!(
                    "expected 1 to {MAX_PARTITIONS}, got {}",
                    self.bus.partitions
                ),
            ));
        }
        if self.bus.partition_lag_ms.len() > self.bus.partitions as usize {
            return Err(ScenarioError::at(
                "bus.partition_lag_ms",
                format!(
                    "expected at most one entry per partition ({}), got {}",
                    self.bus.partitions,
                    self.bus.partition_lag_ms.len()
                ),
            ));
        }
        for (i, lag) in self.bus.partition_lag_ms.iter().enumerate() {
            check_millis(&format!("bus.partition_lag_ms[{i}]"), *lag)?;
        }
        if !(0.0..=100.0).contains(&self.strategy.xfetch_beta) {
            return Err(ScenarioError::at(
                "strategy.xfetch_beta",
                format!("expected 0 to 100, got {}", self.strategy.xfetch_beta),
            ));
        }
        if let Some(delay) = self.strategy.double_delete_ms {
            check_millis("strategy.double_delete_ms", delay)?;
            if !self
                .strategy
                .write
                .entry()
                .settings
                .contains(&"double_delete_ms")
            {
                return Err(ScenarioError::at(
                    "strategy.double_delete_ms",
                    "a delayed double delete goes with write \"invalidate\" or \"delete_first\" (or null)",
                ));
            }
        }
        if self.strategy.write.entry().cache_tier && self.strategy.stampede != Stampede::None {
            return Err(ScenarioError::at(
                "strategy.stampede",
                "write-through reads through the cache tier, whose per-key lock already lets one miss fill at a time; expected \"none\"",
            ));
        }
        if self.strategy.stampede.entry().waits_for_a_fill {
            // A zero retry would spin forever at one instant while another
            // reader holds the lease; a zero lease would not protect.
            if self.strategy.retry_ms == 0 {
                return Err(ScenarioError::at(
                    "strategy.retry_ms",
                    "expected at least 1 ms with leases or locks",
                ));
            }
            if self.strategy.lock_ttl_ms == 0 {
                return Err(ScenarioError::at(
                    "strategy.lock_ttl_ms",
                    "expected at least 1 ms with leases or locks",
                ));
            }
        }
        if self.strategy.ttl_ms == 0 {
            return Err(ScenarioError::at(
                "strategy.ttl_ms",
                "expected a TTL of at least 1 ms",
            ));
        }
        if let Some(workload) = &self.workload {
            self.validate_workload(workload)?;
        } else if self.requests.is_empty() || self.requests.len() > MAX_REQUESTS {
            return Err(ScenarioError::at(
                "requests",
                format!(
                    "expected 1 to {MAX_REQUESTS} requests (or a workload), got {}",
                    self.requests.len()
                ),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, request) in self.requests.iter().enumerate() {
            let path = |field: &str| format!("requests[{i}].{field}");
            if !Actor::is_free_request_id(&request.id) || !ids.insert(request.id.as_str()) {
                return Err(ScenarioError::at(
                    path("id"),
                    format!(
                        "expected a unique, non-empty id that is not a background actor's name ({}, consumer:P), got {:?}",
                        not_request_names().join(", "),
                        request.id
                    ),
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
        for (i, fault) in self.faults.iter().enumerate() {
            if let FaultKind::BusDrop { count } = fault.kind {
                check_drops(&format!("faults[{i}].count"), count)?;
            }
            if let FaultKind::DbSlow { factor, .. } = fault.kind
                && !(1..=1000).contains(&factor)
            {
                return Err(ScenarioError::at(
                    format!("faults[{i}].factor"),
                    format!("expected 1 to 1000, got {factor}"),
                ));
            }
            if let FaultKind::ConsumerCrash {
                partition: Some(partition),
            } = fault.kind
                && partition >= self.bus.partitions
            {
                return Err(ScenarioError::at(
                    format!("faults[{i}].partition"),
                    format!(
                        "expected a partition below bus.partitions ({}), or null for all, got {partition}",
                        self.bus.partitions
                    ),
                ));
            }
            if let FaultKind::AppCrash { app } | FaultKind::AppPause { app, .. } = fault.kind
                && app >= self.apps
            {
                return Err(ScenarioError::at(
                    format!("faults[{i}].app"),
                    format!("expected an instance below apps ({}), got {app}", self.apps),
                ));
            }
            if let Some((from_ms, to_ms)) = fault.kind.span() {
                check_millis(&format!("faults[{i}].to_ms"), to_ms)?;
                if from_ms > to_ms {
                    return Err(ScenarioError::at(
                        format!("faults[{i}].to_ms"),
                        format!("expected at least from_ms ({from_ms}), got {to_ms}"),
                    ));
                }
            }
            match (fault.starts_ms(), &self.schedule) {
                (_, Some(_)) => {
                    return Err(ScenarioError::at(
                        format!("faults[{i}]"),
                        "in scheduled mode, put faults in the schedule (without at_ms)",
                    ));
                }
                (None, None) => {
                    return Err(ScenarioError::at(
                        format!("faults[{i}].at_ms"),
                        "a fault needs at_ms",
                    ));
                }
                (Some(at), None) => check_millis(&format!("faults[{i}].at_ms"), at)?,
            }
        }
        if let Some(schedule) = &self.schedule {
            for (i, entry) in schedule.iter().enumerate() {
                match entry {
                    ScheduleEntry::Actor(name)
                        if !ids.contains(name.as_str()) && !self.schedules_as_background(name) =>
                    {
                        return Err(ScenarioError::at(
                            format!("schedule[{i}]"),
                            format!(
                                "expected a request id, a background actor ({}) or \
                                 consumer:P for a partition P below bus.partitions, got {name:?}",
                                SCHEDULED_BACKGROUND
                                    .iter()
                                    .map(Actor::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                    ScheduleEntry::Wait(ms) => {
                        check_millis(&format!("schedule[{i}].wait_ms"), *ms)?
                    }
                    ScheduleEntry::Fault(FaultKind::AppPause { .. }) => {
                        return Err(ScenarioError::at(
                            format!("schedule[{i}]"),
                            "in scheduled mode an instance pauses by its requests not being named; \
                             app_pause is for timed mode",
                        ));
                    }
                    ScheduleEntry::Fault(FaultKind::ConsumerPause { .. }) => {
                        return Err(ScenarioError::at(
                            format!("schedule[{i}]"),
                            "in scheduled mode the consumer pauses by not being named; \
                             consumer_pause is for timed mode",
                        ));
                    }
                    ScheduleEntry::Fault(FaultKind::DbSlow { .. }) => {
                        return Err(ScenarioError::at(
                            format!("schedule[{i}]"),
                            "db_slow spans time and is for timed mode; in scheduled mode \
                             use wait_ms to hold operations back",
                        ));
                    }
                    ScheduleEntry::Fault(FaultKind::AppCrash { app }) if *app >= self.apps => {
                        return Err(ScenarioError::at(
                            format!("schedule[{i}].app"),
                            format!("expected an instance below apps ({}), got {app}", self.apps),
                        ));
                    }
                    ScheduleEntry::Fault(FaultKind::BusDrop { count }) => {
                        check_drops(&format!("schedule[{i}].count"), *count)?;
                    }
                    ScheduleEntry::Actor(_) | ScheduleEntry::Fault(_) => {}
                }
            }
        }
        Ok(())
    }
}

impl Scenario {
    /// Whether `name` is `consumer:P` for a partition P of the bus (an
    /// extension: the consumer of one partition, so that schedules can order
    /// the partitions' consumers against each other).
    /// Whether a schedule may name `name` as a background actor: one of
    /// them, or `consumer:P` for an existing partition P.
    fn schedules_as_background(&self, name: &str) -> bool {
        match Actor::parse(name) {
            Actor::Consumer(Some(p)) => p < self.bus.partitions,
            named => SCHEDULED_BACKGROUND.contains(&named),
        }
    }

    fn validate_workload(&self, workload: &Workload) -> Result<(), ScenarioError> {
        if !self.requests.is_empty() {
            return Err(ScenarioError::at(
                "workload",
                "give either scripted requests or a workload, not both",
            ));
        }
        if self.schedule.is_some() {
            return Err(ScenarioError::at(
                "schedule",
                "a schedule orders scripted requests; it cannot go with a workload",
            ));
        }
        check_millis("workload.duration_ms", workload.duration_ms)?;
        for (field, rate) in [
            ("reads_per_s", workload.reads_per_s),
            ("writes_per_s", workload.writes_per_s),
        ] {
            if !(0.0..=MAX_RATE_PER_S).contains(&rate) {
                return Err(ScenarioError::at(
                    format!("workload.{field}"),
                    format!("expected 0 to {MAX_RATE_PER_S} per second, got {rate}"),
                ));
            }
        }
        let total =
            (workload.reads_per_s + workload.writes_per_s) * workload.duration_ms as f64 / 1000.0;
        if total > MAX_GENERATED_REQUESTS {
            return Err(ScenarioError::at(
                "workload",
                format!(
                    "expected at most {MAX_GENERATED_REQUESTS} requests (rate x duration), got {total}"
                ),
            ));
        }
        if let Some(keys) = workload.keys
            && (keys == 0 || keys > self.keys.len())
        {
            return Err(ScenarioError::at(
                "workload.keys",
                format!(
                    "expected 1 to {} (the scenario's keys), got {keys}",
                    self.keys.len()
                ),
            ));
        }
        if !(0.0..=10.0).contains(&workload.zipf_s) {
            return Err(ScenarioError::at(
                "workload.zipf_s",
                format!("expected 0 to 10, got {}", workload.zipf_s),
            ));
        }
        Ok(())
    }
}

/// serde_json appends " at line L column C" to data errors; the JSON path
/// already says where, and reads better without it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A `bus_drop` takes at most [`MAX_DROPS`] publications.
fn check_drops(path: &str, count: u64) -> Result<(), ScenarioError> {
    if count > MAX_DROPS {
        return Err(ScenarioError::at(
            path,
            format!("expected at most {MAX_DROPS} publications, got {count}"),
        ));
    }
    Ok(())
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
