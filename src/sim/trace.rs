//! The trace: every operation as it took effect, who performed it, and
//! what it did to its key's versions. Actors and operations are the
//! vocabulary's enums ([`super::vocabulary`]).
//!
//! Recording the trace is optional (large runs keep memory independent of
//! their length), but the count of entries is always kept, so a run
//! without its trace can still say which entry did what.

use serde::Serialize;

use super::ops::{Cached, LeaseGrant, Op, Reply, SetOutcome, Stamp, Unlocked, Version};
pub use super::vocabulary::{Actor, Millis, OpName, Place, RequestOp};

/// One operation as it happened: issued at `start_ms`, took effect at `end_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// When the actor issued the operation.
    pub start_ms: Millis,
    /// When it took effect.
    pub end_ms: Millis,
    /// Who performed it.
    pub actor: Actor,
    /// The app instance that performed it (`null` for background actors
    /// and faults).
    pub app: Option<u32>,
    /// What it was.
    pub op: OpName,
    /// The key it acted on (`null` for a fault that hits every key).
    pub key: Option<String>,
    /// What it returned, in words (`miss`, `hit v1@1`, `committed @2`).
    pub result: String,
    /// What it did, in numbers (for explanations; not in the report's
    /// JSON, which has `result`).
    #[serde(skip)]
    pub fact: Fact,
}

impl TraceEvent {
    /// Who performed it, with the app instance: `W (app 0)`.
    pub fn who(&self) -> String {
        match self.app {
            Some(app) => format!("{} (app {app})", self.actor),
            None => self.actor.to_string(),
        }
    }

    /// What it was, with its key: `db.write user:123`.
    pub fn what(&self) -> String {
        match &self.key {
            Some(key) => format!("{} {key}", self.op),
            None => self.op.to_string(),
        }
    }
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
    /// A lease get refused this reader a token (it waits, or takes the
    /// kept stale value).
    Refusal,
    /// A lock add found another's lock.
    LockRefused,
    /// A plain-delete unlock removed another holder's lock (the caller's
    /// own had expired).
    DeletedAnothersLock,
    /// The read replica applied this version.
    Replicated {
        /// The version.
        version: Version,
    },
}

/// What `op` with `reply` did to its key's versions.
pub(crate) fn fact_of(op: &Op, reply: &Reply) -> Fact {
    let committed = |value: &Cached| match value.stamp {
        Stamp::Committed(version) => Some(version),
        Stamp::Uncommitted(_) => None,
    };
    match (op, reply) {
        (_, Reply::CacheGet(value) | Reply::CacheGetRefreshing { value, .. }) => Fact::Got {
            version: value.as_ref().and_then(committed),
        },
        (_, Reply::CacheGetExpiry(entry)) => Fact::Got {
            version: entry.as_ref().and_then(|entry| committed(&entry.value)),
        },
        (_, Reply::LeaseGet(LeaseGrant::Hit(value))) => Fact::Got {
            version: committed(value),
        },
        (_, Reply::LeaseGet(LeaseGrant::Lease(_))) => Fact::Got { version: None },
        (_, Reply::LeaseGet(_)) => Fact::Refusal,
        (_, Reply::LockAdd { token: None }) => Fact::LockRefused,
        (_, Reply::Unlock(Unlocked::DeletedAnothers(_))) => Fact::DeletedAnothersLock,
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
pub(crate) struct Trace {
    pub(crate) events: Vec<TraceEvent>,
    /// Whether operations are recorded (off for large runs: memory then
    /// stays independent of the number of requests).
    pub(crate) record: bool,
    /// How many entries the run has made, recorded or not. Not part of the
    /// state: it does not affect the future.
    pub(crate) entries: usize,
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
    pub(crate) fn push(&mut self, make: impl FnOnce() -> TraceEvent) {
        self.entries += 1;
        if self.record {
            self.events.push(make());
        }
    }
}
