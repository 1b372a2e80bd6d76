//! The playground's state and the actions that change it: the page's
//! reducer, [`Playground::apply`], with the clock passed in.
//!
//! - [`work`]: large workloads and comparisons, simulated in slices or in
//!   the page's worker;
//! - [`exploring`]: the explorer panel's counting, in slices or in the
//!   page's worker;
//! - [`jobs`]: what the page and its worker say to each other;
//! - [`shown`]: what the page shows beside the run (explanations, charts,
//!   links, exports);
//! - [`workshop`]: questions, challenges, scheduling by hand and the
//!   course.

mod exploring;
mod jobs;
mod shown;
mod work;
mod workshop;

pub use exploring::{
    Answer, Counted, Exploring, SampledOrders, SampledSentences, Working, anomaly_words, answer_of,
    sampled_sentences,
};
pub use jobs::{FromWorker, Task, ToWorker, WARM_UP_JOB};
pub use shown::{ChartsOnScreen, RECENT_STEPS, RECENT_STEPS_PLAYING};
pub use work::{Aggregated, Place, Purpose, Variants, Work};
pub use workshop::{ChallengeView, Explored, QuestionView, SchedulerChoice};

use work::configuration_label;
use workshop::{challenge_recording, challenge_start};

use std::rc::Rc;

use crate::lessons::challenges::{self, Challenge};
use crate::lessons::{LESSONS, Lesson};
use crate::model::link::LinkState;
use crate::model::narration;
use crate::model::playback::Playback;

use crate::model::compare::{self, Batch, Outcome, Ran};
use crate::model::embed::HostCommand;
use crate::model::timeline::{self, Timeline};
use crate::sim::Scenario;
use crate::sim::explore::{Anomaly, scheduled_form_within};
use crate::sim::recording::Recording;
use crate::sim::sample::MAX_SAMPLED_REQUESTS;
use crate::sim::scenario::{Fault, ScheduleEntry};

/// Everything the page shows is derived from this.
#[derive(Clone, Debug)]
pub struct Playground {
    /// The lesson on screen.
    pub lesson: &'static Lesson,
    /// The run (followed to its end once) and the cursor in it: stepping
    /// back and seeking restore checkpoints, never replay from the start.
    pub recording: Recording,
    /// Why the last action was refused; the state stays as it was.
    pub message: Option<String>,
    /// Play/pause and speed.
    pub playback: Playback,
    /// Where each of the lesson's narration beats is reached in this run.
    pub beats_at: Vec<Option<usize>>,
    /// The whole run's timeline, laid out once per run (the page shows it
    /// up to the cursor).
    pub whole: WholeTimeline,
    /// The scenario on screen before any fork: the lesson's, or one loaded
    /// or edited by hand (what Reset replays and the explorer explores).
    pub base: Rc<Scenario>,
    /// Whether `base` was loaded or edited by hand (no narration then).
    pub custom: bool,
    /// The exhaustive explorer's panel.
    pub exploring: Exploring,
    /// Runs without their trace going on between frames (a large
    /// workload, or the configurations of a comparison).
    pub work: Option<Work>,
    /// A run too large to record operation by operation, shown aggregated
    /// (it replaces the recording on screen while set).
    pub aggregated: Option<Aggregated>,
    /// Where the cursor is in the aggregated run.
    pub aggregated_cursor_ms: u64,
    /// Configurations compared side by side (same seed).
    pub comparison: Vec<Rc<Outcome>>,
    /// Where to put the aggregated cursor once the large run being
    /// simulated is shown (a link opened at that instant).
    pub pending_time_ms: Option<u64>,
    /// The learner's predictions, by question of the lesson.
    pub answers: Vec<Option<usize>>,
    /// Whether playing a lesson stops at each part of its narration.
    pub pause_at_parts: bool,
    /// The challenge being attempted (its run starts with every order open).
    pub challenge: Option<&'static Challenge>,
    /// The fewest moves the challenge on screen was solved in.
    pub best_moves: Option<usize>,
}

/// The whole run's layout, shared between renders; compared by identity
/// (a new run makes a new one), never element by element.
#[derive(Clone, Debug)]
pub struct WholeTimeline(pub Rc<Timeline>);

impl PartialEq for WholeTimeline {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// What a person can do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Apply the next operation.
    Step,
    /// Undo the last operation (exactly: the state is the one before it).
    StepBack,
    /// Run every remaining operation.
    RunToEnd,
    /// Back to the lesson's start (dropping any run made by hand).
    Reset,
    /// Move the cursor to after this many steps (the scrubber).
    Seek(usize),
    /// Be the scheduler: this actor's pending operation (or this fault)
    /// takes effect next; the run is forked here and its old future dropped.
    Schedule(ScheduleEntry),
    /// Switch to the lesson at this index of [`LESSONS`].
    SelectLesson(usize),
    /// The lesson on screen again, as it comes (leaving an edited scenario,
    /// a run scheduled by hand or a challenge).
    BackToLesson,
    /// Start the challenge at this index of [`challenges::CHALLENGES`].
    StartChallenge(usize),
    /// Predict: this choice for this question of the lesson.
    Answer(usize, usize),
    /// Whether playing a lesson stops at each part.
    SetPauseAtParts(bool),
    /// Play, or pause when playing.
    TogglePlay,
    /// Stop playing (dragging the scrubber, hiding the tab).
    Pause,
    /// Set the speed notch (see [`crate::model::playback`]).
    SetSpeed(i32),
    /// This many milliseconds of real time passed while playing.
    Tick(f64),
    /// Go to where the next narration beat is reached.
    NextBeat,
    /// Go back to where the previous narration beat was reached.
    PreviousBeat,
    /// Run this scenario (JSON, as the command line reads it) instead of
    /// the lesson's; refused with a message if it is not valid.
    LoadScenario(String),
    /// Start counting every interleaving of the scenario on screen.
    Explore,
    /// Count one more slice (sent once per frame while counting).
    ExploreSlice,
    /// Stop counting.
    CancelExplore,
    /// The page's worker says how job `job` is getting on.
    ExploreProgress(u64, Working),
    /// The page's worker answered job `job`.
    Explored(u64, Rc<Answer>),
    /// The page's worker could not do job `job` (it did not load, or
    /// stopped), and why.
    ExploreFailed(u64, String),
    /// Show a failing schedule on the timeline: the shortest (0) or the
    /// k-th with this anomaly.
    ShowFailing(Anomaly, usize),
    /// Run the scenario on screen again with these faults instead of its
    /// own (same seed); refused with a message if they are not valid.
    SetFaults(Vec<Fault>),
    /// Run this scenario (a knob changed: same seed) instead of the one on
    /// screen.
    Tune(Box<Scenario>),
    /// Simulate one more slice of the work going on (once per frame).
    WorkSlice,
    /// Stop the work going on; the page keeps what it showed.
    CancelWork,
    /// The page's worker says how far simulating job `job` is (0 to 1).
    WorkProgress(u64, f64),
    /// The page's worker finished job `job`'s next run, spending so many
    /// milliseconds on it.
    WorkRan(u64, Rc<Ran>, f64),
    /// The page's worker could not do job `job` (it did not load, or
    /// stopped; the page's console says why): the runs go on in the
    /// page's thread.
    WorkFailed(u64),
    /// Run these configurations of the scenario on screen and compare them.
    Compare(Variants),
    /// Empty the comparison.
    ClearComparison,
    /// Show the compared configuration at this index as the run on screen.
    OpenCompared(usize),
    /// Move the aggregated run's cursor to this instant.
    SeekTime(u64),
    /// Forward, for a presentation remote: to the lesson's next part if
    /// the run reaches one, else one step; at the end of a lesson's run, to
    /// the next lesson of the course.
    Advance,
    /// Back, for a presentation remote: to the start of this part of the
    /// lesson (or the previous one), else one step; at the start of a
    /// lesson, to the previous lesson of the course.
    Retreat,
    /// A command from the page an embed is in.
    Host(HostCommand),
    /// Say this (something the page could not do); the state stays.
    Notice(String),
}

/// Milliseconds of simulation per frame while work goes on: the rest of a
/// 16.7 ms frame is left for drawing and input.
const WORK_BUDGET_MS: f64 = 12.0;
/// Steps between looks at the clock.
const WORK_STEPS: usize = 256;

impl Playground {
    /// A fresh run of `lesson`.
    pub fn new(lesson: &'static Lesson) -> Self {
        let base = lesson.scenario();
        let recording = Recording::new(&base).expect("built-in lessons are valid");
        Playground {
            lesson,
            beats_at: narration::positions(lesson.narration, &recording),
            whole: WholeTimeline(Rc::new(timeline::of_recording(&recording))),
            recording,
            message: None,
            playback: Playback::default(),
            base: Rc::new(base),
            custom: false,
            exploring: Exploring::Idle,
            work: None,
            aggregated: None,
            aggregated_cursor_ms: 0,
            comparison: Vec::new(),
            pending_time_ms: None,
            answers: vec![None; lesson.questions.len()],
            pause_at_parts: true,
            challenge: None,
            best_moves: None,
        }
    }

    /// The challenge's start: its lesson's scenario with every order open,
    /// and the explorer counting them.
    pub fn challenge(challenge: &'static Challenge) -> Self {
        let lesson =
            crate::lessons::lesson(challenge.lesson).expect("a challenge names a built-in lesson");
        let mut page = Playground::new(lesson);
        page.challenge = Some(challenge);
        page.show(challenge_recording(lesson));
        page.exploring = Exploring::Wanted;
        page
    }

    /// The page a link restores; or why it cannot (the end of the sentence
    /// "This link could not be opened: …").
    pub fn from_link(link: &LinkState) -> Result<Playground, String> {
        let lesson = LESSONS
            .iter()
            .find(|lesson| lesson.name == link.lesson)
            .ok_or_else(|| {
                format!(
                    "it names a lesson this page does not have ({:.40})",
                    link.lesson
                )
            })?;
        let mut page = match &link.challenge {
            None => Playground::new(lesson),
            Some(name) => match challenges::challenge(name) {
                Some(challenge) if challenge.lesson == lesson.name => {
                    Playground::challenge(challenge)
                }
                _ => {
                    return Err(format!(
                        "it names a challenge this page does not have ({name:.40})"
                    ));
                }
            },
        };
        if let Some(speed) = link.speed {
            page.playback.set_speed(speed);
        }
        if let Some(scenario) = link.parsed_scenario()? {
            page.run_own(scenario).map_err(|why| {
                why.replace(
                    "This scenario was not loaded: ",
                    "its scenario cannot run: ",
                )
            })?;
            page.pending_time_ms = link.time_ms;
        }
        if let Some(schedule) = &link.schedule {
            let forked = Scenario {
                schedule: Some(schedule.clone()),
                ..page.rescheduled_base()
            };
            let recording = Recording::new(&forked)
                .map_err(|error| format!("its schedule cannot be followed: {error}"))?;
            page.show(recording);
        }
        if link.step > page.total_steps() {
            return Err(format!(
                "its cursor (step {}) is past the end of the run ({} steps)",
                link.step,
                page.total_steps()
            ));
        }
        page.recording.seek(link.step);
        page.message = link.notice.clone();
        Ok(page)
    }

    /// The link to this page as it is (the view settings the page keeps
    /// outside this state, axis and selection, are added by the page).
    pub fn link(&self) -> LinkState {
        let aggregated = self.aggregated.is_some();
        let schedule = &self.recording.scenario().schedule;
        LinkState {
            lesson: self.lesson.name.to_string(),
            scenario: self
                .custom
                .then(|| serde_json::to_value(&*self.base).expect("a scenario serialises")),
            schedule: if aggregated || *schedule == self.base.schedule {
                None
            } else {
                schedule.clone()
            },
            step: if aggregated { 0 } else { self.steps_taken() },
            time_ms: aggregated.then_some(self.aggregated_cursor_ms),
            speed: (self.playback.speed != Playback::default().speed)
                .then_some(self.playback.speed),
            axis: None,
            selected: None,
            notice: None,
            challenge: self.challenge.map(|c| c.name.to_string()),
        }
    }

    /// The scenario a schedule is followed in: a challenge's start (its
    /// faults placed by the schedule), else the scenario on screen.
    fn rescheduled_base(&self) -> Scenario {
        match self.challenge {
            Some(_) => challenge_start(self.lesson),
            None => (*self.base).clone(),
        }
    }

    /// Runs `scenario` (loaded or edited by hand) in place of the one on
    /// screen; or says why not, keeping the state.
    /// A workload too large to record is simulated in slices and shown
    /// aggregated once done (until then the page keeps what it showed).
    fn run_own(&mut self, scenario: Scenario) -> Result<(), String> {
        // A newer scenario supersedes a large one still being simulated.
        if self
            .work
            .as_ref()
            .is_some_and(|w| w.purpose == Purpose::Show)
        {
            self.work = None;
        }
        let expected = expected_requests(&scenario);
        if expected > MAX_AGGREGATED_REQUESTS {
            return Err(format!(
                "This scenario was not loaded: about {expected:.0} requests is more than the \
                 {MAX_AGGREGATED_REQUESTS} the page simulates (run it with the command line, \
                 or shorten workload.duration_ms)"
            ));
        }
        if expected > MAX_PAGE_REQUESTS {
            let batch = Batch::new(scenario.name.clone(), &scenario)
                .map_err(|error| format!("This scenario was not loaded: {error}"))?;
            self.work = Some(Work::new(Purpose::Show, vec![batch]));
            return Ok(());
        }
        let recording = record(&scenario)?;
        self.base = Rc::new(scenario);
        self.custom = true;
        self.challenge = None;
        self.exploring = Exploring::Idle;
        self.aggregated = None;
        self.show(recording);
        Ok(())
    }

    /// Shows a large run aggregated, at its end.
    fn show_aggregated(&mut self, outcome: Rc<Outcome>, busy_ms: f64, in_worker: bool) {
        self.base = Rc::new(outcome.scenario.clone());
        self.custom = true;
        self.challenge = None;
        self.exploring = Exploring::Idle;
        self.beats_at = Vec::new();
        let end = outcome.report.end_ms;
        self.aggregated_cursor_ms = self.pending_time_ms.take().map_or(end, |at| at.min(end));
        self.aggregated = Some(Aggregated {
            outcome,
            busy_ms,
            in_worker,
        });
    }

    /// Takes the finished outcomes of the work going on.
    fn finish_work(&mut self, work: Work) {
        match work.purpose {
            Purpose::Show => {
                let in_worker = work.away_job().is_some();
                if let Some(outcome) = work.done.into_iter().next() {
                    self.show_aggregated(outcome, work.busy_ms, in_worker);
                }
            }
            Purpose::Compare => self.comparison.extend(work.done),
        }
    }

    /// Switches to `recording` (a fork, or a loaded scenario's run),
    /// keeping the lesson, speed and any loaded scenario.
    fn show(&mut self, recording: Recording) {
        self.beats_at = narration::positions(self.narration(), &recording);
        self.whole = WholeTimeline(Rc::new(timeline::of_recording(&recording)));
        self.recording = recording;
    }

    /// The narration beat showing at the cursor.
    pub fn beat(&self) -> usize {
        narration::current(&self.beats_at, self.steps_taken())
    }

    /// How many steps have been taken.
    pub fn steps_taken(&self) -> usize {
        self.recording.cursor()
    }

    /// How many steps the run has.
    pub fn total_steps(&self) -> usize {
        self.recording.len()
    }

    /// Whether the cursor is at the run's end.
    pub fn finished(&self) -> bool {
        self.steps_taken() == self.total_steps()
    }

    /// Whether a presentation remote walks on to the next or previous
    /// lesson from here: in a lesson as it comes, not in a person's own
    /// scenario or a challenge.
    fn walks_the_course(&self) -> bool {
        !self.custom && self.challenge.is_none() && self.aggregated.is_none()
    }

    /// `page`, keeping what a person set for the whole session: the speed,
    /// and whether play pauses at each part.
    fn switched_to(&self, mut page: Playground) -> Playground {
        page.playback.set_speed(self.playback.speed);
        page.pause_at_parts = self.pause_at_parts;
        page
    }
}

/// A scenario from a person, run to its end; or one message saying what is
/// wrong with it.
fn record(scenario: &Scenario) -> Result<Recording, String> {
    Recording::new(scenario).map_err(|error| format!("This scenario was not loaded: {error}"))
}

/// About how many requests a scenario makes.
pub fn expected_requests(scenario: &Scenario) -> f64 {
    match &scenario.workload {
        Some(w) => (w.reads_per_s + w.writes_per_s) * w.duration_ms as f64 / 1000.0,
        None => scenario.requests.len() as f64,
    }
}

/// The most generated requests the page records operation by operation;
/// larger workloads are shown aggregated.
pub const MAX_PAGE_REQUESTS: f64 = 20_000.0;

/// The most generated requests the page simulates at all (a million
/// requests a second for ten seconds fits twice), simulated in slices with
/// a progress bar and Cancel; the command line takes up to 50 million.
pub const MAX_AGGREGATED_REQUESTS: f64 = 20_000_000.0;

/// A monotonic clock in milliseconds. The reducer reads it only to bound
/// the work one frame does; the page passes the browser's
/// `performance.now()`, tests a clock they move themselves.
pub trait Clock {
    /// Milliseconds since an arbitrary origin, never decreasing.
    fn now_ms(&self) -> f64;

    /// Whether heavy work (the explorer, runs too large to record) is
    /// handed to a worker thread that answers with actions, rather than
    /// done here in slices.
    fn offloads(&self) -> bool {
        false
    }
}

impl Playground {
    /// The state after `action`: the page's reducer. `clock` bounds the
    /// work of the actions that simulate or explore in slices.
    pub fn apply(self: Rc<Self>, action: Action, clock: &dyn Clock) -> Rc<Self> {
        // An aggregated run has no operations to step through: the keys and
        // buttons of the (hidden) transport do nothing then.
        if self.aggregated.is_some()
            && matches!(
                action,
                Action::Step
                    | Action::StepBack
                    | Action::RunToEnd
                    | Action::Seek(_)
                    | Action::Schedule(_)
                    | Action::TogglePlay
                    | Action::NextBeat
                    | Action::PreviousBeat
                    | Action::Advance
                    | Action::Retreat
            )
        {
            return self;
        }
        if action == Action::ExploreSlice {
            return self.explore_slice(clock);
        }
        let mut next = Rc::unwrap_or_clone(self);
        // Work between frames neither clears a message nor stops playback;
        // moving by hand does both (the clock ticking does neither).
        // So does what the page's worker says.
        let background = matches!(
            action,
            Action::Tick(_)
                | Action::WorkSlice
                | Action::WorkProgress(..)
                | Action::WorkRan(..)
                | Action::WorkFailed(..)
                | Action::ExploreSlice
                | Action::ExploreProgress(..)
                | Action::Explored(..)
                | Action::ExploreFailed(..)
        );
        // Pausing (a hidden tab, a grabbed scrubber) keeps a message too.
        if !background && action != Action::Pause {
            next.message = None;
        }
        if !background && !matches!(action, Action::TogglePlay | Action::SetSpeed(_)) {
            next.playback.pause();
        }
        match action {
            Action::Step => {
                next.recording.step_forward();
            }
            Action::StepBack => {
                next.recording.step_back();
            }
            Action::RunToEnd => {
                let end = next.recording.len();
                next.recording.seek(end);
            }
            Action::Reset => {
                // The same scenario: what the explorer found still holds.
                let (speed, exploring) = (next.playback.speed, next.exploring.clone());
                if next.aggregated.is_some() {
                    next.aggregated_cursor_ms = 0;
                } else if next.challenge.is_some() {
                    // Every order open again; the best and the count stay.
                    next.show(challenge_recording(next.lesson));
                } else if next.custom {
                    match record(&next.base) {
                        Ok(recording) => next.show(recording),
                        Err(message) => next.message = Some(message),
                    }
                } else {
                    let (answers, pause) = (next.answers.clone(), next.pause_at_parts);
                    next = Playground::new(next.lesson);
                    (next.answers, next.pause_at_parts) = (answers, pause);
                }
                next.playback.set_speed(speed);
                next.exploring = exploring;
            }
            Action::Seek(step) => next.recording.seek(step),
            Action::Schedule(entry) => match next.recording.fork(entry) {
                Ok(forked) => {
                    next.show(forked);
                    if next.challenge_solved() {
                        let moves = next.steps_taken();
                        next.best_moves = Some(next.best_moves.map_or(moves, |b| b.min(moves)));
                    }
                }
                Err(error) => next.message = Some(error.to_string()),
            },
            Action::SelectLesson(index) => {
                // An index from outside the list keeps the current lesson.
                if let Some(lesson) = LESSONS.get(index) {
                    next = next.switched_to(Playground::new(lesson));
                }
            }
            Action::BackToLesson => next = next.switched_to(Playground::new(next.lesson)),
            Action::StartChallenge(index) => {
                if let Some(challenge) = challenges::CHALLENGES.get(index) {
                    next = next.switched_to(Playground::challenge(challenge));
                }
            }
            Action::Answer(question, choice) => next.answer(question, choice),
            Action::SetPauseAtParts(on) => next.pause_at_parts = on,
            Action::TogglePlay => {
                if next.playback.playing {
                    next.playback.pause();
                } else {
                    next.playback.play(&mut next.recording);
                }
            }
            Action::Pause => {}
            Action::SetSpeed(notch) => next.playback.set_speed(notch),
            Action::Tick(wall_ms) => {
                let stop = next.next_stop();
                next.playback.tick(&mut next.recording, wall_ms, stop);
            }
            Action::LoadScenario(json) => {
                let loaded = Scenario::from_json(&json)
                    .map_err(|error| format!("This scenario was not loaded: {error}"))
                    .and_then(|scenario| next.run_own(scenario));
                if let Err(message) = loaded {
                    next.message = Some(message);
                }
            }
            Action::SetFaults(faults) => {
                let scenario = Scenario {
                    faults,
                    ..(*next.base).clone()
                };
                if let Err(message) = next.run_own(scenario) {
                    next.message = Some(message);
                }
            }
            Action::Tune(scenario) => {
                if let Err(message) = next.run_own(*scenario) {
                    next.message = Some(message);
                }
            }
            Action::WorkSlice => {
                if let Some(mut work) = next.work.take() {
                    if work.slice(WORK_BUDGET_MS, clock) {
                        next.finish_work(work);
                    } else {
                        next.work = Some(work);
                    }
                }
            }
            Action::WorkProgress(job, progress) => {
                if let Some(work) = next.work.as_mut() {
                    work.progressed(job, progress);
                }
            }
            Action::WorkRan(job, ran, busy_ms) => {
                if let Some(mut work) = next.work.take() {
                    if work.ran(job, Rc::unwrap_or_clone(ran), busy_ms) {
                        next.finish_work(work);
                    } else {
                        next.work = Some(work);
                    }
                }
            }
            Action::WorkFailed(job) => {
                if let Some(work) = next.work.as_mut() {
                    work.failed(job);
                }
            }
            Action::CancelWork => {
                next.work = None;
                next.pending_time_ms = None;
            }
            Action::Compare(variants) => {
                let base = &*next.base;
                let configurations = match variants {
                    Variants::WriteStrategies => compare::write_strategies(base),
                    Variants::StampedeProtections => compare::stampede_protections(base),
                    Variants::Current => vec![(configuration_label(base), base.clone())],
                };
                let batches: Result<Vec<Batch>, String> = configurations
                    .iter()
                    .map(|(label, scenario)| Batch::new(label.clone(), scenario))
                    .collect();
                match batches {
                    Ok(batches) => {
                        if variants != Variants::Current {
                            next.comparison.clear();
                        }
                        next.work = Some(Work::new(Purpose::Compare, batches));
                    }
                    Err(message) => next.message = Some(message),
                }
            }
            Action::ClearComparison => next.comparison.clear(),
            Action::OpenCompared(index) => {
                if let Some(outcome) = next.comparison.get(index).cloned() {
                    if expected_requests(&outcome.scenario) > MAX_PAGE_REQUESTS {
                        // Already simulated: shown as it is.
                        next.show_aggregated(outcome, 0.0, false);
                    } else if let Err(message) = next.run_own(outcome.scenario.clone()) {
                        next.message = Some(message);
                    }
                }
            }
            Action::SeekTime(at_ms) => {
                if let Some(aggregated) = &next.aggregated {
                    next.aggregated_cursor_ms = at_ms.min(aggregated.outcome.report.end_ms);
                }
            }
            Action::Explore => next.exploring = Exploring::Wanted,
            // Worked by `explore_slice`, before the state is copied.
            Action::ExploreSlice => {}
            Action::CancelExplore => next.exploring = Exploring::Idle,
            Action::ExploreProgress(job, working) => {
                if next.exploring.away_job() == Some(job) {
                    next.exploring = Exploring::Away { job, working };
                }
            }
            Action::Explored(job, answer) => {
                if next.exploring.away_job() == Some(job) {
                    next.exploring = Rc::unwrap_or_clone(answer).shown();
                }
            }
            Action::ExploreFailed(job, why) => {
                if next.exploring.away_job() == Some(job) {
                    next.exploring = Exploring::Refused(why);
                }
            }
            Action::ShowFailing(anomaly, k) => next.show_failing(anomaly, k),
            Action::Notice(message) => next.message = Some(message),
            Action::Advance => {
                let target = next.beats_at.get(next.beat() + 1).copied().flatten();
                let walks_on = next.walks_the_course() && next.done();
                match (target, next.course_place().next()) {
                    (Some(step), _) => next.recording.seek(step),
                    (None, Some(lesson)) if walks_on => {
                        next = next.switched_to(Playground::new(lesson));
                    }
                    _ => {
                        next.recording.step_forward();
                    }
                }
            }
            Action::Host(command) => {
                let action = match command {
                    HostCommand::Hello => return Rc::new(next),
                    HostCommand::Play if next.playback.playing => return Rc::new(next),
                    HostCommand::Play => Action::TogglePlay,
                    HostCommand::Pause => Action::Pause,
                    HostCommand::Step => Action::Step,
                    HostCommand::Back => Action::StepBack,
                    HostCommand::Reset => Action::Reset,
                    HostCommand::RunToEnd => Action::RunToEnd,
                    HostCommand::Part(n) => match next.beats_at.get(n - 1) {
                        Some(Some(step)) => Action::Seek(*step),
                        Some(None) => {
                            next.message = Some(format!(
                                "This run does not reach part {n} of the lesson; press Reset to \
                                 replay the lesson's own schedule."
                            ));
                            return Rc::new(next);
                        }
                        None => {
                            next.message = Some(format!(
                                "There is no part {n}: this run's narration has {} parts.",
                                next.beats_at.len()
                            ));
                            return Rc::new(next);
                        }
                    },
                };
                return Rc::new(next).apply(action, clock);
            }
            Action::Retreat => {
                let at_start = next.steps_taken() == 0;
                match next.course_place().previous() {
                    Some(lesson) if at_start && next.walks_the_course() => {
                        next = next.switched_to(Playground::new(lesson));
                    }
                    _ if next.beats_at.is_empty() => {
                        next.recording.step_back();
                    }
                    _ => return Rc::new(next).apply(Action::PreviousBeat, clock),
                }
            }
            Action::NextBeat => {
                let target = next.beats_at.get(next.beat() + 1).copied().flatten();
                match target {
                    Some(step) => next.recording.seek(step),
                    None => {
                        next.message = Some(
                            "This run does not reach the next part of the lesson; press Reset to \
                             replay the lesson's own schedule."
                                .to_string(),
                        )
                    }
                }
            }
            Action::PreviousBeat => {
                let beat = next.beat();
                // From part-way through a beat, back to its start; from its
                // start, back to the one before.
                let here = next.beats_at[beat].unwrap_or(0);
                let target = if next.steps_taken() > here || beat == 0 {
                    here
                } else {
                    next.beats_at[beat - 1].unwrap_or(0)
                };
                next.recording.seek(target);
            }
        }
        Rc::new(next)
    }

    /// Explores for about [`WORK_BUDGET_MS`] (or hands the work to the
    /// page's worker). The explorer advances inside its shared cell; the
    /// state is copied (and the page drawn again) only when the panel
    /// would show something else, so most slices leave the frame's time to
    /// counting.
    fn explore_slice(self: Rc<Self>, clock: &dyn Clock) -> Rc<Self> {
        match self.exploring.slice(&self.base, clock, WORK_BUDGET_MS) {
            None => self,
            Some(exploring) => {
                let mut next = Rc::unwrap_or_clone(self);
                next.exploring = exploring;
                Rc::new(next)
            }
        }
    }

    /// Opens a failing schedule the explorer found (or an order drawn
    /// with the anomaly) on the timeline, at its end where the anomaly is.
    fn show_failing(&mut self, anomaly: Anomaly, k: usize) {
        // What was explored: the scenario on screen in scheduled form.
        let in_scheduled_form = |schedule| {
            let scheduled = scheduled_form_within(&self.base, MAX_SAMPLED_REQUESTS);
            scheduled.map_err(|e| e.to_string()).map(|(s, _)| Scenario {
                schedule: Some(schedule),
                ..s
            })
        };
        let (example, count) = match &self.exploring {
            Exploring::Done { answer, .. } => (
                answer.schedule(anomaly, k).map(in_scheduled_form),
                answer.count(anomaly),
            ),
            Exploring::Sampled { answer, .. } => (
                answer
                    .summary
                    .example(anomaly, &self.base, in_scheduled_form),
                answer.summary.share(anomaly).count as u128,
            ),
            _ => return,
        };
        let Some(example) = example else {
            self.message = Some(if k > exploring::SCHEDULES_LISTED {
                format!(
                    "No more schedules with {} to show here: the first {} of {count} were \
                     (`cachescope explore` finds every one).",
                    anomaly_words(anomaly),
                    exploring::SCHEDULES_LISTED,
                )
            } else {
                format!("No more schedules with {} to show.", anomaly_words(anomaly))
            });
            return;
        };
        let recording =
            example.and_then(|scenario| Recording::new(&scenario).map_err(|e| e.to_string()));
        match recording {
            Ok(mut recording) => {
                match &mut self.exploring {
                    Exploring::Done { shown, .. } => *shown = Some((anomaly, k)),
                    Exploring::Sampled { shown, .. } => *shown = Some(anomaly),
                    _ => {}
                }
                recording.seek(recording.len());
                self.show(recording);
            }
            Err(error) => self.message = Some(error),
        }
    }
}
