//! Runs too large to record — a large workload, the configurations of a
//! comparison — and what they produce: simulated in the page's worker
//! where there is one (the page's thread only draws the progress), else
//! in slices between frames, a bounded time per frame.

use std::cell::RefCell;
use std::rc::Rc;

use super::jobs::next_job;
use super::{Clock, WORK_STEPS};
use crate::model::compare::{Batch, Outcome, Ran};
use crate::sim::Scenario;

/// Runs going on in slices between frames.
#[derive(Clone, Debug)]
pub struct Work {
    /// What their outcomes are for.
    pub purpose: Purpose,
    /// Where they are simulated.
    pub place: Place,
    /// The runs not yet finished, the first one running; shared because
    /// they are not cloned with the state. (Away, they stay unrun here:
    /// their outcomes need their labels and scenarios, and if the worker
    /// fails they are simulated here after all.)
    pub queue: Rc<RefCell<Vec<Batch>>>,
    /// The finished ones.
    pub done: Vec<Rc<Outcome>>,
    /// How far all of them are, 0 to 1.
    pub progress: f64,
    /// Milliseconds spent simulating so far (the worker's, or the page's
    /// thread's).
    pub busy_ms: f64,
}

/// Where a [`Work`]'s runs are simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Not yet decided: the next slice decides.
    Undecided,
    /// In slices between frames, in the page's thread.
    Here,
    /// In the page's worker, as job `job`.
    Away { job: u64 },
}

impl PartialEq for Work {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.queue, &other.queue)
            && self.place == other.place
            && self.progress == other.progress
            && self.done.len() == other.done.len()
    }
}

/// What a [`Work`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A large scenario to show aggregated.
    Show,
    /// Configurations to add to the comparison.
    Compare,
}

/// A large run, shown as density and charts instead of operation by
/// operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregated {
    /// Its outcome.
    pub outcome: Rc<Outcome>,
    /// Milliseconds spent simulating it (for the operations-per-second
    /// figure); 0 when opened from a comparison.
    pub busy_ms: f64,
    /// Simulated in the page's worker (not in the page's thread).
    pub in_worker: bool,
}

/// Which configurations a one-click comparison runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variants {
    /// Every write strategy.
    WriteStrategies,
    /// Every stampede protection.
    StampedeProtections,
    /// Only the configuration on screen.
    Current,
}

impl Work {
    /// How many runs in all.
    pub fn total(&self) -> usize {
        self.done.len() + self.queue.borrow().len()
    }

    pub(super) fn new(purpose: Purpose, batches: Vec<Batch>) -> Work {
        Work {
            purpose,
            place: Place::Undecided,
            queue: Rc::new(RefCell::new(batches)),
            done: Vec::new(),
            progress: 0.0,
            busy_ms: 0.0,
        }
    }

    /// Whether the page must send slices between frames (to decide where
    /// the runs go, or to simulate them here).
    pub fn needs_slices(&self) -> bool {
        !matches!(self.place, Place::Away { .. })
    }

    /// The page's worker's job, while the runs are away.
    pub fn away_job(&self) -> Option<u64> {
        match self.place {
            Place::Away { job } => Some(job),
            _ => None,
        }
    }

    /// The scenarios to run, in order, as JSON (what the worker is sent).
    pub fn scenarios_json(&self) -> Vec<String> {
        self.queue
            .borrow()
            .iter()
            .map(|batch| batch.scenario().to_json())
            .collect()
    }

    /// Simulates for about `budget_ms` (the first slice hands the runs to
    /// the page's worker instead, where the clock has one); `true` once
    /// every run is done.
    pub(super) fn slice(&mut self, budget_ms: f64, clock: &dyn Clock) -> bool {
        match self.place {
            Place::Undecided if clock.offloads() => {
                self.place = Place::Away { job: next_job() };
                return false;
            }
            Place::Undecided => self.place = Place::Here,
            Place::Here => {}
            Place::Away { .. } => return false,
        }
        let started = clock.now_ms();
        let mut queue = self.queue.borrow_mut();
        while let Some(batch) = queue.first_mut() {
            if batch.advance(WORK_STEPS) {
                self.done.push(Rc::new(batch.outcome()));
                queue.remove(0);
            }
            if clock.now_ms() - started >= budget_ms {
                break;
            }
        }
        self.busy_ms += clock.now_ms() - started;
        let running = queue.first().map_or(0.0, Batch::fraction);
        drop(queue);
        self.set_progress(running);
        self.queue.borrow().is_empty()
    }

    /// The worker says how far job `job` is (over all its runs).
    pub(super) fn progressed(&mut self, job: u64, progress: f64) {
        if self.away_job() == Some(job) {
            self.progress = progress.clamp(0.0, 1.0);
        }
    }

    /// The worker finished job `job`'s next run; `true` once every run is
    /// done.
    pub(super) fn ran(&mut self, job: u64, ran: Ran, busy_ms: f64) -> bool {
        if self.away_job() != Some(job) {
            return false;
        }
        let mut queue = self.queue.borrow_mut();
        if queue.is_empty() {
            return true;
        }
        let batch = queue.remove(0);
        self.done.push(Rc::new(batch.outcome_of(ran)));
        self.busy_ms += busy_ms;
        drop(queue);
        self.set_progress(0.0);
        self.queue.borrow().is_empty()
    }

    /// The worker could not do job `job`: its runs are simulated here.
    pub(super) fn failed(&mut self, job: u64) {
        if self.away_job() == Some(job) {
            self.place = Place::Here;
        }
    }

    fn set_progress(&mut self, running: f64) {
        let (done, left) = (self.done.len(), self.queue.borrow().len());
        self.progress = (done as f64 + running) / (done + left).max(1) as f64;
    }
}

/// A short label for a configuration: its strategy and TTL.
pub(super) fn configuration_label(scenario: &Scenario) -> String {
    let s = &scenario.strategy;
    let mut label = format!(
        "{} / {} / TTL {} ms",
        s.write.name(),
        s.stampede.name(),
        s.ttl_ms
    );
    if s.channel.entry().on_the_bus {
        label += &format!(" / {}", s.channel.name());
    }
    label
}
