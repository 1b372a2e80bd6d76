//! The run's counters (the report's totals), kept per effect.

use crate::sim::ops::{LeaseGrant, Reply, SetOutcome};
use crate::sim::scenario::Millis;
use crate::sim::series::Series;

/// Counters the report is built from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// DB reads that took effect.
    pub db_reads: u64,
    /// DB commits.
    pub db_writes: u64,
    /// DB reads issued but not yet taken effect.
    pub db_reads_in_flight: u64,
    /// The most DB reads ever in flight at once.
    pub peak_concurrent_db_reads: u64,
    /// Cache gets that found a live entry.
    pub cache_hits: u64,
    /// Cache gets that found none.
    pub cache_misses: u64,
    /// Operations that took effect (faults not counted).
    pub effects: u64,
    /// Cache sets (plain and lease sets), stored or not.
    pub cache_sets: u64,
    /// Cache sets the cache refused.
    pub rejected_sets: u64,
    /// Cache deletes.
    pub cache_deletes: u64,
    /// Reads whose wait for a lock or lease ran out and that read the DB
    /// themselves (scripted and generated).
    pub fallback_reads: u64,
}

impl Counters {
    /// Counts an effect at `now` in the counters and in its bucket of time.
    pub(super) fn count(&mut self, reply: &Reply, series: &mut Series, now: Millis) {
        let c = self;
        let bucket = series.at(now);
        match reply {
            Reply::CacheGet(Some(_))
            | Reply::LeaseGet(LeaseGrant::Hit(_))
            | Reply::CacheGetRefreshing { value: Some(_), .. }
            | Reply::CacheGetExpiry(Some(_)) => {
                c.cache_hits += 1;
                bucket.hits += 1;
            }
            Reply::CacheGet(None)
            | Reply::LeaseGet(_)
            | Reply::CacheGetRefreshing { value: None, .. }
            | Reply::CacheGetExpiry(None) => {
                c.cache_misses += 1;
                bucket.misses += 1;
            }
            Reply::LockAdd { .. } | Reply::Unlock(_) | Reply::TierLock { .. } => {}
            Reply::CacheSet(outcome) | Reply::LeaseSet(outcome) => {
                c.cache_sets += 1;
                if matches!(outcome, SetOutcome::Rejected(_)) {
                    c.rejected_sets += 1;
                }
            }
            Reply::CacheDelete { .. } => c.cache_deletes += 1,
            // A relay poll is a DB read too (it occupies the database).
            Reply::DbRead(_) | Reply::SharedRead { .. } | Reply::OutboxRows(_) => {
                c.db_reads += 1;
                bucket.db_reads += 1;
                c.read_landed(series, now);
            }
            Reply::DbWrite { .. } | Reply::Flush { version: Some(_) } => {
                c.db_writes += 1;
                bucket.db_writes += 1;
            }
            // `writes` counts commits of keys; marking outbox rows is not one.
            Reply::Flush { version: None } | Reply::Publish(_) | Reply::MarkedSent => {}
            Reply::Drawn(_) => unreachable!("a draw is answered by the engine, never counted"),
        }
    }

    /// A DB read was issued at `now`.
    pub(super) fn read_issued(&mut self, series: &mut Series, now: Millis) {
        self.db_reads_in_flight += 1;
        self.peak_concurrent_db_reads = self.peak_concurrent_db_reads.max(self.db_reads_in_flight);
        series.at(now).db_reads_started += 1;
        series.db_reads_in_flight(now, self.db_reads_in_flight);
    }

    /// A DB read in flight took effect, or was dropped, at `now`.
    pub(super) fn read_landed(&mut self, series: &mut Series, now: Millis) {
        self.db_reads_in_flight -= 1;
        series.db_reads_in_flight(now, self.db_reads_in_flight);
    }
}
