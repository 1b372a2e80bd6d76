//! The database on a real PostgreSQL, in a schema of its own
//! ([`SCHEMA`], marked by a comment so that a schema of someone else's by
//! that name is refused, never touched):
//!
//! - `rows (key, value, version)`: the committed rows; a commit is
//!   `UPDATE ... SET version = version + 1 RETURNING version`;
//! - `commits (write_id, key, version, committed_ms)`: which write
//!   committed as which version, and when on the run's clock, inserted in
//!   the same transaction (how a cached value that was ahead of its commit
//!   is resolved to the version it became, and what a read is judged
//!   stale against);
//! - `outbox (id, key, payload, sent, committed_ms)`: the transactional
//!   outbox, written in the same transaction as the commit;
//! - CDC reads PostgreSQL's own commit log through a logical replication
//!   slot with the built-in `test_decoding` plugin.

use postgres::{Client, NoTls, Statement};

use crate::sim::ops::Version;
use crate::sim::scenario::Millis;

/// The schema every table of this backend lives in.
pub const SCHEMA: &str = "cachescope";

/// The comment that marks the schema as this backend's.
const MARK: &str = "cachescope conformance runs: recreated by each run";

/// The logical replication slot CDC reads.
const SLOT: &str = "cachescope_cdc";

/// An outbox row as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRow {
    pub id: u64,
    pub key: String,
    /// The committed value and version (an update), or `None` (an
    /// invalidation).
    pub payload: Option<(String, Version)>,
    /// When its transaction committed, on the run's clock.
    pub committed_ms: Millis,
}

/// A commit as the server recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitRecord {
    /// The write that committed.
    pub write: u32,
    pub key: String,
    pub version: Version,
    /// When, by the server's clock (seconds since the epoch).
    pub at_s: f64,
}

/// A commit read from the log: key, value, version.
pub type Change = (String, String, Version);

/// The database: one connection and its prepared statements.
pub struct Postgres {
    client: Client,
    read: Statement,
    read_slowly: Statement,
    update: Statement,
    record: Statement,
    outbox_insert: Statement,
    version_of: Statement,
    poll: Statement,
    mark_sent: Statement,
    /// Whether the server can decode its log (`wal_level = logical`).
    pub logical: bool,
    /// Whether CDC reads the log in this run (set by `reset`).
    capturing: bool,
}

fn failed(what: &str, e: postgres::Error) -> String {
    format!("postgres: {what}: {e}")
}

impl Postgres {
    /// Connects to the PostgreSQL at `url` and makes the schema ready,
    /// refusing one that is not this backend's.
    pub fn connect(url: &str) -> Result<Postgres, String> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| format!("postgres: a malformed URL {url:?}: {e}"))?;
        config.connect_timeout(std::time::Duration::from_secs(5));
        let mut client = config
            .connect(NoTls)
            .map_err(|e| format!("cannot reach postgres at {url}: {e}"))?;
        prepare_schema(&mut client)?;
        let mut prepare = |sql: &str| client.prepare(sql).map_err(|e| failed(sql, e));
        let read = prepare("SELECT value, version FROM cachescope.rows WHERE key = $1")?;
        let read_slowly =
            prepare("SELECT value, version FROM cachescope.rows, pg_sleep($2) WHERE key = $1")?;
        let update = prepare(
            "UPDATE cachescope.rows SET value = $2, version = version + 1 \
             WHERE key = $1 RETURNING version",
        )?;
        let record = prepare(
            "INSERT INTO cachescope.commits (write_id, key, version, committed_ms) \
             VALUES ($1, $2, $3, $4)",
        )?;
        let outbox_insert = prepare(
            "INSERT INTO cachescope.outbox (key, payload_value, payload_version, committed_ms) \
             VALUES ($1, $2, $3, $4)",
        )?;
        let version_of = prepare("SELECT version FROM cachescope.commits WHERE write_id = $1")?;
        let poll = prepare(
            "SELECT id, key, payload_value, payload_version, committed_ms FROM cachescope.outbox \
             WHERE NOT sent AND committed_ms <= $1 ORDER BY id",
        )?;
        let mark_sent = prepare("UPDATE cachescope.outbox SET sent = true WHERE id = ANY($1)")?;
        let level: String = client
            .query_one("SHOW wal_level", &[])
            .map_err(|e| failed("SHOW wal_level", e))?
            .get(0);
        Ok(Postgres {
            client,
            read,
            read_slowly,
            update,
            record,
            outbox_insert,
            version_of,
            poll,
            mark_sent,
            logical: level == "logical",
            capturing: false,
        })
    }

    /// The server's version (`15.18`).
    pub fn version(&mut self) -> Result<String, String> {
        let row = self
            .client
            .query_one("SHOW server_version", &[])
            .map_err(|e| failed("SHOW server_version", e))?;
        let full: String = row.get(0);
        Ok(full
            .split_whitespace()
            .next()
            .unwrap_or("unknown")
            .to_string())
    }

    /// Empties the tables and puts the initial rows back (version 1). With
    /// `cdc`, the log is read from here on; without, no slot is left
    /// holding the server's log back.
    pub fn reset(&mut self, initial: &[(String, String)], cdc: bool) -> Result<(), String> {
        let mut tx = self.client.transaction().map_err(|e| failed("BEGIN", e))?;
        tx.batch_execute(
            "TRUNCATE cachescope.rows, cachescope.commits, cachescope.outbox RESTART IDENTITY",
        )
        .map_err(|e| failed("TRUNCATE", e))?;
        for (key, value) in initial {
            tx.execute(
                "INSERT INTO cachescope.rows (key, value, version) VALUES ($1, $2, 1)",
                &[key, value],
            )
            .map_err(|e| failed("INSERT", e))?;
        }
        tx.commit().map_err(|e| failed("COMMIT", e))?;
        self.capturing = cdc;
        let slot_exists = !self
            .client
            .query(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
                &[&SLOT],
            )
            .map_err(|e| failed("pg_replication_slots", e))?
            .is_empty();
        match (cdc, slot_exists) {
            (true, false) => {
                self.client
                    .query(
                        "SELECT pg_create_logical_replication_slot($1, 'test_decoding')",
                        &[&SLOT],
                    )
                    .map_err(|e| failed("pg_create_logical_replication_slot", e))?;
            }
            (true, true) => {
                self.changes()?;
            }
            (false, true) => {
                self.client
                    .query("SELECT pg_drop_replication_slot($1)", &[&SLOT])
                    .map_err(|e| failed("pg_drop_replication_slot", e))?;
            }
            (false, false) => {}
        }
        Ok(())
    }

    /// Drops the CDC slot if there is one (the end of a run of runs).
    pub fn release(&mut self) -> Result<(), String> {
        self.client
            .query(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                 WHERE slot_name = $1",
                &[&SLOT],
            )
            .map_err(|e| failed("pg_drop_replication_slot", e))?;
        Ok(())
    }

    /// The committed row of `key` as of the statement's start, answered
    /// `sleep_ms` later: the read's latency spent inside the statement, so
    /// that PostgreSQL itself decides what the read sees (under READ
    /// COMMITTED a statement sees the commits made before it started).
    pub fn read_slowly(&mut self, key: &str, sleep_ms: f64) -> Result<(String, Version), String> {
        let row = self
            .client
            .query_one(&self.read_slowly, &[&key, &(sleep_ms / 1000.0)])
            .map_err(|e| failed("SELECT row, pg_sleep", e))?;
        Ok((row.get(0), row.get::<_, i64>(1) as Version))
    }

    /// The committed row of `key`.
    pub fn read(&mut self, key: &str) -> Result<(String, Version), String> {
        let row = self
            .client
            .query_one(&self.read, &[&key])
            .map_err(|e| failed("SELECT row", e))?;
        Ok((row.get(0), row.get::<_, i64>(1) as Version))
    }

    /// Commits `write`'s `value` of `key` at `now` (with an outbox row:
    /// `Some(update)`), in one transaction; returns the version.
    pub fn write(
        &mut self,
        key: &str,
        value: &str,
        write: u32,
        now: Millis,
        outbox: Option<bool>,
    ) -> Result<Version, String> {
        let mut tx = self.client.transaction().map_err(|e| failed("BEGIN", e))?;
        if self.capturing {
            // Logical decoding reads the log only as far as it is flushed:
            // with `synchronous_commit = off` (a server tuned for speed) a
            // commit returns before that, and CDC would not see it yet.
            tx.batch_execute("SET LOCAL synchronous_commit TO on")
                .map_err(|e| failed("SET LOCAL synchronous_commit", e))?;
        }
        let version: i64 = tx
            .query_one(&self.update, &[&key, &value])
            .map_err(|e| failed("UPDATE", e))?
            .get(0);
        tx.execute(
            &self.record,
            &[&i64::from(write), &key, &version, &(now as i64)],
        )
        .map_err(|e| failed("INSERT commit", e))?;
        if let Some(update) = outbox {
            let (payload, payload_version) = if update {
                (Some(value), Some(version))
            } else {
                (None, None)
            };
            tx.execute(
                &self.outbox_insert,
                &[&key, &payload, &payload_version, &(now as i64)],
            )
            .map_err(|e| failed("INSERT outbox", e))?;
        }
        tx.commit().map_err(|e| failed("COMMIT", e))?;
        Ok(version as Version)
    }

    /// The server's clock now, in seconds since the epoch.
    pub fn clock_s(&mut self) -> Result<f64, String> {
        let row = self
            .client
            .query_one("SELECT extract(epoch FROM clock_timestamp())::float8", &[])
            .map_err(|e| failed("clock_timestamp", e))?;
        Ok(row.get(0))
    }

    /// Whether the server records when each transaction committed
    /// (`track_commit_timestamp`), which a live run's checker reads.
    pub fn records_commit_instants(&mut self) -> Result<bool, String> {
        let row = self
            .client
            .query_one("SHOW track_commit_timestamp", &[])
            .map_err(|e| failed("SHOW track_commit_timestamp", e))?;
        Ok(row.get::<_, String>(0) == "on")
    }

    /// The committed row of `key` as of the statement's start, answered
    /// `sleep_ms` later, with when the statement started by the server's
    /// clock (`statement_timestamp()`, seconds since the epoch): under READ
    /// COMMITTED that is when its snapshot was taken.
    pub fn read_at_snapshot(
        &mut self,
        key: &str,
        sleep_ms: f64,
    ) -> Result<(String, Version, f64), String> {
        let row = self
            .client
            .query_one(
                "SELECT value, version, extract(epoch FROM statement_timestamp())::float8 \
                 FROM cachescope.rows, pg_sleep($2) WHERE key = $1",
                &[&key, &(sleep_ms / 1000.0)],
            )
            .map_err(|e| failed("SELECT row, pg_sleep", e))?;
        Ok((row.get(0), row.get::<_, i64>(1) as Version, row.get(2)))
    }

    /// `write`'s `value` of `key` as an application writes it: the row is
    /// updated (and locked) at once, `hold` runs with the transaction open
    /// (the write's latency), then it commits. Another writer of the row
    /// waits for the lock; a reader sees the old row until the commit.
    /// Returns the version; the instant of the commit is the server's own
    /// record ([`Postgres::commit_log`]).
    pub fn write_held_open(
        &mut self,
        key: &str,
        value: &str,
        write: u32,
        hold: impl FnOnce(),
    ) -> Result<Version, String> {
        let mut tx = self.client.transaction().map_err(|e| failed("BEGIN", e))?;
        let version: i64 = tx
            .query_one(&self.update, &[&key, &value])
            .map_err(|e| failed("UPDATE", e))?
            .get(0);
        // `committed_ms` is the model's column; a live run reads the
        // server's commit instant instead, so it stays 0 here.
        tx.execute(&self.record, &[&i64::from(write), &key, &version, &0i64])
            .map_err(|e| failed("INSERT commit", e))?;
        hold();
        tx.commit().map_err(|e| failed("COMMIT", e))?;
        Ok(version as Version)
    }

    /// Every commit since the reset by the server's own record: which
    /// write committed which version of which key, and when
    /// (`pg_xact_commit_timestamp`, seconds since the epoch), in commit
    /// order.
    pub fn commit_log(&mut self) -> Result<Vec<CommitRecord>, String> {
        let rows = self
            .client
            .query(
                "SELECT write_id, key, version, \
                 extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 AS at \
                 FROM cachescope.commits ORDER BY at, key, version",
                &[],
            )
            .map_err(|e| failed("SELECT commits, pg_xact_commit_timestamp", e))?;
        rows.iter()
            .map(|row| {
                let at: Option<f64> = row.get(3);
                Ok(CommitRecord {
                    write: row.get::<_, i64>(0) as u32,
                    key: row.get(1),
                    version: row.get::<_, i64>(2) as Version,
                    at_s: at.ok_or(
                        "postgres: a commit without its timestamp \
                                    (track_commit_timestamp was off when it committed)",
                    )?,
                })
            })
            .collect()
    }

    /// The version `write` committed as, if it has.
    pub fn version_of(&mut self, write: u32) -> Result<Option<Version>, String> {
        let rows = self
            .client
            .query(&self.version_of, &[&i64::from(write)])
            .map_err(|e| failed("SELECT commit", e))?;
        Ok(rows.first().map(|row| row.get::<_, i64>(0) as Version))
    }

    /// The outbox rows not marked sent, committed by `as_of`.
    pub fn outbox_poll(&mut self, as_of: Millis) -> Result<Vec<StoredRow>, String> {
        let rows = self
            .client
            .query(&self.poll, &[&(as_of as i64)])
            .map_err(|e| failed("SELECT outbox", e))?;
        Ok(rows
            .iter()
            .map(|row| {
                let value: Option<String> = row.get(2);
                let version: Option<i64> = row.get(3);
                StoredRow {
                    id: row.get::<_, i64>(0) as u64,
                    key: row.get(1),
                    payload: value.zip(version.map(|v| v as Version)),
                    committed_ms: row.get::<_, i64>(4) as Millis,
                }
            })
            .collect())
    }

    /// Marks outbox rows sent.
    pub fn mark_sent(&mut self, ids: &[u64]) -> Result<(), String> {
        let ids: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
        self.client
            .execute(&self.mark_sent, &[&ids])
            .map_err(|e| failed("UPDATE outbox", e))?;
        Ok(())
    }

    /// Every row, by key.
    pub fn rows(&mut self) -> Result<Vec<(String, String, Version)>, String> {
        let rows = self
            .client
            .query(
                "SELECT key, value, version FROM cachescope.rows ORDER BY key",
                &[],
            )
            .map_err(|e| failed("SELECT rows", e))?;
        Ok(rows
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get::<_, i64>(2) as Version))
            .collect())
    }

    /// Every commit of `rows`, as key, version and commit instant on the
    /// run's clock, in commit order.
    pub fn commits(&mut self) -> Result<Vec<(String, Version, Millis)>, String> {
        let rows = self
            .client
            .query(
                "SELECT key, version, committed_ms FROM cachescope.commits ORDER BY key, version",
                &[],
            )
            .map_err(|e| failed("SELECT commits", e))?;
        Ok(rows
            .iter()
            .map(|row| {
                (
                    row.get(0),
                    row.get::<_, i64>(1) as Version,
                    row.get::<_, i64>(2) as Millis,
                )
            })
            .collect())
    }

    /// Every outbox row's id and whether it is marked sent.
    pub fn outbox_sent(&mut self) -> Result<Vec<(u64, bool)>, String> {
        let rows = self
            .client
            .query("SELECT id, sent FROM cachescope.outbox ORDER BY id", &[])
            .map_err(|e| failed("SELECT outbox", e))?;
        Ok(rows
            .iter()
            .map(|row| (row.get::<_, i64>(0) as u64, row.get(1)))
            .collect())
    }

    /// The commits to `rows` the log holds since the last call, in commit
    /// order, as `test_decoding` prints them.
    pub fn changes(&mut self) -> Result<Vec<Change>, String> {
        let rows = self
            .client
            .query(
                "SELECT data FROM pg_logical_slot_get_changes($1, NULL, NULL)",
                &[&SLOT],
            )
            .map_err(|e| failed("pg_logical_slot_get_changes", e))?;
        Ok(rows
            .iter()
            .filter_map(|row| parse_change(row.get(0)))
            .collect())
    }
}

/// Creates the schema and its tables unless they are there; refuses a
/// schema by that name that is not marked as this backend's.
fn prepare_schema(client: &mut Client) -> Result<(), String> {
    let existing = client
        .query(
            "SELECT coalesce(obj_description(oid, 'pg_namespace'), '') \
             FROM pg_namespace WHERE nspname = $1",
            &[&SCHEMA],
        )
        .map_err(|e| failed("pg_namespace", e))?;
    if let Some(row) = existing.first() {
        let comment: String = row.get(0);
        if comment != MARK {
            return Err(format!(
                "postgres: schema {SCHEMA:?} exists and is not cachescope's own \
                 (its comment is {comment:?}); refusing to touch it"
            ));
        }
    }
    client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS cachescope;
             COMMENT ON SCHEMA cachescope IS '{MARK}';
             CREATE TABLE IF NOT EXISTS cachescope.rows (
               key text PRIMARY KEY, value text NOT NULL, version bigint NOT NULL);
             CREATE TABLE IF NOT EXISTS cachescope.commits (
               write_id bigint PRIMARY KEY, key text NOT NULL, version bigint NOT NULL);
             ALTER TABLE cachescope.commits
               ADD COLUMN IF NOT EXISTS committed_ms bigint NOT NULL DEFAULT 0;
             CREATE TABLE IF NOT EXISTS cachescope.outbox (
               id bigint GENERATED BY DEFAULT AS IDENTITY (MINVALUE 0 START WITH 0) PRIMARY KEY,
               key text NOT NULL, payload_value text, payload_version bigint,
               sent boolean NOT NULL DEFAULT false, committed_ms bigint NOT NULL);"
        ))
        .map_err(|e| failed("CREATE SCHEMA", e))
}

/// One `test_decoding` line about `rows`:
/// `table cachescope.rows: UPDATE: key[text]:'k' value[text]:'v2' version[bigint]:2`.
fn parse_change(line: &str) -> Option<Change> {
    let rest = line.strip_prefix("table cachescope.rows: UPDATE: ")?;
    let (key, rest) = quoted_after(rest, "key[text]:")?;
    let (value, rest) = quoted_after(rest, "value[text]:")?;
    let version = rest
        .trim()
        .strip_prefix("version[bigint]:")?
        .trim()
        .parse()
        .ok()?;
    Some((key, value, version))
}

/// The single-quoted text right after `label` ('' stands for '), and what
/// follows it.
fn quoted_after<'a>(text: &'a str, label: &str) -> Option<(String, &'a str)> {
    let body = text.trim_start().strip_prefix(label)?.strip_prefix('\'')?;
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                chars.next();
                value.push('\'');
                continue;
            }
            return Some((value, &body[i + 1..]));
        }
        value.push(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_test_decoding_update() {
        let line =
            "table cachescope.rows: UPDATE: key[text]:'it''s' value[text]:'v 2' version[bigint]:12";
        assert_eq!(
            parse_change(line),
            Some(("it's".to_string(), "v 2".to_string(), 12))
        );
        assert_eq!(parse_change("BEGIN 734"), None);
        assert_eq!(
            parse_change("table cachescope.commits: INSERT: write_id[bigint]:1"),
            None
        );
    }
}
