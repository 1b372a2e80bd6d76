//! Metrics over time, recorded by the engine as it runs (not derived from
//! the trace), so a run without its trace — a 100,000-request workload in
//! the page — still has its charts.
//!
//! Time is cut into at most [`MAX_BUCKETS`] buckets of equal width. The
//! width starts at 1 ms and doubles (merging neighbours) whenever the run
//! outgrows the buckets, so memory stays fixed however long the run, and
//! every width is a power of two: any series can be re-binned to the
//! coarser width of a longer run of the same scenario ([`Series::rebinned`]),
//! which is how a chart at the cursor shares the whole run's axis.

use serde::{Deserialize, Serialize};

use super::vocabulary::Millis;
use super::workload::Histogram;

/// The most buckets a series holds before its width doubles.
pub const MAX_BUCKETS: usize = 1024;

/// What happened during one bucket of time. (In JSON — only between the
/// page and its worker — a list of its fields in order, [`BucketFields`]:
/// a long run's series has a thousand buckets.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "BucketFields", into = "BucketFields")]
pub struct Bucket {
    /// DB reads (relay polls included) that took effect.
    pub db_reads: u64,
    /// DB reads (relay polls included) issued, counted in the bucket they
    /// start in (the page's chart of DB reads: a stampede is reads that
    /// start together); a dropped or unfinished read counts only here.
    pub db_reads_started: u64,
    /// DB commits.
    pub db_writes: u64,
    /// The most DB reads in flight at once during the bucket.
    pub peak_db_reads: u64,
    /// Cache gets that found a live entry.
    pub hits: u64,
    /// Cache gets that found none.
    pub misses: u64,
    /// Cache operations (gets, sets, deletes, locks) that took effect.
    pub cache_ops: u64,
    /// Publications and deliveries on the bus, and outbox work.
    pub bus_ops: u64,
    /// Requests (scripted or generated) answered.
    pub answered: u64,
    /// Reads answered with a stale value.
    pub stale_reads: u64,
    /// Acknowledged writes lost (at the cache crash that lost them).
    pub lost_writes: u64,
    /// Latencies of reads answered in the bucket.
    pub read_latency: Histogram,
    /// Latencies of writes answered in the bucket.
    pub write_latency: Histogram,
}

/// A [`Bucket`]'s fields in their order.
#[derive(Serialize, Deserialize)]
struct BucketFields(
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    u64,
    Histogram,
    Histogram,
);

impl From<Bucket> for BucketFields {
    fn from(b: Bucket) -> BucketFields {
        BucketFields(
            b.db_reads,
            b.db_reads_started,
            b.db_writes,
            b.peak_db_reads,
            b.hits,
            b.misses,
            b.cache_ops,
            b.bus_ops,
            b.answered,
            b.stale_reads,
            b.lost_writes,
            b.read_latency,
            b.write_latency,
        )
    }
}

impl From<BucketFields> for Bucket {
    fn from(f: BucketFields) -> Bucket {
        Bucket {
            db_reads: f.0,
            db_reads_started: f.1,
            db_writes: f.2,
            peak_db_reads: f.3,
            hits: f.4,
            misses: f.5,
            cache_ops: f.6,
            bus_ops: f.7,
            answered: f.8,
            stale_reads: f.9,
            lost_writes: f.10,
            read_latency: f.11,
            write_latency: f.12,
        }
    }
}

impl Bucket {
    fn absorb(&mut self, other: &Bucket) {
        self.absorb_counts(other);
        self.read_latency.merge(&other.read_latency);
        self.write_latency.merge(&other.write_latency);
    }

    /// Adds `other`'s counts, not its latencies.
    fn absorb_counts(&mut self, other: &Bucket) {
        self.db_reads += other.db_reads;
        self.db_reads_started += other.db_reads_started;
        self.db_writes += other.db_writes;
        self.peak_db_reads = self.peak_db_reads.max(other.peak_db_reads);
        self.hits += other.hits;
        self.misses += other.misses;
        self.cache_ops += other.cache_ops;
        self.bus_ops += other.bus_ops;
        self.answered += other.answered;
        self.stale_reads += other.stale_reads;
        self.lost_writes += other.lost_writes;
    }

    /// Hits over cache lookups, or `None` when there were none.
    pub fn hit_ratio(&self) -> Option<f64> {
        let lookups = self.hits + self.misses;
        (lookups > 0).then(|| self.hits as f64 / lookups as f64)
    }
}

/// Metrics per bucket of time, from 0 ms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    width_ms: Millis,
    buckets: Vec<Bucket>,
    /// DB reads in flight since the last change, and the bucket it was
    /// last noted in (a level persists through buckets with no change).
    in_flight: u64,
    in_flight_bucket: usize,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            width_ms: 1,
            buckets: Vec::new(),
            in_flight: 0,
            in_flight_bucket: 0,
        }
    }
}

impl Series {
    /// A series of one bucket holding the whole run (as wide as a bucket
    /// can be while its width stays a power of two and `width *
    /// MAX_BUCKETS` fits in a `Millis`).
    pub(crate) fn one_bucket() -> Series {
        Series {
            width_ms: 1 << 53,
            ..Series::default()
        }
    }

    /// The width of a bucket.
    pub fn width_ms(&self) -> Millis {
        self.width_ms
    }

    /// The buckets, from 0 ms up to the last one anything happened in.
    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// The width a run reaching `end_ms` ends up with.
    pub fn width_for(end_ms: Millis) -> Millis {
        let mut width: Millis = 1;
        while end_ms >= width * MAX_BUCKETS as Millis {
            width *= 2;
        }
        width
    }

    /// This series at the coarser `width_ms` (a multiple of its own width);
    /// the same series when it is not coarser. A width that is not a power
    /// of two gives a series to read (a chart's), not to record into.
    pub fn rebinned(&self, width_ms: Millis) -> Series {
        self.rebinned_by(width_ms, Bucket::absorb)
    }

    /// [`Series::rebinned`] for the counts alone: coarser buckets' latency
    /// histograms are left empty (merging them is most of the work).
    pub fn rebinned_counts(&self, width_ms: Millis) -> Series {
        self.rebinned_by(width_ms, Bucket::absorb_counts)
    }

    fn rebinned_by(&self, width_ms: Millis, absorb: fn(&mut Bucket, &Bucket)) -> Series {
        if width_ms <= self.width_ms {
            return self.clone();
        }
        debug_assert_eq!(width_ms % self.width_ms, 0, "a multiple of the width");
        let factor = (width_ms / self.width_ms) as usize;
        let mut buckets: Vec<Bucket> = Vec::with_capacity(self.buckets.len() / factor + 1);
        for (i, bucket) in self.buckets.iter().enumerate() {
            if i % factor == 0 {
                buckets.push(Bucket::default());
            }
            absorb(buckets.last_mut().expect("pushed above"), bucket);
        }
        Series {
            width_ms,
            buckets,
            in_flight: self.in_flight,
            in_flight_bucket: self.in_flight_bucket / factor,
        }
    }

    /// The index of the bucket holding `at_ms` (the width is a power of
    /// two: a shift, not a division, as this runs for every operation).
    fn index(&self, at_ms: Millis) -> usize {
        debug_assert!(self.width_ms.is_power_of_two(), "a series to record into");
        (at_ms >> self.width_ms.trailing_zeros()) as usize
    }

    /// The bucket holding instant `at_ms`, grown (and coarsened) to hold it.
    pub(crate) fn at(&mut self, at_ms: Millis) -> &mut Bucket {
        // (Called for every operation: the width is worked out again only
        // when the run outgrows it.)
        if at_ms >= self.width_ms * MAX_BUCKETS as Millis {
            *self = self.rebinned(Series::width_for(at_ms));
        }
        let index = self.index(at_ms);
        if self.buckets.len() <= index {
            self.buckets.resize_with(index + 1, Bucket::default);
        }
        &mut self.buckets[index]
    }

    /// The number of DB reads in flight changed to `level` at `at_ms`.
    pub(crate) fn db_reads_in_flight(&mut self, at_ms: Millis, level: u64) {
        let previous = self.in_flight;
        let since = self.in_flight_bucket;
        self.at(at_ms);
        let index = self.index(at_ms);
        // The previous level held through every bucket up to this instant.
        let since = since.min(index);
        for bucket in &mut self.buckets[since..=index] {
            bucket.peak_db_reads = bucket.peak_db_reads.max(previous);
        }
        let bucket = &mut self.buckets[index];
        bucket.peak_db_reads = bucket.peak_db_reads.max(level);
        self.in_flight = level;
        self.in_flight_bucket = index;
    }

    /// Every bucket's figures added up (peaks: the highest).
    pub fn total(&self) -> Bucket {
        let mut total = Bucket::default();
        for bucket in &self.buckets {
            total.absorb(bucket);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_double_and_keep_their_sums() {
        let mut series = Series::default();
        for at in 0..10_000 {
            series.at(at).db_reads += 1;
        }
        assert_eq!(series.width_ms(), 16);
        assert!(series.buckets().len() <= MAX_BUCKETS);
        assert_eq!(series.total().db_reads, 10_000);
        assert_eq!(series.buckets()[0].db_reads, 16);
        let coarser = series.rebinned(256);
        assert_eq!(coarser.total().db_reads, 10_000);
        assert_eq!(coarser.buckets()[1].db_reads, 256);
    }

    #[test]
    fn one_bucket_holds_a_whole_run() {
        let mut series = Series::one_bucket();
        for at in [0, 5, 1_000, 86_400_000, u64::from(u32::MAX)] {
            series.at(at).db_reads += 1;
            series.db_reads_in_flight(at, 2);
        }
        assert_eq!(series.buckets().len(), 1);
        assert_eq!(series.total().db_reads, 5);
        assert_eq!(series.total().peak_db_reads, 2);
    }

    #[test]
    fn a_level_of_reads_in_flight_holds_through_quiet_buckets() {
        let mut series = Series::default();
        series.db_reads_in_flight(2, 3);
        series.db_reads_in_flight(7, 0);
        let peaks: Vec<u64> = series.buckets().iter().map(|b| b.peak_db_reads).collect();
        assert_eq!(peaks, vec![0, 0, 3, 3, 3, 3, 3, 3]);
    }
}
