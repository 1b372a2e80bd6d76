//! The charts' data: for each metric, lines of points (bucket start, value)
//! from a run's [`Series`], and the same metric of several runs overlaid.
//! Pure data (and the axes' round ticks); the page draws it on a canvas.

use crate::sim::engine::{DivergenceKind, DivergenceWindow};
use crate::sim::scenario::Millis;
use crate::sim::series::{Bucket, Series};

/// What a chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// DB reads per bucket.
    DbReads,
    /// The most DB reads in flight at once, per bucket.
    DbConcurrency,
    /// Hits over lookups, per bucket.
    HitRatio,
    /// Stale reads so far.
    StaleReads,
    /// Read and write latency percentiles, per bucket.
    Latency,
    /// Lost writes so far.
    LostWrites,
}

impl Metric {
    /// Every metric, in the page's order.
    pub const ALL: [Metric; 6] = [
        Metric::DbReads,
        Metric::DbConcurrency,
        Metric::HitRatio,
        Metric::StaleReads,
        Metric::Latency,
        Metric::LostWrites,
    ];

    /// A name for test ids and the compare picker.
    pub fn id(self) -> &'static str {
        match self {
            Metric::DbReads => "db-reads",
            Metric::DbConcurrency => "db-concurrency",
            Metric::HitRatio => "hit-ratio",
            Metric::StaleReads => "stale-reads",
            Metric::Latency => "latency",
            Metric::LostWrites => "lost-writes",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            Metric::DbReads => "DB reads per bucket",
            Metric::DbConcurrency => "DB reads in flight (peak per bucket)",
            Metric::HitRatio => "Hit ratio per bucket",
            Metric::StaleReads => "Stale reads (cumulative)",
            Metric::Latency => "Latency percentiles (ms)",
            Metric::LostWrites => "Lost writes (cumulative)",
        }
    }

    /// The metric that stands for it when runs are overlaid (one line per
    /// run): for latency, the read p99.
    pub fn overlay_name(self) -> &'static str {
        match self {
            Metric::Latency => "read p99 (ms)",
            other => other.title(),
        }
    }

    /// Whether it is drawn as bars (a count per bucket) rather than lines.
    pub fn bars(self) -> bool {
        matches!(self, Metric::DbReads | Metric::DbConcurrency)
    }

    /// Its lines for one run.
    fn lines(self, series: &Series) -> Vec<Line> {
        let per_bucket = |name: &str, f: &dyn Fn(&Bucket) -> Option<f64>| Line {
            name: name.to_string(),
            points: points(series, f),
        };
        match self {
            Metric::DbReads => vec![per_bucket("DB reads", &|b| Some(b.db_reads as f64))],
            Metric::DbConcurrency => {
                vec![per_bucket("in flight", &|b| Some(b.peak_db_reads as f64))]
            }
            Metric::HitRatio => vec![per_bucket("hit ratio", &|b| b.hit_ratio())],
            Metric::StaleReads => vec![cumulative(series, "stale reads", |b| b.stale_reads)],
            Metric::LostWrites => vec![cumulative(series, "lost writes", |b| b.lost_writes)],
            Metric::Latency => vec![
                per_bucket("read p50", &|b| percentile(&b.read_latency, 50)),
                per_bucket("read p99", &|b| percentile(&b.read_latency, 99)),
                per_bucket("write p50", &|b| percentile(&b.write_latency, 50)),
                per_bucket("write p99", &|b| percentile(&b.write_latency, 99)),
            ],
        }
    }
}

fn percentile(h: &crate::sim::workload::Histogram, p: u64) -> Option<f64> {
    h.percentile(p).map(|ms| ms as f64)
}

fn points(series: &Series, f: &dyn Fn(&Bucket) -> Option<f64>) -> Vec<(Millis, f64)> {
    let width = series.width_ms();
    series
        .buckets()
        .iter()
        .enumerate()
        .filter_map(|(i, b)| f(b).map(|y| (i as Millis * width, y)))
        .collect()
}

fn cumulative(series: &Series, name: &str, f: fn(&Bucket) -> u64) -> Line {
    let width = series.width_ms();
    let mut sum = 0;
    let points = series
        .buckets()
        .iter()
        .enumerate()
        .map(|(i, b)| {
            sum += f(b);
            (i as Millis * width, sum as f64)
        })
        .collect();
    Line {
        name: name.to_string(),
        points,
    }
}

/// One line of a chart: a value per bucket start (buckets with nothing to
/// show, like a hit ratio without lookups, are left out).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its legend.
    pub name: String,
    /// (bucket start, value).
    pub points: Vec<(Millis, f64)>,
}

impl Line {
    /// Its value in the bucket holding `at_ms` (for hover), if any.
    pub fn value_at(&self, at_ms: Millis, width_ms: Millis) -> Option<f64> {
        let start = at_ms / width_ms * width_ms;
        self.points
            .iter()
            .find(|(x, _)| *x == start)
            .map(|(_, y)| *y)
    }
}

/// A chart: a metric's lines on a shared time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// What it shows.
    pub metric: Metric,
    /// Its lines (several metrics' percentiles, or several runs).
    pub lines: Vec<Line>,
    /// The bucket width.
    pub width_ms: Millis,
}

impl Chart {
    /// The highest value (for the y axis).
    pub fn max(&self) -> f64 {
        self.lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .fold(0.0, f64::max)
    }

    /// Every point's value added up (what a test compares with a report).
    pub fn sum(&self) -> f64 {
        // (An empty float sum is -0, which a page would print as "-0".)
        self.lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .fold(0.0, |sum, y| sum + y)
    }

    /// "1.20-1.28 s: DB reads 14" for the bucket holding `at_ms`.
    pub fn describe_at(&self, at_ms: Millis) -> String {
        let start = at_ms / self.width_ms * self.width_ms;
        let values: Vec<String> = self
            .lines
            .iter()
            .map(|line| match line.value_at(at_ms, self.width_ms) {
                Some(y) if self.metric == Metric::HitRatio => {
                    format!("{} {:.0}%", line.name, y * 100.0)
                }
                Some(y) => format!("{} {}", line.name, trim(y)),
                None => format!("{} -", line.name),
            })
            .collect();
        format!(
            "{}-{} ms: {}",
            start,
            start + self.width_ms,
            values.join(", ")
        )
    }
}

fn trim(y: f64) -> String {
    if y.fract() == 0.0 {
        format!("{y:.0}")
    } else {
        format!("{y:.2}")
    }
}

/// `metric` of one run, on buckets of `width_ms` (the whole run's width, so
/// a chart at the cursor has the axis of the finished run).
pub fn chart(metric: Metric, series: &Series, width_ms: Millis) -> Chart {
    let series = series.rebinned(width_ms);
    Chart {
        metric,
        lines: metric.lines(&series),
        width_ms: series.width_ms(),
    }
}

/// `metric` of several runs, one line each (latency: the read p99), on
/// the coarsest of their widths.
pub fn overlay(metric: Metric, runs: &[(&str, &Series)]) -> Chart {
    let width_ms = runs.iter().map(|(_, s)| s.width_ms()).max().unwrap_or(1);
    let lines = runs
        .iter()
        .map(|(label, series)| {
            let lines = metric.lines(&series.rebinned(width_ms));
            let index = if metric == Metric::Latency { 1 } else { 0 };
            Line {
                name: label.to_string(),
                points: lines[index].points.clone(),
            }
        })
        .collect();
    Chart {
        metric,
        lines,
        width_ms,
    }
}

/// Where an axis from `lo` to `hi` has its ticks: at most `at_most` of
/// them, at round values (a step of 1, 2 or 5 times a power of ten, and at
/// least `min_step`: 1 for milliseconds, steps and counts, which are whole).
pub fn round_ticks(lo: f64, hi: f64, at_most: usize, min_step: f64) -> Vec<f64> {
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 || at_most < 2 {
        return vec![lo];
    }
    // The smallest round step that needs no more than `at_most` ticks.
    let power = 10f64.powf((span / at_most as f64).log10().floor() - 1.0);
    let ticks = |step: f64| {
        let first = (lo / step - 1e-9).ceil();
        let last = (hi / step + 1e-9).floor();
        (first, (last - first + 1.0).max(0.0) as usize)
    };
    let step = [1.0, 10.0, 100.0]
        .into_iter()
        .flat_map(|p| [1.0, 2.0, 5.0].map(|m| (m * p * power).max(min_step)))
        .find(|step| ticks(*step).1 <= at_most)
        .unwrap_or(span);
    let (first, count) = ticks(step);
    (0..count).map(|i| (first + i as f64) * step).collect()
}

/// One row of the aggregated timeline: how busy each bucket was.
#[derive(Clone, Debug, PartialEq)]
pub struct DensityLane {
    /// Its label.
    pub name: &'static str,
    /// A value per bucket.
    pub values: Vec<f64>,
    /// Whether it is an anomaly (drawn in the anomaly colour and pattern).
    pub anomaly: bool,
}

/// The aggregated timeline of a run too large to draw operation by
/// operation: per bucket, requests answered, cache and DB operations, bus
/// traffic, keys stale (average over the bucket), stale reads, lost writes.
pub fn density(series: &Series, windows: &[DivergenceWindow], end_ms: Millis) -> Vec<DensityLane> {
    let width = series.width_ms();
    let buckets = series.buckets();
    let lane = |name, anomaly, f: fn(&Bucket) -> u64| DensityLane {
        name,
        anomaly,
        values: buckets.iter().map(|b| f(b) as f64).collect(),
    };
    let mut stale = vec![0.0; buckets.len()];
    for w in windows.iter().filter(|w| w.kind == DivergenceKind::Stale) {
        let to = w.to_ms.unwrap_or(end_ms).min(end_ms);
        let mut at = w.from_ms;
        while at < to {
            let index = (at / width) as usize;
            let bucket_end = (index as Millis + 1) * width;
            let until = bucket_end.min(to);
            if let Some(slot) = stale.get_mut(index) {
                *slot += (until - at) as f64 / width as f64;
            }
            at = until;
        }
    }
    vec![
        lane("requests answered", false, |b| b.answered),
        lane("cache operations", false, |b| b.cache_ops),
        lane("DB reads", false, |b| b.db_reads),
        lane("DB writes", false, |b| b.db_writes),
        lane("bus (published)", false, |b| b.bus_ops),
        DensityLane {
            name: "keys stale",
            values: stale,
            anomaly: true,
        },
        lane("stale reads", true, |b| b.stale_reads),
        lane("lost writes", true, |b| b.lost_writes),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_values_within_the_axis() {
        assert_eq!(
            round_ticks(0.0, 41.0, 6, 1.0),
            [0.0, 10.0, 20.0, 30.0, 40.0]
        );
        assert_eq!(
            round_ticks(0.0, 5053.0, 6, 1.0),
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
        );
        assert_eq!(round_ticks(12.0, 19.0, 6, 1.0), [12.0, 14.0, 16.0, 18.0]);
        // Counts are whole: never 0.28 / 0.55 / 0.83.
        assert_eq!(round_ticks(0.0, 1.0, 5, 1.0), [0.0, 1.0]);
        assert_eq!(round_ticks(0.0, 12.0, 5, 1.0), [0.0, 5.0, 10.0]);
        assert_eq!(round_ticks(0.0, 1.0, 5, 0.0), [0.0, 0.5, 1.0]);
        assert_eq!(round_ticks(3.0, 3.0, 5, 1.0), [3.0]);
        for (lo, hi, n) in [(0.0, 7.0, 6), (0.0, 99_999.0, 6), (250.0, 1_250.0, 4)] {
            let ticks = round_ticks(lo, hi, n, 1.0);
            assert!(ticks.len() <= n && ticks.len() >= 2, "{ticks:?}");
            assert!(ticks.iter().all(|t| (lo..=hi).contains(t)), "{ticks:?}");
        }
    }
}
