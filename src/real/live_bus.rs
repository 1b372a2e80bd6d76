//! The bus as an application uses Redis Streams: a producer appends
//! (`XADD`), consumers of a group read new entries (`XREADGROUP ... >`) and
//! acknowledge each after applying it (`XACK`). An entry a consumer took
//! and never acknowledged stays in the group's pending list; a consumer
//! that stopped without acknowledging is replaced by one that claims what
//! it left (`XAUTOCLAIM`), so the event is delivered again. Redis decides
//! all of it; nothing here follows the model.

use redis::{Connection, Value as RedisValue};

use super::cache::{connection_to, failed, key};
use super::mirror::{as_list, first_entry, stream_entry};

/// The group every live consumer belongs to.
const GROUP: &str = "live-consumers";

/// An entry: its id and its fields.
pub type Entry = (String, Vec<(String, String)>);

/// One connection to the stream `name`, as a producer or one consumer.
pub struct LiveStream {
    connection: Connection,
    stream: String,
    /// This consumer's name in the group.
    consumer: String,
}

impl LiveStream {
    /// Connects to stream `name` on the Redis at `url` as `consumer`,
    /// creating the stream and its group if they are not there.
    pub fn connect(url: &str, name: &str, consumer: &str) -> Result<LiveStream, String> {
        let mut connection = connection_to(url)?;
        let stream = key("live-bus", name);
        let created: redis::RedisResult<RedisValue> = redis::cmd("XGROUP")
            .arg(&["CREATE", &stream, GROUP, "0", "MKSTREAM"][..])
            .query(&mut connection);
        match created {
            Ok(_) => {}
            // Another connection created it first.
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(failed("XGROUP CREATE", e)),
        }
        Ok(LiveStream {
            connection,
            stream,
            consumer: consumer.to_string(),
        })
    }

    /// Appends an entry; its id.
    pub fn publish(&mut self, fields: &[(&str, &str)]) -> Result<String, String> {
        let mut command = redis::cmd("XADD");
        command.arg(&self.stream).arg("*");
        for (field, value) in fields {
            command.arg(field).arg(value);
        }
        command
            .query(&mut self.connection)
            .map_err(|e| failed("XADD", e))
    }

    /// The next entry no consumer of the group has taken, waiting up to
    /// `block_ms` for one; it is this consumer's until acknowledged.
    pub fn next(&mut self, block_ms: u64) -> Result<Option<Entry>, String> {
        let reply: RedisValue = redis::cmd("XREADGROUP")
            .arg(&["GROUP", GROUP, &self.consumer, "COUNT", "1", "BLOCK"][..])
            .arg(block_ms)
            .arg(&["STREAMS", &self.stream, ">"][..])
            .query(&mut self.connection)
            .map_err(|e| failed("XREADGROUP", e))?;
        Ok(first_entry(&reply))
    }

    /// Acknowledges entry `id` (applied); whether it was pending.
    pub fn ack(&mut self, id: &str) -> Result<bool, String> {
        let acknowledged: u64 = redis::cmd("XACK")
            .arg(&[&self.stream, GROUP, id][..])
            .query(&mut self.connection)
            .map_err(|e| failed("XACK", e))?;
        Ok(acknowledged > 0)
    }

    /// Takes over the entries other consumers took and have left
    /// unacknowledged for at least `min_idle_ms`: delivered again, now to
    /// this consumer.
    pub fn claim_abandoned(&mut self, min_idle_ms: u64) -> Result<Vec<Entry>, String> {
        let reply: RedisValue = redis::cmd("XAUTOCLAIM")
            .arg(&[&self.stream, GROUP, &self.consumer][..])
            .arg(min_idle_ms)
            .arg(&["0-0", "COUNT", "100"][..])
            .query(&mut self.connection)
            .map_err(|e| failed("XAUTOCLAIM", e))?;
        // [next cursor, [entries], [ids deleted meanwhile]]
        let parts = as_list(&reply).ok_or("redis: XAUTOCLAIM answered no list")?;
        let entries = parts.get(1).and_then(as_list).unwrap_or_default();
        Ok(entries.iter().filter_map(stream_entry).collect())
    }

    /// How many entries the group has taken and not acknowledged.
    pub fn pending(&mut self) -> Result<u64, String> {
        let reply: RedisValue = redis::cmd("XPENDING")
            .arg(&[&self.stream, GROUP][..])
            .query(&mut self.connection)
            .map_err(|e| failed("XPENDING", e))?;
        let summary = as_list(&reply).ok_or("redis: XPENDING answered no list")?;
        match summary.first() {
            Some(RedisValue::Int(count)) => Ok(*count as u64),
            other => Err(format!("redis: XPENDING answered {other:?}")),
        }
    }
}
