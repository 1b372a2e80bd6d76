//! The state operations act on: the cache and the database. Applying an
//! operation is instantaneous; the engine decides *when* it happens.

use super::ops::OutboxRow;
use super::ops::{
    Cached, ExpiringEntry, KeyId, LeaseGrant, LeaseToken, LockToken, Op, Rejection, Reply,
    SetOutcome, Stamp, Unlocked, Value, Version, Versioned, WriteId,
};
use super::rng::SimRng;
use super::vocabulary::Millis;

/// One cache entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheEntry {
    /// The cached value and its standing against the DB.
    pub value: Cached,
    /// The instant the entry stops being served (unless dirty).
    pub expires_ms: Millis,
    /// A write-behind value not yet flushed to the DB. A dirty entry does
    /// not expire: evicting it would lose an acknowledged write.
    pub dirty: bool,
    /// How long computing the value took (XFetch's delta); 0 if unknown.
    pub cost_ms: Millis,
}

/// An outstanding memcache lease on a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The token its holder must present to fill the key.
    pub token: LeaseToken,
    /// After this instant a new reader may take a new lease (the holder may
    /// have died).
    pub expires_ms: Millis,
}

/// A key's lock entry (`SET lock:k token NX PX lock_ttl_ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lock {
    /// The token its holder put there.
    pub token: LockToken,
    /// When the entry expires (and another reader may take the lock).
    pub expires_ms: Millis,
}

/// A value a delete left behind under memcache leases, kept as stale.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeptStale {
    /// The deleted value.
    pub value: Cached,
    /// Until when it is kept.
    pub expires_ms: Millis,
}

/// A Redis/memcached-like cache holding at most one entry per key.
#[derive(Clone, Debug, Default, Hash)]
pub struct Cache {
    entries: Vec<Option<CacheEntry>>,
    leases: Vec<Option<Lease>>,
    next_token: u64,
    /// Per key: when the last lease token was handed out (the token rate
    /// limit counts from there).
    last_token_ms: Vec<Option<Millis>>,
    /// Per key: a deleted value kept as stale (leases).
    kept_stale: Vec<Option<KeptStale>>,
    /// Per key: its lock entry, if it was ever taken.
    locks: Vec<Option<Lock>>,
    next_lock_token: u64,
    /// Stale-while-revalidate: how long past expiry an entry is still served.
    pub grace_ms: Millis,
    /// Leases: how long a delete keeps the deleted value as stale (0: not).
    pub stale_keep_ms: Millis,
}

impl Cache {
    /// An empty cache for `keys` keys.
    pub fn new(keys: usize) -> Self {
        Cache {
            entries: vec![None; keys],
            leases: vec![None; keys],
            next_token: 1,
            last_token_ms: vec![None; keys],
            kept_stale: vec![None; keys],
            locks: vec![None; keys],
            next_lock_token: 1,
            grace_ms: 0,
            stale_keep_ms: 0,
        }
    }

    /// The live entry of `key` at `now`: an expired entry is as good as absent.
    pub fn live(&self, key: KeyId, now: Millis) -> Option<&CacheEntry> {
        self.entries[key.0 as usize]
            .as_ref()
            .filter(|entry| entry.dirty || now < entry.expires_ms + self.grace_ms)
    }

    /// Loses every entry and lease (a cache server crash). Returns the keys
    /// whose entries were dirty.
    pub fn crash(&mut self) -> Vec<KeyId> {
        let dirty = (0..self.entries.len())
            .filter(|&i| self.entries[i].as_ref().is_some_and(|e| e.dirty))
            .map(|i| KeyId(i as u32))
            .collect();
        self.entries.iter_mut().for_each(|e| *e = None);
        self.leases.iter_mut().for_each(|l| *l = None);
        self.last_token_ms.iter_mut().for_each(|t| *t = None);
        self.kept_stale.iter_mut().for_each(|k| *k = None);
        self.locks.iter_mut().for_each(|l| *l = None);
        dirty
    }

    /// The entry of `key` as stored, expired or not (the inspector shows
    /// an expired entry as such; reads use [`Cache::live`]).
    pub fn stored(&self, key: KeyId) -> Option<&CacheEntry> {
        self.entries[key.0 as usize].as_ref()
    }

    /// The outstanding lease on `key`, if any (expired or not).
    pub fn lease(&self, key: KeyId) -> Option<&Lease> {
        self.leases[key.0 as usize].as_ref()
    }

    /// `key`'s lock entry, if it was ever taken (expired or not).
    pub fn lock(&self, key: KeyId) -> Option<Lock> {
        self.locks[key.0 as usize]
    }

    /// `key`'s live lock entry at `now`.
    fn live_lock(&self, key: KeyId, now: Millis) -> Option<Lock> {
        self.lock(key).filter(|lock| now < lock.expires_ms)
    }

    /// The deleted value `key` keeps as stale at `now` (leases), if any.
    pub fn kept_stale(&self, key: KeyId, now: Millis) -> Option<&KeptStale> {
        self.kept_stale[key.0 as usize]
            .as_ref()
            .filter(|kept| now < kept.expires_ms)
    }

    /// Stores an entry, replacing any other.
    pub fn set(&mut self, key: KeyId, entry: CacheEntry) {
        self.entries[key.0 as usize] = Some(entry);
    }

    /// Removes the entry of `key` and invalidates any lease on it; reports
    /// whether a live entry was there.
    ///
    /// Under leases with stale values, a live entry it removes is kept as
    /// stale for `stale_keep_ms`; deleting a key with no live entry leaves
    /// what is kept, and its expiry, as they are.
    pub fn delete(&mut self, key: KeyId, now: Millis) -> bool {
        let live = self.live(key, now).map(|entry| entry.value.clone());
        let was_live = live.is_some();
        if let Some(value) = live
            && self.stale_keep_ms > 0
        {
            self.kept_stale[key.0 as usize] = Some(KeptStale {
                value,
                expires_ms: now + self.stale_keep_ms,
            });
        }
        self.entries[key.0 as usize] = None;
        self.leases[key.0 as usize] = None;
        was_live
    }
}

/// A committed database row.
pub type Row = Versioned;

/// A read replica: the primary's rows as of the commits it has applied,
/// each applied `db.replica_lag_ms` after the primary committed it, in
/// commit order.
#[derive(Clone, Debug, Hash)]
pub struct Replica {
    rows: Vec<Row>,
    /// Commits it has still to apply, oldest first, with when each was
    /// committed on the primary.
    pending: std::collections::VecDeque<(KeyId, Row, Millis)>,
}

impl Replica {
    /// The replica's row of `key`.
    pub fn row(&self, key: KeyId) -> &Row {
        &self.rows[key.0 as usize]
    }

    /// The commits it has still to apply, oldest first, with their commit
    /// instants on the primary.
    pub fn pending(&self) -> impl Iterator<Item = &(KeyId, Row, Millis)> {
        self.pending.iter()
    }
}

/// The source of truth: every key always has a committed row.
#[derive(Clone, Debug)]
pub struct Database {
    rows: Vec<Row>,
    /// For each key, when each commit after the initial value took effect:
    /// version `v` (v >= 2) committed at `commit_times[key][v - 2]`.
    commit_times: Vec<Vec<Millis>>,
    /// The version each write committed as, by write id.
    committed_writes: std::collections::BTreeMap<WriteId, Version>,
    /// The transactional outbox.
    pub outbox: Vec<OutboxRow>,
    /// The read replica, if there is one.
    pub replica: Option<Replica>,
}

impl Database {
    /// A database holding `initial` values, each at version 1.
    pub fn new(initial: impl IntoIterator<Item = Value>) -> Self {
        let rows: Vec<Row> = initial
            .into_iter()
            .map(|value| Versioned { value, version: 1 })
            .collect();
        let commit_times = vec![Vec::new(); rows.len()];
        Database {
            rows,
            commit_times,
            committed_writes: Default::default(),
            outbox: Vec::new(),
            replica: None,
        }
    }

    /// Adds a read replica, in step with the primary so far.
    pub fn with_replica(mut self) -> Self {
        self.replica = Some(Replica {
            rows: self.rows.clone(),
            pending: Default::default(),
        });
        self
    }

    /// The row a cache-aside read of `key` sees: the replica's if there is
    /// one, else the primary's.
    pub fn read_row(&self, key: KeyId) -> &Row {
        match &self.replica {
            Some(replica) => replica.row(key),
            None => self.row(key),
        }
    }

    /// The replica applies the oldest commit it has not applied: which key,
    /// its row, and when the primary committed it.
    pub fn replicate_next(&mut self) -> Option<(KeyId, Row, Millis)> {
        let replica = self.replica.as_mut()?;
        let (key, row, committed_ms) = replica.pending.pop_front()?;
        replica.rows[key.0 as usize] = row.clone();
        Some((key, row, committed_ms))
    }

    /// When the commit the replica applies next was committed, if any.
    pub fn next_to_replicate(&self) -> Option<Millis> {
        self.replica.as_ref()?.pending.front().map(|c| c.2)
    }

    /// The committed row of `key`.
    pub fn row(&self, key: KeyId) -> &Row {
        &self.rows[key.0 as usize]
    }

    /// Commits `write`'s value at `now`; returns its version.
    pub fn commit(&mut self, key: KeyId, value: Value, write: WriteId, now: Millis) -> Version {
        let row = &mut self.rows[key.0 as usize];
        row.version += 1;
        row.value = value;
        self.commit_times[key.0 as usize].push(now);
        self.committed_writes.insert(write, row.version);
        if let Some(replica) = &mut self.replica {
            replica.pending.push_back((key, row.clone(), now));
        }
        row.version
    }

    /// When each commit of `key` after its initial value took effect, in
    /// order (version `v` at index `v - 2`).
    pub fn commit_times(&self, key: KeyId) -> &[Millis] {
        &self.commit_times[key.0 as usize]
    }

    /// The highest version of `key` committed strictly before `instant`
    /// (the initial value, version 1, counts as committed before time 0).
    pub fn committed_before(&self, key: KeyId, instant: Millis) -> Version {
        let times = &self.commit_times[key.0 as usize];
        // Commit times of one key never decrease, so this is a partition.
        1 + times.partition_point(|&t| t < instant) as Version
    }

    /// Whether a read of `key` that started at `started_ms` and returned
    /// `value` is stale: it returned a committed version older than the
    /// highest one committed before it started (the report's definition).
    pub fn is_stale(&self, key: KeyId, started_ms: Millis, value: &Cached) -> bool {
        match value.stamp {
            Stamp::Committed(version) => version < self.committed_before(key, started_ms),
            Stamp::Uncommitted(_) => false,
        }
    }

    /// Feeds `state` what decides the database's future behaviour: rows,
    /// which write committed as which version, the outbox. Not the commit
    /// times: they only judge reads, and the engine feeds what each read
    /// still in progress needs of them (see `Simulation::hash_state`).
    pub fn hash_state<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        self.rows.hash(state);
        self.committed_writes.hash(state);
        self.outbox.hash(state);
        self.replica.hash(state);
    }

    /// The outbox rows not marked sent that were committed by `as_of` (a
    /// poll sees the table as of its issue).
    pub fn unsent_rows(&self, as_of: Millis) -> Vec<OutboxRow> {
        self.outbox
            .iter()
            .filter(|row| !row.sent && row.committed_ms <= as_of)
            .cloned()
            .collect()
    }

    /// The version `write` committed as, if it has.
    pub fn version_of(&self, write: WriteId) -> Option<Version> {
        self.committed_writes.get(&write).copied()
    }

    /// The version a cached value stands for now, if committed.
    pub fn resolve(&self, stamp: Stamp) -> Option<Version> {
        match stamp {
            Stamp::Committed(version) => Some(version),
            Stamp::Uncommitted(write) => self.version_of(write),
        }
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
    /// A cache set lives up to this much longer, drawn uniformly per set.
    pub ttl_jitter_ms: Millis,
    /// Versioned sets: refuse a set older than the entry held.
    pub versioned_sets: bool,
    /// How long a lease (or lock) stays outstanding before another reader
    /// may take one.
    pub lease_ttl_ms: Millis,
    /// At most one lease token per key this often (0: no limit).
    pub lease_token_interval_ms: Millis,
}

impl World {
    /// Applies `op` at instant `now` and returns its reply. `ttl_jitter`
    /// draws the TTL jitter of a cache set.
    pub fn apply(&mut self, op: &Op, now: Millis, ttl_jitter: &mut SimRng) -> Reply {
        match op {
            Op::CacheGet { key } => Reply::CacheGet(
                self.cache
                    .live(*key, now)
                    .map(|entry| self.as_of_now(&entry.value)),
            ),
            Op::CacheSet { key, value, dirty } => {
                Reply::CacheSet(self.store(*key, value, *dirty, 0, now, ttl_jitter))
            }
            Op::CacheSetComputed {
                key,
                value,
                cost_ms,
            } => Reply::CacheSet(self.store(*key, value, false, *cost_ms, now, ttl_jitter)),
            Op::LockAdd { key } => {
                if self.cache.live_lock(*key, now).is_some() {
                    return Reply::LockAdd { token: None };
                }
                let token = LockToken(self.cache.next_lock_token);
                self.cache.next_lock_token += 1;
                self.cache.locks[key.0 as usize] = Some(Lock {
                    token,
                    expires_ms: now + self.lease_ttl_ms,
                });
                Reply::LockAdd { token: Some(token) }
            }
            Op::Unlock {
                key,
                token,
                compare,
            } => {
                let outcome = match self.cache.live_lock(*key, now) {
                    None => Unlocked::Expired,
                    Some(held) if held.token == *token => Unlocked::Released,
                    Some(held) if *compare => Unlocked::HeldByAnother(held.token),
                    Some(held) => Unlocked::DeletedAnothers(held.token),
                };
                if matches!(outcome, Unlocked::Released | Unlocked::DeletedAnothers(_)) {
                    self.cache.locks[key.0 as usize] = None;
                }
                Reply::Unlock(outcome)
            }
            Op::CacheGetRefreshing { key } => {
                let Some(entry) = self.cache.live(*key, now) else {
                    return Reply::CacheGetRefreshing {
                        value: None,
                        refresh: false,
                    };
                };
                // Stale-while-revalidate refreshes once it has expired (it
                // is still served during the grace period).
                let refresh = now >= entry.expires_ms;
                Reply::CacheGetRefreshing {
                    value: Some(self.as_of_now(&entry.value)),
                    refresh,
                }
            }
            Op::CacheGetExpiry { key } => {
                Reply::CacheGetExpiry(self.cache.live(*key, now).map(|entry| ExpiringEntry {
                    value: self.as_of_now(&entry.value),
                    expires_ms: entry.expires_ms,
                    cost_ms: entry.cost_ms,
                }))
            }
            Op::LeaseGet { key } => Reply::LeaseGet(self.lease_get(*key, now)),
            Op::LeaseSet { key, value, token } => {
                let slot = &mut self.cache.leases[key.0 as usize];
                if slot.is_some_and(|lease| lease.token == *token) {
                    *slot = None;
                    Reply::LeaseSet(self.store(*key, value, false, 0, now, ttl_jitter))
                } else {
                    Reply::LeaseSet(SetOutcome::Rejected(Rejection::LeaseInvalid))
                }
            }
            Op::CacheDelete { key } => Reply::CacheDelete {
                removed: self.cache.delete(*key, now),
            },
            Op::DbRead { key } => Reply::DbRead(self.db.read_row(*key).clone()),
            Op::DbWriteOutbox {
                key,
                value,
                write,
                update,
            } => {
                let version = self.db.commit(*key, value.clone(), *write, now);
                let payload = update.then(|| Cached {
                    value: value.clone(),
                    stamp: Stamp::Committed(version),
                });
                let id = self.db.outbox.len() as u64;
                self.db.outbox.push(OutboxRow {
                    id,
                    key: *key,
                    payload,
                    sent: false,
                    committed_ms: now,
                });
                Reply::DbWrite { version }
            }
            Op::OutboxPoll => Reply::OutboxRows(self.db.unsent_rows(now)),
            Op::OutboxMarkSent { ids } => {
                for id in ids {
                    self.db.outbox[*id as usize].sent = true;
                }
                Reply::MarkedSent
            }
            Op::Publish { .. } => {
                unreachable!("the engine runs the bus; publishing never reaches the world")
            }
            Op::TierLock { .. } => {
                unreachable!("the engine keeps the tier's locks; they never reach the world")
            }
            Op::DbWrite { key, value, write } => Reply::DbWrite {
                version: self.db.commit(*key, value.clone(), *write, now),
            },
            Op::Flush { key, .. } => {
                let entry = self.cache.entries[key.0 as usize]
                    .as_mut()
                    .filter(|entry| entry.dirty);
                let Some(entry) = entry else {
                    return Reply::Flush { version: None };
                };
                let Stamp::Uncommitted(write) = entry.value.stamp else {
                    unreachable!("a dirty entry holds an uncommitted write")
                };
                entry.dirty = false;
                let value = entry.value.value.clone();
                Reply::Flush {
                    version: Some(self.db.commit(*key, value, write, now)),
                }
            }
        }
    }
}

impl World {
    /// A cached value as it stands at this instant: an uncommitted value
    /// whose write has since committed is reported with its version.
    pub fn as_of_now(&self, value: &Cached) -> Cached {
        match self.db.resolve(value.stamp) {
            Some(version) => Cached {
                value: value.value.clone(),
                stamp: Stamp::Committed(version),
            },
            None => value.clone(),
        }
    }

    /// Stores `value` unless versioned sets refuse it. Versioned sets compare
    /// only committed versions: a cache-then-db or write-behind set carries
    /// no version yet, so it is never refused and never refuses.
    fn store(
        &mut self,
        key: KeyId,
        value: &Cached,
        dirty: bool,
        cost_ms: Millis,
        now: Millis,
        rng: &mut SimRng,
    ) -> SetOutcome {
        if self.versioned_sets
            && let Stamp::Committed(version) = value.stamp
            && let Some(held) = self.cache.live(key, now)
            && let Some(cached) = self.db.resolve(held.value.stamp)
            && cached > version
        {
            return SetOutcome::Rejected(Rejection::OlderThanCached { cached });
        }
        let expires_ms = now + self.ttl_with_jitter(rng);
        self.cache.set(
            key,
            CacheEntry {
                value: value.clone(),
                expires_ms,
                dirty,
                cost_ms,
            },
        );
        SetOutcome::Stored { expires_ms }
    }

    /// A lease get: the live entry, else a new lease unless another reader
    /// holds an unexpired one.
    fn lease_get(&mut self, key: KeyId, now: Millis) -> LeaseGrant {
        if let Some(entry) = self.cache.live(key, now) {
            return LeaseGrant::Hit(self.as_of_now(&entry.value));
        }
        let index = key.0 as usize;
        let outstanding = self.cache.leases[index].is_some_and(|lease| now < lease.expires_ms);
        let rate_limited = self.lease_token_interval_ms > 0
            && self.cache.last_token_ms[index]
                .is_some_and(|last| now < last + self.lease_token_interval_ms);
        if outstanding || rate_limited {
            return match self.cache.kept_stale(key, now) {
                Some(kept) => LeaseGrant::Stale(self.as_of_now(&kept.value)),
                None => LeaseGrant::Wait,
            };
        }
        let token = LeaseToken(self.cache.next_token);
        self.cache.next_token += 1;
        if self.lease_token_interval_ms > 0 {
            // Only the rate limit reads it; without one, keeping it would
            // make states that continue alike differ.
            self.cache.last_token_ms[index] = Some(now);
        }
        let slot = &mut self.cache.leases[index];
        *slot = Some(Lease {
            token,
            expires_ms: now + self.lease_ttl_ms,
        });
        LeaseGrant::Lease(token)
    }

    /// A TTL for one cache set: the base TTL plus its jitter, if any.
    pub fn ttl_with_jitter(&self, rng: &mut SimRng) -> Millis {
        if self.ttl_jitter_ms == 0 {
            self.ttl_ms
        } else {
            self.ttl_ms + rng.up_to(self.ttl_jitter_ms)
        }
    }
}
