//! Plain-data views of a simulation for the page: what each panel shows, as
//! a pure function of the simulation. Kept out of the browser layer so it is
//! tested natively; the components only turn these rows into markup.

use crate::sim::engine::BusEvent;
use crate::sim::ops::Cached;
use crate::sim::scenario::{Fault, FaultKind, Millis};
use crate::sim::world::World;
use crate::sim::{Simulation, TraceEvent};

/// One row of the operations list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRow {
    /// 1-based step number.
    pub number: usize,
    /// `start–end ms`.
    pub when: String,
    /// The actor (request id) and its app instance.
    pub actor: String,
    /// `cache.get user:123`.
    pub operation: String,
    /// What it returned.
    pub result: String,
}

/// An operation issued but not yet taken effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingRow {
    /// Who issued it.
    pub actor: String,
    /// `db.read user:123`.
    pub operation: String,
    /// `issued 1 ms, takes effect 11 ms`.
    pub when: String,
}

/// A duration as people say it: `40 ms`, `1.2 s`, `5 min`, `2 h` (a
/// tenth of the unit at most; milliseconds exact below a second).
pub fn duration(ms: Millis) -> String {
    let tenths = |value: f64, unit: &str| {
        let text = format!("{value:.1}");
        format!("{} {unit}", text.strip_suffix(".0").unwrap_or(&text))
    };
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => tenths(ms as f64 / 1_000.0, "s"),
        60_000..3_600_000 => tenths(ms as f64 / 60_000.0, "min"),
        _ => tenths(ms as f64 / 3_600_000.0, "h"),
    }
}

/// Every operation of `trace` (what has taken effect so far), numbered as
/// the run's entries from `first` (0: `trace` is the run's beginning).
pub fn step_rows(trace: &[TraceEvent], first: usize) -> Vec<StepRow> {
    trace
        .iter()
        .enumerate()
        .map(|(i, e)| StepRow {
            number: first + i + 1,
            when: format!("{}–{} ms", e.start_ms, e.end_ms),
            actor: e.who(),
            operation: e.what(),
            result: e.result.clone(),
        })
        .collect()
}

/// Operations in flight, soonest first. When the order is chosen by hand
/// an operation takes effect only when chosen: one whose natural time has
/// passed is shown as held, not as taking effect in the past.
pub fn pending_rows(sim: &Simulation) -> Vec<PendingRow> {
    let now = sim.now_ms();
    let by_hand = sim.scenario().schedule.is_some();
    sim.in_flight()
        .into_iter()
        .map(|(actor, op, issued, effect)| PendingRow {
            actor: actor.to_string(),
            operation: match op.key() {
                Some(key) => format!("{} {}", op.name(), sim.key_name(key)),
                None => op.name().to_string(),
            },
            when: match (by_hand, issued > now) {
                (false, true) => format!("waits until {issued} ms, takes effect {effect} ms"),
                (false, false) => format!("issued {issued} ms, takes effect {effect} ms"),
                (true, _) if effect <= now => {
                    format!("issued {issued} ms, ready since {effect} ms: held until chosen")
                }
                (true, _) => {
                    format!("issued {issued} ms, ready at {effect} ms, then held until chosen")
                }
            },
        })
        .collect()
}

/// The state inspector at the cursor: everything a person may want to
/// look inside, with what the last step changed flagged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inspector {
    /// One row per key.
    pub cache: Vec<CacheRow>,
    /// One row per key.
    pub db: Vec<DbRow>,
    /// One row per bus partition (empty when writes reach the cache inline).
    pub partitions: Vec<PartitionRow>,
    /// The transactional outbox (empty unless the channel is `outbox`).
    pub outbox: Vec<OutboxLine>,
}

/// A key's cache entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRow {
    /// The key.
    pub key: String,
    /// `v2 @2`, `v2 (uncommitted)`, `(empty)`, or `v1 @1 (expired)`.
    pub value: String,
    /// `expires in 12 ms`, `never (dirty)`, `expired 3 ms ago`, or empty.
    pub ttl: String,
    /// A write-behind value not flushed yet.
    pub dirty: bool,
    /// `lease #3, 40 ms left` / `lock, 40 ms left`, or empty.
    pub hold: String,
    /// The live entry holds another version than the DB's.
    pub diverged: bool,
    /// The last step changed this row (a countdown ticking is no change).
    pub changed: bool,
}

/// A key's committed row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbRow {
    /// The key.
    pub key: String,
    /// The committed value.
    pub value: String,
    /// Its version.
    pub version: u64,
    /// The read replica's row, and how far it lags (`None` without a
    /// replica).
    pub replica: Option<String>,
    /// The last step committed to it (or the replica applied a commit).
    pub changed: bool,
}

/// One bus partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionRow {
    /// Its number.
    pub index: usize,
    /// Events on their way (`delete user:1, arrives 40 ms`).
    pub in_transit: Vec<String>,
    /// Events waiting for the consumer.
    pub queued: Vec<String>,
    /// The consumer is applying an event.
    pub busy: bool,
    /// The consumer's offset: events applied, and the last committed
    /// offset (a consumer crash goes back to it).
    pub offsets: String,
    /// The last step changed this partition.
    pub changed: bool,
}

/// One outbox row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxLine {
    /// `#1 delete user:1`.
    pub event: String,
    /// The relay marked it sent.
    pub sent: bool,
    /// The last step inserted or marked it.
    pub changed: bool,
}

/// The inspector at `sim`, flagging what differs from `before` (the state
/// one step earlier; `None` at the start).
pub fn inspect(sim: &Simulation, before: Option<&Simulation>) -> Inspector {
    let now = inspect_unflagged(sim);
    let Some(before) = before.map(inspect_unflagged) else {
        return now;
    };
    Inspector {
        cache: now
            .cache
            .into_iter()
            .zip(&before.cache)
            .map(|(row, old)| {
                // The countdown moves with the clock; only what the entry
                // holds counts as a change.
                let changed = (&row.value, row.dirty, hold_kind(&row.hold))
                    != (&old.value, old.dirty, hold_kind(&old.hold));
                CacheRow { changed, ..row }
            })
            .collect(),
        db: now
            .db
            .into_iter()
            .zip(&before.db)
            .map(|(row, old)| DbRow {
                changed: row.version != old.version || row.replica != old.replica,
                ..row
            })
            .collect(),
        partitions: now
            .partitions
            .into_iter()
            .map(|row| {
                let changed = before.partitions.get(row.index).is_none_or(|old| {
                    (&old.in_transit, &old.queued, old.busy)
                        != (&row.in_transit, &row.queued, row.busy)
                        || old.offsets != row.offsets
                });
                PartitionRow { changed, ..row }
            })
            .collect(),
        outbox: now
            .outbox
            .into_iter()
            .enumerate()
            .map(|(i, line)| OutboxLine {
                changed: before.outbox.get(i) != Some(&line),
                ..line
            })
            .collect(),
    }
}

/// What a hold is, without its countdown (`lease #3`, `lock`).
fn hold_kind(hold: &str) -> &str {
    hold.split(',').next().unwrap_or("")
}

fn inspect_unflagged(sim: &Simulation) -> Inspector {
    let now = sim.now_ms();
    let world = sim.world();
    let scenario = sim.scenario();
    let key_names: Vec<String> = sim.keys().map(|k| sim.key_name(k).to_string()).collect();
    let event_text = |event: &BusEvent| {
        let key = &key_names[event.key.0 as usize];
        match &event.payload {
            None => format!("delete {key}"),
            Some(cached) => format!("set {key} = {}", cached_text(world, cached)),
        }
    };
    let cache = sim
        .keys()
        .map(|key| {
            let row = world.db.row(key);
            let stored = world.cache.stored(key);
            let live = world.cache.live(key, now);
            let (value, ttl) = match stored {
                None => ("(empty)".to_string(), String::new()),
                Some(entry) if entry.dirty => {
                    (cached_text(world, &entry.value), "never (dirty)".into())
                }
                Some(entry) if now < entry.expires_ms => (
                    cached_text(world, &entry.value),
                    format!("expires in {}", duration(entry.expires_ms - now)),
                ),
                Some(entry) if live.is_some() => (
                    cached_text(world, &entry.value),
                    format!(
                        "expired {} ago, served while revalidating",
                        duration(now - entry.expires_ms)
                    ),
                ),
                Some(entry) => (
                    format!("{} (expired)", cached_text(world, &entry.value)),
                    format!("expired {} ago", duration(now - entry.expires_ms)),
                ),
            };
            let mut holds = Vec::new();
            if let Some(lease) = world.cache.lease(key).filter(|l| l.expires_ms > now) {
                holds.push(format!(
                    "lease #{}, {} ms left",
                    lease.token.0,
                    lease.expires_ms - now
                ));
            }
            if let Some(kept) = world.cache.kept_stale(key, now) {
                holds.push(format!(
                    "stale {} kept, {} ms left",
                    cached_text(world, &kept.value),
                    kept.expires_ms - now
                ));
            }
            if let Some(lock) = world.cache.lock(key).filter(|l| l.expires_ms > now) {
                let holder = sim
                    .lock_holder(key, lock.token)
                    .map(|actor| format!(" held by {actor}"))
                    .unwrap_or_default();
                holds.push(format!(
                    "lock #{}{holder}, {} ms left",
                    lock.token.0,
                    lock.expires_ms - now
                ));
            }
            if let (Some(holder), waiting) = sim.tier_lock(key) {
                holds.push(format!("tier lock held by {holder}, {waiting} waiting"));
            }
            let hold = holds.join("; ");
            CacheRow {
                key: sim.key_name(key).to_string(),
                value,
                ttl,
                dirty: stored.is_some_and(|e| e.dirty),
                hold,
                diverged: live
                    .is_some_and(|e| world.db.resolve(e.value.stamp) != Some(row.version)),
                changed: false,
            }
        })
        .collect();
    let db = sim
        .keys()
        .map(|key| {
            let row = world.db.row(key);
            let replica = world.db.replica.as_ref().map(|replica| {
                let copy = replica.row(key);
                let behind: Vec<String> = replica
                    .pending()
                    .filter(|(k, _, _)| *k == key)
                    .map(|(_, row, committed_ms)| {
                        format!("@{} committed at {committed_ms} ms", row.version)
                    })
                    .collect();
                if behind.is_empty() {
                    format!("{} @{}", copy.value, copy.version)
                } else {
                    format!(
                        "{} @{}, behind: {}",
                        copy.value,
                        copy.version,
                        behind.join(", ")
                    )
                }
            });
            DbRow {
                key: sim.key_name(key).to_string(),
                value: row.value.to_string(),
                version: row.version,
                replica,
                changed: false,
            }
        })
        .collect();
    let partitions = if !scenario.strategy.channel.entry().on_the_bus {
        Vec::new()
    } else {
        sim.partitions()
            .into_iter()
            .enumerate()
            .map(|(index, p)| PartitionRow {
                index,
                in_transit: p
                    .in_transit
                    .iter()
                    .map(|(at, e)| format!("{}, arrives {at} ms", event_text(e)))
                    .collect(),
                queued: p
                    .queued
                    .iter()
                    .map(|(at, e)| {
                        if *at > now {
                            format!("{}, arrives {at} ms", event_text(e))
                        } else {
                            format!("{}, since {at} ms", event_text(e))
                        }
                    })
                    .collect(),
                busy: p.busy,
                offsets: format!("offset {}, committed {}", p.applied, p.committed),
                changed: false,
            })
            .collect()
    };
    let outbox = world
        .db
        .outbox
        .iter()
        .map(|row| OutboxLine {
            event: format!(
                "#{} {}",
                row.id,
                event_text(&BusEvent {
                    key: row.key,
                    payload: row.payload.clone()
                })
            ),
            sent: row.sent,
            changed: false,
        })
        .collect();
    Inspector {
        cache,
        db,
        partitions,
        outbox,
    }
}

/// A cached value with its standing: `v2 @2` or `v2 (uncommitted)`.
fn cached_text(world: &World, cached: &Cached) -> String {
    match world.db.resolve(cached.stamp) {
        Some(version) => format!("{} @{version}", cached.value),
        None => format!("{} (uncommitted)", cached.value),
    }
}

/// Milliseconds typed in the faults panel's field `what`, or why they are
/// not a number of milliseconds.
pub fn typed_millis(text: &str, what: &str) -> Result<Millis, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{what}: expected a whole number of milliseconds, got {text:?}"))
}

/// A fault of kind `name` (its name in scenario files) at `at_ms` (or from
/// `at_ms` for `span_ms`, for the kinds that last), with the other settings
/// at their usual values (instance 0, one event, 10x slower).
pub fn new_fault(name: &str, at_ms: Millis, span_ms: Millis) -> Option<Fault> {
    let entry = FaultKind::ENTRIES.iter().find(|e| e.name == name)?;
    Some(Fault {
        at_ms: (!entry.lasting).then_some(at_ms),
        kind: (entry.example)(at_ms, span_ms),
    })
}

/// `fault` moved so that it starts at `at_ms` (a lasting one keeps its
/// length).
pub fn move_fault(fault: &Fault, at_ms: Millis) -> Fault {
    let mut kind = fault.kind;
    if let Some((from_ms, to_ms)) = kind.span_mut() {
        let length = to_ms.saturating_sub(*from_ms);
        (*from_ms, *to_ms) = (at_ms, at_ms.saturating_add(length));
    }
    Fault {
        at_ms: fault.at_ms.map(|_| at_ms),
        kind,
    }
}

/// `cache crash at 500 ms`, `consumer paused 100–300 ms`.
pub fn fault_text(fault: &Fault) -> String {
    let at = fault
        .at_ms
        .map_or(String::new(), |at| format!(" at {at} ms"));
    match fault.kind {
        FaultKind::CacheCrash => format!("cache crash{at}"),
        FaultKind::RelayCrash => format!("relay crash{at}"),
        FaultKind::AppCrash { app } => format!("app {app} crash{at}"),
        FaultKind::BusDrop { count } => format!("next {count} event(s) dropped{at}"),
        FaultKind::ConsumerPause { from_ms, to_ms } => {
            format!("consumer paused {from_ms}–{to_ms} ms")
        }
        FaultKind::AppPause {
            from_ms,
            to_ms,
            app,
        } => {
            format!("app {app} paused {from_ms}–{to_ms} ms")
        }
        FaultKind::ConsumerCrash { partition: Some(p) } => {
            format!("consumer of partition {p} crash{at}")
        }
        FaultKind::ConsumerCrash { partition: None } => format!("consumer crash{at}"),
        FaultKind::DbSlow {
            from_ms,
            to_ms,
            factor,
        } => format!("database {factor}x slower {from_ms}–{to_ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    #[test]
    fn a_typed_start_is_milliseconds_or_one_message() {
        assert_eq!(typed_millis(" 250 ", "start"), Ok(250));
        assert_eq!(
            typed_millis("soon", "start"),
            Err("start: expected a whole number of milliseconds, got \"soon\"".to_string())
        );
        assert!(typed_millis("-1", "length").is_err());
    }

    #[test]
    fn faults_are_made_moved_and_described() {
        for entry in FaultKind::ENTRIES {
            let name = entry.name;
            let fault = new_fault(name, 100, 50).unwrap();
            // The entry makes the kind it is the entry of, named as
            // scenario files name it, lasting if the entry says so.
            assert_eq!(fault.kind.entry().name, name);
            let json = serde_json::to_value(fault.kind).unwrap();
            assert_eq!(json["kind"], name);
            assert_eq!(fault.kind.spans_time(), entry.lasting, "{name}");
            assert_eq!(fault.starts_ms(), Some(100), "{name}");
            let moved = move_fault(&fault, 300);
            assert_eq!(moved.starts_ms(), Some(300), "{name}");
            assert_eq!(
                move_fault(&moved, 100),
                fault,
                "{name}: moving back restores it"
            );
        }
        assert!(new_fault("meteor", 1, 1).is_none());
        let pause = new_fault("consumer_pause", 100, 200).unwrap();
        assert_eq!(fault_text(&pause), "consumer paused 100–300 ms");
        assert_eq!(
            fault_text(&move_fault(&pause, 0)),
            "consumer paused 0–200 ms"
        );
        assert_eq!(
            fault_text(&new_fault("cache_crash", 500, 0).unwrap()),
            "cache crash at 500 ms"
        );
        assert_eq!(
            fault_text(&new_fault("db_slow", 5, 10).unwrap()),
            "database 10x slower 5–15 ms"
        );
    }

    #[test]
    fn rows_follow_the_simulation_step_by_step() {
        let scenario = lessons::lesson("cache-aside-basics").unwrap().scenario();
        let mut sim = Simulation::new(&scenario).unwrap();
        assert!(step_rows(sim.trace(), 0).is_empty());
        assert_eq!(inspect(&sim, None).cache[0].value, "(empty)");
        // Nothing is in flight before the first request has been sent.
        assert!(pending_rows(&sim).is_empty());

        sim.step();
        assert_eq!(
            step_rows(sim.trace(), 0),
            [StepRow {
                number: 1,
                when: "0–1 ms".into(),
                actor: "R1 (app 0)".into(),
                operation: "cache.get user:123".into(),
                result: "miss".into(),
            }]
        );
        assert_eq!(
            pending_rows(&sim),
            [PendingRow {
                actor: "R1".into(),
                operation: "db.read user:123".into(),
                when: "issued 1 ms, takes effect 11 ms".into(),
            }]
        );

        sim.run();
        let inspector = inspect(&sim, None);
        assert_eq!(inspector.cache[0].value, "v1 @1");
        assert_eq!(inspector.cache[0].ttl, "expires in 5 min");
        assert_eq!(inspector.db[0].value, "v1");
        assert!(!inspector.cache[0].diverged);
        assert_eq!(step_rows(sim.trace(), 0).len(), 4);
    }
}
