//! What the page and its worker say to each other. Heavy work — the
//! explorer, and runs too large to record (a large workload, the
//! configurations of a comparison) — goes to a worker thread as a job, so
//! the page's thread only draws; each job has a number, and a reply counts
//! only for the job still awaited. Everything crosses as JSON text.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::exploring::{Answer, Working};
use crate::model::compare::Ran;

/// What the page sends its worker: do `task` as job `job`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToWorker {
    pub job: u64,
    pub task: Task,
}

impl ToWorker {
    /// The job as the page sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a job serialises")
    }
}

/// A job's work. Scenarios go as their JSON text (`Scenario::to_json`,
/// read back with `Scenario::from_json`): the page already has that code,
/// and a second way to read a scenario would weigh on the page's module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Task {
    /// Count (or sample) every order of this scenario.
    Explore(String),
    /// Run each of these scenarios to its end without its trace, in turn.
    Simulate(Vec<String>),
    /// Simulate about this many operations of a built-in workload and say
    /// when done ([`FromWorker::WarmedUp`]): a worker's first run is
    /// otherwise made largely of code the browser has not yet optimised.
    /// Its job number is [`WARM_UP_JOB`].
    WarmUp(u64),
}

/// The job number of a warm-up: no job the page awaits has it.
pub const WARM_UP_JOB: u64 = 0;

/// What the page's worker sends back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Loaded and listening (jobs sent earlier would have been lost).
    Ready,
    /// How exploring job `job` is getting on.
    Progress { job: u64, working: Working },
    /// Exploring job `job`'s answer.
    Answer { job: u64, answer: Box<Answer> },
    /// How far simulating job `job` is, 0 to 1 over all its runs.
    Simulating { job: u64, progress: f64 },
    /// The next run of simulating job `job` is over: what it produced, the
    /// worker's milliseconds spent on it, and how many runs are left.
    Ran {
        job: u64,
        ran: Box<Ran>,
        busy_ms: f64,
        left: usize,
    },
    /// The warm-up is done, after the worker's milliseconds spent on it.
    WarmedUp { busy_ms: f64 },
    /// The worker could not start or do a job, and why.
    Failed(String),
}

impl FromWorker {
    /// Reads a reply as the page does (one place, so that warming the
    /// page up reads with the very code that reads the worker's replies).
    pub fn read(text: &str) -> Result<FromWorker, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The reply as the worker sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the worker's messages serialise")
    }
}

/// A job number no other job of this page has had.
pub(super) fn next_job() -> u64 {
    static JOBS: AtomicU64 = AtomicU64::new(WARM_UP_JOB + 1);
    JOBS.fetch_add(1, Ordering::Relaxed)
}
