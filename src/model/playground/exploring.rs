//! The explorer panel's state: counting every interleaving, or where there
//! are too many to count, sampling random orders and their shares with 95%
//! intervals; in slices between frames in this thread, or in the page's
//! worker; and the answer, as data that crosses from the worker.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::jobs::next_job;
use crate::sim::Scenario;
use crate::sim::explore::{Anomaly, Exploration, ExploreError, Explorer, Limits, Summary};
use crate::sim::sample::{
    DEFAULT_SAMPLE_SEED, DEFAULT_SAMPLES, DEFAULT_SEED_RUNS, SampleSummary, Sampler,
    only_seeds_vary,
};
use crate::sim::scenario::ScheduleEntry;

/// Explorer steps between looks at the clock; a slice (one per animation
/// frame) takes steps for `WORK_BUDGET_MS`, so the page stays responsive
/// however costly a step or a frame is.
const EXPLORE_STEPS: usize = 500;

/// Orders the sampler draws between looks at the clock (an order of a
/// stampede lesson is a few hundred steps).
const SAMPLE_ORDERS: usize = 10;

/// How many schedules with each anomaly an answer lists besides the
/// shortest ("Show another" pages through them).
pub const SCHEDULES_LISTED: usize = 32;

/// The explorer panel.
#[derive(Clone, Default)]
pub enum Exploring {
    /// Not started (or cancelled).
    #[default]
    Idle,
    /// Asked for: the next slice starts it in this thread, or hands it to
    /// the page's worker where there is one ([`super::Clock::offloads`]).
    Wanted,
    /// Counting here; shared because the explorer itself is not cloned.
    Running {
        explorer: Rc<RefCell<Explorer>>,
        /// What the panel shows, and when (page clock) it was last
        /// brought up to date.
        working: Working,
        shown_at_ms: f64,
    },
    /// Too many orders to count: drawing random ones here instead.
    Sampling {
        sampler: Rc<RefCell<Sampler>>,
        working: Working,
        shown_at_ms: f64,
        /// Why the orders could not be counted.
        why: String,
    },
    /// Handed to the page's worker as job `job`; what it last said.
    Away { job: u64, working: Working },
    /// Every schedule counted.
    Done {
        answer: Rc<Counted>,
        /// The failing schedule on screen: which anomaly, and which of its
        /// schedules (0: the shortest; k: the k-th in the explorer's order).
        shown: Option<(Anomaly, usize)>,
    },
    /// Every order drawn.
    Sampled {
        answer: Rc<SampledOrders>,
        /// The sampled order on screen: the shortest with this anomaly.
        shown: Option<Anomaly>,
    },
    /// Why it could not be done.
    Refused(String),
}

/// How the work is getting on (what the panel's progress bar shows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Working {
    /// Counting: the estimated share done and distinct states so far.
    Counting { fraction: f64, states: usize },
    /// Sampling: orders drawn of those wanted, and why not counted.
    Sampling {
        taken: usize,
        wanted: usize,
        why: String,
    },
}

impl Working {
    /// The share done, 0 to 1 (what a progress bar shows).
    pub fn fraction(&self) -> f64 {
        match self {
            Working::Counting { fraction, .. } => *fraction,
            Working::Sampling { taken, wanted, .. } => *taken as f64 / (*wanted).max(1) as f64,
        }
    }

    /// The whole percentage done (the panel changes only with it, or
    /// every [`PROGRESS_SHOWN_EVERY_MS`]).
    #[cfg(not(target_arch = "wasm32"))]
    fn percent(&self) -> i64 {
        (self.fraction() * 100.0).floor() as i64
    }
}

/// Every schedule counted, as the panel and a challenge need it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    /// What `cachescope explore` prints.
    pub summary: Summary,
    /// By anomaly name: the first [`SCHEDULES_LISTED`] complete schedules
    /// with it, in the explorer's order. (A schedule runs in the explored
    /// scenario's scheduled form, which the page has: the answer does not
    /// carry it.)
    pub listed: BTreeMap<String, Vec<Vec<ScheduleEntry>>>,
}

impl Counted {
    /// The answer of a finished exploration.
    pub fn of(exploration: &Exploration) -> Counted {
        let listed = Anomaly::ALL
            .into_iter()
            .map(|anomaly| {
                let schedules = exploration
                    .schedules_with(Some(anomaly))
                    .take(SCHEDULES_LISTED)
                    .collect();
                (anomaly.name().to_string(), schedules)
            })
            .collect();
        Counted {
            summary: exploration.summary(),
            listed,
        }
    }

    /// Complete schedules with `anomaly`.
    pub fn count(&self, anomaly: Anomaly) -> u128 {
        match anomaly {
            Anomaly::Stale => self.summary.stale,
            Anomaly::DivergentAtEnd => self.summary.divergent_at_end,
            Anomaly::LostWrite => self.summary.lost_writes,
        }
    }

    /// The shortest schedule with `anomaly`, if any.
    pub fn shortest(&self, anomaly: Anomaly) -> Option<Vec<ScheduleEntry>> {
        Some(self.summary.examples.get(anomaly.name())?.schedule.clone())
    }

    /// Schedule `k` with `anomaly`: 0 the shortest, k the k-th listed.
    pub fn schedule(&self, anomaly: Anomaly, k: usize) -> Option<Vec<ScheduleEntry>> {
        match k {
            0 => self.shortest(anomaly),
            k => self.listed.get(anomaly.name())?.get(k - 1).cloned(),
        }
    }
}

/// Random orders drawn where there were too many to count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampledOrders {
    pub summary: SampleSummary,
    /// Why the orders were not counted.
    pub why: String,
}

/// What exploring a scenario gives, wherever it ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    Counted(Counted),
    Sampled(SampledOrders),
    Refused(String),
}

impl Answer {
    /// The panel showing it.
    pub fn shown(self) -> Exploring {
        match self {
            Answer::Counted(counted) => Exploring::Done {
                answer: Rc::new(counted),
                shown: None,
            },
            Answer::Sampled(sampled) => Exploring::Sampled {
                answer: Rc::new(sampled),
                shown: None,
            },
            Answer::Refused(why) => Exploring::Refused(why),
        }
    }
}

/// How often the panel's figures follow the work here at least; in
/// between, only a new whole percentage is shown at once.
#[cfg(not(target_arch = "wasm32"))]
const PROGRESS_SHOWN_EVERY_MS: f64 = 250.0;

/// Explores `scenario` to its answer in one go, as the page's worker does,
/// telling `progress` how it is getting on every batch of work.
pub fn answer_of(scenario: &Scenario, progress: &mut dyn FnMut(&Working)) -> Answer {
    let mut exploring = Exploring::start(scenario);
    loop {
        match exploring.work_here(scenario) {
            None => {
                if let Some(working) = exploring.working_now() {
                    progress(&working);
                }
            }
            Some(next) => exploring = next,
        }
        if let Some(answer) = exploring.answer() {
            return answer;
        }
    }
}

impl Exploring {
    /// Starts counting every interleaving of `scenario` in this thread
    /// (or sampling, where there are too many); or why it cannot.
    pub fn start(scenario: &Scenario) -> Exploring {
        match Explorer::new(scenario, Limits::default()) {
            Ok(explorer) => Exploring::Running {
                working: counting(&explorer),
                shown_at_ms: f64::NEG_INFINITY,
                explorer: Rc::new(RefCell::new(explorer)),
            },
            Err(error) => Exploring::counting_failed(scenario, &error),
        }
    }

    /// Hands it to the page's worker: a new job.
    pub(super) fn away() -> Exploring {
        Exploring::Away {
            job: next_job(),
            working: Working::Counting {
                fraction: 0.0,
                states: 0,
            },
        }
    }

    /// What follows a count that could not be done: sampling, where there
    /// are only too many orders; otherwise the reason.
    pub fn counting_failed(scenario: &Scenario, error: &ExploreError) -> Exploring {
        if only_seeds_vary(scenario) {
            let why = if scenario.workload.is_some() {
                "A generated workload's requests arrive at drawn instants, so their orders \
                 are not varied"
            } else {
                "A pause or partition spans time, and orders have no time, so orders are \
                 not varied"
            };
            return Exploring::sampling(
                Sampler::over_seeds(scenario, DEFAULT_SEED_RUNS, DEFAULT_SAMPLE_SEED),
                why.to_string(),
            );
        }
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
        Exploring::sampling(
            Sampler::new(scenario, DEFAULT_SAMPLES, DEFAULT_SAMPLE_SEED),
            why,
        )
    }

    /// Sampling with `sampler` (or why it cannot start), `why` not counted.
    fn sampling(sampler: Result<Sampler, ExploreError>, why: String) -> Exploring {
        match sampler {
            Ok(sampler) => Exploring::Sampling {
                working: sampling(&sampler, &why),
                sampler: Rc::new(RefCell::new(sampler)),
                shown_at_ms: f64::NEG_INFINITY,
                why,
            },
            Err(error) => Exploring::Refused(error.to_string()),
        }
    }

    /// Whether the page must send slices between frames (wanted, or
    /// working in this thread; not while the worker works).
    pub fn needs_slices(&self) -> bool {
        matches!(
            self,
            Exploring::Wanted | Exploring::Running { .. } | Exploring::Sampling { .. }
        )
    }

    /// How the work is getting on, while there is work (here or away).
    pub fn working(&self) -> Option<Working> {
        match self {
            Exploring::Running { working, .. }
            | Exploring::Sampling { working, .. }
            | Exploring::Away { working, .. } => Some(working.clone()),
            Exploring::Wanted => Some(Working::Counting {
                fraction: 0.0,
                states: 0,
            }),
            _ => None,
        }
    }

    /// How the work in this thread is getting on now (from its explorer or
    /// sampler; [`Exploring::working`] is what the panel last showed).
    fn working_now(&self) -> Option<Working> {
        match self {
            Exploring::Running { explorer, .. } => Some(counting(&explorer.borrow())),
            Exploring::Sampling { sampler, why, .. } => Some(sampling(&sampler.borrow(), why)),
            _ => self.working(),
        }
    }

    /// The job the page's worker is asked to do, if it is away.
    pub fn away_job(&self) -> Option<u64> {
        match self {
            Exploring::Away { job, .. } => Some(*job),
            _ => None,
        }
    }

    /// The answer shown, once the work is over.
    pub fn answer(&self) -> Option<Answer> {
        match self {
            Exploring::Done { answer, .. } => Some(Answer::Counted((**answer).clone())),
            Exploring::Sampled { answer, .. } => Some(Answer::Sampled((**answer).clone())),
            Exploring::Refused(why) => Some(Answer::Refused(why.clone())),
            _ => None,
        }
    }

    /// One batch of work in this thread (explorer steps, or orders drawn)
    /// inside the shared explorer or sampler. `None`: still working, with
    /// [`Exploring::working`] not yet brought up to date; otherwise the
    /// state that follows (sampling after a count that ran out of
    /// states, or the answer).
    fn work_here(&self, scenario: &Scenario) -> Option<Exploring> {
        match self {
            Exploring::Running { explorer, .. } => {
                // Bound first: the explorer is borrowed again to finish.
                let advanced = explorer.borrow_mut().advance(EXPLORE_STEPS);
                match advanced {
                    Ok(false) => None,
                    Ok(true) => Some(finished(explorer)),
                    Err(error) => Some(Exploring::counting_failed(scenario, &error)),
                }
            }
            Exploring::Sampling { sampler, why, .. } => {
                let advanced = sampler.borrow_mut().advance(SAMPLE_ORDERS);
                match advanced {
                    Ok(false) => None,
                    Ok(true) => Some(
                        Answer::Sampled(SampledOrders {
                            summary: sampler.borrow().summary(),
                            why: why.clone(),
                        })
                        .shown(),
                    ),
                    Err(error) => Some(Exploring::Refused(error.to_string())),
                }
            }
            _ => Some(self.clone()),
        }
    }

    /// Works for about `budget_ms` of `clock` (or hands the work to the
    /// page's worker): the state after, or `None` if the panel would show
    /// the same (the work went on inside its shared cell).
    pub(super) fn slice(
        &self,
        scenario: &Scenario,
        clock: &dyn super::Clock,
        budget_ms: f64,
    ) -> Option<Exploring> {
        if let Exploring::Wanted = self {
            return Some(if clock.offloads() {
                Exploring::away()
            } else {
                Exploring::here(scenario)
            });
        }
        self.slice_here(scenario, clock, budget_ms)
    }
}

// The page's module explores only in its worker: without these, the page
// links no explorer or sampler (the worker's module carries them), which
// keeps them out of the page's first load. Native builds (tests) and the
// worker explore in their own thread.
#[cfg(not(target_arch = "wasm32"))]
impl Exploring {
    fn here(scenario: &Scenario) -> Exploring {
        Exploring::start(scenario)
    }

    /// This state with its progress brought up to date from its explorer
    /// or sampler, at `now_ms`; `None` if the panel would show the same
    /// (the same whole percentage, shown recently): a slice that changes
    /// nothing on screen need not draw the page again.
    fn brought_up_to_date(&self, now_ms: f64) -> Option<Exploring> {
        let (shown, shown_at_ms) = match self {
            Exploring::Running {
                working,
                shown_at_ms,
                ..
            }
            | Exploring::Sampling {
                working,
                shown_at_ms,
                ..
            } => (working, *shown_at_ms),
            _ => return None,
        };
        let now = self.working_now()?;
        if now.percent() == shown.percent() && now_ms - shown_at_ms < PROGRESS_SHOWN_EVERY_MS {
            return None;
        }
        let mut next = self.clone();
        if let Exploring::Running {
            working,
            shown_at_ms,
            ..
        }
        | Exploring::Sampling {
            working,
            shown_at_ms,
            ..
        } = &mut next
        {
            (*working, *shown_at_ms) = (now, now_ms);
        }
        Some(next)
    }

    fn slice_here(
        &self,
        scenario: &Scenario,
        clock: &dyn super::Clock,
        budget_ms: f64,
    ) -> Option<Exploring> {
        let started = clock.now_ms();
        loop {
            match self.work_here(scenario) {
                None if clock.now_ms() - started < budget_ms => continue,
                None => return self.brought_up_to_date(clock.now_ms()),
                Some(next) => return Some(next),
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl Exploring {
    fn here(_: &Scenario) -> Exploring {
        Exploring::Refused("this page explores in its worker, which is not available".to_string())
    }

    fn slice_here(&self, _: &Scenario, _: &dyn super::Clock, _: f64) -> Option<Exploring> {
        None
    }
}

fn counting(explorer: &Explorer) -> Working {
    let progress = explorer.progress();
    Working::Counting {
        fraction: progress.fraction,
        states: progress.states,
    }
}

fn sampling(sampler: &Sampler, why: &str) -> Working {
    Working::Sampling {
        taken: sampler.taken(),
        wanted: sampler.wanted(),
        why: why.to_string(),
    }
}

impl std::fmt::Debug for Exploring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exploring::Idle => write!(f, "Idle"),
            Exploring::Wanted => write!(f, "Wanted"),
            Exploring::Running { working, .. } | Exploring::Sampling { working, .. } => {
                write!(f, "Here({working:?})")
            }
            Exploring::Away { job, working } => write!(f, "Away({job}, {working:?})"),
            Exploring::Done { answer, shown } => write!(f, "Done({:?}, {shown:?})", answer.summary),
            Exploring::Sampled { answer, shown } => {
                write!(f, "Sampled({:?}, {shown:?})", answer.summary)
            }
            Exploring::Refused(why) => write!(f, "Refused({why})"),
        }
    }
}

impl PartialEq for Exploring {
    fn eq(&self, other: &Self) -> bool {
        use Exploring::*;
        match (self, other) {
            (Idle, Idle) | (Wanted, Wanted) => true,
            (
                Running {
                    explorer: a,
                    working: p,
                    ..
                },
                Running {
                    explorer: b,
                    working: q,
                    ..
                },
            ) => Rc::ptr_eq(a, b) && p == q,
            (
                Sampling {
                    sampler: a,
                    working: p,
                    ..
                },
                Sampling {
                    sampler: b,
                    working: q,
                    ..
                },
            ) => Rc::ptr_eq(a, b) && p == q,
            (Away { job: a, working: p }, Away { job: b, working: q }) => a == b && p == q,
            (
                Done {
                    answer: a,
                    shown: s,
                },
                Done {
                    answer: b,
                    shown: t,
                },
            ) => Rc::ptr_eq(a, b) && s == t,
            (
                Sampled {
                    answer: a,
                    shown: s,
                },
                Sampled {
                    answer: b,
                    shown: t,
                },
            ) => Rc::ptr_eq(a, b) && s == t,
            (Refused(a), Refused(b)) => a == b,
            _ => false,
        }
    }
}

/// The explorer's result, once it has counted everything.
fn finished(explorer: &Rc<RefCell<Explorer>>) -> Exploring {
    match explorer.borrow_mut().take_result() {
        Some(exploration) => Answer::Counted(Counted::of(&exploration)).shown(),
        None => Exploring::Refused("the exploration did not finish".to_string()),
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

/// The sampled panel's sentences: why the orders were sampled (or seeds,
/// where orders cannot be varied) and how; one line per anomaly; the
/// stampede's size. (Shares as percentages with their 95% intervals, as
/// `explore --sample` prints them as fractions.)
pub fn sampled_sentences(sampled: &SampledOrders) -> SampledSentences {
    use crate::lessons::thousands;
    let (summary, why) = (&sampled.summary, &sampled.why);
    let samples = summary.samples;
    let (drawn, per) = if summary.over_seeds() {
        ("runs", "run")
    } else {
        ("orders", "order")
    };
    let anomalies = Anomaly::ALL.map(|anomaly| {
        let share = summary.share(anomaly);
        format!(
            "{} of {} {drawn} ({}, 95% interval {}\u{2013}{}): {}",
            thousands(share.count as u64),
            thousands(samples as u64),
            percent(share.share),
            percent(share.low),
            percent(share.high),
            anomaly_words(anomaly)
        )
    });
    let total = match (summary.orders_estimate, summary.identical_runs) {
        (Some(orders), _) => format!(
            "{why} (about {}). {} orders drawn by a random scheduler: at every step, each \
             operation ready to take effect equally likely to go next.",
            about(orders),
            thousands(samples as u64)
        ),
        (None, identical) => {
            let last = summary.seed + samples as u64 - 1;
            let runs = format!(
                "{why}: the scenario ran as timed on {} seeds ({} to {last}) instead, each \
                 drawing its own latencies and arrivals.",
                thousands(samples as u64),
                summary.seed
            );
            if identical == Some(true) {
                format!("{runs} Nothing in it is drawn at random: every seed gave the same run.")
            } else {
                runs
            }
        }
    };
    let reads = &summary.db_reads;
    let (show, shown) = if summary.over_seeds() {
        ("Show the first seed with it", "the first seed with")
    } else {
        ("Show the shortest drawn", "the shortest order drawn with")
    };
    SampledSentences {
        total,
        anomalies,
        db_reads: if reads.min == reads.max {
            format!("DB reads per {per}: {} in every {per}.", reads.min)
        } else {
            format!(
                "DB reads per {per}: {} to {}, median {}.",
                reads.min, reads.max, reads.p50
            )
        },
        show: show.to_string(),
        shown: Anomaly::ALL.map(|anomaly| {
            let seed = summary.example_seeds.get(anomaly.name());
            let seed = seed.map(|s| format!(" (seed {s})")).unwrap_or_default();
            format!("On the timeline: {shown} {}{seed}.", anomaly_words(anomaly))
        }),
    }
}

/// See [`sampled_sentences`].
#[derive(Clone, Debug, PartialEq)]
pub struct SampledSentences {
    pub total: String,
    /// In [`Anomaly::ALL`]'s order.
    pub anomalies: [String; 3],
    pub db_reads: String,
    /// The label of the button that shows an example.
    pub show: String,
    /// What is on the timeline once an example is shown, by anomaly.
    pub shown: [String; 3],
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
