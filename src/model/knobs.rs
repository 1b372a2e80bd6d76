//! Every setting of a scenario the page lets a person tune
//! (docs/SCENARIO.md), as data: its group, label, one-line hint, kind of control,
//! and where it lives in the scenario's JSON. Reading and changing a knob
//! goes through the scenario's JSON and its validator, so a value the page
//! accepts is exactly one the command line accepts, and a refusal carries
//! the validator's message.

use serde_json::Value;

use crate::sim::scenario::{Channel, Stampede, WriteStrategy};
use crate::sim::{Scenario, ScenarioError};

/// Where a knob is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Write strategy, channel, stampede protection and their parameters.
    Strategy,
    /// TTL and jitter.
    Ttl,
    /// Operation latencies.
    Latency,
    /// The event bus.
    Bus,
    /// The generated workload.
    Workload,
    /// Instances, keys, seed.
    System,
}

impl Group {
    /// Every group, in the order the page shows them.
    pub const ALL: [Group; 6] = [
        Group::Strategy,
        Group::Ttl,
        Group::Latency,
        Group::Bus,
        Group::Workload,
        Group::System,
    ];

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Group::Strategy => "Strategy",
            Group::Ttl => "TTL",
            Group::Latency => "Latencies",
            Group::Bus => "Event bus",
            Group::Workload => "Workload",
            Group::System => "System",
        }
    }
}

/// The kind of value a knob takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// A whole number of milliseconds.
    Millis,
    /// Milliseconds, or empty for "off".
    OptionalMillis,
    /// A whole number.
    Count,
    /// A whole number, or empty for "all".
    OptionalCount,
    /// A decimal number.
    Real,
    /// One of these names (the scenario file's own).
    Choice(&'static [&'static str]),
    /// On or off.
    Toggle,
    /// Milliseconds separated by commas.
    MillisList,
}

/// One tunable setting.
#[derive(Clone, Copy, Debug)]
pub struct Knob {
    /// Its place in the scenario's JSON (a JSON pointer), or [`KEY_COUNT`].
    pub path: &'static str,
    /// Where the page shows it.
    pub group: Group,
    /// Its label.
    pub label: &'static str,
    /// What it does, in one line.
    pub hint: &'static str,
    /// The kind of value.
    pub control: Control,
    /// Whether it affects a run of this scenario (others are shown dimmed).
    pub used: fn(&Scenario) -> bool,
}

/// The pseudo-path of "how many keys the database holds".
pub const KEY_COUNT: &str = "#keys";

const WRITES: &[&str] = &WriteStrategy::NAMES;
const CHANNELS: &[&str] = &Channel::NAMES;
const STAMPEDES: &[&str] = &Stampede::NAMES;
const ARRIVALS: &[&str] = &["poisson", "uniform"];

fn always(_: &Scenario) -> bool {
    true
}
fn on_the_bus(s: &Scenario) -> bool {
    s.strategy.channel.entry().on_the_bus
}
fn with_workload(s: &Scenario) -> bool {
    s.workload.is_some()
}
fn timed(s: &Scenario) -> bool {
    s.schedule.is_none()
}
/// Every knob, grouped in [`Group::ALL`] order.
pub const KNOBS: &[Knob] = &[
    Knob {
        path: "/strategy/write",
        group: Group::Strategy,
        label: "Write strategy",
        hint: "How a write reaches the cache: delete or set it after the commit, delete first, rely on TTL, write through the cache tier, set the cache then commit (an app-side dual write), or write behind.",
        control: Control::Choice(WRITES),
        used: always,
    },
    Knob {
        path: "/strategy/channel",
        group: Group::Strategy,
        label: "Channel",
        hint: "Who applies an invalidate/update: the app inline, or a consumer of bus events (app-published, CDC, outbox).",
        control: Control::Choice(CHANNELS),
        used: |s| s.strategy.reads("channel"),
    },
    Knob {
        path: "/strategy/stampede",
        group: Group::Strategy,
        label: "Stampede protection",
        hint: "What a read does on a miss or near expiry: every miss reads the DB, or a lock, singleflight, lease, XFetch, stale-while-revalidate or a jittered early recompute.",
        control: Control::Choice(STAMPEDES),
        used: always,
    },
    Knob {
        path: "/strategy/versioned_sets",
        group: Group::Strategy,
        label: "Versioned sets",
        hint: "The cache refuses a set older than the entry it holds (it cannot refuse one after a delete).",
        control: Control::Toggle,
        used: always,
    },
    Knob {
        path: "/strategy/double_delete_ms",
        group: Group::Strategy,
        label: "Double delete after (ms)",
        hint: "With invalidate or delete-first: delete the key again this long after the commit. Empty: off.",
        control: Control::OptionalMillis,
        used: |s| s.strategy.reads("double_delete_ms"),
    },
    Knob {
        path: "/strategy/write_behind_ms",
        group: Group::Strategy,
        label: "Write-behind flush (ms)",
        hint: "How long after a key first becomes dirty the flusher commits it; a cache crash before then loses the writes.",
        control: Control::Millis,
        used: |s| s.strategy.reads("write_behind_ms"),
    },
    Knob {
        path: "/strategy/lock_ttl_ms",
        group: Group::Strategy,
        label: "Lease / lock TTL (ms)",
        hint: "How long a lease or lock is held before another reader may take it.",
        control: Control::Millis,
        used: |s| s.strategy.reads("lock_ttl_ms"),
    },
    Knob {
        path: "/strategy/retry_ms",
        group: Group::Strategy,
        label: "Retry after (ms)",
        hint: "How long a reader waits before looking again while another holds the lease or lock; with CDC, how long before an unacknowledged publish goes again.",
        control: Control::Millis,
        used: |s| s.strategy.reads("retry_ms"),
    },
    Knob {
        path: "/strategy/wait_max_ms",
        group: Group::Strategy,
        label: "Wait at most (ms)",
        hint: "How long a reader waits for another's fill; then it reads the DB itself without filling the cache (a fallback read).",
        control: Control::Millis,
        used: |s| s.strategy.reads("wait_max_ms"),
    },
    Knob {
        path: "/strategy/unsafe_unlock",
        group: Group::Strategy,
        label: "Unsafe unlock",
        hint: "Release the lock with a plain delete instead of compare-and-delete: a holder whose lock expired deletes the next holder's lock.",
        control: Control::Toggle,
        used: |s| s.strategy.reads("unsafe_unlock"),
    },
    Knob {
        path: "/strategy/lease_token_interval_ms",
        group: Group::Strategy,
        label: "One lease token per (ms)",
        hint: "At most one lease token per key this often (memcache used 10 s); 0: whenever none is outstanding.",
        control: Control::Millis,
        used: |s| s.strategy.reads("lease_token_interval_ms"),
    },
    Knob {
        path: "/strategy/lease_stale_ms",
        group: Group::Strategy,
        label: "Keep deleted value (ms)",
        hint: "A delete keeps the deleted value this long as stale; a reader refused a token is offered it. 0: not kept.",
        control: Control::Millis,
        used: |s| s.strategy.reads("lease_stale_ms"),
    },
    Knob {
        path: "/strategy/accept_stale",
        group: Group::Strategy,
        label: "Accept stale",
        hint: "A reader refused a token returns the kept stale value at once (a stale read) instead of waiting.",
        control: Control::Toggle,
        used: |s| s.strategy.reads("accept_stale"),
    },
    Knob {
        path: "/strategy/xfetch_beta",
        group: Group::Strategy,
        label: "XFetch beta",
        hint: "The paper's optimum is 1; above 1 readers recompute earlier before expiry, below 1 later (0 to 100).",
        control: Control::Real,
        used: |s| s.strategy.reads("xfetch_beta"),
    },
    Knob {
        path: "/strategy/swr_ms",
        group: Group::Strategy,
        label: "Serve stale for (ms)",
        hint: "Stale-while-revalidate: how long past expiry an entry is served while one refresh runs.",
        control: Control::Millis,
        used: |s| s.strategy.reads("swr_ms"),
    },
    Knob {
        path: "/strategy/early_ms",
        group: Group::Strategy,
        label: "Early window (ms)",
        hint: "Jittered early recompute: a reader recomputes when the entry is nearer expiry than a random part of this window (more likely the nearer it is).",
        control: Control::Millis,
        used: |s| s.strategy.reads("early_ms"),
    },
    Knob {
        path: "/strategy/outbox_poll_ms",
        group: Group::Strategy,
        label: "Outbox poll (ms)",
        hint: "How often the relay polls the outbox table for unsent rows.",
        control: Control::Millis,
        used: |s| s.strategy.reads("outbox_poll_ms"),
    },
    Knob {
        path: "/strategy/ttl_ms",
        group: Group::Ttl,
        label: "TTL (ms)",
        hint: "How long a cache set lives: the bound on how long a stale entry can survive (not during a stale-while-revalidate grace period, nor for a dirty write-behind entry).",
        control: Control::Millis,
        used: always,
    },
    Knob {
        path: "/strategy/ttl_jitter_ms",
        group: Group::Ttl,
        label: "TTL jitter (ms)",
        hint: "Each set lives a random 0 to this much longer, so keys set together do not expire together.",
        control: Control::Millis,
        used: always,
    },
    Knob {
        path: "/latency_ms/cache",
        group: Group::Latency,
        label: "Cache (ms)",
        hint: "How long a cache get, set or delete takes.",
        control: Control::Millis,
        used: timed,
    },
    Knob {
        path: "/latency_ms/db_read",
        group: Group::Latency,
        label: "DB read (ms)",
        hint: "How long a database read takes; it returns the row as of its start, so a slow read is what lets an old value overwrite a delete.",
        control: Control::Millis,
        used: timed,
    },
    Knob {
        path: "/latency_ms/db_write",
        group: Group::Latency,
        label: "DB write (ms)",
        hint: "How long a database commit takes.",
        control: Control::Millis,
        used: timed,
    },
    Knob {
        path: "/latency_ms/publish",
        group: Group::Latency,
        label: "Publish (ms)",
        hint: "How long publishing an event on the bus takes.",
        control: Control::Millis,
        used: |s| timed(s) && on_the_bus(s),
    },
    Knob {
        path: "/latency_ms/jitter_ms",
        group: Group::Latency,
        label: "Latency jitter (ms)",
        hint: "Every operation takes a random 0 to this much longer.",
        control: Control::Millis,
        used: timed,
    },
    Knob {
        path: "/bus/delay_ms",
        group: Group::Bus,
        label: "Delivery delay (ms)",
        hint: "How long after publication an event is delivered to the consumer.",
        control: Control::Millis,
        used: on_the_bus,
    },
    Knob {
        path: "/bus/jitter_ms",
        group: Group::Bus,
        label: "Delivery jitter (ms)",
        hint: "Each delivery takes a random 0 to this much longer (events of one partition stay in order).",
        control: Control::Millis,
        used: on_the_bus,
    },
    Knob {
        path: "/bus/loss",
        group: Group::Bus,
        label: "Loss",
        hint: "The probability (0 to 1) that a publish is not taken: an app's event is lost and its invalidation never happens; CDC and the outbox relay publish it again (below 1 for them).",
        control: Control::Real,
        used: on_the_bus,
    },
    Knob {
        path: "/bus/commit_interval_ms",
        group: Group::Bus,
        label: "Offset commit after (ms)",
        hint: "Each consumer commits its offset this long after the first event it applied since the last commit (0: after every event); a consumer crash applies again what it had not committed.",
        control: Control::Millis,
        used: on_the_bus,
    },
    Knob {
        path: "/bus/duplicate",
        group: Group::Bus,
        label: "Duplication",
        hint: "The probability (0 to 1) that an event is delivered twice.",
        control: Control::Real,
        used: on_the_bus,
    },
    Knob {
        path: "/bus/partitions",
        group: Group::Bus,
        label: "Partitions",
        hint: "How many ordered partitions (1 to 64), each with its own consumer.",
        control: Control::Count,
        used: on_the_bus,
    },
    Knob {
        path: "/bus/keyed",
        group: Group::Bus,
        label: "Keyed",
        hint: "All events of a key on one partition (in order); off: round-robin, so a key's events can overtake each other.",
        control: Control::Toggle,
        used: on_the_bus,
    },
    Knob {
        path: "/bus/partition_lag_ms",
        group: Group::Bus,
        label: "Partition lag (ms)",
        hint: "Extra delay per partition, comma-separated (e.g. 0, 200): a lagging consumer.",
        control: Control::MillisList,
        used: on_the_bus,
    },
    Knob {
        path: "/workload/duration_ms",
        group: Group::Workload,
        label: "Duration (ms)",
        hint: "How long requests keep arriving.",
        control: Control::Millis,
        used: with_workload,
    },
    Knob {
        path: "/workload/reads_per_s",
        group: Group::Workload,
        label: "Reads per second",
        hint: "The rate of read requests.",
        control: Control::Real,
        used: with_workload,
    },
    Knob {
        path: "/workload/writes_per_s",
        group: Group::Workload,
        label: "Writes per second",
        hint: "The rate of write requests.",
        control: Control::Real,
        used: with_workload,
    },
    Knob {
        path: "/workload/keys",
        group: Group::Workload,
        label: "Keys touched",
        hint: "How many of the keys (in sorted order) requests touch. Empty: all.",
        control: Control::OptionalCount,
        used: with_workload,
    },
    Knob {
        path: "/workload/zipf_s",
        group: Group::Workload,
        label: "Key skew (Zipf s)",
        hint: "0: every key equally popular; 1 or more: a few hot keys take most requests.",
        control: Control::Real,
        used: with_workload,
    },
    Knob {
        path: "/workload/arrival",
        group: Group::Workload,
        label: "Arrivals",
        hint: "Poisson (random gaps, bursts happen) or uniform (evenly spaced).",
        control: Control::Choice(ARRIVALS),
        used: with_workload,
    },
    Knob {
        path: "/db/replica_lag_ms",
        group: Group::System,
        label: "Read replica lag (ms)",
        hint: "A read replica applies each commit this long after the primary; cache misses read it, so a miss after an invalidation can refill the old value. Empty: no replica.",
        control: Control::OptionalMillis,
        used: always,
    },
    Knob {
        path: "/apps",
        group: Group::System,
        label: "App instances",
        hint: "How many app instances serve requests (singleflight shares a read only within one).",
        control: Control::Count,
        used: always,
    },
    Knob {
        path: KEY_COUNT,
        group: Group::System,
        label: "Keys",
        hint: "How many keys the database holds; new keys (key1, key2, ...) start at v1.",
        control: Control::Count,
        used: always,
    },
    Knob {
        path: "/prewarm",
        group: Group::System,
        label: "Prewarm",
        hint: "Start with every key cached at its database value.",
        control: Control::Toggle,
        used: always,
    },
    Knob {
        path: "/seed",
        group: Group::System,
        label: "Seed",
        hint: "Every random draw (jitter, loss, arrivals) comes from it: the same seed gives the same run.",
        control: Control::Count,
        used: always,
    },
    Knob {
        path: "/until_ms",
        group: Group::System,
        label: "Stop at (ms)",
        hint: "End the run at this instant. Empty: when nothing is left to happen.",
        control: Control::OptionalMillis,
        used: timed,
    },
];

/// The knob at `path`.
pub fn knob(path: &str) -> Option<&'static Knob> {
    KNOBS.iter().find(|k| k.path == path)
}

/// Every knob's value, in [`KNOBS`] order (the scenario serialised once).
pub fn values(scenario: &Scenario) -> Vec<String> {
    let json = serde_json::to_value(scenario).expect("a scenario serialises");
    KNOBS
        .iter()
        .map(|knob| shown(scenario, &json, knob))
        .collect()
}

fn shown(scenario: &Scenario, json: &Value, knob: &Knob) -> String {
    if knob.path == KEY_COUNT {
        return scenario.keys.len().to_string();
    }
    match json.pointer(knob.path) {
        // An optional setting that is off, or a section the scenario lacks.
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// `scenario` with the knob set to `text` (as typed in its field),
/// validated; or the message to show beside the field.
pub fn set(scenario: &Scenario, knob: &Knob, text: &str) -> Result<Scenario, String> {
    let text = text.trim();
    let json_value = parse(knob, text)?;
    let mut json = serde_json::to_value(scenario).expect("a scenario serialises");
    if knob.path == KEY_COUNT {
        resize_keys(&mut json, &json_value)?;
    } else {
        if knob.group == Group::Workload && scenario.workload.is_none() {
            return Err("this scenario's requests are scripted: it has no workload".into());
        }
        place(&mut json, knob.path, json_value);
    }
    Scenario::from_json(&json.to_string()).map_err(|e: ScenarioError| e.to_string())
}

/// Why `knob` does not affect a run of `scenario`, or `None` when it does.
/// A knob that a timed copy of the scenario would use says that the order
/// is chosen by hand here (and [`timed_copy`] is the way to use it).
pub fn unused_because(knob: &Knob, scenario: &Scenario) -> Option<Unused> {
    if (knob.used)(scenario) {
        return None;
    }
    Some(match timed_copy(scenario) {
        Some(timed) if (knob.used)(&timed) => Unused::ScheduledByHand,
        _ => Unused::ByConfiguration,
    })
}

/// Why a knob is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unused {
    /// The run's order is chosen by hand, so timings decide nothing; a
    /// timed run of the same scenario would use it.
    ScheduledByHand,
    /// The strategy, channel or workload chosen has no use for it.
    ByConfiguration,
}

impl Unused {
    /// The sentence shown beside the knob.
    pub fn sentence(self) -> &'static str {
        match self {
            Unused::ScheduledByHand => {
                "Not used here: this run's order is chosen by hand (the scheduler), so timings \
                 decide nothing. Run it timed to use it."
            }
            Unused::ByConfiguration => "Not used by this configuration.",
        }
    }
}

/// `scenario` with its hand-chosen order removed, so latencies, timers and
/// faults' instants decide it; `None` if it has no such order or the timed
/// form is not valid (faults placed only by hand have no instant).
pub fn timed_copy(scenario: &Scenario) -> Option<Scenario> {
    scenario.schedule.as_ref()?;
    let mut json = serde_json::to_value(scenario).expect("a scenario serialises");
    let object = json.as_object_mut().expect("a scenario is an object");
    object.remove("schedule");
    keep_timed_faults(object);
    Scenario::from_json(&json.to_string()).ok()
}

/// Drops the faults placed by a schedule: they have no time of their own.
fn keep_timed_faults(object: &mut serde_json::Map<String, Value>) {
    if let Some(Value::Array(faults)) = object.get_mut("faults") {
        faults.retain(|f| f.get("at_ms").is_some_and(|at| !at.is_null()));
    }
}

/// `scenario` with its scripted requests (and schedule) replaced by a
/// generated workload of two seconds, 200 reads and 20 writes a second,
/// Zipf 1 over its keys: what the page's workload knobs then tune.
pub fn with_generated_workload(scenario: &Scenario) -> Result<Scenario, String> {
    let mut json = serde_json::to_value(scenario).expect("a scenario serialises");
    let object = json.as_object_mut().expect("a scenario is an object");
    object.remove("requests");
    object.remove("schedule");
    object.insert(
        "workload".into(),
        serde_json::json!({
            "duration_ms": 2000, "reads_per_s": 200.0, "writes_per_s": 20.0,
            "zipf_s": 1.0, "arrival": "poisson"
        }),
    );
    keep_timed_faults(object);
    Scenario::from_json(&json.to_string()).map_err(|e| e.to_string())
}

/// A decimal number as people type it ("0.5", ".5", "-2", "+3", "5.",
/// "1e-3"), or `None`. Read by the JSON number parser the page carries
/// anyway: Rust's own float parser would add about 10 KB of tables to the
/// page's download for a settings field.
pub fn decimal(text: &str) -> Option<f64> {
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    // JSON writes no leading zeros and always a digit before the point.
    let whole = match whole.trim_start_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    let mut json = format!("{sign}{whole}");
    if !fraction.is_empty() {
        json = format!("{json}.{fraction}");
    }
    if let Some(exponent) = exponent {
        let power = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        if power.is_empty() || !digits(power) {
            return None;
        }
        json = format!("{json}e{exponent}");
    }
    serde_json::from_str::<f64>(&json).ok()
}

/// The field's text as the JSON value the scenario file would hold.
fn parse(knob: &Knob, text: &str) -> Result<Value, String> {
    let whole = |what: &str| -> Result<Value, String> {
        text.parse::<u64>()
            .map(Value::from)
            .map_err(|_| format!("expected {what}, got \"{text}\""))
    };
    match knob.control {
        Control::Millis => whole("a whole number of milliseconds (0 or more)"),
        Control::Count => whole("a whole number"),
        Control::OptionalMillis | Control::OptionalCount if text.is_empty() => Ok(Value::Null),
        Control::OptionalMillis => whole("a whole number of milliseconds, or nothing for off"),
        Control::OptionalCount => whole("a whole number, or nothing for all"),
        Control::Real => match decimal(text) {
            Some(x) if x.is_finite() => Ok(Value::from(x)),
            _ => Err(format!("expected a number, got \"{text}\"")),
        },
        Control::Choice(options) if options.contains(&text) => Ok(Value::from(text)),
        Control::Choice(options) => Err(format!(
            "expected one of {}, got \"{text}\"",
            options.join(", ")
        )),
        Control::Toggle => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("expected true or false, got \"{text}\"")),
        },
        Control::MillisList => {
            if text.is_empty() {
                return Ok(Value::Array(Vec::new()));
            }
            text.split(',')
                .map(|part| {
                    let part = part.trim();
                    part.parse::<u64>().map(Value::from).map_err(|_| {
                        format!("expected milliseconds separated by commas, got \"{part}\"")
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
    }
}

/// Writes `value` at `pointer`, making the objects on the way.
fn place(json: &mut Value, pointer: &str, value: Value) {
    let mut here = json;
    let mut segments = pointer.trim_start_matches('/').split('/').peekable();
    while let Some(segment) = segments.next() {
        let object = match here {
            Value::Object(object) => object,
            other => {
                *other = Value::Object(Default::default());
                other.as_object_mut().expect("just made an object")
            }
        };
        if segments.peek().is_none() {
            object.insert(segment.to_string(), value);
            return;
        }
        here = object.entry(segment.to_string()).or_insert(Value::Null);
    }
}

/// Keeps the first `count` keys (sorted) and adds `key1`, `key2`, ... at
/// `v1` up to `count`.
fn resize_keys(json: &mut Value, count: &Value) -> Result<(), String> {
    let count = count.as_u64().ok_or("expected a whole number of keys")? as usize;
    let limit = crate::sim::scenario::MAX_KEYS;
    if count == 0 || count > limit {
        return Err(format!("keys: expected 1 to {limit} keys, got {count}"));
    }
    let keys = json["keys"].as_object_mut().expect("a scenario has keys");
    while keys.len() > count {
        let last = keys.keys().next_back().expect("not empty").clone();
        keys.remove(&last);
    }
    let mut n = 1;
    while keys.len() < count {
        let name = format!("key{n}");
        keys.entry(name).or_insert_with(|| Value::from("v1"));
        n += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_typed_decimal_reads_as_rust_reads_it_without_its_float_tables() {
        for text in [
            "0.5",
            ".5",
            "-.5",
            "+3",
            "5.",
            "1e-3",
            "2E2",
            "007.5",
            "1.e5",
            "-0",
            "0.1",
            "123456.789",
            "1e+2",
            "0.000001",
        ] {
            assert_eq!(decimal(text), text.parse::<f64>().ok(), "{text}");
        }
        for text in [
            "", ".", "-", "+", "e5", "1e", "1e+", "abc", "1.2.3", "--1", "0x10", " 1", "1 ", "1,5",
            "inf", "NaN",
        ] {
            assert_eq!(decimal(text), None, "{text}");
        }
    }
    use super::*;

    #[test]
    fn knobs_are_grouped_in_page_order_and_each_path_is_unique() {
        let order: Vec<Group> = KNOBS.iter().map(|k| k.group).collect();
        let mut sorted = order.clone();
        sorted.sort_by_key(|g| Group::ALL.iter().position(|x| x == g));
        assert_eq!(order, sorted);
        for (i, k) in KNOBS.iter().enumerate() {
            assert!(KNOBS[..i].iter().all(|o| o.path != k.path), "{}", k.path);
        }
    }
}
