//! The state operations act on: the cache and the database. Applying an
//! operation is instantaneous; the engine decides *when* it happens.

use super::ops::{KeyId, Op, Reply, Value, Versioned};
use super::scenario::Millis;

/// One cache entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    /// The cached value and the DB version it was read at.
    pub value: Versioned,
    /// The instant the entry stops being served.
    pub expires_ms: Millis,
}

/// A Redis/memcached-like cache holding at most one entry per key.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    entries: Vec<Option<CacheEntry>>,
}

impl Cache {
    /// An empty cache for `keys` keys.
    pub fn new(keys: usize) -> Self {
        Cache {
            entries: vec![None; keys],
        }
    }

    /// The live entry of `key` at `now`: an expired entry is as good as absent.
    pub fn live(&self, key: KeyId, now: Millis) -> Option<&CacheEntry> {
        self.entries[key.0 as usize]
            .as_ref()
            .filter(|entry| now < entry.expires_ms)
    }

    /// Stores an entry, replacing any other.
    pub fn set(&mut self, key: KeyId, entry: CacheEntry) {
        self.entries[key.0 as usize] = Some(entry);
    }

    /// Removes the entry of `key`; reports whether a live one was there.
    pub fn delete(&mut self, key: KeyId, now: Millis) -> bool {
        let was_live = self.live(key, now).is_some();
        self.entries[key.0 as usize] = None;
        was_live
    }
}

/// A committed database row.
pub type Row = Versioned;

/// The source of truth: every key always has a committed row.
#[derive(Clone, Debug)]
pub struct Database {
    rows: Vec<Row>,
}

impl Database {
    /// A database holding `initial` values, each at version 1.
    pub fn new(initial: impl IntoIterator<Item = Value>) -> Self {
        Database {
            rows: initial
                .into_iter()
                .map(|value| Versioned { value, version: 1 })
                .collect(),
        }
    }

    /// The committed row of `key`.
    pub fn row(&self, key: KeyId) -> &Row {
        &self.rows[key.0 as usize]
    }

    /// Commits a new value; returns its version.
    pub fn commit(&mut self, key: KeyId, value: Value) -> u64 {
        let row = &mut self.rows[key.0 as usize];
        row.version += 1;
        row.value = value;
        row.version
    }
}

/// Everything an operation can change.
#[derive(Clone, Debug)]
pub struct World {
    /// The cache.
    pub cache: Cache,
    /// The database.
    pub db: Database,
    /// How long a cache set lives.
    pub ttl_ms: Millis,
}

impl World {
    /// Applies `op` at instant `now` and returns its reply.
    pub fn apply(&mut self, op: &Op, now: Millis) -> Reply {
        match op {
            Op::CacheGet { key } => {
                Reply::CacheGet(self.cache.live(*key, now).map(|entry| entry.value.clone()))
            }
            Op::CacheSet { key, value } => {
                let expires_ms = now + self.ttl_ms;
                self.cache.set(
                    *key,
                    CacheEntry {
                        value: value.clone(),
                        expires_ms,
                    },
                );
                Reply::CacheSet { expires_ms }
            }
            Op::CacheDelete { key } => Reply::CacheDelete {
                removed: self.cache.delete(*key, now),
            },
            Op::DbRead { key } => Reply::DbRead(self.db.row(*key).clone()),
            Op::DbWrite { key, value } => Reply::DbWrite {
                version: self.db.commit(*key, value.clone()),
            },
        }
    }
}
