//! The faults that last a while (a slow database, a paused app instance, a
//! paused consumer), which the engine consults when it times an
//! operation, a reply or a delivery. What each fault does the instant it
//! happens is the simulation's (`Simulation::inject`): it touches every
//! part.

use crate::sim::scenario::{Fault, FaultKind, Millis};

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
pub fn app_resumes_at(faults: &[Fault], app: u32, at: Millis) -> Millis {
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
