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
/// documentation of `SET`, "Patterns"). It answers 1 when it deleted, and
/// otherwise the token it found (nil when no lock was there), so that the
/// caller can say what happened.
const COMPARE_AND_DELETE: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return holder
"#;

/// A plain delete of the lock, as a release that does not compare does;
/// answers the token it removed (nil when none was there).
const PLAIN_DELETE: &str = r#"
local holder = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
return holder
"#;

/// What releasing a lock found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Released {
    /// The lock held the caller's token and is gone.
    Mine,
    /// No lock was there.
    Nothing,
    /// Another's token: left alone by compare-and-delete, removed by a
    /// plain delete.
    Anothers(String),
}

/// The cache key whose entry Redis holds under `key`, if it is an entry's.
pub fn entry_name(key: &str) -> Option<&str> {
    key.strip_prefix(super::cache::PREFIX)?
        .strip_prefix("live:")
}

/// The cache key whose lock Redis holds under `key`, if it is a lock's.
pub fn lock_name(key: &str) -> Option<&str> {
    key.strip_prefix(super::cache::PREFIX)?
        .strip_prefix("live-lock:")
}

/// An entry's string: its stamp, cost and value.
pub fn parse_entry(name: &str, text: &str) -> Result<(Stamp, Millis, String), String> {
    let malformed = || format!("a live cache entry of {name} is malformed: {text:?}");
    let mut parts = text.splitn(3, SEPARATOR);
    let (Some(stamp), Some(cost), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    Ok((
        parse_stamp(stamp)?,
        cost.parse().map_err(|_| malformed())?,
        value.to_string(),
    ))
}

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
    plain_delete: Script,
}

impl LiveCache {
    /// Connects to the Redis at `url`.
    pub fn connect(url: &str) -> Result<LiveCache, String> {
        Ok(LiveCache {
            connection: connection_to(url)?,
            compare_and_delete: Script::new(COMPARE_AND_DELETE),
            plain_delete: Script::new(PLAIN_DELETE),
        })
    }

    /// This connection's address as Redis names it in its command log
    /// (`MONITOR`): `127.0.0.1:PORT`. Also loads the release scripts, so
    /// that each release is one `EVALSHA` in the log.
    pub fn address(&mut self) -> Result<String, String> {
        for script in [&self.compare_and_delete, &self.plain_delete] {
            script
                .prepare_invoke()
                .load(&mut self.connection)
                .map_err(|e| failed("SCRIPT LOAD", e))?;
        }
        let info: String = redis::cmd("CLIENT")
            .arg("INFO")
            .query(&mut self.connection)
            .map_err(|e| failed("CLIENT INFO", e))?;
        info.split_whitespace()
            .find_map(|field| field.strip_prefix("addr="))
            .map(str::to_string)
            .ok_or_else(|| format!("redis: CLIENT INFO without an address: {info:?}"))
    }

    /// The server's clock now, in seconds since the epoch (`TIME`).
    pub fn clock_s(&mut self) -> Result<f64, String> {
        let (seconds, micros): (u64, u64) = redis::cmd("TIME")
            .query(&mut self.connection)
            .map_err(|e| failed("TIME", e))?;
        Ok(seconds as f64 + micros as f64 / 1e6)
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
        let (stamp, cost_ms, value) = parse_entry(name, &text)?;
        Ok(Some(LiveEntry {
            value,
            stamp,
            cost_ms,
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

    /// Appends an event's `fields` to the stream at Redis key `stream` on
    /// this connection (so its command log names the sender); the entry's
    /// id.
    pub fn publish(&mut self, stream: &str, fields: &[(String, String)]) -> Result<String, String> {
        super::live_bus::append(&mut self.connection, stream, fields)
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

    /// Releases the lock of cache key `name` taken with `token`: with
    /// `compare`, only if it still holds `token`; without, whatever lock is
    /// there.
    pub fn unlock(&mut self, name: &str, token: &str, compare: bool) -> Result<Released, String> {
        let script = if compare {
            &self.compare_and_delete
        } else {
            &self.plain_delete
        };
        let answer: redis::Value = script
            .key(key("live-lock", name))
            .arg(token)
            .invoke(&mut self.connection)
            .map_err(|e| failed("lock release", e))?;
        Ok(match answer {
            redis::Value::Nil => Released::Nothing,
            redis::Value::Int(_) => Released::Mine,
            other => {
                let holder: String = redis::from_redis_value(other)
                    .map_err(|e| format!("redis: a lock release answered {e}"))?;
                if holder == token {
                    Released::Mine
                } else {
                    Released::Anothers(holder)
                }
            }
        })
    }
}

/// One command as Redis's command log (`MONITOR`) shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedCommand {
    /// When Redis ran it, by its clock (seconds since the epoch).
    pub at_s: f64,
    /// The client's address, or `lua` for a command a script ran.
    pub client: String,
    /// The command and its arguments.
    pub words: Vec<String>,
}

/// Redis's own record of the commands it runs, in the order it runs them:
/// a connection in `MONITOR` mode, read on a thread of its own.
pub struct CommandLog {
    reader: std::thread::JoinHandle<Result<Vec<LoggedCommand>, String>>,
    url: String,
}

/// What ends a log: a command no run sends.
const END_OF_LOG: &str = "cachescope-command-log-end";

impl CommandLog {
    /// Starts logging the commands of the Redis at `url`.
    pub fn start(url: &str) -> Result<CommandLog, String> {
        let mut connection = connection_to(url)?;
        connection
            .send_packed_command(&redis::cmd("MONITOR").get_packed_command())
            .map_err(|e| failed("MONITOR", e))?;
        // The first answer is MONITOR's OK: from then on every command is
        // logged.
        connection
            .recv_response()
            .map_err(|e| failed("MONITOR", e))?;
        connection
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .map_err(|e| failed("MONITOR", e))?;
        let reader = std::thread::spawn(move || {
            let mut log = Vec::new();
            loop {
                let line = match connection.recv_response() {
                    Ok(redis::Value::SimpleString(line)) => line,
                    Ok(other) => return Err(format!("redis: MONITOR sent {other:?}")),
                    Err(e) => return Err(failed("MONITOR", e)),
                };
                let command = parse_logged(&line)?;
                if command.words.first().map(String::as_str) == Some("ECHO")
                    && command.words.get(1).map(String::as_str) == Some(END_OF_LOG)
                {
                    return Ok(log);
                }
                log.push(command);
            }
        });
        Ok(CommandLog {
            reader,
            url: url.to_string(),
        })
    }

    /// Ends the log and gives every command it saw.
    pub fn finish(self) -> Result<Vec<LoggedCommand>, String> {
        let mut connection = connection_to(&self.url)?;
        let _: String = redis::cmd("ECHO")
            .arg(END_OF_LOG)
            .query(&mut connection)
            .map_err(|e| failed("ECHO", e))?;
        self.reader
            .join()
            .unwrap_or_else(|_| Err("the command log's reader panicked".into()))
    }
}

/// A line of `MONITOR`: `1700000000.123456 [0 127.0.0.1:5000] "SET" "k" "v"`,
/// each argument quoted with backslash escapes.
fn parse_logged(line: &str) -> Result<LoggedCommand, String> {
    let malformed = || format!("redis: a MONITOR line not understood: {line:?}");
    let (at, rest) = line.split_once(' ').ok_or_else(malformed)?;
    let rest = rest.strip_prefix('[').ok_or_else(malformed)?;
    let (source, rest) = rest.split_once("] ").ok_or_else(malformed)?;
    let client = source.split_whitespace().nth(1).ok_or_else(malformed)?;
    let mut words = Vec::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => continue,
            '"' => {}
            _ => return Err(malformed()),
        }
        let mut bytes = Vec::new();
        loop {
            match chars.next().ok_or_else(malformed)? {
                '"' => break,
                '\\' => match chars.next().ok_or_else(malformed)? {
                    'n' => bytes.push(b'\n'),
                    'r' => bytes.push(b'\r'),
                    't' => bytes.push(b'\t'),
                    'a' => bytes.push(7),
                    'b' => bytes.push(8),
                    'x' => {
                        let hex: String = chars.by_ref().take(2).collect();
                        bytes.push(u8::from_str_radix(&hex, 16).map_err(|_| malformed())?);
                    }
                    other => {
                        let mut buffer = [0; 4];
                        bytes.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
                    }
                },
                other => {
                    let mut buffer = [0; 4];
                    bytes.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
                }
            }
        }
        words.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(LoggedCommand {
        at_s: at.parse().map_err(|_| malformed())?,
        client: client.to_string(),
        words,
    })
}
