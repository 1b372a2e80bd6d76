//! The cache as an application uses Redis, with Redis deciding: an entry
//! is a plain string set with `SET ... PX`, so Redis's own clock expires
//! it; a lock is `SET lock:k <token> NX PX`, released by the
//! compare-and-delete script Redis's documentation gives. Nothing here is
//! given the model's clock: this is the cache of a run in real time, where
//! the servers decide and the model is asked to explain what they did.
//!
//! An entry's string holds its stamp, how long computing it took (XFetch's
//! delta) and the value, separated by a unit separator, so one `GET`
//! reads all three and one `SET` writes them.

use redis::{Commands, Connection, Script};

use super::cache::{connection_to, failed, key, parse_stamp, stamp_text};
use crate::sim::ops::Stamp;
use crate::sim::scenario::Millis;

/// Between an entry's parts (ASCII's unit separator: no value has one).
const SEPARATOR: char = '\u{1f}';

/// Deletes the lock only if it still holds the caller's token, so a holder
/// whose lock expired never deletes the next holder's (Redis's
/// documentation of `SET`, "Patterns").
const COMPARE_AND_DELETE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// A live entry as Redis holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEntry {
    /// The value.
    pub value: String,
    /// Its standing against the database.
    pub stamp: Stamp,
    /// How long computing it took.
    pub cost_ms: Millis,
    /// How long Redis will keep it (its `PTTL` when read).
    pub expires_in_ms: Millis,
}

/// One connection to the cache, as one application actor holds it.
pub struct LiveCache {
    connection: Connection,
    compare_and_delete: Script,
}

impl LiveCache {
    /// Connects to the Redis at `url`.
    pub fn connect(url: &str) -> Result<LiveCache, String> {
        Ok(LiveCache {
            connection: connection_to(url)?,
            compare_and_delete: Script::new(COMPARE_AND_DELETE),
        })
    }

    /// The entry of cache key `name`, if Redis still has it: `GET` and
    /// `PTTL` in one transaction, so the expiry is the value's.
    pub fn get(&mut self, name: &str) -> Result<Option<LiveEntry>, String> {
        let (text, pttl): (Option<String>, i64) = redis::pipe()
            .atomic()
            .get(key("live", name))
            .pttl(key("live", name))
            .query(&mut self.connection)
            .map_err(|e| failed("GET", e))?;
        let Some(text) = text else {
            return Ok(None);
        };
        let malformed = || format!("a live cache entry of {name} is malformed: {text:?}");
        let mut parts = text.splitn(3, SEPARATOR);
        let (Some(stamp), Some(cost), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        Ok(Some(LiveEntry {
            value: value.to_string(),
            stamp: parse_stamp(stamp)?,
            cost_ms: cost.parse().map_err(|_| malformed())?,
            // -1 (no expiry) cannot happen: every set gives one.
            expires_in_ms: Millis::try_from(pttl).unwrap_or(0),
        }))
    }

    /// Stores `value` under cache key `name` for `ttl_ms` of Redis's time.
    pub fn set(
        &mut self,
        name: &str,
        value: &str,
        stamp: Stamp,
        cost_ms: Millis,
        ttl_ms: Millis,
    ) -> Result<(), String> {
        let text = format!(
            "{}{SEPARATOR}{cost_ms}{SEPARATOR}{value}",
            stamp_text(stamp)
        );
        let options =
            redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(ttl_ms.max(1)));
        let _: () = self
            .connection
            .set_options(key("live", name), text, options)
            .map_err(|e| failed("SET", e))?;
        Ok(())
    }

    /// Deletes cache key `name`; whether Redis had it.
    pub fn delete(&mut self, name: &str) -> Result<bool, String> {
        let removed: u64 = self
            .connection
            .del(key("live", name))
            .map_err(|e| failed("DEL", e))?;
        Ok(removed > 0)
    }

    /// Takes the lock of cache key `name` with `token` for `px_ms` of
    /// Redis's time, unless another holds it.
    pub fn lock_add(&mut self, name: &str, token: &str, px_ms: Millis) -> Result<bool, String> {
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(px_ms.max(1)));
        let taken: Option<String> = self
            .connection
            .set_options(key("live-lock", name), token, options)
            .map_err(|e| failed("SET NX", e))?;
        Ok(taken.is_some())
    }

    /// Releases the lock of cache key `name` if it still holds `token`;
    /// whether it did.
    pub fn unlock(&mut self, name: &str, token: &str) -> Result<bool, String> {
        let deleted: u64 = self
            .compare_and_delete
            .key(key("live-lock", name))
            .arg(token)
            .invoke(&mut self.connection)
            .map_err(|e| failed("compare-and-delete", e))?;
        Ok(deleted > 0)
    }
}
