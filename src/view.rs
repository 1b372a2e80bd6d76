//! Plain-data views of a simulation for the page: what each panel shows, as
//! a pure function of the simulation. Kept out of the browser layer so it is
//! tested natively; the components only turn these rows into markup.

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

/// One row of the state table: a key in the cache and the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    /// The key.
    pub key: String,
    /// The live cache entry (`v1 @1, expires 300012 ms`) or `(empty)`.
    pub cache: String,
    /// The committed row (`v1 @1`).
    pub db: String,
    /// Whether the cache holds another version than the database's.
    pub diverged: bool,
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

/// Every operation of `trace` (what has taken effect so far).
pub fn step_rows(trace: &[TraceEvent]) -> Vec<StepRow> {
    trace
        .iter()
        .enumerate()
        .map(|(i, e)| StepRow {
            number: i + 1,
            when: format!("{}–{} ms", e.start_ms, e.end_ms),
            actor: match e.app {
                Some(app) => format!("{} (app {app})", e.actor),
                None => e.actor.clone(),
            },
            operation: match &e.key {
                Some(key) => format!("{} {key}", e.op),
                None => e.op.to_string(),
            },
            result: e.result.clone(),
        })
        .collect()
}

/// The cache and database side by side, one row per key, at the current time.
pub fn key_rows(sim: &Simulation) -> Vec<KeyRow> {
    let now = sim.now_ms();
    let world = sim.world();
    sim.keys()
        .map(|key| {
            let row = world.db.row(key);
            let entry = world.cache.live(key, now);
            KeyRow {
                key: sim.key_name(key).to_string(),
                cache: entry.map_or_else(
                    || "(empty)".to_string(),
                    |e| {
                        let value = match world.db.resolve(e.value.stamp) {
                            Some(version) => format!("{} @{version}", e.value.value),
                            None => format!("{} (uncommitted)", e.value.value),
                        };
                        if e.dirty {
                            format!("{value}, dirty")
                        } else {
                            format!("{value}, expires {} ms", e.expires_ms)
                        }
                    },
                ),
                db: format!("{} @{}", row.value, row.version),
                // The core's definition: a live entry of another version, or
                // of a value not yet committed.
                diverged: entry
                    .is_some_and(|e| world.db.resolve(e.value.stamp) != Some(row.version)),
            }
        })
        .collect()
}

/// Operations in flight, soonest first.
pub fn pending_rows(sim: &Simulation) -> Vec<PendingRow> {
    sim.in_flight()
        .into_iter()
        .map(|(actor, op, issued, effect)| PendingRow {
            actor: actor.to_string(),
            operation: match op.key() {
                Some(key) => format!("{} {}", op.name(), sim.key_name(key)),
                None => op.name().to_string(),
            },
            when: format!("issued {issued} ms, takes effect {effect} ms"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    #[test]
    fn rows_follow_the_simulation_step_by_step() {
        let scenario = lessons::lesson("cache-aside-basics").unwrap().scenario();
        let mut sim = Simulation::new(&scenario).unwrap();
        assert!(step_rows(sim.trace()).is_empty());
        assert_eq!(key_rows(&sim)[0].cache, "(empty)");
        // Nothing is in flight before the first request has been sent.
        assert!(pending_rows(&sim).is_empty());

        sim.step();
        assert_eq!(
            step_rows(sim.trace()),
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
        let keys = key_rows(&sim);
        assert_eq!(keys[0].cache, "v1 @1, expires 300012 ms");
        assert_eq!(keys[0].db, "v1 @1");
        assert!(!keys[0].diverged);
        assert_eq!(step_rows(sim.trace()).len(), 4);
    }
}
