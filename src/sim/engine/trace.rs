//! The trace: every operation as it took effect, with what it did to its
//! key's versions. Recording it is optional (large runs keep memory
//! independent of their length), but the count of entries is always kept,
//! so a run without its trace can still say which entry did what.

use serde::Serialize;

use crate::sim::ops::{Cached, LeaseGrant, Op, Reply, SetOutcome, Stamp, Version};
use crate::sim::scenario::Millis;

/// One operation as it happened: issued at `start_ms`, took effect at `end_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// When the actor issued the operation.
    pub start_ms: Millis,
    /// When it took effect.
    pub end_ms: Millis,
    /// Who performed it: a request id, `flusher`, or `fault`.
    pub actor: String,
    /// The app instance that performed it (`null` for background actors
    /// and faults).
    pub app: Option<u32>,
    /// `cache.get`, `db.write`, `flush`, `cache.crash`, ...
    pub op: &'static str,
    /// The key it acted on (`null` for a fault that hits every key).
    pub key: Option<String>,
    /// What it returned, in words (`miss`, `hit v1@1`, `committed @2`).
    pub result: String,
    /// What it did, in numbers (for explanations; not in the report's
    /// JSON, which has `result`).
    #[serde(skip)]
    pub fact: Fact,
}

/// What an operation did to or learned about its key's versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fact {
    /// Nothing about versions (a fault, a publish, a lock, the outbox).
    #[default]
    Other,
    /// A cache get: the committed version it returned (`None`: a miss, or
    /// a value not committed).
    Got {
        /// The version.
        version: Option<Version>,
    },
    /// A DB read returned this version.
    Read {
        /// The version.
        version: Version,
    },
    /// A commit made this version.
    Committed {
        /// The version.
        version: Version,
    },
    /// A cache set stored a value of this committed version (`None`: a
    /// value not committed yet).
    Stored {
        /// The version.
        version: Option<Version>,
    },
    /// The cache refused a set.
    Refused,
    /// A cache delete.
    Deleted,
}

/// What `op` with `reply` did to its key's versions.
pub(super) fn fact_of(op: &Op, reply: &Reply) -> Fact {
    let committed = |value: &Cached| match value.stamp {
        Stamp::Committed(version) => Some(version),
        Stamp::Uncommitted(_) => None,
    };
    match (op, reply) {
        (_, Reply::CacheGet(value) | Reply::CacheGetRefreshing { value, .. }) => Fact::Got {
            version: value.as_ref().and_then(committed),
        },
        (_, Reply::LeaseGet(LeaseGrant::Hit(value))) => Fact::Got {
            version: committed(value),
        },
        (_, Reply::LeaseGet(_)) => Fact::Got { version: None },
        (_, Reply::DbRead(row) | Reply::SharedRead { row, .. }) => Fact::Read {
            version: row.version,
        },
        (
            _,
            Reply::DbWrite { version }
            | Reply::Flush {
                version: Some(version),
            },
        ) => Fact::Committed { version: *version },
        (
            Op::CacheSet { value, .. }
            | Op::LeaseSet { value, .. }
            | Op::CacheSetComputed { value, .. },
            Reply::CacheSet(SetOutcome::Stored { .. }) | Reply::LeaseSet(SetOutcome::Stored { .. }),
        ) => Fact::Stored {
            version: committed(value),
        },
        (
            _,
            Reply::CacheSet(SetOutcome::Rejected(_)) | Reply::LeaseSet(SetOutcome::Rejected(_)),
        ) => Fact::Refused,
        (_, Reply::CacheDelete { .. }) => Fact::Deleted,
        _ => Fact::Other,
    }
}

/// The trace as a run records it.
#[derive(Clone, Debug)]
pub(super) struct Trace {
    pub(super) events: Vec<TraceEvent>,
    /// Whether operations are recorded (off for large runs: memory then
    /// stays independent of the number of requests).
    pub(super) record: bool,
    /// How many entries the run has made, recorded or not. Not part of the
    /// state: it does not affect the future.
    pub(super) entries: usize,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            events: Vec::new(),
            record: true,
            entries: 0,
        }
    }
}

impl Trace {
    /// Counts an entry, and records the one `make` builds if recording.
    pub(super) fn push(&mut self, make: impl FnOnce() -> TraceEvent) {
        self.entries += 1;
        if self.record {
            self.events.push(make());
        }
    }
}
