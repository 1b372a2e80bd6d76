//! The cache on a real Redis. Every key this writes starts with
//! [`PREFIX`]. A cache entry is a hash holding the value, its stamp (the
//! committed version, or the write it is waiting to commit), the dirty flag,
//! its expiry instant and the cost of computing it. Leases, kept stale
//! values and token locks are Lua scripts run with `EVALSHA`, the way
//! production clients build them on Redis, so each is one atomic step.
//!
//! Time: Redis's clock cannot run on a simulation's virtual clock, and a
//! replay runs a scenario's seconds in milliseconds. So each script gets the
//! caller's clock (`now`) and each entry carries its expiry instant on that
//! clock, the way XFetch and stale-while-revalidate implementations carry a
//! logical expiry in the value; `PX` is set as well, as a backstop that
//! removes what a run leaves.

use redis::{Commands, Connection, Script};

use crate::sim::ops::{Stamp, Version, WriteId};
use crate::sim::scenario::Millis;

/// The prefix of every key this backend touches.
pub const PREFIX: &str = "cachescope:";

/// Shared by the scripts: the live entry at `now` (a dirty entry never
/// expires; stale-while-revalidate serves `grace` past expiry), as
/// {value, stamp, expires, cost, dirty}, or nil; the backstop `PX` (600 s
/// past the logical expiry); versioned sets' refusal; a store.
const PRELUDE: &str = r#"
local function live(key, now, grace)
  local e = redis.call('HMGET', key, 'v', 's', 'e', 'c', 'd')
  if not e[1] then return nil end
  if e[5] ~= '1' and now >= tonumber(e[3]) + grace then return nil end
  return e
end
local function backstop(key, ms)
  redis.call('PEXPIRE', key, ms + 600000)
end
-- Versioned sets: nil if the set may go ahead, else the script's answer.
-- An uncommitted held value is compared by the version its write
-- committed as, which only the database knows: the caller looks it up
-- and calls again with ARGV[r] = that stamp and ARGV[r+1] = the version
-- (-1 while uncommitted).
local function refuse(key, now, grace, versioned, version, r)
  if versioned ~= '1' or version == '-1' then return nil end
  local held = live(key, now, grace)
  if not held then return nil end
  local cached
  if string.sub(held[2], 1, 1) == 'c' then
    cached = tonumber(string.sub(held[2], 2))
  elseif ARGV[r] == held[2] then
    cached = tonumber(ARGV[r + 1])
  else
    return {'resolve', held[2]}
  end
  if cached > tonumber(version) then return {'rejected', tostring(cached)} end
  return nil
end
local function store(key, now, value, stamp, dirty, expires, cost)
  redis.call('DEL', key)
  redis.call('HSET', key, 'v', value, 's', stamp, 'd', dirty, 'e', expires, 'c', cost)
  if dirty == '1' then redis.call('PERSIST', key) else backstop(key, expires - now) end
  return {'stored', tostring(expires)}
end
"#;

/// GET: KEYS entry; ARGV now, grace.
const GET: &str = r#"
return live(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
"#;

/// SET: KEYS entry; ARGV now, grace, value, stamp, dirty, expires, cost,
/// versioned, version (-1: uncommitted), resolved stamp, its version.
const SET: &str = r#"
local now, grace = tonumber(ARGV[1]), tonumber(ARGV[2])
local refused = refuse(KEYS[1], now, grace, ARGV[8], ARGV[9], 10)
if refused then return refused end
return store(KEYS[1], now, ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7])
"#;

/// DELETE: KEYS entry, lease, stale; ARGV now, grace, stale_keep. A live
/// value deleted under leases with stale values is kept as stale.
const DELETE: &str = r#"
local now, grace, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = live(KEYS[1], now, grace)
if held and keep > 0 then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'v', held[1], 's', held[2], 'e', now + keep)
  backstop(KEYS[3], keep)
end
redis.call('DEL', KEYS[1], KEYS[2])
if held then return {'removed'} end
return {'absent'}
"#;

/// LEASE_GET (memcache leases): KEYS entry, lease, last token time, stale,
/// token counter; ARGV now, grace, lease ttl, token interval.
const LEASE_GET: &str = r#"
local now, grace = tonumber(ARGV[1]), tonumber(ARGV[2])
local ttl, interval = tonumber(ARGV[3]), tonumber(ARGV[4])
local held = live(KEYS[1], now, grace)
if held then return {'hit', held[1], held[2]} end
local lease = redis.call('HGET', KEYS[2], 'e')
local outstanding = lease and now < tonumber(lease)
local last = redis.call('GET', KEYS[3])
local limited = interval > 0 and last and now < tonumber(last) + interval
if outstanding or limited then
  local stale = redis.call('HMGET', KEYS[4], 'v', 's', 'e')
  if stale[1] and now < tonumber(stale[3]) then return {'stale', stale[1], stale[2]} end
  return {'wait'}
end
local token = redis.call('INCR', KEYS[5])
if interval > 0 then
  redis.call('SET', KEYS[3], now)
  backstop(KEYS[3], interval)
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 't', token, 'e', now + ttl)
backstop(KEYS[2], ttl)
return {'lease', tostring(token)}
"#;

/// LEASE_SET: KEYS entry, lease; ARGV as SET, then the token. Stores only
/// while the token is the key's outstanding lease, which it uses up.
const LEASE_SET: &str = r#"
local now, grace = tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('HGET', KEYS[2], 't') ~= ARGV[12] then return {'lease_invalid'} end
local refused = refuse(KEYS[1], now, grace, ARGV[8], ARGV[9], 10)
if refused and refused[1] == 'resolve' then return refused end
redis.call('DEL', KEYS[2])
if refused then return refused end
return store(KEYS[1], now, ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7])
"#;

/// LOCK_ADD (`SET lock:k token NX PX ttl`, on the caller's clock): KEYS
/// lock, token counter; ARGV now, ttl.
const LOCK_ADD: &str = r#"
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local lock = redis.call('HMGET', KEYS[1], 't', 'e')
if lock[1] and now < tonumber(lock[2]) then return {'held'} end
local token = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 't', token, 'e', now + ttl)
backstop(KEYS[1], ttl)
return {'locked', tostring(token)}
"#;

/// UNLOCK: KEYS lock; ARGV now, token, compare (1: compare-and-delete, the
/// release Redis's docs prescribe; 0: a plain delete).
const UNLOCK: &str = r#"
local now = tonumber(ARGV[1])
local lock = redis.call('HMGET', KEYS[1], 't', 'e')
if not lock[1] or now >= tonumber(lock[2]) then return {'expired'} end
if lock[1] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return {'released'}
end
if ARGV[3] == '1' then return {'held_by_another', lock[1]} end
redis.call('DEL', KEYS[1])
return {'deleted_anothers', lock[1]}
"#;

/// TAKE_DIRTY: KEYS entry: the dirty value and its stamp, or nil.
const TAKE_DIRTY: &str = r#"
local e = redis.call('HMGET', KEYS[1], 'v', 's', 'd', 'e')
if e[3] ~= '1' then return nil end
return {e[1], e[2]}
"#;

/// MARK_CLEAN: KEYS entry; ARGV stamp, now: the flushed value is clean now
/// (if it is still the one flushed).
const MARK_CLEAN: &str = r#"
local e = redis.call('HMGET', KEYS[1], 's', 'd', 'e')
if e[1] == ARGV[1] and e[2] == '1' then
  redis.call('HSET', KEYS[1], 'd', '0')
  backstop(KEYS[1], math.max(0, tonumber(e[3]) - tonumber(ARGV[2])))
end
return {'ok'}
"#;

/// A cache entry as Redis holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The value.
    pub value: String,
    /// Its stamp as stored (`c<version>` or `u<write>`).
    pub stamp: String,
    /// Its logical expiry instant.
    pub expires_ms: Millis,
    /// XFetch's delta.
    pub cost_ms: Millis,
    /// Write-behind's dirty flag.
    pub dirty: bool,
}

/// A stamp as stored.
pub fn stamp_text(stamp: Stamp) -> String {
    match stamp {
        Stamp::Committed(version) => format!("c{version}"),
        Stamp::Uncommitted(write) => format!("u{}", write.0),
    }
}

/// A stored stamp read back.
pub fn parse_stamp(text: &str) -> Result<Stamp, String> {
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("a cache entry with a malformed stamp {text:?}"))
    };
    match text.split_at_checked(1) {
        Some(("c", version)) => Ok(Stamp::Committed(number(version)?)),
        Some(("u", write)) => Ok(Stamp::Uncommitted(WriteId(number(write)? as u32))),
        _ => Err(format!("a cache entry with a malformed stamp {text:?}")),
    }
}

/// What a set is asked to store.
pub struct SetArgs<'a> {
    pub now: Millis,
    pub grace_ms: Millis,
    pub value: &'a str,
    pub stamp: Stamp,
    pub dirty: bool,
    pub expires_ms: Millis,
    pub cost_ms: Millis,
    pub versioned: bool,
}

/// A script's answer: nil, or a list of strings whose first says what
/// happened.
pub type Answer = Option<Vec<String>>;

/// The cache: one connection and the loaded scripts.
pub struct RedisCache {
    connection: Connection,
    get: Script,
    set: Script,
    delete: Script,
    lease_get: Script,
    lease_set: Script,
    lock_add: Script,
    unlock: Script,
    take_dirty: Script,
    mark_clean: Script,
}

/// The Redis key of `kind` for cache key `name` (`cachescope:c:k`).
pub(super) fn key(kind: &str, name: &str) -> String {
    format!("{PREFIX}{kind}:{name}")
}

pub(super) fn failed(what: &str, e: redis::RedisError) -> String {
    format!("redis: {what}: {e}")
}

/// A connection to the Redis at `url`, or why there is none.
pub(super) fn connection_to(url: &str) -> Result<Connection, String> {
    let client = redis::Client::open(url).map_err(|e| format!("redis {url}: {e}"))?;
    client
        .get_connection_with_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| format!("cannot reach redis at {url}: {e}"))
}

impl RedisCache {
    /// Connects to the Redis at `url`.
    pub fn connect(url: &str) -> Result<RedisCache, String> {
        let connection = connection_to(url)?;
        let script = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Ok(RedisCache {
            connection,
            get: script(GET),
            set: script(SET),
            delete: script(DELETE),
            lease_get: script(LEASE_GET),
            lease_set: script(LEASE_SET),
            lock_add: script(LOCK_ADD),
            unlock: script(UNLOCK),
            take_dirty: script(TAKE_DIRTY),
            mark_clean: script(MARK_CLEAN),
        })
    }

    /// The server's version (`7.0.15`).
    pub fn version(&mut self) -> Result<String, String> {
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut self.connection)
            .map_err(|e| failed("INFO", e))?;
        Ok(info
            .lines()
            .find_map(|line| line.strip_prefix("redis_version:"))
            .unwrap_or("unknown")
            .trim()
            .to_string())
    }

    /// Removes every key of ours matching `pattern` (after the prefix).
    fn remove_matching(&mut self, pattern: &str) -> Result<(), String> {
        let keys: Vec<String> = self
            .connection
            .scan_match(format!("{PREFIX}{pattern}"))
            .map_err(|e| failed("SCAN", e))?
            .collect::<Result<_, _>>()
            .map_err(|e| failed("SCAN", e))?;
        if !keys.is_empty() {
            let _: () = self.connection.del(keys).map_err(|e| failed("DEL", e))?;
        }
        Ok(())
    }

    /// Removes everything of ours: a fresh start for a run.
    pub fn reset(&mut self) -> Result<(), String> {
        self.remove_matching("*")
    }

    /// A cache server crash: every entry, lease, kept value and lock is
    /// lost. The token counters are kept (a real restart would start them
    /// again, which only matters to a holder of a token from before the
    /// crash); the bus is another server.
    pub fn crash(&mut self) -> Result<(), String> {
        for kind in ["c:*", "lease:*", "last:*", "stale:*", "lock:*"] {
            self.remove_matching(kind)?;
        }
        Ok(())
    }

    /// The live entry of `name` at `now`.
    pub fn get(&mut self, name: &str, now: Millis, grace: Millis) -> Result<Option<Entry>, String> {
        let answer = run(
            &mut self.connection,
            &self.get,
            &[key("c", name)],
            &[now.to_string(), grace.to_string()],
        )?;
        answer.map(|fields| entry_of(&fields)).transpose()
    }

    /// A set (a lease set with `lease`), with the stamp a versioned set
    /// needs resolved, if any.
    pub fn set(
        &mut self,
        name: &str,
        args: &SetArgs,
        lease: Option<u64>,
        resolved: Option<(&str, Option<Version>)>,
    ) -> Result<Vec<String>, String> {
        let version = match args.stamp {
            Stamp::Committed(v) => v.to_string(),
            Stamp::Uncommitted(_) => "-1".to_string(),
        };
        let (resolved_stamp, resolved_version) = match resolved {
            Some((stamp, version)) => (
                stamp.to_string(),
                version.map_or("-1".to_string(), |v| v.to_string()),
            ),
            None => (String::new(), "-1".to_string()),
        };
        let mut argv = vec![
            args.now.to_string(),
            args.grace_ms.to_string(),
            args.value.to_string(),
            stamp_text(args.stamp),
            if args.dirty { "1" } else { "0" }.to_string(),
            args.expires_ms.to_string(),
            args.cost_ms.to_string(),
            if args.versioned { "1" } else { "0" }.to_string(),
            version,
            resolved_stamp,
            resolved_version,
        ];
        let (script, keys) = match lease {
            Some(token) => {
                argv.push(token.to_string());
                (&self.lease_set, vec![key("c", name), key("lease", name)])
            }
            None => (&self.set, vec![key("c", name)]),
        };
        run(&mut self.connection, script, &keys, &argv)?
            .ok_or_else(|| "redis: a set answered nothing".to_string())
    }

    /// A delete; `true` when a live entry was removed.
    pub fn delete(
        &mut self,
        name: &str,
        now: Millis,
        grace: Millis,
        stale_keep: Millis,
    ) -> Result<bool, String> {
        let keys = [key("c", name), key("lease", name), key("stale", name)];
        let args = [now.to_string(), grace.to_string(), stale_keep.to_string()];
        let answer = run(&mut self.connection, &self.delete, &keys, &args)?;
        Ok(answer.is_some_and(|a| a.first().is_some_and(|s| s == "removed")))
    }

    /// A lease get.
    pub fn lease_get(
        &mut self,
        name: &str,
        now: Millis,
        grace: Millis,
        lease_ttl: Millis,
        interval: Millis,
    ) -> Result<Vec<String>, String> {
        let keys = [
            key("c", name),
            key("lease", name),
            key("last", name),
            key("stale", name),
            format!("{PREFIX}meta:lease_token"),
        ];
        let args = [now, grace, lease_ttl, interval].map(|n| n.to_string());
        run(&mut self.connection, &self.lease_get, &keys, &args)?
            .ok_or_else(|| "redis: a lease get answered nothing".to_string())
    }

    /// Adds the key's lock; the token, or `None` while another holds it.
    pub fn lock_add(
        &mut self,
        name: &str,
        now: Millis,
        ttl: Millis,
    ) -> Result<Option<u64>, String> {
        let keys = [key("lock", name), format!("{PREFIX}meta:lock_token")];
        let answer = run(
            &mut self.connection,
            &self.lock_add,
            &keys,
            &[now.to_string(), ttl.to_string()],
        )?;
        match answer.as_deref() {
            Some([locked, token]) if locked == "locked" => token
                .parse()
                .map(Some)
                .map_err(|_| format!("redis: a malformed lock token {token:?}")),
            _ => Ok(None),
        }
    }

    /// Releases the key's lock.
    pub fn unlock(
        &mut self,
        name: &str,
        now: Millis,
        token: u64,
        compare: bool,
    ) -> Result<Vec<String>, String> {
        let args = [
            now.to_string(),
            token.to_string(),
            u8::from(compare).to_string(),
        ];
        run(
            &mut self.connection,
            &self.unlock,
            &[key("lock", name)],
            &args,
        )?
        .ok_or_else(|| "redis: an unlock answered nothing".to_string())
    }

    /// The dirty value of `name` and its stamp, if it has one.
    pub fn take_dirty(&mut self, name: &str) -> Result<Option<(String, String)>, String> {
        Ok(
            match run(
                &mut self.connection,
                &self.take_dirty,
                &[key("c", name)],
                &[],
            )? {
                Some(fields) if fields.len() == 2 => Some((fields[0].clone(), fields[1].clone())),
                _ => None,
            },
        )
    }

    /// The flushed value (still `stamp`) is clean now.
    pub fn mark_clean(&mut self, name: &str, stamp: &str, now: Millis) -> Result<(), String> {
        run(
            &mut self.connection,
            &self.mark_clean,
            &[key("c", name)],
            &[stamp.to_string(), now.to_string()],
        )?;
        Ok(())
    }

    /// The connection, for the bus (Redis Streams on the same server).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.connection
    }
}

/// Runs `script` (`EVALSHA`, loading it first if the server lacks it).
fn run(
    connection: &mut Connection,
    script: &Script,
    keys: &[String],
    args: &[String],
) -> Result<Answer, String> {
    let mut invocation = script.prepare_invoke();
    for k in keys {
        invocation.key(k);
    }
    for a in args {
        invocation.arg(a);
    }
    invocation
        .invoke(connection)
        .map_err(|e| failed("EVALSHA", e))
}

/// An entry from a script's {value, stamp, expires, cost, dirty}.
fn entry_of(fields: &[String]) -> Result<Entry, String> {
    let [value, stamp, expires, cost, dirty] = fields else {
        return Err(format!("redis: a malformed cache entry {fields:?}"));
    };
    let number = |s: &str| {
        s.parse::<Millis>()
            .map_err(|_| format!("redis: a malformed cache entry {fields:?}"))
    };
    Ok(Entry {
        value: value.clone(),
        stamp: stamp.clone(),
        expires_ms: number(expires)?,
        cost_ms: if cost.is_empty() { 0 } else { number(cost)? },
        dirty: dirty == "1",
    })
}
