//! The explorer panel's state: counting every interleaving in slices, and
//! its result; where there are too many to count, sampling random orders
//! in slices, and their shares with 95% intervals.

use std::cell::RefCell;
use std::rc::Rc;

use crate::sim::explore::{Anomaly, Exploration, ExploreError, Explorer, Progress, Summary};
use crate::sim::sample::{DEFAULT_SAMPLE_SEED, DEFAULT_SAMPLES, SampleSummary, Sampler};

/// Explorer steps between looks at the clock; a slice (one per animation
/// frame) takes steps for `WORK_BUDGET_MS`, so the page stays responsive
/// however costly a step or a frame is.
pub(super) const EXPLORE_STEPS: usize = 500;

/// Orders the sampler draws between looks at the clock (an order of a
/// stampede lesson is a few hundred steps).
pub(super) const SAMPLE_ORDERS: usize = 10;

/// The explorer panel: every interleaving of the scenario on screen,
/// counted in slices between frames.
#[derive(Clone, Default)]
pub enum Exploring {
    /// Not started (or cancelled).
    #[default]
    Idle,
    /// Counting; shared because the explorer itself is not cloned.
    Running {
        explorer: Rc<RefCell<Explorer>>,
        /// What the panel shows, and when (page clock) it was last
        /// brought up to date.
        progress: Progress,
        shown_at_ms: f64,
    },
    /// Every schedule counted.
    Done {
        exploration: Rc<Exploration>,
        summary: Summary,
        /// The failing schedule on screen: which anomaly, and which of its
        /// schedules (0: the shortest; k: the k-th in the explorer's order).
        shown: Option<(Anomaly, usize)>,
    },
    /// Too many orders to count: drawing random ones instead.
    Sampling {
        sampler: Rc<RefCell<Sampler>>,
        /// Orders drawn when the panel was last brought up to date, and
        /// when (page clock).
        taken: usize,
        shown_at_ms: f64,
        /// Why the orders could not be counted.
        why: String,
    },
    /// Every order drawn.
    Sampled {
        sampler: Rc<RefCell<Sampler>>,
        summary: Rc<SampleSummary>,
        why: String,
        /// The sampled order on screen: the shortest with this anomaly.
        shown: Option<Anomaly>,
    },
    /// Why it could not be done.
    Refused(String),
}

impl Exploring {
    /// Starts counting every interleaving of `scenario`; or why it cannot.
    pub fn start(scenario: &crate::sim::Scenario) -> Exploring {
        match Explorer::new(scenario, crate::sim::explore::Limits::default()) {
            Ok(explorer) => Exploring::Running {
                progress: explorer.progress(),
                shown_at_ms: f64::NEG_INFINITY,
                explorer: Rc::new(RefCell::new(explorer)),
            },
            Err(error) => Exploring::counting_failed(scenario, &error),
        }
    }

    /// What follows a count that could not be done: sampling, where there
    /// are only too many orders; otherwise the reason.
    pub fn counting_failed(scenario: &crate::sim::Scenario, error: &ExploreError) -> Exploring {
        if !error.sampling_helps() {
            return Exploring::Refused(error.to_string());
        }
        let why = match error {
            ExploreError::TooManyRequests { requests, .. } => {
                format!("{requests} concurrent requests have too many orders to count")
            }
            ExploreError::TooManyStates { limit } => {
                format!("more than {limit} distinct states: too many orders to count")
            }
            _ => "too many orders to count".to_string(),
        };
        match Sampler::new(scenario, DEFAULT_SAMPLES, DEFAULT_SAMPLE_SEED) {
            Ok(sampler) => Exploring::Sampling {
                sampler: Rc::new(RefCell::new(sampler)),
                taken: 0,
                shown_at_ms: f64::NEG_INFINITY,
                why,
            },
            Err(error) => Exploring::Refused(error.to_string()),
        }
    }

    /// Whether it is working between frames (counting or sampling).
    pub fn working(&self) -> bool {
        matches!(self, Exploring::Running { .. } | Exploring::Sampling { .. })
    }
}

impl std::fmt::Debug for Exploring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exploring::Idle => write!(f, "Idle"),
            Exploring::Running { progress, .. } => write!(f, "Running({progress:?})"),
            Exploring::Done { summary, shown, .. } => write!(f, "Done({summary:?}, {shown:?})"),
            Exploring::Sampling { taken, .. } => write!(f, "Sampling({taken})"),
            Exploring::Sampled { summary, shown, .. } => {
                write!(f, "Sampled({summary:?}, {shown:?})")
            }
            Exploring::Refused(why) => write!(f, "Refused({why})"),
        }
    }
}

impl PartialEq for Exploring {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Exploring::Idle, Exploring::Idle) => true,
            (
                Exploring::Running {
                    explorer: a,
                    progress: p,
                    ..
                },
                Exploring::Running {
                    explorer: b,
                    progress: q,
                    ..
                },
            ) => Rc::ptr_eq(a, b) && p == q,
            (
                Exploring::Done {
                    exploration: a,
                    shown: s,
                    ..
                },
                Exploring::Done {
                    exploration: b,
                    shown: t,
                    ..
                },
            ) => Rc::ptr_eq(a, b) && s == t,
            (
                Exploring::Sampling {
                    sampler: a,
                    taken: p,
                    ..
                },
                Exploring::Sampling {
                    sampler: b,
                    taken: q,
                    ..
                },
            ) => Rc::ptr_eq(a, b) && p == q,
            (
                Exploring::Sampled {
                    summary: a,
                    shown: s,
                    ..
                },
                Exploring::Sampled {
                    summary: b,
                    shown: t,
                    ..
                },
            ) => Rc::ptr_eq(a, b) && s == t,
            (Exploring::Refused(a), Exploring::Refused(b)) => a == b,
            _ => false,
        }
    }
}

/// How often the panel's figures follow the count at least; in between,
/// only a new whole percentage is shown at once.
pub(super) const PROGRESS_SHOWN_EVERY_MS: f64 = 250.0;

/// Whether the panel may go on showing `shown` (brought up to date at
/// `shown_at_ms`) when the count stands at `now`: the same whole
/// percentage, shown recently. A slice that changes nothing on screen
/// need not draw the page again.
pub(super) fn still_shown(shown: &Progress, shown_at_ms: f64, now: &Progress, now_ms: f64) -> bool {
    let percent = |p: &Progress| (p.fraction * 100.0).floor() as i64;
    percent(shown) == percent(now) && now_ms - shown_at_ms < PROGRESS_SHOWN_EVERY_MS
}

/// [`still_shown`] for the sampler: the same whole percentage of the
/// orders drawn, shown recently.
pub(super) fn still_sampling_shown(
    shown: usize,
    shown_at_ms: f64,
    now: usize,
    now_ms: f64,
    wanted: usize,
) -> bool {
    let percent = |taken: usize| taken * 100 / wanted.max(1);
    percent(shown) == percent(now) && now_ms - shown_at_ms < PROGRESS_SHOWN_EVERY_MS
}

/// The explorer's result, once it has counted everything.
pub(super) fn finished(explorer: &Rc<RefCell<Explorer>>) -> Exploring {
    match explorer.borrow_mut().take_result() {
        Some(exploration) => Exploring::Done {
            summary: exploration.summary(),
            exploration: Rc::new(exploration),
            shown: None,
        },
        None => Exploring::Refused("the exploration did not finish".to_string()),
    }
}

/// The sampler's result, once every order is drawn.
pub(super) fn sampled(sampler: Rc<RefCell<Sampler>>, why: String) -> Exploring {
    let summary = Rc::new(sampler.borrow().summary());
    Exploring::Sampled {
        sampler,
        summary,
        why,
        shown: None,
    }
}

/// `a stale read`, ... (for messages).
pub fn anomaly_words(anomaly: Anomaly) -> &'static str {
    match anomaly {
        Anomaly::Stale => "a stale read",
        Anomaly::DivergentAtEnd => "the cache diverged at the end",
        Anomaly::LostWrite => "a lost write",
    }
}

/// The sampled panel's sentences: why the orders were sampled and how;
/// one line per anomaly; the stampede's size. (Shares as percentages with
/// their 95% intervals, as `explore --sample` prints them as fractions.)
pub fn sampled_sentences(summary: &SampleSummary, why: &str) -> SampledSentences {
    use crate::lessons::thousands;
    let samples = summary.samples;
    let anomalies = Anomaly::ALL.map(|anomaly| {
        let share = summary.share(anomaly);
        format!(
            "{} of {} orders ({}, 95% interval {}\u{2013}{}): {}",
            thousands(share.count as u64),
            thousands(samples as u64),
            percent(share.share),
            percent(share.low),
            percent(share.high),
            anomaly_words(anomaly)
        )
    });
    let reads = &summary.db_reads;
    SampledSentences {
        total: format!(
            "{why} (about {}). {} orders drawn by a random scheduler: at every step, each \
             operation ready to take effect equally likely to go next.",
            about(summary.orders_estimate),
            thousands(samples as u64)
        ),
        anomalies,
        db_reads: if reads.min == reads.max {
            format!("DB reads per order: {} in every order drawn.", reads.min)
        } else {
            format!(
                "DB reads per order: {} to {}, median {}.",
                reads.min, reads.max, reads.p50
            )
        },
    }
}

/// See [`sampled_sentences`].
#[derive(Clone, Debug, PartialEq)]
pub struct SampledSentences {
    pub total: String,
    /// In [`Anomaly::ALL`]'s order.
    pub anomalies: [String; 3],
    pub db_reads: String,
}

/// A share as a percentage with the digits its size needs: 0%, 0.19%, 2.8%, 47%.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// A large estimate as an order of magnitude: "2.5 × 10^46"; below a
/// million, the whole number.
pub fn about(estimate: f64) -> String {
    if estimate < 1e6 {
        return crate::lessons::thousands(estimate.round() as u64);
    }
    let exponent = estimate.log10().floor();
    let mantissa = estimate / 10f64.powf(exponent);
    // 9.96 rounds to "10.0": carry into the exponent.
    let (mantissa, exponent) = if mantissa >= 9.95 {
        (1.0, exponent + 1.0)
    } else {
        (mantissa, exponent)
    };
    format!("{mantissa:.1} \u{d7} 10^{exponent:.0}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_magnitudes_read_as_written() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.001917), "0.19%");
        assert_eq!(percent(0.028), "2.8%");
        assert_eq!(percent(0.4691), "47%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(about(188.0), "188");
        assert_eq!(about(2.53e46), "2.5 \u{d7} 10^46");
        assert_eq!(about(9.97e15), "1.0 \u{d7} 10^16");
    }
}
