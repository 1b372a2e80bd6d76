//! The strategy code: what an app instance does to serve a request, written
//! as a service author would write it. Each `.await` is one operation whose
//! moment of effect the engine decides, so every interleaving a real system
//! could see is one the engine can produce.

use super::coroutine::Io;
use super::ops::{
    Cached, ExpiringEntry, KeyId, LeaseGrant, Stamp, Value, Version, Versioned, WriteId,
};
pub use super::ops::{Served, Source};
use super::scenario::{Channel, Stampede, Strategy, WriteStrategy};
use super::vocabulary::Millis;

/// A read answered from the cache.
fn hit(value: Cached) -> Served {
    Served::Read {
        value,
        source: Source::Cache,
        fallback: false,
    }
}

/// A read answered from the DB.
fn from_db(row: Versioned) -> Served {
    Served::Read {
        value: row.into(),
        source: Source::Db,
        fallback: false,
    }
}

/// Cache-aside read: serve a hit; on a miss read the DB and fill the cache.
///
/// The fill is the read's weak point: between `db_read` and `cache_set` a
/// writer can commit and invalidate, and this set then puts the old value
/// back. Invalidate-on-write does not prevent that; the engine can show it.
pub async fn cache_aside_read(io: Io, key: KeyId) -> Served {
    if let Some(value) = io.cache_get(key).await {
        return hit(value);
    }
    let row = io.db_read(key).await;
    io.cache_set(key, row.clone()).await;
    from_db(row)
}

/// How long a reader waits for another reader's fill (a lease or a lock),
/// and how often it looks again.
#[derive(Clone, Copy, Debug)]
pub struct Waiting {
    /// Look again this often.
    retry_ms: Millis,
    /// Give up this long after the first refusal.
    wait_max_ms: Millis,
    /// When the first refusal came, once it has.
    deadline: Option<Millis>,
}

impl Waiting {
    /// A wait that has not started.
    pub fn new(strategy: &Strategy) -> Self {
        Waiting {
            retry_ms: strategy.retry_ms,
            wait_max_ms: strategy.wait_max_ms,
            deadline: None,
        }
    }

    /// After a refusal: sleeps until the next look and returns `true`, or
    /// returns `false` when the wait has run out. The last look falls on
    /// the deadline itself, so no reader waits longer than `wait_max_ms`.
    async fn again(&mut self, io: &Io) -> bool {
        let now = io.now();
        let deadline = *self.deadline.get_or_insert(now + self.wait_max_ms);
        if now >= deadline {
            return false;
        }
        io.sleep_until((now + self.retry_ms).min(deadline)).await;
        true
    }
}

/// A reader whose wait ran out reads the DB itself and does not fill the
/// cache (the fill belongs to the holder of the lease or lock).
async fn fallback_read(io: &Io, key: KeyId) -> Served {
    let row = io.db_read(key).await;
    Served::Read {
        value: row.into(),
        source: Source::Db,
        fallback: true,
    }
}

/// memcache leases (Facebook, NSDI 2013, section 3.2.1): a miss hands one
/// reader a lease to fill the key; the others wait and look again, for at
/// most `wait_max_ms`, then read the DB without filling. A delete
/// invalidates the lease, so a reader whose DB read predates a write cannot
/// put the old value back: its set is rejected. While a deleted value is
/// kept as stale, a reader refused a token may return it at once
/// (`accept_stale`): the paper's answer to a write-heavy hot key.
pub async fn lease_read(io: Io, key: KeyId, mut waiting: Waiting, accept_stale: bool) -> Served {
    loop {
        match io.lease_get(key).await {
            LeaseGrant::Hit(value) => return hit(value),
            LeaseGrant::Lease(token) => {
                let row = io.db_read(key).await;
                io.lease_set(key, row.clone(), token).await;
                return from_db(row);
            }
            LeaseGrant::Stale(value) if accept_stale => return hit(value),
            LeaseGrant::Stale(_) | LeaseGrant::Wait => {
                if !waiting.again(&io).await {
                    return fallback_read(&io, key).await;
                }
            }
        }
    }
}

/// Invalidate-on-write: commit to the DB, then delete the cached copy so the
/// next read misses and fetches the new value. With a delayed double delete
/// the client is answered after the first delete, and the key is deleted
/// again `double_delete_ms` after the commit, to remove a value a slow
/// reader may have put back in between.
pub async fn invalidate_on_write(
    io: Io,
    write: WriteId,
    key: KeyId,
    value: Value,
    channel: Channel,
    double_delete_ms: Option<Millis>,
) -> Served {
    let version = match channel {
        Channel::Outbox => io.db_write_with_outbox(key, value, write, false).await,
        _ => io.db_write(key, value, write).await,
    };
    let committed_at = io.now();
    match channel {
        Channel::Inline => {
            io.cache_delete(key).await;
        }
        // A dual write: if the app dies between the commit and this publish,
        // the invalidation is never sent.
        Channel::Event => {
            io.publish(key, None).await;
        }
        // The commit itself emits the event (CDC), or the relay publishes
        // the outbox row committed with it.
        Channel::Cdc | Channel::Outbox => {}
    }
    delete_again_later(&io, key, version, committed_at, double_delete_ms).await
}

/// A write committed as `version` at `committed_at`; with a delayed double
/// delete, the client is answered now and the key deleted again `delay`
/// after the commit, to remove a value a slow reader (or a read of a
/// lagging replica) put back in between.
async fn delete_again_later(
    io: &Io,
    key: KeyId,
    version: Version,
    committed_at: Millis,
    double_delete_ms: Option<Millis>,
) -> Served {
    let served = Served::Write {
        version: Some(version),
    };
    if let Some(delay) = double_delete_ms {
        io.respond(served.clone());
        io.sleep_until(committed_at + delay).await;
        io.cache_delete(key).await;
    }
    served
}

/// Update-on-write: commit to the DB, then overwrite the cached copy with the
/// value just written. Two concurrent writers can commit in one order and set
/// the cache in the other, leaving the cache with the older write for a TTL.
pub async fn update_on_write(
    io: Io,
    write: WriteId,
    key: KeyId,
    value: Value,
    channel: Channel,
) -> Served {
    let version = match channel {
        Channel::Outbox => {
            io.db_write_with_outbox(key, value.clone(), write, true)
                .await
        }
        _ => io.db_write(key, value.clone(), write).await,
    };
    let stamp = Stamp::Committed(version);
    match channel {
        Channel::Inline => {
            io.cache_set(key, Cached { value, stamp }).await;
        }
        Channel::Event => {
            io.publish(key, Some(Cached { value, stamp })).await;
        }
        Channel::Cdc | Channel::Outbox => {}
    }
    Served::Write {
        version: Some(version),
    }
}

/// Delete-first: delete the cached copy, then commit. A read that misses in
/// between reads the old row and can put it back before the commit. With a
/// delayed double delete the client is answered after the commit and the
/// key deleted again `double_delete_ms` after it, removing such a refill.
pub async fn delete_first(
    io: Io,
    write: WriteId,
    key: KeyId,
    value: Value,
    double_delete_ms: Option<Millis>,
) -> Served {
    io.cache_delete(key).await;
    let version = io.db_write(key, value, write).await;
    delete_again_later(&io, key, version, io.now(), double_delete_ms).await
}

/// TTL only: commit and leave the cache alone; a cached copy stays until it
/// expires.
pub async fn ttl_only(io: Io, write: WriteId, key: KeyId, value: Value) -> Served {
    let version = io.db_write(key, value, write).await;
    Served::Write {
        version: Some(version),
    }
}

/// Write-through, the seed's and every cache provider's: the write goes
/// through the cache tier, which, holding the key's per-key lock, commits
/// and then updates its entry with the committed value; the client is
/// answered after both. No other write or fill of the key interleaves, so
/// writers cannot cross; the price is write latency (a commit plus a cache
/// operation, plus any wait for the lock).
pub async fn write_through(io: Io, write: WriteId, key: KeyId, value: Value) -> Served {
    io.tier_lock(key).await;
    let version = io.db_write(key, value.clone(), write).await;
    io.cache_set(key, Versioned { value, version }).await;
    io.tier_unlock(key).await;
    Served::Write {
        version: Some(version),
    }
}

/// Read-through, write-through's read side: a miss is filled by the cache
/// tier holding the key's lock, which looks again first (a write or fill
/// before it may have put the key there), so a fill never interleaves with
/// a write of the same key.
pub async fn read_through(io: Io, key: KeyId) -> Served {
    if let Some(value) = io.cache_get(key).await {
        return hit(value);
    }
    io.tier_lock(key).await;
    if let Some(value) = io.cache_get(key).await {
        io.tier_unlock(key).await;
        return hit(value);
    }
    let row = io.db_read(key).await;
    io.cache_set(key, row.clone()).await;
    io.tier_unlock(key).await;
    from_db(row)
}

/// Cache, then DB: an app-orchestrated dual write. The app puts the new
/// value in the cache, then commits it; the client is answered after the
/// commit. Until the commit the cache is ahead of the database, and two
/// writers can cache and commit in opposite orders.
pub async fn cache_then_db(io: Io, write: WriteId, key: KeyId, value: Value) -> Served {
    let stamp = Stamp::Uncommitted(write);
    io.cache_set(
        key,
        Cached {
            value: value.clone(),
            stamp,
        },
    )
    .await;
    let version = io.db_write(key, value, write).await;
    Served::Write {
        version: Some(version),
    }
}

/// Write-behind: put the new value in the cache, marked dirty, and answer the
/// client at once. The flusher commits it later; a cache crash before then
/// loses it.
pub async fn write_behind(io: Io, write: WriteId, key: KeyId, value: Value) -> Served {
    let stamp = Stamp::Uncommitted(write);
    io.cache_set_dirty(key, Cached { value, stamp }).await;
    Served::Write { version: None }
}

/// The write-behind flusher's job for one dirty period of `key`: wait until
/// the period is `delay` old, then commit the latest dirty value (all writes
/// of the period coalesce into this one DB write).
pub async fn flush_after(
    io: Io,
    key: KeyId,
    period: u64,
    dirty_since: Millis,
    delay: Millis,
) -> Served {
    io.sleep_until(dirty_since + delay).await;
    let version = io.flush(key, period).await;
    Served::Write { version }
}

/// A lock against stampedes (Redis `SET lock:k token NX PX`): on a miss,
/// the reader that adds the key's lock reads the cache again (a holder
/// before it may have filled it), then the DB, fills the cache and releases
/// the lock with compare-and-delete, so it never deletes a lock that
/// expired and was taken by another. The others look again every
/// `retry_ms`, for at most `wait_max_ms`, then read the DB without filling.
/// Without `compare` (`unsafe_unlock`) it releases with a plain delete
/// instead: the pitfall Redis's docs warn about.
pub async fn lock_read(io: Io, key: KeyId, mut waiting: Waiting, compare: bool) -> Served {
    loop {
        if let Some(value) = io.cache_get(key).await {
            return hit(value);
        }
        if let Some(token) = io.lock_add(key).await {
            if let Some(value) = io.cache_get(key).await {
                io.unlock(key, token, compare).await;
                return hit(value);
            }
            let row = io.db_read(key).await;
            io.cache_set(key, row.clone()).await;
            io.unlock(key, token, compare).await;
            return from_db(row);
        }
        if !waiting.again(&io).await {
            return fallback_read(&io, key).await;
        }
    }
}

/// Singleflight (Go's `x/sync/singleflight`): concurrent misses of a key in
/// one app instance share one DB read; only the leader fills the cache.
/// Instances do not coordinate, so each can still read the DB once.
pub async fn singleflight_read(io: Io, key: KeyId) -> Served {
    if let Some(value) = io.cache_get(key).await {
        return hit(value);
    }
    let (row, leader) = io.db_read_shared(key).await;
    if leader {
        io.cache_set(key, row.clone()).await;
    }
    from_db(row)
}

/// XFetch, the paper's algorithm (Vattani, Chierichetti and Lowenstein,
/// "Optimal Probabilistic Cache Stampede Prevention", VLDB 2015): a reader
/// that finds the entry missing, or draws an early expiry (the draw rises
/// as expiry nears, scaled by how long the last recompute took), recomputes
/// the value itself and answers with it. Nothing coordinates readers:
/// several that draw early at once each read the DB.
pub async fn xfetch_read(io: Io, key: KeyId, beta: f64) -> Served {
    early_recompute_read(io, key, |entry, now, u| {
        now as f64 - entry.cost_ms as f64 * beta * u.ln() >= entry.expires_ms as f64
    })
    .await
}

/// Jittered early recompute (the simpler cousin of XFetch that many
/// services write by hand): a reader that finds the entry closer to its
/// expiry than a uniform random part of `early_ms` recomputes the value
/// itself and answers with it, so the chance rises linearly over the last
/// `early_ms`. Nothing coordinates readers, and unlike XFetch the window
/// does not grow with how long a recompute takes.
pub async fn early_jitter_read(io: Io, key: KeyId, early_ms: Millis) -> Served {
    early_recompute_read(io, key, |entry, now, u| {
        entry.expires_ms.saturating_sub(now) as f64 <= u * early_ms as f64
    })
    .await
}

/// A read that recomputes a missing entry, or a live one when `early`
/// says so from the entry, the instant and a draw uniform in (0, 1] (the
/// app's own randomness, one draw per read of a live entry).
async fn early_recompute_read(
    io: Io,
    key: KeyId,
    early: impl Fn(&ExpiringEntry, Millis, f64) -> bool,
) -> Served {
    if let Some(entry) = io.cache_get_expiry(key).await {
        let u = io.draw_unit().await;
        if !early(&entry, io.now(), u) {
            return hit(entry.value);
        }
    }
    recompute(io, key).await
}

/// Stale-while-revalidate: a hit on an entry past its TTL (but within its
/// grace period) is served at once and starts one background refresh of
/// the key. A miss reads the DB like cache-aside.
pub async fn swr_read(io: Io, key: KeyId) -> Served {
    let (cached, refresh) = io.cache_get_refreshing(key).await;
    if let Some(value) = cached {
        if refresh {
            io.refresh_in_background(key);
        }
        return hit(value);
    }
    recompute(io, key).await
}

/// Reads `key` from the DB and caches it with the time that took (XFetch's
/// delta). Also the body of a background refresher.
pub async fn recompute(io: Io, key: KeyId) -> Served {
    let before = io.now();
    let row = io.db_read(key).await;
    let cost_ms = io.now() - before;
    io.cache_set_computed(key, row.clone(), cost_ms).await;
    from_db(row)
}

/// The outbox relay: every `poll_ms` (on a fixed grid) it reads the unsent
/// rows, publishes them in order, then marks sent the ones the bus
/// acknowledged. At the first publish the bus does not acknowledge it
/// stops publishing (a later row of the same key must not overtake it):
/// that row and the rest stay unsent and go again at the next poll. A crash
/// between the publishing and the marking makes the next relay publish
/// them again (a duplicate). At least once, never lost. It stops after a
/// poll that finds nothing (a new row starts it again).
pub async fn relay(io: Io, poll_ms: Millis) -> Served {
    loop {
        let next_tick = (io.now() / poll_ms + 1) * poll_ms;
        io.sleep_until(next_tick).await;
        let rows = io.outbox_poll().await;
        if rows.is_empty() {
            return Served::Write { version: None };
        }
        let mut acknowledged = Vec::with_capacity(rows.len());
        for row in &rows {
            if !io.publish_row(row).await.acknowledged() {
                break;
            }
            acknowledged.push(row.id);
        }
        if !acknowledged.is_empty() {
            io.outbox_mark_sent(acknowledged).await;
        }
    }
}

/// The invalidation consumer applying one event: a delete, or a set of the
/// payload (one cache operation either way).
pub async fn apply_event(io: Io, key: KeyId, payload: Option<Cached>) -> Served {
    match payload {
        None => {
            io.cache_delete(key).await;
        }
        Some(value) => {
            io.cache_set(key, value).await;
        }
    }
    Served::Write { version: None }
}

/// What a read needs of the scenario's strategy (a few bytes: every
/// running read holds it).
#[derive(Clone, Copy, Debug)]
pub struct ReadPlan {
    /// Read-through (the cache tier fills misses) rather than cache-aside.
    through: bool,
    stampede: Stampede,
    waiting: Waiting,
    accept_stale: bool,
    compare_unlock: bool,
    xfetch_beta: f64,
    early_ms: Millis,
}

impl ReadPlan {
    /// How reads go under `strategy`.
    pub fn of(strategy: &Strategy) -> Self {
        ReadPlan {
            through: strategy.write == WriteStrategy::WriteThrough,
            stampede: strategy.stampede,
            waiting: Waiting::new(strategy),
            accept_stale: strategy.accept_stale,
            compare_unlock: !strategy.unsafe_unlock,
            xfetch_beta: strategy.xfetch_beta,
            early_ms: strategy.early_ms,
        }
    }
}

/// Serves a read with the scenario's stampede protection.
pub async fn read(io: Io, plan: ReadPlan, key: KeyId) -> Served {
    if plan.through {
        return read_through(io, key).await;
    }
    match plan.stampede {
        Stampede::None => cache_aside_read(io, key).await,
        Stampede::Lock => lock_read(io, key, plan.waiting, plan.compare_unlock).await,
        Stampede::Singleflight => singleflight_read(io, key).await,
        Stampede::Lease => lease_read(io, key, plan.waiting, plan.accept_stale).await,
        Stampede::Xfetch => xfetch_read(io, key, plan.xfetch_beta).await,
        Stampede::Swr => swr_read(io, key).await,
        Stampede::EarlyJitter => early_jitter_read(io, key, plan.early_ms).await,
    }
}

/// What a write needs of the scenario's strategy.
#[derive(Clone, Copy, Debug)]
pub struct WritePlan {
    write: WriteStrategy,
    channel: Channel,
    double_delete_ms: Option<Millis>,
}

impl WritePlan {
    /// How writes go under `strategy`.
    pub fn of(strategy: &Strategy) -> Self {
        WritePlan {
            write: strategy.write,
            channel: strategy.channel,
            double_delete_ms: strategy.double_delete_ms,
        }
    }
}

/// Serves a write with the scenario's write strategy.
pub async fn write(io: Io, plan: WritePlan, write: WriteId, key: KeyId, value: Value) -> Served {
    let delay = plan.double_delete_ms;
    match plan.write {
        WriteStrategy::Invalidate => {
            invalidate_on_write(io, write, key, value, plan.channel, delay).await
        }
        WriteStrategy::Update => update_on_write(io, write, key, value, plan.channel).await,
        WriteStrategy::DeleteFirst => delete_first(io, write, key, value, delay).await,
        WriteStrategy::TtlOnly => ttl_only(io, write, key, value).await,
        WriteStrategy::WriteThrough => write_through(io, write, key, value).await,
        WriteStrategy::CacheThenDb => cache_then_db(io, write, key, value).await,
        WriteStrategy::WriteBehind => write_behind(io, write, key, value).await,
    }
}
