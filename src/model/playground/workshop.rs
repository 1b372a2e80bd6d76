//! What the page needs for a workshop, computed from the state: the
//! question at the current part of the lesson and whether the prediction
//! held, a challenge's standing, who can still go next (faults included),
//! and where the course goes from here.

use super::{Exploring, Playground};
use crate::lessons::challenges::Challenge;
use crate::lessons::{Lesson, course};
use crate::model::narration;
use crate::sim::explore;
use crate::sim::recording::Recording;
use crate::sim::scenario::{FaultKind, Scenario, ScheduleEntry};

/// The question on screen and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionView {
    /// Its index in the lesson's questions (what an answer names).
    pub index: usize,
    /// "What will R2 read?"
    pub prompt: &'static str,
    /// The answers offered.
    pub choices: Vec<&'static str>,
    /// The one the learner picked, if any.
    pub picked: Option<usize>,
    /// Once the run has shown it: which choices held there.
    pub revealed: Option<Vec<bool>>,
}

impl QuestionView {
    /// Once revealed: whether the learner's prediction held (`None` when
    /// they did not make one).
    pub fn held(&self) -> Option<bool> {
        let right = self.revealed.as_ref()?;
        self.picked
            .map(|picked| right.get(picked).copied().unwrap_or(false))
    }
}

/// A challenge's standing in the run on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeView {
    /// The challenge.
    pub challenge: &'static Challenge,
    /// Moves made so far (steps of the run up to the cursor).
    pub moves: usize,
    /// Whether the run on screen, up to the cursor, does what it asks.
    pub solved: bool,
    /// The fewest moves the learner has solved it in this session.
    pub best: Option<usize>,
    /// What the explorer found: complete orders, how many succeed, and the
    /// shortest that does; `None` while it is still counting.
    pub explored: Option<Explored>,
}

/// The explorer's verdict on a challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explored {
    /// Every complete order.
    pub orders: u128,
    /// Those that do what the challenge asks.
    pub succeed: u128,
    /// The shortest that does, if any.
    pub shortest: Option<Vec<ScheduleEntry>>,
}

/// A choice offered to whoever schedules by hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerChoice {
    /// What the button says: `R2`, or `cache crash`.
    pub label: String,
    /// What it puts in the schedule.
    pub entry: ScheduleEntry,
    /// What choosing it makes take effect next: `db.read user:123`; for a
    /// request not yet started in a timed run, `arrives at 300 ms`; for a
    /// fault, `happens now`.
    pub next: String,
}

impl Playground {
    /// The question at the current part of the lesson: the latest one
    /// asked at or before it whose reveal is not behind it.
    pub fn question(&self) -> Option<QuestionView> {
        if self.custom || self.challenge.is_some() {
            return None;
        }
        let beat = self.beat();
        let (index, question) = self
            .lesson
            .questions
            .iter()
            .enumerate()
            .rfind(|(_, q)| q.at <= beat && beat <= q.reveal)?;
        let judged = narration::judged_at(question, &self.beats_at, &self.recording);
        let revealed = (self.steps_taken() >= judged)
            .then(|| narration::right_choices(question, &self.beats_at, &self.recording));
        Some(QuestionView {
            index,
            prompt: question.prompt,
            choices: question.choices.iter().map(|c| c.label).collect(),
            picked: self.answers.get(index).copied().flatten(),
            revealed,
        })
    }

    /// Records a prediction; refused once the run has revealed the answer
    /// (a prediction is made before the step that tells).
    pub(super) fn answer(&mut self, question: usize, choice: usize) {
        let Some(view) = self.question().filter(|q| q.index == question) else {
            return;
        };
        if view.revealed.is_some() {
            self.message = Some(
                "The run has already shown the answer; go back to where the question is asked \
                 to predict again."
                    .to_string(),
            );
        } else if choice < view.choices.len()
            && let Some(answer) = self.answers.get_mut(question)
        {
            *answer = Some(choice);
        }
    }

    /// The step at which playing stops next: the next part of the lesson
    /// after the cursor, when parts pause play.
    pub(super) fn next_stop(&self) -> Option<usize> {
        if !self.pause_at_parts {
            return None;
        }
        let here = self.steps_taken();
        self.beats_at
            .iter()
            .flatten()
            .copied()
            .find(|&at| at > here)
    }

    /// The faults of the scenario on screen that have not happened in the
    /// run so far: the person scheduling by hand may place them.
    pub fn faults_to_place(&self) -> Vec<FaultKind> {
        let mut left: Vec<FaultKind> = self
            .base
            .faults
            .iter()
            .map(|f| f.kind)
            .filter(|kind| !kind.spans_time())
            .collect();
        for entry in self.recording.schedule_so_far() {
            if let ScheduleEntry::Fault(kind) = entry
                && let Some(i) = left.iter().position(|k| k == kind)
            {
                left.remove(i);
            }
        }
        left
    }

    /// Who (and which fault) could go next at the cursor. Placing a fault
    /// forks the run as choosing an actor does (a fork drops the faults
    /// still ahead of a timed run, so they are offered here instead).
    pub fn scheduler_choices(&self) -> Vec<SchedulerChoice> {
        if self.aggregated.is_some() {
            return Vec::new();
        }
        let sim = self.recording.current();
        let pending = crate::model::view::pending_rows(sim);
        let by_hand = sim.scenario().schedule.is_some();
        // A request that has not started yet: in a run scheduled by hand,
        // the operation choosing it makes take effect, found by making the
        // choice on a copy (such runs are a few dozen steps); in a timed
        // run, when it arrives (a copy per request would cost a large
        // scripted run a simulation each).
        let not_started = |name: &str| -> Option<String> {
            if !by_hand {
                let request = sim.scenario().requests.iter().find(|r| r.id == name)?;
                return Some(format!("arrives at {} ms", request.at_ms));
            }
            let forked = self
                .recording
                .fork(ScheduleEntry::Actor(name.to_string()))
                .ok()?;
            let taken = forked.full_trace().get(self.recording.cursor()..)?;
            taken
                .iter()
                .find(|e| e.actor.name() == name)
                .map(|e| e.what())
        };
        let actors = sim.schedulable().into_iter().map(|name| SchedulerChoice {
            next: pending
                .iter()
                .find(|row| row.actor == name)
                .map(|row| row.operation.clone())
                .or_else(|| not_started(&name))
                .unwrap_or_else(|| "starts".to_string()),
            label: name.clone(),
            entry: ScheduleEntry::Actor(name),
        });
        let faults = self
            .faults_to_place()
            .into_iter()
            .map(|kind| SchedulerChoice {
                label: crate::model::view::fault_text(&crate::sim::scenario::Fault {
                    at_ms: None,
                    kind,
                }),
                entry: ScheduleEntry::Fault(kind),
                next: "happens now".to_string(),
            });
        actors.chain(faults).collect()
    }

    /// Whether the run has nothing left to do at the cursor: at its end,
    /// with nobody (and no fault) waiting to be scheduled by hand.
    pub fn done(&self) -> bool {
        self.finished()
            && (self.recording.scenario().schedule.is_none()
                || (self.recording.current().schedulable().is_empty()
                    && self.faults_to_place().is_empty()))
    }

    /// The challenge on screen and where the learner stands in it.
    pub fn challenge_view(&self) -> Option<ChallengeView> {
        let challenge = self.challenge?;
        let moves = self.steps_taken();
        let explored = match &self.exploring {
            Exploring::Done { answer, .. } => Some(Explored {
                orders: answer.summary.schedules,
                succeed: answer.count(challenge.goal),
                shortest: answer.shortest(challenge.goal),
            }),
            _ => None,
        };
        Some(ChallengeView {
            challenge,
            moves,
            solved: self.challenge_solved(),
            best: self.best_moves,
            explored,
        })
    }

    /// Whether the run on screen does what the challenge asks: complete
    /// (nothing left to schedule) and with the anomaly, as the explorer
    /// counts the orders that succeed, so "the shortest" means the same
    /// for the learner and for the explorer.
    pub(super) fn challenge_solved(&self) -> bool {
        let Some(challenge) = self.challenge else {
            return false;
        };
        self.done() && explore::anomalies_of(self.recording.current()).contains(&challenge.goal)
    }

    /// Where the course goes from the lesson on screen.
    pub fn course_place(&self) -> course::Place {
        course::place(self.lesson.name).expect("the lesson on screen is a built-in one")
    }
}

/// The scenario a challenge starts from: the lesson's in the explorer's
/// scheduled form, every order open (an empty schedule), its faults left
/// to be placed by hand.
pub(super) fn challenge_start(lesson: &Lesson) -> Scenario {
    explore::scheduled_form(&lesson.scenario())
        .expect("a challenge's lesson is explorable")
        .0
}

/// The run a challenge starts from: no step taken yet.
pub(super) fn challenge_recording(lesson: &Lesson) -> Recording {
    Recording::new(&challenge_start(lesson)).expect("built-in lessons are valid")
}
