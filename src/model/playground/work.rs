//! Work done in slices between frames: large workloads and comparisons,
//! simulated a bounded time per frame, and what they produce.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Clock, WORK_STEPS};
use crate::model::compare::{Batch, Outcome};
use crate::sim::Scenario;

/// Runs going on in slices between frames.
#[derive(Clone, Debug)]
pub struct Work {
    /// What their outcomes are for.
    pub purpose: Purpose,
    /// The runs not yet finished, the first one running; shared because
    /// they are not cloned with the state.
    pub queue: Rc<RefCell<Vec<Batch>>>,
    /// The finished ones.
    pub done: Vec<Rc<Outcome>>,
    /// How far all of them are, 0 to 1.
    pub progress: f64,
    /// Milliseconds of the page's time spent simulating so far.
    pub busy_ms: f64,
}

impl PartialEq for Work {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.queue, &other.queue)
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
    /// Milliseconds of the page's time spent simulating it (for the
    /// operations-per-second figure).
    pub busy_ms: f64,
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
            queue: Rc::new(RefCell::new(batches)),
            done: Vec::new(),
            progress: 0.0,
            busy_ms: 0.0,
        }
    }

    /// Simulates for about `budget_ms`; `true` once every run is done.
    pub(super) fn slice(&mut self, budget_ms: f64, clock: &dyn Clock) -> bool {
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
        self.progress =
            (self.done.len() as f64 + running) / (self.done.len() + queue.len()).max(1) as f64;
        queue.is_empty()
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
    if s.channel != crate::sim::scenario::Channel::Inline {
        label += &format!(" / {}", s.channel.name());
    }
    label
}
