//! Sampling orders where counting cannot go: how often each anomaly happens
//! when the operations of a scripted scenario take effect in a random
//! order, as a share with a 95% interval.
//!
//! **The distribution sampled** is the *random scheduler's*: from the start,
//! at every step, each operation ready to take effect (and each instant
//! fault not yet placed) is equally likely to go next, until nothing is
//! pending. Every complete order has a positive probability, but orders are
//! not equally likely: an order through states with few choices is likelier
//! than one through states with many. This is the question a learner asks of
//! a real system ("if the operations race, how often does it go wrong?"),
//! and, unlike the share of all orders, it can be estimated with a stated
//! error by plain sampling: each sampled order is an independent draw, so
//! the count of orders with an anomaly is binomial and its share has a
//! Wilson score interval. [`super::explore::Exploration::random_order_probability`]
//! computes the same probability exactly on the state graph wherever the
//! explorer can count, and the tests hold the sampler's intervals to it.
//!
//! The total number of orders is estimated too, by Knuth's estimator (the
//! mean, over sampled orders, of the product of the number of choices at
//! each step: unbiased for the number of complete orders, but with a
//! variance that grows with how unequal the orders' probabilities are, so
//! it is an order of magnitude, not a count).
//!
//! Each sampled order is executed exactly as `run` executes a schedule, on
//! a clone of one [`Simulation`] driven by [`Simulation::apply_entry`].
//!
//! **Where orders cannot be varied** — a generated workload (its requests
//! arrive at drawn instants), or a fault that spans time (a pause, a
//! partition: orders have no time) — the sampler varies what the run draws
//! instead: the scenario runs as timed, as `run` runs it, on consecutive
//! seeds from the sampler's ([`SEEDS_METHOD`]). Each seed draws its own
//! latencies, jitter and arrivals, so each run is an independent draw and
//! shares have the same Wilson intervals, of runs. A scenario that draws
//! nothing gives the same run on every seed, and the summary says so
//! (`identical_runs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::engine::Simulation;
use super::explore::{
    Anomaly, Example, ExploreError, MAX_SCHEDULE_LENGTH, anomalies_of, scheduled_form_within,
};
use super::report::Report;
use super::rng::SimRng;
use super::scenario::{FaultKind, Scenario, ScheduleEntry};

/// How many orders `explore --sample` and the page's explorer draw by
/// default: the 95% interval of a share is then at most about ±2.2
/// percentage points wide on either side.
pub const DEFAULT_SAMPLES: usize = 2_000;

/// The sampler's own seed by default (the scenario's seed still decides
/// everything the simulation draws).
pub const DEFAULT_SAMPLE_SEED: u64 = 1;

/// The most scripted requests the sampler takes on: an order's cost grows
/// with its length, not with how many orders there are.
pub const MAX_SAMPLED_REQUESTS: usize = 200;

/// The normal quantile of a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// What the method is, in the words the output and the page use.
pub const METHOD: &str = "random scheduler: at every step each operation ready to take effect \
    (and each fault not yet placed) is equally likely to go next; shares are of orders drawn \
    this way, with Wilson 95% intervals";

/// The method where orders cannot be varied, in the words the output uses.
pub const SEEDS_METHOD: &str = "seeds: the scenario run as timed on consecutive seeds from the \
    sampler's, each drawing its own latencies, jitter and arrivals; shares are of runs, with \
    Wilson 95% intervals";

/// How many runs `explore --sample` is not given a number for does over
/// seeds in the page's explorer: a run of a generated workload is hundreds
/// of requests, where an order is a few dozen operations.
pub const DEFAULT_SEED_RUNS: usize = 200;

/// Draws orders of a scenario (or, where orders cannot be varied, runs on
/// seeds) one at a time (a page advances it in slices, between frames, and
/// cancels it by dropping it).
pub struct Sampler {
    draws: Draws,
    seed: u64,
    wanted: usize,
    tally: Tally,
}

/// What each draw varies.
enum Draws {
    /// The order operations take effect in.
    Orders {
        root: Box<Simulation>,
        /// The scenario in scheduled form (what an example is pasted into).
        scenario: Scenario,
        faults: Vec<FaultKind>,
        rng: SimRng,
    },
    /// The scenario's seed, consecutive from the sampler's.
    Seeds {
        scenario: Scenario,
        /// The first run's report, its seed cleared, and whether every run
        /// so far gave that same report.
        first: Option<Report>,
        identical: bool,
    },
}

/// Whether orders cannot be varied in `scenario` but seeds can: a
/// generated workload, or a fault that spans time, in a timed scenario.
pub fn only_seeds_vary(scenario: &Scenario) -> bool {
    scenario.schedule.is_none()
        && (scenario.workload.is_some() || scenario.faults.iter().any(|f| f.kind.spans_time()))
}

/// What the sampled orders showed so far.
#[derive(Clone, Debug, Default)]
struct Tally {
    orders: usize,
    /// Orders with each anomaly, in [`Anomaly::ALL`]'s order.
    hits: [usize; 3],
    /// The shortest sampled order with each anomaly (the first drawn among
    /// equally short ones).
    shortest: [Option<Vec<ScheduleEntry>>; 3],
    /// The first seed with each anomaly (sampling seeds).
    first_seed: [Option<u64>; 3],
    /// Database reads of each sampled order.
    db_reads: Vec<u64>,
    /// Knuth's estimator in logarithms: the largest log-weight seen, and
    /// the sum of every weight scaled by it.
    log_weight_max: f64,
    scaled_weight_sum: f64,
}

impl Sampler {
    /// Starts sampling `samples` orders of `scenario` with the sampler's
    /// own `seed`. Refuses what cannot be scheduled.
    pub fn new(scenario: &Scenario, samples: usize, seed: u64) -> Result<Sampler, ExploreError> {
        let (scheduled, faults) = scheduled_form_within(scenario, MAX_SAMPLED_REQUESTS)?;
        let root = Simulation::new(&scheduled)?
            .without_trace()
            .without_series();
        Ok(Sampler {
            draws: Draws::Orders {
                root: Box::new(root),
                scenario: scheduled,
                faults,
                rng: SimRng::new(seed),
            },
            seed,
            wanted: samples.max(1),
            tally: Tally {
                log_weight_max: f64::NEG_INFINITY,
                ..Tally::default()
            },
        })
    }

    /// Starts running `scenario` on `runs` consecutive seeds from `seed`
    /// (where orders cannot be varied: [`only_seeds_vary`]).
    pub fn over_seeds(
        scenario: &Scenario,
        runs: usize,
        seed: u64,
    ) -> Result<Sampler, ExploreError> {
        Simulation::new(scenario)?;
        Ok(Sampler {
            draws: Draws::Seeds {
                scenario: scenario.clone(),
                first: None,
                identical: true,
            },
            seed,
            wanted: runs.max(1),
            tally: Tally::default(),
        })
    }

    /// Orders drawn (or runs made) so far.
    pub fn taken(&self) -> usize {
        self.tally.orders
    }

    /// Orders it will draw in all.
    pub fn wanted(&self) -> usize {
        self.wanted
    }

    /// Draws up to `budget` more orders; returns whether all are drawn.
    pub fn advance(&mut self, budget: usize) -> Result<bool, ExploreError> {
        for _ in 0..budget {
            if self.tally.orders >= self.wanted {
                break;
            }
            self.draw()?;
        }
        Ok(self.tally.orders >= self.wanted)
    }

    /// Draws one order (or runs one seed) to its end and tallies it.
    fn draw(&mut self) -> Result<(), ExploreError> {
        match &mut self.draws {
            Draws::Seeds {
                scenario,
                first,
                identical,
            } => {
                // The report, not `anomalies_of`: a generated workload's
                // reads are counted in it, not listed.
                let seed = self.seed.wrapping_add(self.tally.orders as u64);
                let mut sim = Simulation::new(&Scenario {
                    seed,
                    ..scenario.clone()
                })?
                .without_trace()
                .without_series()
                .without_replay();
                sim.run();
                let mut report = Report::of(&sim, false);
                let anomalies = [
                    report.stale_reads > 0,
                    super::explore::divergent_at_end(&sim),
                    report.lost_writes > 0,
                ];
                report.seed = 0;
                match first {
                    None => *first = Some(report),
                    Some(first) => *identical &= *first == report,
                }
                let tally = &mut self.tally;
                tally.orders += 1;
                for (slot, _) in anomalies.iter().enumerate().filter(|(_, hit)| **hit) {
                    tally.hits[slot] += 1;
                    tally.first_seed[slot].get_or_insert(seed);
                }
                tally.db_reads.push(sim.counters().db_reads);
            }
            Draws::Orders {
                root, faults, rng, ..
            } => {
                let mut sim = (**root).clone();
                let mut placed = 0u32;
                let mut schedule = Vec::new();
                let mut log_weight = 0.0;
                loop {
                    let ready = sim.schedulable();
                    let unplaced: Vec<usize> = (0..faults.len())
                        .filter(|bit| placed & (1 << bit) == 0)
                        .collect();
                    let choices = ready.len() + unplaced.len();
                    if choices == 0 {
                        break;
                    }
                    if schedule.len() >= MAX_SCHEDULE_LENGTH {
                        return Err(ExploreError::TooLong);
                    }
                    log_weight += (choices as f64).ln();
                    let pick = rng.up_to(choices as u64 - 1) as usize;
                    let entry = match ready.into_iter().nth(pick) {
                        Some(name) => ScheduleEntry::Actor(name),
                        None => {
                            let bit = unplaced[pick - (choices - unplaced.len())];
                            placed |= 1 << bit;
                            ScheduleEntry::Fault(faults[bit])
                        }
                    };
                    sim.apply_entry(&entry, schedule.len())?;
                    schedule.push(entry);
                }
                let tally = &mut self.tally;
                tally.orders += 1;
                for anomaly in anomalies_of(&sim) {
                    let slot = Anomaly::ALL
                        .iter()
                        .position(|a| *a == anomaly)
                        .expect("every anomaly is in ALL");
                    tally.hits[slot] += 1;
                    let shorter = tally.shortest[slot]
                        .as_ref()
                        .is_none_or(|best| schedule.len() < best.len());
                    if shorter {
                        tally.shortest[slot] = Some(schedule.clone());
                    }
                }
                tally.db_reads.push(sim.counters().db_reads);
                if log_weight > tally.log_weight_max {
                    tally.scaled_weight_sum *= (tally.log_weight_max - log_weight).exp();
                    tally.log_weight_max = log_weight;
                }
                tally.scaled_weight_sum += (log_weight - tally.log_weight_max).exp();
            }
        }
        Ok(())
    }

    /// What the orders drawn so far show.
    pub fn summary(&self) -> SampleSummary {
        let tally = &self.tally;
        let share = |slot: usize| Share::of(tally.hits[slot], tally.orders, Z_95);
        let examples = Anomaly::ALL
            .into_iter()
            .zip(&tally.shortest)
            .filter_map(|(anomaly, shortest)| {
                let schedule = shortest.clone()?;
                Some((anomaly.name().to_string(), Example { schedule }))
            })
            .collect();
        let orders_estimate = if tally.orders == 0 {
            0.0
        } else {
            (tally.log_weight_max + (tally.scaled_weight_sum / tally.orders as f64).ln()).exp()
        };
        let summary = SampleSummary {
            method: METHOD.to_string(),
            samples: tally.orders,
            seed: self.seed,
            orders_estimate: Some(orders_estimate),
            identical_runs: None,
            stale: share(0),
            divergent_at_end: share(1),
            lost_writes: share(2),
            db_reads: Spread::of(&tally.db_reads),
            examples,
            example_seeds: BTreeMap::new(),
        };
        match &self.draws {
            Draws::Orders { .. } => summary,
            Draws::Seeds { identical, .. } => SampleSummary {
                method: SEEDS_METHOD.to_string(),
                orders_estimate: None,
                identical_runs: Some(*identical),
                example_seeds: Anomaly::ALL
                    .into_iter()
                    .zip(tally.first_seed)
                    .filter_map(|(anomaly, seed)| Some((anomaly.name().to_string(), seed?)))
                    .collect(),
                ..summary
            },
        }
    }

    /// The scenario an example runs in: the sampled one with the schedule
    /// set and its faults moved into the schedule.
    pub fn scenario_with(&self, schedule: Vec<ScheduleEntry>) -> Scenario {
        let scenario = match &self.draws {
            Draws::Orders { scenario, .. } | Draws::Seeds { scenario, .. } => scenario,
        };
        Scenario {
            schedule: Some(schedule),
            ..scenario.clone()
        }
    }

    /// The runnable scenario of the example with `anomaly` in `summary`
    /// (this sampler's): the shortest order drawn with it, or the first
    /// seed that showed it.
    pub fn example(&self, summary: &SampleSummary, anomaly: Anomaly) -> Option<Scenario> {
        let sampled = match &self.draws {
            Draws::Orders { scenario, .. } | Draws::Seeds { scenario, .. } => scenario,
        };
        let example = summary.example(anomaly, sampled, |schedule| {
            Ok::<_, std::convert::Infallible>(self.scenario_with(schedule))
        });
        example.map(|found| match found {
            Ok(scenario) => scenario,
        })
    }
}

/// Samples `samples` orders of `scenario` to the end (the command line's
/// `explore --sample`), or runs it on `samples` seeds where only seeds
/// vary ([`only_seeds_vary`]). Calls `progress` with the orders drawn every 100
/// orders and at the end.
pub fn sample(
    scenario: &Scenario,
    samples: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize),
) -> Result<(SampleSummary, Sampler), ExploreError> {
    let mut sampler = if only_seeds_vary(scenario) {
        Sampler::over_seeds(scenario, samples, seed)?
    } else {
        Sampler::new(scenario, samples, seed)?
    };
    loop {
        let done = sampler.advance(100)?;
        progress(sampler.taken());
        if done {
            return Ok((sampler.summary(), sampler));
        }
    }
}

/// What `cachescope explore --sample N` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    /// How the orders were drawn ([`METHOD`]).
    pub method: String,
    /// Orders drawn.
    pub samples: usize,
    /// The sampler's seed.
    pub seed: u64,
    /// Knuth's estimate of how many complete orders there are (an order of
    /// magnitude); not printed when seeds were sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_estimate: Option<f64>,
    /// Seeds sampled: whether every run gave the same report (nothing in
    /// the scenario is drawn at random).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identical_runs: Option<bool>,
    /// Orders with at least one stale read.
    pub stale: Share,
    /// Orders ending with the cache diverging from the database.
    pub divergent_at_end: Share,
    /// Orders losing an acknowledged write.
    pub lost_writes: Share,
    /// Database reads per order (a stampede's size).
    pub db_reads: Spread,
    /// The shortest sampled order showing each anomaly that occurred.
    pub examples: BTreeMap<String, Example>,
    /// Seeds sampled: the first seed showing each anomaly that occurred.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub example_seeds: BTreeMap<String, u64>,
}

impl SampleSummary {
    /// The share for `anomaly`.
    pub fn share(&self, anomaly: Anomaly) -> &Share {
        match anomaly {
            Anomaly::Stale => &self.stale,
            Anomaly::DivergentAtEnd => &self.divergent_at_end,
            Anomaly::LostWrite => &self.lost_writes,
        }
    }

    /// Whether seeds were sampled (not orders).
    pub fn over_seeds(&self) -> bool {
        self.identical_runs.is_some()
    }

    /// The runnable scenario showing `anomaly`, or `None` if no draw
    /// showed it: the shortest order with it, in the scenario an order
    /// runs in (`with_schedule`, which may fail); or the `sampled` scenario
    /// on the first seed with it.
    pub fn example<E>(
        &self,
        anomaly: Anomaly,
        sampled: &Scenario,
        with_schedule: impl FnOnce(Vec<ScheduleEntry>) -> Result<Scenario, E>,
    ) -> Option<Result<Scenario, E>> {
        if let Some(example) = self.examples.get(anomaly.name()) {
            return Some(with_schedule(example.schedule.clone()));
        }
        let seed = *self.example_seeds.get(anomaly.name())?;
        Some(Ok(Scenario {
            seed,
            ..sampled.clone()
        }))
    }

    /// The explorer's answer as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data serialises")
    }
}

/// How many of the sampled orders show something, and the share it
/// estimates with its interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// Orders showing it.
    pub count: usize,
    /// `count / samples`.
    pub share: f64,
    /// The interval's lower and upper ends (Wilson score interval).
    pub low: f64,
    pub high: f64,
}

impl Share {
    /// `count` of `samples`, with the Wilson score interval for the normal
    /// quantile `z` (it stays inside 0..1 and is not empty at 0 or at all,
    /// where the plain normal interval collapses to a point).
    pub fn of(count: usize, samples: usize, z: f64) -> Share {
        if samples == 0 {
            return Share {
                count,
                share: 0.0,
                low: 0.0,
                high: 1.0,
            };
        }
        let n = samples as f64;
        let p = count as f64 / n;
        let z2 = z * z;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        Share {
            count,
            share: p,
            // Exact at the ends: none seen has a lower end of 0, all an
            // upper end of 1 (rounding would leave 1e-17).
            low: if count == 0 { 0.0 } else { centre - half },
            high: if count == samples { 1.0 } else { centre + half },
        }
    }

    /// Whether `p` lies in the interval.
    pub fn covers(&self, p: f64) -> bool {
        self.low <= p && p <= self.high
    }
}

/// The spread of a count over the sampled orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub min: u64,
    /// The median (the lower middle of an even number).
    pub p50: u64,
    pub max: u64,
    pub mean: f64,
}

impl Spread {
    fn of(values: &[u64]) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        Spread {
            min: sorted[0],
            p50: sorted[(sorted.len() - 1) / 2],
            max: sorted[sorted.len() - 1],
            mean: sorted.iter().sum::<u64>() as f64 / sorted.len() as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_intervals_match_worked_values() {
        // 10 of 100 at 95%: 0.0552 to 0.1744 (the textbook values).
        let s = Share::of(10, 100, Z_95);
        assert!(
            (s.low - 0.0552).abs() < 1e-4 && (s.high - 0.1744).abs() < 1e-4,
            "{s:?}"
        );
        // None of 2,000: from 0 to about 0.19%.
        let none = Share::of(0, 2000, Z_95);
        assert_eq!(none.low, 0.0);
        assert!((none.high - 0.001917).abs() < 1e-5, "{none:?}");
        let all = Share::of(2000, 2000, Z_95);
        assert_eq!(all.high, 1.0);
        assert!(all.covers(1.0) && none.covers(0.0));
    }

    #[test]
    fn spreads_take_the_lower_middle() {
        let s = Spread::of(&[4, 1, 3, 2]);
        assert_eq!((s.min, s.p50, s.max), (1, 2, 4));
        assert_eq!(s.mean, 2.5);
    }
}
