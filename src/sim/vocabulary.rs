//! The words every part of the core shares: virtual time, who acts, and
//! what an operation is called. It depends on nothing else of the core, so
//! the scenario, the operations and the trace can all use it without
//! depending on each other. Names exist only where these meet text (a
//! report's JSON, a schedule, the page's labels), and [`Actor::parse`] is
//! the one place an actor's name is read back.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// Milliseconds of virtual time.
pub type Millis = u64;

/// What a request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum RequestOp {
    /// Read one key.
    Read,
    /// Write one key.
    Write,
}

/// Who performed a trace entry, or whom a schedule names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A scripted client request, by its id.
    Request(String),
    /// The `n`th request a workload generated, written `r17` for a read
    /// and `w3` for a write. (A schedule never names one, so
    /// [`Actor::parse`] reads `r17` as a scripted request's id.)
    Generated {
        /// Read or write.
        op: RequestOp,
        /// Its number among the generated requests.
        n: u64,
    },
    /// The write-behind flusher.
    Flusher,
    /// A background refresher (XFetch, stale-while-revalidate).
    Refresher,
    /// A bus consumer: in the trace, of any partition (`consumer`); in a
    /// schedule, `None` names any partition's and `Some(p)` partition p's
    /// (`consumer:p`).
    Consumer(Option<u32>),
    /// The outbox relay.
    Relay,
    /// The database's change log, publishing a commit (CDC).
    Cdc,
    /// The read replica, applying a commit.
    Replica,
    /// A fault.
    Fault,
}

impl Actor {
    /// Every actor that is not a request, as the trace names it.
    pub const NOT_REQUESTS: [Actor; 7] = [
        Actor::Consumer(None),
        Actor::Flusher,
        Actor::Relay,
        Actor::Refresher,
        Actor::Replica,
        Actor::Cdc,
        Actor::Fault,
    ];

    /// The actor `name` names: a background actor, `consumer:P` for
    /// partition P's consumer, `cdc`, `fault`, or else a request.
    pub fn parse(name: &str) -> Actor {
        if let Some(known) = Actor::NOT_REQUESTS.iter().find(|a| a.name() == name) {
            return known.clone();
        }
        match name.strip_prefix("consumer:").map(str::parse::<u32>) {
            Some(Ok(partition)) => Actor::Consumer(Some(partition)),
            _ => Actor::Request(name.to_string()),
        }
    }

    /// Whether a request may be called `id` without being taken for
    /// another actor (nor for `consumer:` followed by anything).
    pub fn is_free_request_id(id: &str) -> bool {
        !id.is_empty()
            && !id.starts_with("consumer:")
            && matches!(Actor::parse(id), Actor::Request(_))
    }

    /// Its name, as the trace and schedules write it.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow::{Borrowed, Owned};
        match self {
            Actor::Request(id) => Borrowed(id),
            Actor::Generated {
                op: RequestOp::Read,
                n,
            } => Owned(format!("r{n}")),
            Actor::Generated {
                op: RequestOp::Write,
                n,
            } => Owned(format!("w{n}")),
            Actor::Flusher => Borrowed("flusher"),
            Actor::Refresher => Borrowed("refresher"),
            Actor::Consumer(None) => Borrowed("consumer"),
            Actor::Consumer(Some(p)) => Owned(format!("consumer:{p}")),
            Actor::Relay => Borrowed("relay"),
            Actor::Cdc => Borrowed("cdc"),
            Actor::Replica => Borrowed("replica"),
            Actor::Fault => Borrowed("fault"),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

/// What a trace entry was: an operation, or a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpName {
    /// `cache.get`.
    CacheGet,
    /// `cache.set`.
    CacheSet,
    /// `cache.set_dirty`: a write-behind set, acknowledged before its flush.
    CacheSetDirty,
    /// `cache.lease_get`.
    CacheLeaseGet,
    /// `cache.lease_set`.
    CacheLeaseSet,
    /// `cache.delete`.
    CacheDelete,
    /// `cache.lock_add`.
    CacheLockAdd,
    /// `cache.unlock`.
    CacheUnlock,
    /// `cache.tier_lock`: a write-through write or a read-through fill
    /// reaches the cache tier and takes (or lines up for) the key's lock.
    CacheTierLock,
    /// `db.read`.
    DbRead,
    /// `replica.apply`: the read replica applies a commit.
    ReplicaApply,
    /// `db.write`.
    DbWrite,
    /// `db.write+outbox`: a commit with its outbox row.
    DbWriteOutbox,
    /// `flush`: the flusher's commit of a dirty period.
    Flush,
    /// `bus.publish`.
    BusPublish,
    /// `outbox.poll`.
    OutboxPoll,
    /// `outbox.mark_sent`.
    OutboxMarkSent,
    /// `cache.crash` (a fault).
    CacheCrash,
    /// `app.crash` (a fault).
    AppCrash,
    /// `db.slow` (a fault).
    DbSlow,
    /// `consumer.pause` (a fault).
    ConsumerPause,
    /// `bus.drop` (a fault).
    BusDrop,
    /// `app.pause` (a fault).
    AppPause,
    /// `consumer.crash` (a fault).
    ConsumerCrash,
    /// `relay.crash` (a fault).
    RelayCrash,
}

/// Where an operation happens, as the page colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// The cache.
    Cache,
    /// The database (and its outbox).
    Db,
    /// The bus.
    Bus,
    /// Nowhere in particular: a fault.
    Fault,
}

impl OpName {
    /// Its name, as the trace writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            OpName::CacheGet => "cache.get",
            OpName::CacheSet => "cache.set",
            OpName::CacheSetDirty => "cache.set_dirty",
            OpName::CacheLeaseGet => "cache.lease_get",
            OpName::CacheLeaseSet => "cache.lease_set",
            OpName::CacheDelete => "cache.delete",
            OpName::CacheLockAdd => "cache.lock_add",
            OpName::CacheUnlock => "cache.unlock",
            OpName::CacheTierLock => "cache.tier_lock",
            OpName::DbRead => "db.read",
            OpName::ReplicaApply => "replica.apply",
            OpName::DbWrite => "db.write",
            OpName::DbWriteOutbox => "db.write+outbox",
            OpName::Flush => "flush",
            OpName::BusPublish => "bus.publish",
            OpName::OutboxPoll => "outbox.poll",
            OpName::OutboxMarkSent => "outbox.mark_sent",
            OpName::CacheCrash => "cache.crash",
            OpName::AppCrash => "app.crash",
            OpName::DbSlow => "db.slow",
            OpName::ConsumerPause => "consumer.pause",
            OpName::BusDrop => "bus.drop",
            OpName::AppPause => "app.pause",
            OpName::ConsumerCrash => "consumer.crash",
            OpName::RelayCrash => "relay.crash",
        }
    }

    /// Where it happens.
    pub fn place(self) -> Place {
        match self {
            OpName::CacheGet
            | OpName::CacheSet
            | OpName::CacheSetDirty
            | OpName::CacheLeaseGet
            | OpName::CacheLeaseSet
            | OpName::CacheDelete
            | OpName::CacheLockAdd
            | OpName::CacheUnlock
            | OpName::CacheTierLock => Place::Cache,
            OpName::DbRead
            | OpName::ReplicaApply
            | OpName::DbWrite
            | OpName::DbWriteOutbox
            | OpName::Flush
            | OpName::OutboxPoll
            | OpName::OutboxMarkSent => Place::Db,
            OpName::BusPublish => Place::Bus,
            OpName::CacheCrash
            | OpName::AppCrash
            | OpName::DbSlow
            | OpName::ConsumerPause
            | OpName::BusDrop
            | OpName::AppPause
            | OpName::ConsumerCrash
            | OpName::RelayCrash => Place::Fault,
        }
    }

    /// Whether it reads the database (and so occupies it).
    pub fn reads_db(self) -> bool {
        matches!(self, OpName::DbRead | OpName::OutboxPoll)
    }
}

impl fmt::Display for OpName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OpName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
