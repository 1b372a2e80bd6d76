//! A run that can be moved through in both directions: the transport's
//! model (step forward, step back, seek anywhere) and be-the-scheduler's
//! forks.
//!
//! The run is followed to its end once, keeping its trace and a checkpoint
//! (a clone, which shares coroutines until one moves) every few steps. Any
//! position is then reached from the nearest checkpoint at or before it, so
//! a step back costs at most one checkpoint interval of steps, never a
//! replay from the start, and the state reached is exactly the one the run
//! had there.

use std::rc::Rc;

use super::engine::Simulation;
use super::scenario::{Millis, Scenario, ScenarioError, ScheduleEntry};
use super::trace::TraceEvent;

/// Steps between checkpoints at first. When there would be more than
/// [`MAX_CHECKPOINTS`], every other one is dropped and the interval doubles,
/// so memory stays bounded and a seek still costs at most one interval.
pub const FIRST_INTERVAL: usize = 32;

/// The most checkpoints kept.
pub const MAX_CHECKPOINTS: usize = 256;

/// A finished run, and a cursor in it.
#[derive(Clone, Debug)]
pub struct Recording {
    scenario: Scenario,
    /// The simulation after step `i * interval`. The run's record never
    /// changes once made, so it is shared: cloning a recording (the page
    /// does on every action) costs the simulation at the cursor, not the run.
    checkpoints: Rc<[Simulation]>,
    interval: usize,
    /// The whole run's trace, and how long it was after each step.
    trace: Rc<[TraceEvent]>,
    trace_len_after: Rc<[usize]>,
    /// The schedule that replays the run, and how long it is after each
    /// step (a step is one entry, or a wait and then a fault).
    entries: Rc<[ScheduleEntry]>,
    entries_len_after: Rc<[usize]>,
    /// The clock after each step.
    time_after: Rc<[Millis]>,
    /// The simulation at the cursor (records no trace).
    current: Simulation,
    cursor: usize,
    /// Steps applied by seeks so far (how much moving around has cost).
    steps_applied: u64,
}

impl Recording {
    /// Runs `scenario` to its end, keeping what moving through it needs.
    pub fn new(scenario: &Scenario) -> Result<Recording, ScenarioError> {
        let mut walker = Simulation::new(scenario)?;
        let mut checkpoints = vec![walker.checkpoint()];
        let mut interval = FIRST_INTERVAL;
        let mut trace_len_after = Vec::new();
        let mut entries = Vec::new();
        let mut entries_len_after = Vec::new();
        let mut time_after = Vec::new();
        let mut previous_ms = walker.now_ms();
        while walker.step() {
            trace_len_after.push(walker.trace().len());
            let entry = walker.last_entry().expect("a step names what it applied");
            // An operation lands at its natural completion in a schedule
            // too; a timed fault needs the clock moved to its instant.
            if matches!(entry, ScheduleEntry::Fault(_)) && walker.now_ms() > previous_ms {
                entries.push(ScheduleEntry::Wait(walker.now_ms() - previous_ms));
            }
            entries.push(entry);
            entries_len_after.push(entries.len());
            time_after.push(walker.now_ms());
            previous_ms = walker.now_ms();
            let steps = entries_len_after.len();
            if steps.is_multiple_of(interval) {
                if checkpoints.len() == MAX_CHECKPOINTS {
                    // Keep checkpoints 0, 2, 4, ...: steps 0, 2i, 4i, ...
                    let mut index = 0;
                    checkpoints.retain(|_| {
                        index += 1;
                        index % 2 == 1
                    });
                    interval *= 2;
                }
                if steps.is_multiple_of(interval) {
                    checkpoints.push(walker.checkpoint());
                }
            }
        }
        let current = checkpoints[0].clone();
        Ok(Recording {
            scenario: scenario.clone(),
            checkpoints: checkpoints.into(),
            interval,
            trace: walker.trace().into(),
            trace_len_after: trace_len_after.into(),
            entries: entries.into(),
            entries_len_after: entries_len_after.into(),
            time_after: time_after.into(),
            current,
            cursor: 0,
            steps_applied: 0,
        })
    }

    /// How many steps the run has.
    pub fn len(&self) -> usize {
        self.entries_len_after.len()
    }

    /// Whether the run has no step at all.
    pub fn is_empty(&self) -> bool {
        self.entries_len_after.is_empty()
    }

    /// How many steps have been taken at the cursor.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The clock after step `step` (0: the start; clamped to the end).
    pub fn time_after(&self, step: usize) -> Millis {
        match step.min(self.len()).checked_sub(1) {
            None => self.checkpoints[0].now_ms(),
            Some(last) => self.time_after[last],
        }
    }

    /// The simulation at the cursor.
    pub fn current(&self) -> &Simulation {
        &self.current
    }

    /// The scenario recorded.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The trace up to the cursor.
    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace[..self.len_at_cursor(&self.trace_len_after)]
    }

    /// The whole run's trace.
    pub fn full_trace(&self) -> &[TraceEvent] {
        &self.trace
    }

    /// The schedule that replays the steps up to the cursor.
    pub fn schedule_so_far(&self) -> &[ScheduleEntry] {
        &self.entries[..self.len_at_cursor(&self.entries_len_after)]
    }

    /// A per-step length (`len_after[i]`: after step i + 1) at the cursor.
    fn len_at_cursor(&self, len_after: &[usize]) -> usize {
        self.cursor.checked_sub(1).map_or(0, |last| len_after[last])
    }

    /// Steps applied by moving around so far (each seek applies at most one
    /// checkpoint interval of them).
    pub fn steps_applied(&self) -> u64 {
        self.steps_applied
    }

    /// The simulation after step `step` (clamped to the run's end), leaving
    /// the cursor where it is: from the nearest checkpoint, so it costs at
    /// most one checkpoint interval of steps.
    pub fn simulation_at(&self, step: usize) -> Simulation {
        // A clone shares the run's record; only the cursor's state is copied.
        let mut moved = self.clone();
        moved.seek(step);
        moved.current
    }

    /// The whole run's report, trace included: what `cachescope run` prints
    /// for [`Recording::scenario`] (the page's "Report JSON").
    pub fn report(&self) -> super::Report {
        let mut report = super::Report::of(&self.simulation_at(self.len()), false);
        report.trace = Some(self.trace.to_vec());
        report
    }

    /// Moves the cursor to after step `step` (clamped to the run's end).
    pub fn seek(&mut self, step: usize) {
        let step = step.min(self.len());
        let checkpoint = step / self.interval;
        let from_checkpoint = checkpoint * self.interval;
        // Going on from where we are is cheaper when the cursor is between
        // the target's checkpoint and the target.
        if !(from_checkpoint..=step).contains(&self.cursor) {
            self.current = self.checkpoints[checkpoint].clone();
            self.cursor = from_checkpoint;
        }
        while self.cursor < step {
            self.current.step();
            self.cursor += 1;
            self.steps_applied += 1;
        }
    }

    /// One step forward; `false` at the end.
    pub fn step_forward(&mut self) -> bool {
        if self.cursor == self.len() {
            return false;
        }
        self.seek(self.cursor + 1);
        true
    }

    /// One step back; `false` at the start.
    pub fn step_back(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.seek(self.cursor - 1);
        true
    }

    /// Be the scheduler: the run that takes the steps up to the cursor,
    /// then `entry` next, and nothing after (the future is dropped; a
    /// schedule ends where it ends). Its cursor is at its end.
    pub fn fork(&self, entry: ScheduleEntry) -> Result<Recording, ScenarioError> {
        if let Some(index) = self
            .scenario
            .faults
            .iter()
            .position(|f| f.kind.spans_time())
        {
            return Err(ScenarioError {
                path: format!("faults[{index}]"),
                message: "this fault spans time, so this run cannot be rescheduled by hand; \
                          remove it to choose the order of operations"
                    .to_string(),
            });
        }
        let mut schedule = self.schedule_so_far().to_vec();
        schedule.push(entry);
        let forked = Scenario {
            schedule: Some(schedule),
            // The steps taken so far carry the faults that happened.
            faults: Vec::new(),
            until_ms: None,
            ..self.scenario.clone()
        };
        let mut recording = Recording::new(&forked)?;
        recording.seek(recording.len());
        // A timed run's past named step by step is a schedule, and replays
        // exactly, except where timed mode does what a schedule cannot
        // say: an operation sent before an app crash that lands after it,
        // a CDC publish the bus did not take, retried on the clock. Such a
        // fork would rewrite what the page has shown: it is refused.
        if !recording.full_trace().starts_with(self.trace()) {
            return Err(ScenarioError {
                path: "schedule".to_string(),
                message: "what happened so far has no scheduled form (an operation in flight \
                          across an app crash, or a CDC publish retried on the clock), so the \
                          run cannot be rescheduled from here; go back before it, or reset"
                    .to_string(),
            });
        }
        Ok(recording)
    }
}
