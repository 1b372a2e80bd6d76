//! Faults: what each one does the instant it happens, and the two that
//! last a while (a slow database, a paused consumer), which the engine
//! consults when it times an operation or a delivery.

use super::actors::ActorKind;
use super::{Actor, LastStep, OpName, Simulation};
use crate::sim::scenario::{Fault, FaultKind, Millis};

impl Simulation {
    /// A fault happens now.
    pub(super) fn inject(&mut self, kind: FaultKind) {
        self.last_step = Some(LastStep::Fault(kind));
        let now = self.now;
        self.mirror.with(|m| m.fault(kind, now));
        match kind {
            FaultKind::AppCrash { app } => {
                let mut stopped = 0;
                for actor in 0..self.actors.len() {
                    let run = &self.actors[actor];
                    if run.app != Some(app) || !run.is_running() {
                        continue;
                    }
                    stopped += 1;
                    // An operation already sent (issued strictly before the
                    // crash, in a timed run) still takes effect at its
                    // server; its reply is dropped. One not yet sent (a
                    // delayed second delete, a retry after a sleep; in a
                    // scheduled run every operation not yet named) never
                    // happens. Waiting on another's read (singleflight),
                    // nothing of its own is in flight.
                    let sent = self.scenario.schedule.is_none()
                        && self.queue.has_effect_of(actor)
                        && run
                            .pending
                            .as_ref()
                            .is_some_and(|(_, issued)| *issued < self.now);
                    if sent || self.actors[actor].server_side {
                        self.actors[actor].aborting = true;
                    } else {
                        self.abort(actor);
                    }
                }
                let result = format!("app {app} restarts; {stopped} in-flight request(s) stop");
                self.note(Actor::Fault, OpName::AppCrash, None, result);
            }
            FaultKind::ConsumerCrash { partition } => {
                let again = self.crash_consumers(partition);
                let which = match partition {
                    Some(p) => format!("the consumer of partition {p} restarts"),
                    None => "every consumer restarts".to_string(),
                };
                let result = format!(
                    "{which} from its last committed offset; {again} event(s) applied again"
                );
                self.note(Actor::Fault, OpName::ConsumerCrash, None, result);
            }
            FaultKind::AppPause { to_ms, app, .. } => {
                let result =
                    format!("app {app} paused until {to_ms} ms (issues nothing, sees no reply)");
                self.note(Actor::Fault, OpName::AppPause, None, result);
            }
            FaultKind::DbSlow { to_ms, factor, .. } => {
                let result = format!("database {factor}x slower until {to_ms} ms");
                self.note(Actor::Fault, OpName::DbSlow, None, result);
            }
            FaultKind::RelayCrash => {
                let relays: Vec<usize> = (0..self.actors.len())
                    .filter(|&a| {
                        self.actors[a].kind == ActorKind::Relay && self.actors[a].is_running()
                    })
                    .collect();
                for relay in relays {
                    self.abort(relay);
                }
                self.note(
                    Actor::Fault,
                    OpName::RelayCrash,
                    None,
                    "relay restarts; rows not marked sent will be published again".to_string(),
                );
                if self.world.db.outbox.iter().any(|row| !row.sent) {
                    self.ensure_relay();
                }
            }
            FaultKind::BusDrop { count } => {
                self.bus.drop_next(count);
                self.note(
                    Actor::Fault,
                    OpName::BusDrop,
                    None,
                    format!("the next {count} event(s) will be lost"),
                );
            }
            FaultKind::ConsumerPause { to_ms, .. } => {
                let result = format!("consumer paused until {to_ms} ms");
                self.note(Actor::Fault, OpName::ConsumerPause, None, result);
            }
            FaultKind::CacheCrash => {
                let dirty_keys = self.world.cache.crash();
                let lost = self.write_behind.cache_crashed();
                for key in self.keys().collect::<Vec<_>>() {
                    self.track_divergence(key);
                }
                self.series.at(self.now).lost_writes += lost as u64;
                let result = format!(
                    "all entries lost; {} dirty key(s), {lost} unflushed write(s) lost",
                    dirty_keys.len()
                );
                self.note(Actor::Fault, OpName::CacheCrash, None, result);
            }
        }
    }
}

/// By how much the database slowdowns in force at `issued_ms` multiply a
/// DB operation's latency (1 without any).
pub(super) fn db_slowdown(faults: &[Fault], issued_ms: Millis) -> Millis {
    faults
        .iter()
        .filter_map(|fault| match fault.kind {
            FaultKind::DbSlow {
                from_ms,
                to_ms,
                factor,
            } if (from_ms..to_ms).contains(&issued_ms) => Some(Millis::from(factor)),
            _ => None,
        })
        .product()
}

/// When app instance `app` can go on from `at`: then, or when a pause of
/// it in force then ends (the latest end, if pauses overlap).
pub(super) fn app_resumes_at(faults: &[Fault], app: u32, at: Millis) -> Millis {
    faults
        .iter()
        .filter_map(|f| match f.kind {
            FaultKind::AppPause {
                from_ms,
                to_ms,
                app: paused,
            } if paused == app && (from_ms..to_ms).contains(&at) => Some(to_ms),
            _ => None,
        })
        .max()
        .unwrap_or(at)
}

/// When a consumer pause in force at `at` ends, if one is.
pub(super) fn consumer_paused_until(faults: &[Fault], at: Millis) -> Option<Millis> {
    faults.iter().find_map(|f| match f.kind {
        FaultKind::ConsumerPause { from_ms, to_ms } if (from_ms..to_ms).contains(&at) => {
            Some(to_ms)
        }
        _ => None,
    })
}
