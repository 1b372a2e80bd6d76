//! The charts' data: for each metric, lines of points (bucket start, value)
//! from a run's [`Series`], the same metric of several runs overlaid, and
//! the distribution of the time until a commit is visible. Pure data, with
//! what a chart says in words (its description and its table of numbers);
//! the page draws it with plotters.

use crate::sim::consistency::ConsistencyReport;
use crate::sim::engine::{DivergenceKind, DivergenceWindow};
use crate::sim::scenario::Millis;
use crate::sim::series::{Bucket, Series};

/// What a chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// DB reads started per bucket (a read counts where it starts).
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
    /// Commits by the time until the cache served nothing older (its x
    /// axis is that time, not the run's).
    Visibility,
}

/// How a chart's values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A bar per bucket: a count of what happened in it.
    Bars,
    /// A level held through each bucket, joined by risers: a level that
    /// persists (reads in flight, a running total) has no gaps.
    Steps,
    /// A point per bucket that had something to measure, joined to its
    /// neighbours; a bucket with nothing (no lookups, no reads answered)
    /// breaks the line.
    Lines,
}

impl Metric {
    /// The metrics over the run's time, in the page's order.
    pub const ALL: [Metric; 6] = [
        Metric::DbReads,
        Metric::DbConcurrency,
        Metric::HitRatio,
        Metric::StaleReads,
        Metric::Latency,
        Metric::LostWrites,
    ];

    /// Its id in test ids and the compare panel's menu.
    pub fn id(self) -> &'static str {
        match self {
            Metric::DbReads => "db-reads",
            Metric::DbConcurrency => "db-concurrency",
            Metric::HitRatio => "hit-ratio",
            Metric::StaleReads => "stale-reads",
            Metric::Latency => "latency",
            Metric::LostWrites => "lost-writes",
            Metric::Visibility => "visibility",
        }
    }

    /// Its title on buckets of `width_ms`.
    pub fn title(self, width_ms: Millis) -> String {
        let per = format!("per {}", duration(width_ms));
        match self {
            Metric::DbReads => format!("DB reads started {per}"),
            Metric::DbConcurrency => format!("DB reads in flight (most at once {per})"),
            Metric::HitRatio => format!("Hit ratio {per}"),
            Metric::StaleReads => "Stale reads so far".to_string(),
            Metric::Latency => format!("Latency percentiles {per} (ms)"),
            Metric::LostWrites => "Lost writes so far".to_string(),
            Metric::Visibility => format!("Writes by time until visible ({per})"),
        }
    }

    /// Its name in the comparison's menu (one line per run).
    pub fn overlay_name(self) -> &'static str {
        match self {
            Metric::DbReads => "DB reads started",
            Metric::DbConcurrency => "DB reads in flight",
            Metric::HitRatio => "hit ratio",
            Metric::StaleReads => "stale reads so far",
            Metric::Latency => "read p99 (ms)",
            Metric::LostWrites => "lost writes so far",
            Metric::Visibility => "writes by time until visible",
        }
    }

    /// How its values are drawn.
    pub fn shape(self) -> Shape {
        match self {
            Metric::DbReads | Metric::Visibility => Shape::Bars,
            Metric::DbConcurrency | Metric::StaleReads | Metric::LostWrites => Shape::Steps,
            Metric::HitRatio | Metric::Latency => Shape::Lines,
        }
    }

    /// Whether its x axis is the run's time.
    pub fn over_time(self) -> bool {
        self != Metric::Visibility
    }

    /// Whether its values are shares (drawn 0-100%); the others are whole
    /// numbers (counts, milliseconds).
    pub fn is_share(self) -> bool {
        self == Metric::HitRatio
    }

    /// A value as the chart's words and table print it.
    pub fn value(self, y: f64) -> String {
        if self.is_share() {
            format!("{:.0}%", y * 100.0)
        } else if y.fract() == 0.0 {
            format!("{y:.0}")
        } else {
            format!("{y:.2}")
        }
    }

    /// Its lines for one run.
    fn lines(self, series: &Series) -> Vec<Line> {
        let per_bucket = |name: &str, f: &dyn Fn(&Bucket) -> Option<f64>| Line {
            name: name.to_string(),
            points: points(series, f),
        };
        match self {
            Metric::DbReads => vec![per_bucket("DB reads started", &|b| {
                Some(b.db_reads_started as f64)
            })],
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
            Metric::Visibility => Vec::new(),
        }
    }
}

/// `12 ms`, `5 s`, `1.5 s`: a width as a chart names it.
fn duration(ms: Millis) -> String {
    if ms >= 1000 && ms.is_multiple_of(100) {
        format!("{} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
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

/// The bucket width a chart of a run ending at `end_ms` uses: the smallest
/// round width (1, 2 or 5 times a power of ten) giving at most about
/// thirty buckets: few enough to read at a glance (a stampede's dozen reads
/// arriving over 12 ms land in one bar), and a short lesson fills its chart
/// as a long run does.
/// It must be a whole number of the recorded series' buckets: when no
/// round width within 2.5 times the target is, the series' width doubled
/// as often as needed.
pub fn bucket_width(end_ms: Millis) -> Millis {
    const BUCKETS: Millis = 30;
    let recorded = Series::width_for(end_ms);
    let target = end_ms.div_ceil(BUCKETS).max(1);
    let round = (0..19)
        .flat_map(|p| [1, 2, 5].map(|m| m * 10u64.pow(p)))
        .find(|w| *w >= target && w.is_multiple_of(recorded));
    match round {
        Some(width) if width <= target.saturating_mul(5) / 2 => width,
        _ => {
            let mut width = recorded;
            while width < target {
                width *= 2;
            }
            width
        }
    }
}

/// One line of a chart: a value per bucket start (buckets with nothing to
/// show, like a hit ratio without lookups, are left out).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its legend.
    pub name: String,
    /// (bucket start, value), by bucket.
    pub points: Vec<(Millis, f64)>,
}

impl Line {
    /// Its value in the bucket holding `at_ms` (for hover), if any.
    pub fn value_at(&self, at_ms: Millis, width_ms: Millis) -> Option<f64> {
        let start = at_ms / width_ms * width_ms;
        self.points
            .binary_search_by_key(&start, |p| p.0)
            .ok()
            .map(|i| self.points[i].1)
    }

    /// The first point whose value `better` prefers to every other's.
    fn first_extreme(&self, better: fn(f64, f64) -> bool) -> Option<(Millis, f64)> {
        self.points
            .iter()
            .copied()
            .fold(None, |best, p| match best {
                Some(b) if !better(p.1, b.1) => Some(b),
                _ => Some(p),
            })
    }
}

/// A chart: a metric's lines on a shared x axis of buckets.
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
    /// Its title.
    pub fn title(&self) -> String {
        self.metric.title(self.width_ms)
    }

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

    /// "0-5 ms" for the bucket starting at `start`.
    pub fn bucket(&self, start: Millis) -> String {
        let end = start + self.width_ms;
        if start >= 10_000 && self.width_ms.is_multiple_of(100) {
            format!("{}-{} s", start as f64 / 1000.0, end as f64 / 1000.0)
        } else {
            format!("{start}-{end} ms")
        }
    }

    /// "0-5 ms: DB reads started 12" for the bucket holding `at_ms`.
    pub fn describe_at(&self, at_ms: Millis) -> String {
        let start = at_ms / self.width_ms * self.width_ms;
        let values: Vec<String> = self
            .lines
            .iter()
            .map(|line| match line.value_at(at_ms, self.width_ms) {
                Some(y) => format!("{} {}", line.name, self.metric.value(y)),
                None => format!("{} -", line.name),
            })
            .collect();
        format!("{}: {}", self.bucket(start), values.join(", "))
    }

    /// What the chart shows in a sentence a screen reader reads (and a
    /// test checks): "DB reads started per 5 ms: peak 12 at 0-5 ms, 16 in
    /// all".
    pub fn description(&self) -> String {
        let title = self.title();
        if self.lines.iter().all(|l| l.points.is_empty()) {
            return format!("{title}: nothing yet");
        }
        let several = self.lines.len() > 1;
        let parts: Vec<String> = self
            .lines
            .iter()
            .filter(|line| !line.points.is_empty())
            .map(|line| {
                let said = self.describe_line(line);
                if several {
                    format!("{} {said}", line.name)
                } else {
                    said
                }
            })
            .collect();
        format!("{title}: {}", parts.join("; "))
    }

    /// What one (non-empty) line shows.
    fn describe_line(&self, line: &Line) -> String {
        let m = self.metric;
        let Some((at, peak)) = line.first_extreme(|a, b| a > b) else {
            return "nothing yet".to_string();
        };
        let (peak_text, peak_at) = (m.value(peak), self.bucket(at));
        if m == Metric::Visibility {
            return format!("most writes ({peak_text}) visible after {peak_at}");
        }
        if m.is_share() {
            let (low_at, low) = line.first_extreme(|a, b| a < b).unwrap_or((at, peak));
            let low_at = self.bucket(low_at);
            return format!(
                "lowest {} at {low_at}, highest {peak_text} at {peak_at}",
                m.value(low)
            );
        }
        if peak == 0.0 {
            return "none".to_string();
        }
        match m {
            Metric::StaleReads | Metric::LostWrites => {
                let first = line.points.iter().find(|p| p.1 > 0.0).map_or(at, |p| p.0);
                format!("{peak_text} in all, the first at {}", self.bucket(first))
            }
            Metric::DbReads => {
                let total: f64 = line.points.iter().map(|p| p.1).sum();
                format!("peak {peak_text} at {peak_at}, {} in all", m.value(total))
            }
            _ => format!("peak {peak_text} at {peak_at}"),
        }
    }

    /// The numbers drawn, as a table: a header row (the bucket, then each
    /// line's name) and a row per bucket any line has a value in.
    pub fn table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let first = if self.metric.over_time() {
            "time"
        } else {
            "visible after"
        };
        let mut header = vec![first.to_string()];
        header.extend(self.lines.iter().map(|l| l.name.clone()));
        let mut starts: Vec<Millis> = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let rows = starts
            .into_iter()
            .map(|start| {
                let mut row = vec![self.bucket(start)];
                row.extend(self.lines.iter().map(|l| {
                    l.value_at(start, self.width_ms)
                        .map_or_else(|| "–".to_string(), |y| self.metric.value(y))
                }));
                row
            })
            .collect();
        (header, rows)
    }
}

/// `metric` of one run, on buckets of `width_ms` (a [`bucket_width`] of the
/// whole run, so a chart at the cursor has the axis of the finished run).
pub fn chart(metric: Metric, series: &Series, width_ms: Millis) -> Chart {
    chart_of_rebinned(metric, &series.rebinned(width_ms))
}

/// Every metric's chart of one run (in [`Metric::ALL`]'s order), as
/// [`chart`] makes each, from one re-binning of the series (which merges
/// every bucket's latency histograms: the costly part).
pub fn every_chart(series: &Series, width_ms: Millis) -> Vec<Chart> {
    let series = series.rebinned(width_ms);
    Metric::ALL
        .into_iter()
        .map(|metric| chart_of_rebinned(metric, &series))
        .collect()
}

fn chart_of_rebinned(metric: Metric, series: &Series) -> Chart {
    Chart {
        metric,
        lines: metric.lines(series),
        width_ms: series.width_ms(),
    }
}

/// `metric` of several runs, one line each (latency: the read p99), on
/// buckets fitting the longest.
pub fn overlay(metric: Metric, runs: &[(&str, &Series)]) -> Chart {
    let end = runs
        .iter()
        .map(|(_, s)| s.buckets().len() as Millis * s.width_ms())
        .max()
        .unwrap_or(1);
    let width_ms = bucket_width(end);
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

/// How long commits took to become visible: commits per bucket of that
/// time, on round buckets fitting the longest wait.
pub fn visibility(consistency: &ConsistencyReport) -> Chart {
    let longest = consistency.visible_max_ms.unwrap_or(0);
    // Plus one: a wait of 0 ms still needs a bucket.
    let width_ms = bucket_width(longest + 1);
    let mut points: Vec<(Millis, f64)> = Vec::new();
    for &(ms, count) in consistency.visible_after.counts() {
        let start = ms / width_ms * width_ms;
        match points.last_mut() {
            Some(last) if last.0 == start => last.1 += count as f64,
            _ => points.push((start, count as f64)),
        }
    }
    Chart {
        metric: Metric::Visibility,
        lines: vec![Line {
            name: "writes".to_string(),
            points,
        }],
        width_ms,
    }
}

/// The most columns of the aggregated timeline.
const DENSITY_COLUMNS: Millis = 256;

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

/// The aggregated timeline of a run: its lanes, on columns of `width_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Density {
    /// The width of a column (a multiple of the series' own bucket).
    pub width_ms: Millis,
    pub lanes: Vec<DensityLane>,
}

/// The aggregated timeline of a run too large to draw operation by
/// operation: per column, requests answered, cache and DB operations, bus
/// traffic, keys stale (average over the column), stale reads, lost writes.
pub fn density(series: &Series, windows: &[DivergenceWindow], end_ms: Millis) -> Density {
    // At most `DENSITY_COLUMNS` columns: a series keeps up to four times as
    // many buckets, more than a strip's width has pixels for.
    let mut width = series.width_ms();
    while series.buckets().len() as Millis * series.width_ms() > width * DENSITY_COLUMNS {
        width *= 2;
    }
    let series = &series.rebinned_counts(width);
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
    let lanes = vec![
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
    ];
    Density {
        width_ms: width,
        lanes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_round_and_about_thirty_to_a_run() {
        assert_eq!(bucket_width(0), 1);
        assert_eq!(bucket_width(42), 2);
        assert_eq!(bucket_width(433), 20);
        assert_eq!(bucket_width(1_123), 50);
        // A run recorded on 64-ms buckets: no round width near 2 s is a
        // whole number of them, so a doubling is used.
        assert_eq!(Series::width_for(60_000), 64);
        assert_eq!(bucket_width(60_000), 2_048);
        for end in [1, 99, 100, 101, 999, 5_053, 86_400_000] {
            let width = bucket_width(end);
            assert_eq!(width % Series::width_for(end), 0, "{end}");
            assert!(end.div_ceil(width) <= 30, "{end}: {width}");
        }
    }

    #[test]
    fn a_chart_says_what_it_shows() {
        let chart = Chart {
            metric: Metric::DbReads,
            lines: vec![Line {
                name: "DB reads started".to_string(),
                points: vec![(0, 12.0), (5, 0.0), (10, 4.0)],
            }],
            width_ms: 5,
        };
        assert_eq!(
            chart.description(),
            "DB reads started per 5 ms: peak 12 at 0-5 ms, 16 in all"
        );
        assert_eq!(chart.describe_at(7), "5-10 ms: DB reads started 0");
        let (header, rows) = chart.table();
        assert_eq!(header, ["time", "DB reads started"]);
        assert_eq!(rows[2], ["10-15 ms", "4"]);
        let ratio = Chart {
            metric: Metric::HitRatio,
            lines: vec![Line {
                name: "hit ratio".to_string(),
                points: vec![(0, 0.0), (20, 1.0)],
            }],
            width_ms: 10,
        };
        assert_eq!(
            ratio.description(),
            "Hit ratio per 10 ms: lowest 0% at 0-10 ms, highest 100% at 20-30 ms"
        );
        // A bucket without lookups is a gap, not a 0.
        assert_eq!(ratio.describe_at(12), "10-20 ms: hit ratio -");
    }
}
