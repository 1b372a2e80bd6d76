//! The bus as an application uses Redis Streams: a producer appends
//! (`XADD`), consumers of a group read new entries (`XREADGROUP ... >`) and
//! acknowledge each after applying it (`XACK`). An entry a consumer took
//! and never acknowledged stays in the group's pending list; a consumer
//! that stopped without acknowledging is replaced by one that claims what
//! it left (`XAUTOCLAIM`), so the event is delivered again. Redis decides
//! all of it; nothing here follows the model.

use redis::{Connection, Value as RedisValue};

use super::cache::{connection_to, failed, key, parse_stamp, stamp_text};
use super::mirror::{as_list, first_entry, stream_entry};
use crate::sim::ops::Cached;

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
    pub fn publish(&mut self, fields: &[(String, String)]) -> Result<String, String> {
        append(&mut self.connection, &self.stream, fields)
    }

    /// The next entry no consumer of the group has taken, if there is one
    /// now; it is this consumer's until acknowledged.
    pub fn poll(&mut self) -> Result<Option<Entry>, String> {
        let reply: RedisValue = redis::cmd("XREADGROUP")
            .arg(&["GROUP", GROUP, &self.consumer, "COUNT", "1"][..])
            .arg(&["STREAMS", &self.stream, ">"][..])
            .query(&mut self.connection)
            .map_err(|e| failed("XREADGROUP", e))?;
        Ok(first_entry(&reply))
    }

    /// Acknowledges the entries `ids` (applied), in one `XACK`; how many
    /// of them were pending.
    pub fn ack(&mut self, ids: &[String]) -> Result<u64, String> {
        if ids.is_empty() {
            return Ok(0);
        }
        redis::cmd("XACK")
            .arg(&[&self.stream, GROUP][..])
            .arg(ids)
            .query(&mut self.connection)
            .map_err(|e| failed("XACK", e))
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

/// The Redis key of stream `name`.
pub fn stream_key(name: &str) -> String {
    key("live-bus", name)
}

/// Appends an entry to the stream at Redis key `stream` (`XADD ... *`,
/// Redis choosing the id from its clock); its id.
pub fn append(
    connection: &mut Connection,
    stream: &str,
    fields: &[(String, String)],
) -> Result<String, String> {
    let mut command = redis::cmd("XADD");
    command.arg(stream).arg("*");
    for (field, value) in fields {
        command.arg(field).arg(value);
    }
    command.query(connection).map_err(|e| failed("XADD", e))
}

/// When Redis appended the entry with `id`, in seconds since the epoch by
/// its clock: an id Redis chose is `<ms>-<sequence>`.
pub fn appended_s(id: &str) -> Result<f64, String> {
    id.split_once('-')
        .and_then(|(ms, _)| ms.parse::<u64>().ok())
        .map(|ms| ms as f64 / 1000.0)
        .ok_or_else(|| format!("redis: a stream entry id not of Redis's clock: {id:?}"))
}

/// An event about cache key `name` as a stream entry's fields: the key,
/// and the value and its stamp when it carries one (an update; none: an
/// invalidation).
pub fn event_fields(name: &str, payload: Option<&Cached>) -> Vec<(String, String)> {
    let mut fields = vec![("key".to_string(), name.to_string())];
    if let Some(payload) = payload {
        fields.push(("value".to_string(), payload.value.to_string()));
        fields.push(("stamp".to_string(), stamp_text(payload.stamp)));
    }
    fields
}

/// The event a stream entry's fields carry ([`event_fields`]): its cache
/// key and payload.
pub fn parse_event(fields: &[(String, String)]) -> Result<(String, Option<Cached>), String> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.as_str())
    };
    let name = field("key").ok_or_else(|| format!("a bus entry without its key: {fields:?}"))?;
    let payload = match (field("value"), field("stamp")) {
        (Some(value), Some(stamp)) => Some(Cached {
            value: value.into(),
            stamp: parse_stamp(stamp)?,
        }),
        (None, None) => None,
        _ => return Err(format!("a bus entry with half a payload: {fields:?}")),
    };
    Ok((name.to_string(), payload))
}
