//! The closed set of operations an actor can ask the world to perform, and
//! the replies it gets back. Every trigger of a state change is one variant
//! here, so what can happen is visible in one place.

use std::rc::Rc;

use super::rng::UnitDraw;
use super::vocabulary::{Millis, OpName};

/// A key, as an index into the scenario's sorted key list.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct KeyId(pub u32);

/// A stored value. Shared, because the same value sits in the DB, the cache
/// and the trace at once.
pub type Value = Rc<str>;

/// A DB version. Initial values are version 1; each commit of a key adds one.
pub type Version = u64;

/// A value together with the DB version it was committed as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Versioned {
    /// The value.
    pub value: Value,
    /// Its DB version.
    pub version: Version,
}

/// Identifies one write request, so a value can be followed from the cache
/// set that made it ahead of the database to the commit that caught up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId(pub u32);

/// Where a cached value stands relative to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stamp {
    /// A committed version (read from the DB, or written after the commit).
    Committed(Version),
    /// The value of this write, not committed when it was cached
    /// (cache-then-db before its commit, write-behind before its flush).
    Uncommitted(WriteId),
}

/// A value as the cache holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cached {
    /// The value.
    pub value: Value,
    /// Its standing.
    pub stamp: Stamp,
}

impl From<Versioned> for Cached {
    fn from(v: Versioned) -> Self {
        Cached {
            value: v.value,
            stamp: Stamp::Committed(v.version),
        }
    }
}

impl Cached {
    /// For the trace: `v1@1`, or `v2 (uncommitted)`.
    pub fn describe(&self) -> String {
        match self.stamp {
            Stamp::Committed(version) => format!("{}@{version}", self.value),
            Stamp::Uncommitted(_) => format!("{} (uncommitted)", self.value),
        }
    }
}

/// Where a read's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A cache hit.
    Cache,
    /// The database, after a miss.
    Db,
}

/// What a finished request returned to its client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Served {
    /// A read returned this value.
    Read {
        /// The value and its standing when it was read.
        value: Cached,
        /// Cache hit or DB.
        source: Source,
        /// Its wait for another reader's fill (lock or lease) ran out and
        /// it read the DB itself, without filling the cache.
        fallback: bool,
    },
    /// A write was acknowledged.
    Write {
        /// The version it committed as, if it had committed when answered
        /// (write-behind answers before the commit).
        version: Option<Version>,
    },
}

/// An event on the bus: what a publish puts on it and a consumer applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BusEvent {
    /// The key it is about.
    pub key: KeyId,
    /// `None`: delete the key; `Some`: set it to this committed value.
    pub payload: Option<Cached>,
}

/// A live cache entry as an early recompute reads it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExpiringEntry {
    /// The value.
    pub value: Cached,
    /// When it expires.
    pub expires_ms: Millis,
    /// How long computing it took (XFetch's delta; a prewarmed entry counts
    /// as computed by one DB read, a plain set as free).
    pub cost_ms: Millis,
}

/// One operation against the cache or the database.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Look a key up in the cache.
    CacheGet { key: KeyId },
    /// Store a value in the cache, living for the strategy's TTL; `dirty`
    /// marks a write-behind value the flusher has yet to write to the DB.
    CacheSet {
        key: KeyId,
        value: Cached,
        dirty: bool,
    },
    /// memcache lease get: the entry if live; otherwise a lease token for
    /// one reader per key, and "wait" for the others.
    LeaseGet { key: KeyId },
    /// memcache lease set: stores only while `token` is still the key's
    /// outstanding lease (a delete invalidates it).
    LeaseSet {
        key: KeyId,
        value: Cached,
        token: LeaseToken,
    },
    /// Remove a key from the cache.
    CacheDelete { key: KeyId },
    /// Add-if-absent of the key's lock entry holding a fresh token (the
    /// entry lives `lock_ttl_ms`; Redis `SET lock:k token NX PX`).
    LockAdd { key: KeyId },
    /// Release the key's lock taken with `token`: with `compare`,
    /// compare-and-delete (only if the lock still holds that token, as
    /// Redis's docs prescribe); without, a plain delete of whatever lock is
    /// there.
    Unlock {
        key: KeyId,
        token: LockToken,
        compare: bool,
    },
    /// A write-through write or read-through fill reaches the cache tier
    /// and takes the key's tier lock, or lines up for it.
    TierLock { key: KeyId },
    /// A get that also says whether the entry is past its TTL (served
    /// during its stale-while-revalidate grace period, so due for a
    /// refresh).
    CacheGetRefreshing { key: KeyId },
    /// A get that also returns the entry's expiry and how long computing
    /// its value took: what an early recompute decides from.
    CacheGetExpiry { key: KeyId },
    /// A set that records how long computing the value took (XFetch's delta).
    CacheSetComputed {
        key: KeyId,
        value: Cached,
        cost_ms: Millis,
    },
    /// Read a key's committed row from the database.
    DbRead { key: KeyId },
    /// Commit a new value of a key to the database, on behalf of `write`.
    DbWrite {
        key: KeyId,
        value: Value,
        write: WriteId,
    },
    /// Commit a write together with an outbox row announcing it (one
    /// transaction): an invalidation, or with `update` the committed value.
    DbWriteOutbox {
        key: KeyId,
        value: Value,
        write: WriteId,
        update: bool,
    },
    /// The relay reads the outbox rows not yet marked sent.
    OutboxPoll,
    /// The relay marks these outbox rows sent.
    OutboxMarkSent { ids: Vec<u64> },
    /// Publish an event about `key` on the bus: an invalidation, or (with a
    /// payload) an update to the committed value. `row` is the outbox row
    /// the relay publishes, if it is the relay.
    Publish {
        key: KeyId,
        payload: Option<Cached>,
        row: Option<u64>,
    },
    /// Write-behind flush: commit the key's dirty cached value, if it still
    /// has one, and mark it clean. `period` names the dirty period the flush
    /// was scheduled for (a crash ends a period).
    Flush { key: KeyId, period: u64 },
}

impl Op {
    /// The key the operation acts on (`None` for the relay's table-wide
    /// outbox operations).
    pub fn key(&self) -> Option<KeyId> {
        Some(match self {
            Op::OutboxPoll | Op::OutboxMarkSent { .. } => return None,
            Op::CacheGet { key }
            | Op::CacheSet { key, .. }
            | Op::LeaseGet { key }
            | Op::LeaseSet { key, .. }
            | Op::CacheDelete { key }
            | Op::LockAdd { key }
            | Op::Unlock { key, .. }
            | Op::TierLock { key }
            | Op::CacheGetRefreshing { key }
            | Op::CacheGetExpiry { key }
            | Op::CacheSetComputed { key, .. }
            | Op::DbRead { key }
            | Op::DbWrite { key, .. }
            | Op::Flush { key, .. }
            | Op::DbWriteOutbox { key, .. }
            | Op::Publish { key, .. } => *key,
        })
    }

    /// The operation's name as the trace shows it (`cache.get`, `db.write`).
    pub fn name(&self) -> OpName {
        match self {
            Op::CacheGet { .. } => OpName::CacheGet,
            Op::CacheSet { dirty: false, .. } => OpName::CacheSet,
            Op::CacheSet { dirty: true, .. } => OpName::CacheSetDirty,
            Op::LeaseGet { .. } => OpName::CacheLeaseGet,
            Op::LeaseSet { .. } => OpName::CacheLeaseSet,
            Op::CacheDelete { .. } => OpName::CacheDelete,
            Op::LockAdd { .. } => OpName::CacheLockAdd,
            Op::Unlock { .. } => OpName::CacheUnlock,
            Op::TierLock { .. } => OpName::CacheTierLock,
            Op::CacheGetRefreshing { .. } | Op::CacheGetExpiry { .. } => OpName::CacheGet,
            Op::CacheSetComputed { .. } => OpName::CacheSet,
            Op::DbRead { .. } => OpName::DbRead,
            Op::DbWrite { .. } => OpName::DbWrite,
            Op::Flush { .. } => OpName::Flush,
            Op::Publish { .. } => OpName::BusPublish,
            Op::DbWriteOutbox { .. } => OpName::DbWriteOutbox,
            Op::OutboxPoll => OpName::OutboxPoll,
            Op::OutboxMarkSent { .. } => OpName::OutboxMarkSent,
        }
    }

    /// Which latency of the scenario this operation takes.
    pub fn resource(&self) -> Resource {
        match self {
            Op::CacheGet { .. }
            | Op::CacheSet { .. }
            | Op::LeaseGet { .. }
            | Op::LeaseSet { .. }
            | Op::CacheDelete { .. }
            | Op::LockAdd { .. }
            | Op::Unlock { .. }
            | Op::TierLock { .. }
            | Op::CacheGetRefreshing { .. }
            | Op::CacheGetExpiry { .. }
            | Op::CacheSetComputed { .. } => Resource::Cache,
            Op::DbRead { .. } => Resource::DbRead,
            Op::DbWrite { .. }
            | Op::Flush { .. }
            | Op::DbWriteOutbox { .. }
            | Op::OutboxMarkSent { .. } => Resource::DbWrite,
            Op::OutboxPoll => Resource::DbRead,
            Op::Publish { .. } => Resource::Publish,
        }
    }
}

/// What an operation's latency is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The cache server.
    Cache,
    /// A database read.
    DbRead,
    /// A database commit.
    DbWrite,
    /// Publishing on the bus.
    Publish,
}

/// The result of an operation, handed back to the actor that asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// `CacheGet`: the live entry, if any.
    CacheGet(Option<Cached>),
    /// `CacheSet`: stored (until when) or rejected.
    CacheSet(SetOutcome),
    /// `LeaseGet`: a hit, a lease to fill the key, or wait.
    LeaseGet(LeaseGrant),
    /// `LeaseSet`: stored (until when) or rejected.
    LeaseSet(SetOutcome),
    /// `CacheDelete`: whether a live entry was removed.
    CacheDelete { removed: bool },
    /// `LockAdd`: the token of the lock this caller now holds, or `None`
    /// when another holds it.
    LockAdd { token: Option<LockToken> },
    /// `Unlock`: what the release did.
    Unlock(Unlocked),
    /// `TierLock`: the caller holds the key's tier lock, or waits in line.
    TierLock { granted: bool },
    /// `CacheGetRefreshing`: the entry, and whether it is past its TTL
    /// (stale-while-revalidate refreshes it in the background).
    CacheGetRefreshing {
        value: Option<Cached>,
        refresh: bool,
    },
    /// `CacheGetExpiry`: the live entry with its expiry and cost, if any.
    CacheGetExpiry(Option<ExpiringEntry>),
    /// The app's own random draw (no operation: the engine answers at once
    /// from the scenario's early-recompute stream).
    Drawn(UnitDraw),
    /// A singleflight DB read: the row, and whether this caller led the
    /// flight (and should fill the cache) or shared another's result.
    SharedRead { row: Versioned, leader: bool },
    /// `DbRead`: the committed row.
    DbRead(Versioned),
    /// `DbWrite`: the version the write committed as.
    DbWrite { version: Version },
    /// `OutboxPoll`: the unsent rows.
    OutboxRows(Vec<OutboxRow>),
    /// `OutboxMarkSent`: done.
    MarkedSent,
    /// `Publish`: what became of the event.
    Publish(Published),
    /// `Flush`: the version the dirty value committed as, or `None` when
    /// nothing was left to flush (a crash lost it).
    Flush { version: Option<Version> },
}

impl Reply {
    /// A short human-readable result for the trace (`hit v1@1`, `miss`).
    pub fn describe(&self) -> String {
        match self {
            Reply::CacheGet(Some(v)) => format!("hit {}", v.describe()),
            Reply::CacheGet(None) => "miss".to_string(),
            Reply::CacheSet(outcome) | Reply::LeaseSet(outcome) => outcome.describe(),
            Reply::LeaseGet(LeaseGrant::Hit(v)) => format!("hit {}", v.describe()),
            Reply::LeaseGet(LeaseGrant::Lease(token)) => format!("miss, lease #{}", token.0),
            Reply::LeaseGet(LeaseGrant::Wait) => "miss, wait for another reader's fill".to_string(),
            Reply::LeaseGet(LeaseGrant::Stale(v)) => {
                format!(
                    "miss, stale {} kept (wait for another reader's fill)",
                    v.describe()
                )
            }
            Reply::CacheDelete { removed: true } => "deleted".to_string(),
            Reply::CacheDelete { removed: false } => "absent".to_string(),
            Reply::LockAdd { token: Some(token) } => format!("locked, token #{}", token.0),
            Reply::LockAdd { token: None } => "lock held by another".to_string(),
            Reply::Unlock(Unlocked::Released) => "unlocked".to_string(),
            Reply::TierLock { granted: true } => "key locked in the cache tier".to_string(),
            Reply::TierLock { granted: false } => {
                "in line behind another write or fill of the key".to_string()
            }
            Reply::Unlock(Unlocked::Expired) => {
                "no lock to release (it expired, or another deleted it)".to_string()
            }
            Reply::Unlock(Unlocked::HeldByAnother(token)) => {
                format!("lock expired and now held by #{}: left alone", token.0)
            }
            Reply::Unlock(Unlocked::DeletedAnothers(token)) => {
                format!("deleted another holder's lock #{}", token.0)
            }
            Reply::CacheGetRefreshing { value: None, .. } => "miss".to_string(),
            Reply::CacheGetRefreshing {
                value: Some(v),
                refresh,
            } => format!(
                "hit {}{}",
                v.describe(),
                if *refresh { ", due for a refresh" } else { "" }
            ),
            Reply::CacheGetExpiry(None) => "miss".to_string(),
            Reply::CacheGetExpiry(Some(entry)) => format!(
                "hit {} (expires at {} ms; computed in {} ms)",
                entry.value.describe(),
                entry.expires_ms,
                entry.cost_ms
            ),
            Reply::Drawn(draw) => format!("drew {:.3}", draw.value()),
            Reply::SharedRead { row, leader: true } => format!("{}@{}", row.value, row.version),
            Reply::SharedRead { row, leader: false } => {
                format!("{}@{} (shared)", row.value, row.version)
            }
            Reply::DbRead(v) => format!("{}@{}", v.value, v.version),
            Reply::DbWrite { version } => format!("committed @{version}"),
            Reply::Flush {
                version: Some(version),
            } => format!("committed @{version}"),
            Reply::Flush { version: None } => "nothing to flush".to_string(),
            Reply::Publish(Published::To(p)) => format!("sent to partition {p}"),
            Reply::Publish(Published::Lost) => "lost".to_string(),
            Reply::Publish(Published::Unacknowledged) => {
                "not acknowledged: to be published again".to_string()
            }
            Reply::OutboxRows(rows) => format!("{} unsent row(s)", rows.len()),
            Reply::MarkedSent => "marked sent".to_string(),
        }
    }
}

/// A row of the transactional outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// Its id (insertion order).
    pub id: u64,
    /// The key the event is about.
    pub key: KeyId,
    /// `None`: an invalidation; `Some`: the committed value (update).
    pub payload: Option<Cached>,
    /// Whether the relay has marked it sent.
    pub sent: bool,
    /// When its transaction committed (a poll issued before then does not
    /// see it).
    pub committed_ms: Millis,
}

/// What decides how a row goes on. Not its commit instant: only a timed
/// poll reads it, and the explorer runs scheduled (where a poll is issued
/// and takes effect at its step), so states differing only in it continue
/// alike.
impl std::hash::Hash for OutboxRow {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.key.hash(state);
        self.payload.hash(state);
        self.sent.hash(state);
    }
}

/// The token a lock entry holds: who took it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockToken(pub u64);

/// What releasing a lock did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unlocked {
    /// The lock held the caller's token and is gone.
    Released,
    /// No live lock was there (the caller's had expired, or another's plain
    /// delete removed it): nothing deleted.
    Expired,
    /// Compare-and-delete found another holder's token and left it alone.
    HeldByAnother(LockToken),
    /// A plain delete removed another holder's live lock (the caller's had
    /// expired and another reader had taken the lock since).
    DeletedAnothers(LockToken),
}

/// What became of a publication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Published {
    /// The bus took it on this partition.
    To(u32),
    /// A fire-and-forget publish the bus lost.
    Lost,
    /// An at-least-once publisher's event the bus did not acknowledge: it
    /// is published again.
    Unacknowledged,
}

impl Published {
    /// Whether the bus took the event.
    pub fn acknowledged(self) -> bool {
        matches!(self, Published::To(_))
    }
}

/// A memcache lease token: the right to fill one key once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaseToken(pub u64);

/// What a lease get hands out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LeaseGrant {
    /// The key is cached.
    Hit(Cached),
    /// A miss, and this reader may fill the key with this token.
    Lease(LeaseToken),
    /// A miss, and no token for this reader (another holds one, or the
    /// key's token rate limit): retry later.
    Wait,
    /// As `Wait`, with the value a delete left behind, kept as stale: the
    /// reader may return it at once.
    Stale(Cached),
}

/// Whether a cache set was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetOutcome {
    /// Stored; the entry expires then.
    Stored { expires_ms: Millis },
    /// The cache refused it.
    Rejected(Rejection),
}

/// Why the cache refused a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// Versioned sets: the cache holds a newer version than the set's.
    OlderThanCached { cached: Version },
    /// Leases: the set's lease was invalidated (by a delete) or replaced.
    LeaseInvalid,
}

impl SetOutcome {
    /// For the trace.
    pub fn describe(&self) -> String {
        match self {
            SetOutcome::Stored { expires_ms } => format!("stored until {expires_ms} ms"),
            SetOutcome::Rejected(Rejection::OlderThanCached { cached }) => {
                format!("rejected: cache holds @{cached}")
            }
            SetOutcome::Rejected(Rejection::LeaseInvalid) => {
                "rejected: lease invalidated".to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_says_an_operation_reads_the_database_exactly_when_it_does() {
        let key = KeyId(0);
        let value = Cached {
            value: Value::from("v"),
            stamp: Stamp::Committed(1),
        };
        let every_kind = [
            Op::CacheGet { key },
            Op::CacheDelete { key },
            Op::DbRead { key },
            Op::OutboxPoll,
            Op::CacheSet {
                key,
                value: value.clone(),
                dirty: false,
            },
            Op::Publish {
                key,
                payload: Some(value),
                row: None,
            },
        ];
        for op in &every_kind {
            assert_eq!(
                op.resource() == Resource::DbRead,
                op.name().reads_db(),
                "{}",
                op.name()
            );
        }
    }
}
