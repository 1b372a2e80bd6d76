//! Generated workloads (`workload`): arrivals, key
//! popularity, and the bounded-memory statistics of generated requests.

use super::ops::KeyId;
use super::rng::SimRng;
use super::scenario::{Arrival, Workload};
use super::vocabulary::{Millis, RequestOp};

/// Draws the arrivals of one request kind (reads or writes).
#[derive(Clone, Debug)]
pub struct ArrivalStream {
    /// What the stream generates.
    pub op: RequestOp,
    /// Mean gap between arrivals, in (fractional) milliseconds.
    mean_gap_ms: f64,
    arrival: Arrival,
    /// The next arrival, in fractional milliseconds; events happen at its
    /// floor (virtual time is whole milliseconds).
    next_at: f64,
    end_ms: f64,
}

impl ArrivalStream {
    /// A stream of `per_s` arrivals a second until the workload ends, or
    /// `None` if the rate is zero.
    pub fn new(op: RequestOp, per_s: f64, workload: &Workload, rng: &mut SimRng) -> Option<Self> {
        if per_s <= 0.0 {
            return None;
        }
        let mut stream = ArrivalStream {
            op,
            mean_gap_ms: 1000.0 / per_s,
            arrival: workload.arrival,
            next_at: 0.0,
            end_ms: workload.duration_ms as f64,
        };
        // The first arrival comes one gap after time 0, as in a process
        // that started before the scenario.
        stream.next_at = stream.gap(rng);
        (stream.next_at < stream.end_ms).then_some(stream)
    }

    /// When the next arrival happens.
    pub fn next_ms(&self) -> Millis {
        self.next_at as Millis
    }

    /// Moves to the following arrival; `false` once the workload is over.
    pub fn advance(&mut self, rng: &mut SimRng) -> bool {
        self.next_at += self.gap(rng);
        self.next_at < self.end_ms
    }

    fn gap(&self, rng: &mut SimRng) -> f64 {
        match self.arrival {
            Arrival::Uniform => self.mean_gap_ms,
            // Exponential gaps: -ln(u) * mean, u in (0, 1].
            Arrival::Poisson => -rng.unit_open_closed().ln() * self.mean_gap_ms,
        }
    }
}

/// Picks keys with Zipf-distributed popularity over the first `n` keys.
#[derive(Clone, Debug)]
pub struct KeyPicker {
    /// Cumulative popularity, normalised to end at 1.
    cumulative: Vec<f64>,
}

impl KeyPicker {
    /// Popularity of key i proportional to 1 / (i + 1)^s.
    pub fn new(keys: usize, zipf_s: f64) -> Self {
        let mut total = 0.0;
        let mut cumulative: Vec<f64> = (0..keys)
            .map(|i| {
                total += 1.0 / ((i + 1) as f64).powf(zipf_s);
                total
            })
            .collect();
        cumulative.iter_mut().for_each(|c| *c /= total);
        KeyPicker { cumulative }
    }

    /// A key, drawn by popularity.
    pub fn pick(&self, rng: &mut SimRng) -> KeyId {
        if self.cumulative.len() == 1 {
            return KeyId(0);
        }
        let u = 1.0 - rng.unit_open_closed(); // [0, 1)
        let index = self.cumulative.partition_point(|&c| c <= u);
        KeyId(index.min(self.cumulative.len() - 1) as u32)
    }
}

/// Latencies in whole milliseconds, counted per value: exact percentiles in
/// memory that does not grow with the number of requests. (In JSON — only
/// between the page and its worker — a flat list of latency, count pairs:
/// a long run's series holds thousands of histograms, and the page reads
/// them in one task.)
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "Vec<u64>", try_from = "Vec<u64>")]
pub struct Histogram {
    /// (latency, how many), by latency. A sorted vector rather than a map:
    /// a run has few distinct latencies, and recording one (every answered
    /// request, twice) is then a short binary search.
    counts: Vec<(Millis, u64)>,
    total: u64,
}

impl From<Histogram> for Vec<u64> {
    fn from(histogram: Histogram) -> Vec<u64> {
        let pairs = histogram.counts.iter();
        pairs.flat_map(|&(ms, count)| [ms, count]).collect()
    }
}

impl TryFrom<Vec<u64>> for Histogram {
    type Error = &'static str;

    fn try_from(flat: Vec<u64>) -> Result<Histogram, Self::Error> {
        if !flat.len().is_multiple_of(2) {
            return Err("a histogram is latency, count pairs");
        }
        let counts: Vec<(Millis, u64)> = flat.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        if !counts.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err("a histogram's latencies rise");
        }
        let total = counts.iter().map(|&(_, count)| count).sum();
        Ok(Histogram { counts, total })
    }
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, ms: Millis) {
        match self.counts.binary_search_by_key(&ms, |&(at, _)| at) {
            Ok(index) => self.counts[index].1 += 1,
            Err(index) => self.counts.insert(index, (ms, 1)),
        }
        self.total += 1;
    }

    /// Nearest-rank percentile, or `None` when empty.
    pub fn percentile(&self, p: u64) -> Option<Millis> {
        if self.total == 0 {
            return None;
        }
        let rank = (p * self.total).div_ceil(100).max(1);
        let mut seen = 0;
        self.counts.iter().find_map(|&(ms, count)| {
            seen += count;
            (seen >= rank).then_some(ms)
        })
    }

    /// Adds every latency `other` recorded: one pass over both sorted
    /// lists (inserting each of `other`'s values in turn costs a shift of
    /// the rest each time; charts merge hundreds of buckets at a draw).
    pub fn merge(&mut self, other: &Histogram) {
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.clone_from(other);
            return;
        }
        let mut merged = Vec::with_capacity(self.counts.len() + other.counts.len());
        let (mut mine, mut theirs) = (
            self.counts.iter().peekable(),
            other.counts.iter().peekable(),
        );
        loop {
            let next = match (mine.peek(), theirs.peek()) {
                (Some(&&(a, x)), Some(&&(b, y))) if a == b => {
                    mine.next();
                    theirs.next();
                    (a, x + y)
                }
                (Some(&&(a, _)), Some(&&(b, _))) if b < a => *theirs.next().expect("peeked"),
                (Some(_), _) => *mine.next().expect("peeked"),
                (None, Some(_)) => *theirs.next().expect("peeked"),
                (None, None) => break,
            };
            merged.push(next);
        }
        self.counts = merged;
        self.total += other.total;
    }

    /// The highest value recorded, or `None` when empty.
    pub fn max(&self) -> Option<Millis> {
        self.counts.last().map(|&(ms, _)| ms)
    }

    /// Each value recorded and how many times, lowest first.
    pub fn counts(&self) -> &[(Millis, u64)] {
        &self.counts
    }

    /// How many latencies were recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether none were.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_percentiles_match_nearest_rank() {
        let mut h = Histogram::default();
        assert_eq!(h.percentile(50), None);
        for ms in (1..=100).rev() {
            h.record(ms);
        }
        assert_eq!(h.percentile(50), Some(50));
        assert_eq!(h.percentile(99), Some(99));
        assert_eq!(h.percentile(100), Some(100));
    }

    #[test]
    fn merging_histograms_counts_as_recording_every_latency_into_one() {
        let values = [[5, 1, 9, 5, 30, 2], [1, 7, 5, 40, 40, 0]];
        let mut whole = Histogram::default();
        let mut parts = [Histogram::default(), Histogram::default()];
        for (part, values) in parts.iter_mut().zip(values) {
            for ms in values {
                part.record(ms);
                whole.record(ms);
            }
        }
        let mut merged = Histogram::default();
        merged.merge(&parts[0]);
        merged.merge(&Histogram::default());
        merged.merge(&parts[1]);
        assert_eq!(merged, whole);
        // As it crosses to and from the page's worker.
        let json = serde_json::to_string(&merged).unwrap();
        assert_eq!(json, "[0,1,1,2,2,1,5,3,7,1,9,1,30,1,40,2]");
        assert_eq!(serde_json::from_str::<Histogram>(&json).unwrap(), whole);
        assert!(serde_json::from_str::<Histogram>("[1,2,3]").is_err());
        assert!(serde_json::from_str::<Histogram>("[5,1,4,1]").is_err());
    }

    #[test]
    fn zipf_zero_is_uniform_and_higher_s_favours_the_first_key() {
        let mut rng = SimRng::new(9);
        let count = |picker: &KeyPicker, rng: &mut SimRng| {
            let mut counts = [0u32; 4];
            for _ in 0..40_000 {
                counts[picker.pick(rng).0 as usize] += 1;
            }
            counts
        };
        let uniform = count(&KeyPicker::new(4, 0.0), &mut rng);
        assert!(
            uniform.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{uniform:?}"
        );
        let skewed = count(&KeyPicker::new(4, 2.0), &mut rng);
        // Weights 1, 1/4, 1/9, 1/16 of 1.4236: the first key ~70%.
        assert!((27_000..29_200).contains(&skewed[0]), "{skewed:?}");
        assert!(skewed.windows(2).all(|w| w[0] > w[1]), "{skewed:?}");
    }

    #[test]
    fn poisson_arrivals_average_the_rate_and_uniform_ones_are_exact() {
        let workload = Workload {
            duration_ms: 10_000,
            reads_per_s: 1000.0,
            writes_per_s: 0.0,
            keys: None,
            zipf_s: 0.0,
            arrival: Arrival::Poisson,
        };
        let mut rng = SimRng::new(4);
        let mut stream = ArrivalStream::new(RequestOp::Read, 1000.0, &workload, &mut rng).unwrap();
        let mut n = 1;
        while stream.advance(&mut rng) {
            n += 1;
        }
        assert!((9_700..10_300).contains(&n), "{n} arrivals");
        let uniform = Workload {
            arrival: Arrival::Uniform,
            ..workload
        };
        let mut stream = ArrivalStream::new(RequestOp::Read, 1000.0, &uniform, &mut rng).unwrap();
        let mut n = 1;
        while stream.advance(&mut rng) {
            n += 1;
        }
        assert_eq!(n, 9_999, "arrivals at 1, 2, ..., 9999 ms");
    }
}
