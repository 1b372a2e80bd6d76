//! The real backend as the engine's [`Mirror`]: each operation the
//! simulation applies is performed on the real Redis and PostgreSQL, the
//! real reply goes to the strategy code, and every reply that differs from
//! the model's is recorded as a [`Difference`].

use redis::Value as RedisValue;
use serde::Serialize;

use super::cache::{self, Entry, RedisCache, SetArgs};
use super::database::Postgres;
use crate::sim::Simulation;
use crate::sim::engine::{BusEvent, Mirror};
use crate::sim::explore::Anomaly;
use crate::sim::ops::{
    Cached, ExpiringEntry, KeyId, LeaseGrant, LeaseToken, LockToken, Op, OutboxRow, Rejection,
    Reply, SetOutcome, Stamp, Unlocked, Version, Versioned, WriteId,
};
use crate::sim::scenario::{FaultKind, Millis, Scenario};
use crate::sim::strategy::Served;
use crate::sim::trace::Actor;

/// One thing the real systems did differently from the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The run's clock when it happened.
    pub at_ms: Millis,
    /// Who acted (`R`, `consumer`, `cdc`, `final`).
    pub actor: String,
    /// The operation (`cache.get`), or what was compared.
    pub op: String,
    /// The key, if it was about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What the model said.
    pub model: String,
    /// What the real systems said.
    pub real: String,
}

/// The real servers: a Redis for the cache and the bus, a PostgreSQL for
/// the database.
pub struct Servers {
    pub cache: RedisCache,
    pub db: Postgres,
}

/// What the mirror needs to know of the scenario.
struct Knobs {
    names: Vec<String>,
    grace_ms: Millis,
    stale_keep_ms: Millis,
    lease_ttl_ms: Millis,
    token_interval_ms: Millis,
    ttl_ms: Millis,
    versioned: bool,
    partitions: u32,
}

/// A partition's consumer, as Redis Streams sees it.
#[derive(Default)]
struct Consumer {
    /// Entries taken and not yet acknowledged (`XACK`), oldest first.
    unacked: Vec<String>,
    /// After a restart: how many entries it takes again from its pending
    /// list, and the id it reads after.
    again: usize,
    cursor: String,
}

/// Performs a simulation's operations on the real servers.
pub struct RealMirror {
    pub servers: Servers,
    knobs: Knobs,
    consumers: Vec<Consumer>,
    /// Every reply that differed from the model's, and every check that
    /// failed, in order.
    pub differences: Vec<Difference>,
    /// The writes whose dirty (unflushed) entries Redis held when the
    /// cache crashed.
    crashed_dirty: Vec<WriteId>,
}

/// The stream of bus partition `p`.
fn stream(p: u32) -> String {
    format!("{}bus:{p}", cache::PREFIX)
}

const GROUP: &str = "consumers";

impl RealMirror {
    /// A mirror for the scenario of `initial` (a simulation not yet
    /// stepped), with the servers reset to its state (rows at version 1;
    /// prewarmed entries as the model has them; one stream and consumer
    /// group per bus partition).
    pub fn new(servers: Servers, initial: &Simulation) -> Result<RealMirror, String> {
        let mut mirror = RealMirror::attach(servers, initial.scenario());
        mirror.reset(initial)?;
        Ok(mirror)
    }

    /// Resets the servers to the state of `initial` (see [`RealMirror::new`]).
    pub fn reset(&mut self, initial: &Simulation) -> Result<(), String> {
        let (scenario, mirror) = (initial.scenario(), self);
        mirror.crashed_dirty.clear();
        mirror.servers.cache.reset()?;
        let rows: Vec<(String, String)> = scenario
            .keys
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let cdc = scenario.strategy.channel == crate::sim::scenario::Channel::Cdc;
        let logical = mirror.servers.db.logical;
        mirror.servers.db.reset(&rows, cdc && logical)?;
        for key in initial.keys() {
            if let Some(entry) = initial.world().cache.stored(key) {
                let (expires_ms, cost_ms) = (entry.expires_ms, entry.cost_ms);
                let args = mirror.set_args(&entry.value, entry.dirty, expires_ms, cost_ms, 0);
                let name = mirror.knobs.names[key.0 as usize].clone();
                mirror.servers.cache.set(&name, &args, None, None)?;
            }
        }
        for p in 0..mirror.knobs.partitions {
            let _: RedisValue = redis::cmd("XGROUP")
                .arg(&["CREATE", &stream(p), GROUP, "0", "MKSTREAM"][..])
                .query(mirror.servers.cache.connection())
                .map_err(|e| format!("redis: XGROUP CREATE: {e}"))?;
        }
        Ok(())
    }

    /// A mirror for `scenario` on servers as they are (another
    /// connection to a run in progress).
    pub fn attach(servers: Servers, scenario: &Scenario) -> RealMirror {
        let s = &scenario.strategy;
        let knobs = Knobs {
            names: scenario.keys.keys().cloned().collect(),
            grace_ms: s.served_past_expiry_ms(),
            stale_keep_ms: s.deleted_kept_ms(),
            lease_ttl_ms: s.lock_ttl_ms,
            token_interval_ms: s.lease_token_interval_ms,
            ttl_ms: s.ttl_ms,
            versioned: s.versioned_sets,
            partitions: scenario.bus.partitions,
        };
        let consumers = (0..knobs.partitions).map(|_| Consumer::default()).collect();
        RealMirror {
            servers,
            knobs,
            consumers,
            differences: Vec::new(),
            crashed_dirty: Vec::new(),
        }
    }

    /// Performs `op` for real at `now` with no model to follow: a set
    /// lives the plain TTL (no jitter drawn).
    pub fn perform_alone(&mut self, op: &Op, now: Millis) -> Result<Reply, String> {
        self.perform(op, now, None)
    }

    /// The name of `key`.
    pub fn name(&self, key: KeyId) -> &str {
        &self.knobs.names[key.0 as usize]
    }

    fn key_of(&self, name: &str) -> Result<KeyId, String> {
        self.knobs
            .names
            .iter()
            .position(|n| n == name)
            .map(|i| KeyId(i as u32))
            .ok_or_else(|| format!("a key the scenario does not have: {name:?}"))
    }

    fn differ(
        &mut self,
        at_ms: Millis,
        actor: &str,
        op: &str,
        key: Option<KeyId>,
        model: String,
        real: String,
    ) {
        let key = key.map(|k| self.name(k).to_string());
        self.differences.push(Difference {
            at_ms,
            actor: actor.to_string(),
            op: op.to_string(),
            key,
            model,
            real,
        });
    }

    fn set_args<'a>(
        &self,
        value: &'a Cached,
        dirty: bool,
        expires_ms: Millis,
        cost_ms: Millis,
        now: Millis,
    ) -> SetArgs<'a> {
        SetArgs {
            now,
            grace_ms: self.knobs.grace_ms,
            value: &value.value,
            stamp: value.stamp,
            dirty,
            expires_ms,
            cost_ms,
            versioned: self.knobs.versioned,
        }
    }

    /// A stored value as the cache reports it: an uncommitted value whose
    /// write has committed since is reported with the version it became.
    fn cached(&mut self, value: &str, stamp: &str) -> Result<Cached, String> {
        let stamp = match cache::parse_stamp(stamp)? {
            Stamp::Uncommitted(write) => match self.servers.db.version_of(write.0)? {
                Some(version) => Stamp::Committed(version),
                None => Stamp::Uncommitted(write),
            },
            committed => committed,
        };
        Ok(Cached {
            value: value.into(),
            stamp,
        })
    }

    fn entry(&mut self, entry: &Entry) -> Result<Cached, String> {
        self.cached(&entry.value, &entry.stamp)
    }

    /// A set, looking up the version of an uncommitted held value when a
    /// versioned set needs it.
    fn set(
        &mut self,
        name: &str,
        args: &SetArgs,
        lease: Option<u64>,
    ) -> Result<SetOutcome, String> {
        let mut answer = self.servers.cache.set(name, args, lease, None)?;
        if let [resolve, stamp] = answer.as_slice()
            && resolve == "resolve"
        {
            let version = match cache::parse_stamp(stamp)? {
                Stamp::Uncommitted(write) => self.servers.db.version_of(write.0)?,
                Stamp::Committed(version) => Some(version),
            };
            let stamp = stamp.clone();
            answer = self
                .servers
                .cache
                .set(name, args, lease, Some((&stamp, version)))?;
        }
        let number = |s: &str| s.parse::<u64>().map_err(|_| format!("redis: {answer:?}"));
        match answer.as_slice() {
            [stored, expires] if stored == "stored" => Ok(SetOutcome::Stored {
                expires_ms: number(expires)?,
            }),
            [rejected, cached] if rejected == "rejected" => {
                Ok(SetOutcome::Rejected(Rejection::OlderThanCached {
                    cached: number(cached)?,
                }))
            }
            [invalid] if invalid == "lease_invalid" => {
                Ok(SetOutcome::Rejected(Rejection::LeaseInvalid))
            }
            _ => Err(format!("redis: an unexpected answer to a set: {answer:?}")),
        }
    }

    /// When a set expires: the model's draw of the TTL's jitter is the
    /// app's (a seeded random number), so a stored set uses it; otherwise
    /// the plain TTL.
    fn expiry(&self, simulated: Option<&Reply>, now: Millis) -> Millis {
        match simulated {
            Some(
                Reply::CacheSet(SetOutcome::Stored { expires_ms })
                | Reply::LeaseSet(SetOutcome::Stored { expires_ms }),
            ) => *expires_ms,
            _ => now + self.knobs.ttl_ms,
        }
    }

    /// Performs `op` for real; `simulated` is the model's reply, if there
    /// is a model run to follow.
    fn perform(
        &mut self,
        op: &Op,
        now: Millis,
        simulated: Option<&Reply>,
    ) -> Result<Reply, String> {
        let grace = self.knobs.grace_ms;
        Ok(match op {
            Op::CacheGet { key } => {
                let name = self.name(*key).to_string();
                match self.servers.cache.get(&name, now, grace)? {
                    Some(entry) => Reply::CacheGet(Some(self.entry(&entry)?)),
                    None => Reply::CacheGet(None),
                }
            }
            Op::CacheGetRefreshing { key } => {
                let name = self.name(*key).to_string();
                match self.servers.cache.get(&name, now, grace)? {
                    None => Reply::CacheGetRefreshing {
                        value: None,
                        refresh: false,
                    },
                    Some(entry) => {
                        // Stale-while-revalidate refreshes past expiry.
                        let refresh = now >= entry.expires_ms;
                        Reply::CacheGetRefreshing {
                            value: Some(self.entry(&entry)?),
                            refresh,
                        }
                    }
                }
            }
            Op::CacheGetExpiry { key } => {
                let name = self.name(*key).to_string();
                match self.servers.cache.get(&name, now, grace)? {
                    None => Reply::CacheGetExpiry(None),
                    Some(entry) => Reply::CacheGetExpiry(Some(ExpiringEntry {
                        value: self.entry(&entry)?,
                        expires_ms: entry.expires_ms,
                        cost_ms: entry.cost_ms,
                    })),
                }
            }
            Op::CacheSet { key, value, dirty } => {
                let name = self.name(*key).to_string();
                let args = self.set_args(value, *dirty, self.expiry(simulated, now), 0, now);
                Reply::CacheSet(self.set(&name, &args, None)?)
            }
            Op::CacheSetComputed {
                key,
                value,
                cost_ms,
            } => {
                let name = self.name(*key).to_string();
                let args = self.set_args(value, false, self.expiry(simulated, now), *cost_ms, now);
                Reply::CacheSet(self.set(&name, &args, None)?)
            }
            Op::LeaseSet { key, value, token } => {
                let name = self.name(*key).to_string();
                let args = self.set_args(value, false, self.expiry(simulated, now), 0, now);
                Reply::LeaseSet(self.set(&name, &args, Some(token.0))?)
            }
            Op::LeaseGet { key } => {
                let name = self.name(*key).to_string();
                let (ttl, interval) = (self.knobs.lease_ttl_ms, self.knobs.token_interval_ms);
                let answer = self
                    .servers
                    .cache
                    .lease_get(&name, now, grace, ttl, interval)?;
                Reply::LeaseGet(match answer.as_slice() {
                    [hit, value, stamp] if hit == "hit" => {
                        LeaseGrant::Hit(self.cached(value, stamp)?)
                    }
                    [stale, value, stamp] if stale == "stale" => {
                        LeaseGrant::Stale(self.cached(value, stamp)?)
                    }
                    [lease, token] if lease == "lease" => LeaseGrant::Lease(LeaseToken(
                        token.parse().map_err(|_| format!("redis: {answer:?}"))?,
                    )),
                    [wait] if wait == "wait" => LeaseGrant::Wait,
                    _ => return Err(format!("redis: an unexpected lease answer {answer:?}")),
                })
            }
            Op::CacheDelete { key } => {
                let name = self.name(*key).to_string();
                let keep = self.knobs.stale_keep_ms;
                Reply::CacheDelete {
                    removed: self.servers.cache.delete(&name, now, grace, keep)?,
                }
            }
            Op::LockAdd { key } => {
                let name = self.name(*key).to_string();
                let ttl = self.knobs.lease_ttl_ms;
                Reply::LockAdd {
                    token: self.servers.cache.lock_add(&name, now, ttl)?.map(LockToken),
                }
            }
            Op::Unlock {
                key,
                token,
                compare,
            } => {
                let name = self.name(*key).to_string();
                let answer = self.servers.cache.unlock(&name, now, token.0, *compare)?;
                let token_of = |t: &str| {
                    t.parse()
                        .map(LockToken)
                        .map_err(|_| format!("redis: {answer:?}"))
                };
                Reply::Unlock(match answer.as_slice() {
                    [s] if s == "released" => Unlocked::Released,
                    [s] if s == "expired" => Unlocked::Expired,
                    [s, t] if s == "held_by_another" => Unlocked::HeldByAnother(token_of(t)?),
                    [s, t] if s == "deleted_anothers" => Unlocked::DeletedAnothers(token_of(t)?),
                    _ => return Err(format!("redis: an unexpected unlock answer {answer:?}")),
                })
            }
            Op::DbRead { key } => {
                let name = self.name(*key).to_string();
                let (value, version) = self.servers.db.read(&name)?;
                Reply::DbRead(Versioned {
                    value: value.into(),
                    version,
                })
            }
            Op::DbWrite { key, value, write } => {
                let name = self.name(*key).to_string();
                Reply::DbWrite {
                    version: self.servers.db.write(&name, value, write.0, now, None)?,
                }
            }
            Op::DbWriteOutbox {
                key,
                value,
                write,
                update,
            } => {
                let name = self.name(*key).to_string();
                Reply::DbWrite {
                    version: self
                        .servers
                        .db
                        .write(&name, value, write.0, now, Some(*update))?,
                }
            }
            Op::OutboxPoll => {
                let rows = self.servers.db.outbox_poll(now)?;
                let mut polled = Vec::with_capacity(rows.len());
                for row in rows {
                    polled.push(OutboxRow {
                        id: row.id,
                        key: self.key_of(&row.key)?,
                        payload: row.payload.map(|(value, version)| Cached {
                            value: value.into(),
                            stamp: Stamp::Committed(version),
                        }),
                        sent: false,
                        committed_ms: row.committed_ms,
                    });
                }
                Reply::OutboxRows(polled)
            }
            Op::OutboxMarkSent { ids } => {
                self.servers.db.mark_sent(ids)?;
                Reply::MarkedSent
            }
            Op::Flush { key, .. } => {
                let name = self.name(*key).to_string();
                let Some((value, stamp)) = self.servers.cache.take_dirty(&name)? else {
                    return Ok(Reply::Flush { version: None });
                };
                let Stamp::Uncommitted(write) = cache::parse_stamp(&stamp)? else {
                    return Err(format!("a dirty entry of {name:?} holds a committed value"));
                };
                let version = self.servers.db.write(&name, &value, write.0, now, None)?;
                self.servers.cache.mark_clean(&name, &stamp, now)?;
                Reply::Flush {
                    version: Some(version),
                }
            }
            // The bus's network is the model's; the events themselves go
            // through Redis Streams (`bus_put`, `bus_take`). The cache
            // tier's per-key lock is the model's (Redis has no write-through
            // tier); the commit and the set it guards are real.
            Op::Publish { .. } | Op::TierLock { .. } => simulated
                .cloned()
                .ok_or_else(|| format!("{} has no real counterpart", op.name()))?,
        })
    }

    /// An event as a stream entry's fields.
    fn event_fields(&self, event: &BusEvent) -> Vec<(String, String)> {
        super::live_bus::event_fields(self.name(event.key), event.payload.as_ref())
    }

    fn describe_fields(fields: &[(String, String)]) -> String {
        fields
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn take(&mut self, partition: u32, event: &BusEvent, now: Millis) -> Result<(), String> {
        let consumer = &mut self.consumers[partition as usize];
        let replaying = consumer.again > 0;
        let from = if replaying {
            consumer.cursor.clone()
        } else {
            ">".to_string()
        };
        let reply: RedisValue = redis::cmd("XREADGROUP")
            .arg(
                &[
                    "GROUP",
                    GROUP,
                    &format!("consumer-{partition}"),
                    "COUNT",
                    "1",
                ][..],
            )
            .arg(&["STREAMS", &stream(partition), &from][..])
            .query(self.servers.cache.connection())
            .map_err(|e| format!("redis: XREADGROUP: {e}"))?;
        let expected = self.event_fields(event);
        let Some((id, fields)) = first_entry(&reply) else {
            let model = Self::describe_fields(&expected);
            self.differ(
                now,
                "consumer",
                "bus.take",
                Some(event.key),
                model,
                "nothing to take".into(),
            );
            return Ok(());
        };
        let consumer = &mut self.consumers[partition as usize];
        if replaying {
            consumer.again -= 1;
            consumer.cursor = id;
        } else {
            consumer.unacked.push(id);
        }
        if fields != expected {
            let (model, real) = (
                Self::describe_fields(&expected),
                Self::describe_fields(&fields),
            );
            self.differ(now, "consumer", "bus.take", Some(event.key), model, real);
        }
        Ok(())
    }

    fn error(&mut self, at_ms: Millis, actor: &str, what: &str, error: String) {
        self.differences.push(Difference {
            at_ms,
            actor: actor.to_string(),
            op: what.to_string(),
            key: None,
            model: "no error".to_string(),
            real: error,
        });
    }

    /// The anomalies the servers' own data show for `run` (the mirrored
    /// simulation, its clients' answers built from the servers' replies):
    /// a read is stale if the version the servers returned to it is older
    /// than the newest one PostgreSQL's `commits` table records before the
    /// read started; the cache is divergent at the end if an entry Redis
    /// holds is not PostgreSQL's row (an older version, or a value never
    /// committed); a write is lost if its client was told it succeeded, a
    /// cache crash took the dirty entry Redis held for it, and PostgreSQL
    /// never committed it. (A generated request's acknowledgement is not
    /// kept per request: for those the model's record decides.)
    pub fn anomalies(&mut self, run: &Simulation) -> Result<Vec<Anomaly>, String> {
        let commits = self.servers.db.commits()?;
        let committed_before = |name: &str, instant: Millis| {
            1 + commits
                .iter()
                .filter(|(key, _, at)| key == name && *at < instant)
                .count() as Version
        };
        let stale =
            run.requests()
                .iter()
                .any(|request| match (request.started_ms, &request.finished) {
                    (Some(start), Some((_, Served::Read { value, .. }))) => match value.stamp {
                        Stamp::Committed(version) => {
                            version < committed_before(self.name(request.key), start)
                        }
                        Stamp::Uncommitted(_) => false,
                    },
                    _ => false,
                });
        let rows = self.servers.db.rows()?;
        let now = run.now_ms();
        let mut divergent = false;
        for index in 0..self.knobs.names.len() {
            let name = self.knobs.names[index].clone();
            let Some(entry) = self.servers.cache.get(&name, now, self.knobs.grace_ms)? else {
                continue;
            };
            let cached = self.entry(&entry)?;
            let row = rows.iter().find(|(key, ..)| *key == name);
            divergent |= match (cached.stamp, row) {
                (Stamp::Committed(version), Some((_, _, row_version))) => version != *row_version,
                _ => true,
            };
        }
        let acknowledged = |write: WriteId| match run.requests().get(write.0 as usize) {
            Some(request) if run.scenario().workload.is_none() => {
                matches!(request.finished, Some((_, Served::Write { .. })))
            }
            _ => run.lost_writes().contains(&write),
        };
        let mut lost = false;
        for write in self.crashed_dirty.clone() {
            if acknowledged(write) && self.servers.db.version_of(write.0)?.is_none() {
                lost = true;
            }
        }
        Ok([
            (Anomaly::Stale, stale),
            (Anomaly::DivergentAtEnd, divergent),
            (Anomaly::LostWrite, lost),
        ]
        .into_iter()
        .filter_map(|(anomaly, shown)| shown.then_some(anomaly))
        .collect())
    }

    /// Notes the writes whose dirty entries Redis holds now.
    fn note_dirty(&mut self, now: Millis) -> Result<(), String> {
        for index in 0..self.knobs.names.len() {
            let name = self.knobs.names[index].clone();
            if let Some(entry) = self.servers.cache.get(&name, now, self.knobs.grace_ms)?
                && entry.dirty
                && let Stamp::Uncommitted(write) = cache::parse_stamp(&entry.stamp)?
            {
                self.crashed_dirty.push(write);
            }
        }
        Ok(())
    }

    /// Compares the real final state with the model's `cache` (each key's
    /// live entry at `now`, as the model reports it), `rows` and outbox.
    pub fn compare_final(
        &mut self,
        now: Millis,
        cache: &[Option<(Cached, bool)>],
        rows: &[Versioned],
        outbox: &[(u64, bool)],
    ) {
        if let Err(e) = self.try_compare_final(now, cache, rows, outbox) {
            self.error(now, "final", "final state", e);
        }
    }

    fn try_compare_final(
        &mut self,
        now: Millis,
        cache: &[Option<(Cached, bool)>],
        rows: &[Versioned],
        outbox: &[(u64, bool)],
    ) -> Result<(), String> {
        let describe = |entry: &Option<(Cached, bool)>| match entry {
            Some((value, dirty)) => {
                format!("{}{}", value.describe(), if *dirty { " dirty" } else { "" })
            }
            None => "absent".to_string(),
        };
        for (index, model) in cache.iter().enumerate() {
            let key = KeyId(index as u32);
            let name = self.name(key).to_string();
            let real = match self.servers.cache.get(&name, now, self.knobs.grace_ms)? {
                Some(entry) => Some((self.entry(&entry)?, entry.dirty)),
                None => None,
            };
            if &real != model {
                let (model, real) = (describe(model), describe(&real));
                self.differ(now, "final", "cache", Some(key), model, real);
            }
        }
        let real_rows = self.servers.db.rows()?;
        for (index, model) in rows.iter().enumerate() {
            let key = KeyId(index as u32);
            let real = real_rows
                .iter()
                .find(|(name, ..)| name == self.name(key))
                .map(|(_, value, version)| format!("{value}@{version}"));
            let model = format!("{}@{}", model.value, model.version);
            if real.as_ref() != Some(&model) {
                let real = real.unwrap_or_else(|| "no row".to_string());
                self.differ(now, "final", "db row", Some(key), model, real);
            }
        }
        let real_outbox = self.servers.db.outbox_sent()?;
        if real_outbox != outbox {
            let (model, real) = (format!("{outbox:?}"), format!("{real_outbox:?}"));
            self.differ(now, "final", "outbox (id, sent)", None, model, real);
        }
        Ok(())
    }
}

impl Mirror for RealMirror {
    fn effect(&mut self, actor: Actor, op: &Op, now: Millis, simulated: Reply) -> Reply {
        match self.perform(op, now, Some(&simulated)) {
            Ok(real) => {
                if real != simulated {
                    let (model, described) = (simulated.describe(), real.describe());
                    self.differ(
                        now,
                        &actor.to_string(),
                        &op.name().to_string(),
                        op.key(),
                        model,
                        described,
                    );
                }
                real
            }
            Err(error) => {
                self.error(now, &actor.to_string(), &op.name().to_string(), error);
                simulated
            }
        }
    }

    fn snapshot(
        &mut self,
        actor: Actor,
        key: KeyId,
        now: Millis,
        simulated: Versioned,
    ) -> Versioned {
        let name = self.name(key).to_string();
        match self.servers.db.read(&name) {
            Ok((value, version)) => {
                let real = Versioned {
                    value: value.into(),
                    version,
                };
                if real != simulated {
                    let (model, described) = (
                        format!("{}@{}", simulated.value, simulated.version),
                        format!("{}@{}", real.value, real.version),
                    );
                    self.differ(
                        now,
                        &actor.to_string(),
                        "db.read",
                        Some(key),
                        model,
                        described,
                    );
                }
                real
            }
            Err(error) => {
                self.error(now, &actor.to_string(), "db.read", error);
                simulated
            }
        }
    }

    fn bus_put(&mut self, partition: u32, event: &BusEvent, now: Millis) {
        let fields = self.event_fields(event);
        let mut command = redis::cmd("XADD");
        command.arg(stream(partition)).arg("*");
        for (field, value) in &fields {
            command.arg(field).arg(value);
        }
        if let Err(e) = command.query::<RedisValue>(self.servers.cache.connection()) {
            self.error(now, "bus", "XADD", e.to_string());
        }
    }

    fn bus_take(&mut self, partition: u32, event: &BusEvent, now: Millis) {
        if let Err(e) = self.take(partition, event, now) {
            self.error(now, "consumer", "XREADGROUP", e);
        }
    }

    fn consumer_restart(&mut self, partition: u32, again: usize, now: Millis) {
        let consumer = &mut self.consumers[partition as usize];
        let keep_from = consumer.unacked.len().saturating_sub(again);
        let committed: Vec<String> = consumer.unacked.drain(..keep_from).collect();
        consumer.again = again;
        consumer.cursor = "0".to_string();
        if committed.is_empty() {
            return;
        }
        let result: Result<RedisValue, _> = redis::cmd("XACK")
            .arg(stream(partition))
            .arg(GROUP)
            .arg(&committed)
            .query(self.servers.cache.connection());
        if let Err(e) = result {
            self.error(now, "consumer", "XACK", e.to_string());
        }
    }

    fn captured(&mut self, key: KeyId, version: Version, event: &BusEvent, now: Millis) {
        if !self.servers.db.logical {
            return;
        }
        let changes = match self.servers.db.changes() {
            Ok(changes) => changes,
            Err(e) => return self.error(now, "cdc", "logical decoding", e),
        };
        let name = self.name(key).to_string();
        let model = match &event.payload {
            Some(payload) => format!("{name} {}@{version}", payload.value),
            None => format!("{name} @{version}"),
        };
        let matches = |(k, v, n): &(String, String, Version)| {
            *k == name && *n == version && event.payload.as_ref().is_none_or(|p| *p.value == **v)
        };
        if changes.len() != 1 || !matches(&changes[0]) {
            let real = changes
                .iter()
                .map(|(k, v, n)| format!("{k} {v}@{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            self.differ(now, "cdc", "logical decoding", Some(key), model, real);
        }
    }

    fn fault(&mut self, kind: FaultKind, now: Millis) {
        // A cache crash loses what Redis holds (the dirty entries it held
        // are noted first: their writes are lost unless committed); every
        // other fault is of a process or the network, which the model runs.
        if kind == FaultKind::CacheCrash {
            if let Err(e) = self.note_dirty(now) {
                self.error(now, "fault", "dirty entries before a crash", e);
            }
            if let Err(e) = self.servers.cache.crash() {
                self.error(now, "fault", "cache crash", e);
            }
        }
    }
}

/// The first entry of an `XREADGROUP` reply: its id and fields.
pub(super) fn first_entry(reply: &RedisValue) -> Option<(String, Vec<(String, String)>)> {
    let streams = as_list(reply)?;
    let stream = as_list(streams.first()?)?;
    let entries = as_list(stream.get(1)?)?;
    stream_entry(entries.first()?)
}

/// A stream entry as Redis sends it, `[id, [field, value, ...]]`.
pub(super) fn stream_entry(value: &RedisValue) -> Option<(String, Vec<(String, String)>)> {
    let entry = as_list(value)?;
    let id = text(entry.first()?)?;
    let flat = as_list(entry.get(1)?)?;
    let fields = flat
        .chunks(2)
        .filter_map(|pair| Some((text(pair.first()?)?, text(pair.get(1)?)?)))
        .collect();
    Some((id, fields))
}

/// The items of an array (or, from RESP3, a map flattened to pairs).
pub(super) fn as_list(value: &RedisValue) -> Option<Vec<RedisValue>> {
    match value {
        RedisValue::Array(items) | RedisValue::Set(items) => Some(items.clone()),
        RedisValue::Map(pairs) => Some(
            pairs
                .iter()
                .map(|(k, v)| RedisValue::Array(vec![k.clone(), v.clone()]))
                .collect(),
        ),
        _ => None,
    }
}

pub(super) fn text(value: &RedisValue) -> Option<String> {
    match value {
        RedisValue::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        RedisValue::SimpleString(s) => Some(s.clone()),
        RedisValue::Int(n) => Some(n.to_string()),
        _ => None,
    }
}
