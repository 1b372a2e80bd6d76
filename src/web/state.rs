//! The playground's state and the actions that change it.

use std::rc::Rc;

use yew::Reducible;

use crate::lessons::{LESSONS, Lesson};
use crate::narration;
use crate::playback::Playback;
use std::cell::RefCell;

use crate::sim::Scenario;
use crate::sim::explore::{Anomaly, Exploration, Explorer, Limits, Progress, Summary};
use crate::sim::recording::Recording;
use crate::sim::scenario::{Fault, ScheduleEntry};
use crate::timeline::{self, Timeline};

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
}

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
        progress: Progress,
    },
    /// Every schedule counted.
    Done {
        exploration: Rc<Exploration>,
        summary: Summary,
        /// The failing schedule on screen: which anomaly, and which of its
        /// schedules (0: the shortest; k: the k-th in the explorer's order).
        shown: Option<(Anomaly, usize)>,
    },
    /// Why it could not be done.
    Refused(String),
}

impl std::fmt::Debug for Exploring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exploring::Idle => write!(f, "Idle"),
            Exploring::Running { progress, .. } => write!(f, "Running({progress:?})"),
            Exploring::Done { summary, shown, .. } => write!(f, "Done({summary:?}, {shown:?})"),
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
                },
                Exploring::Running {
                    explorer: b,
                    progress: q,
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
            (Exploring::Refused(a), Exploring::Refused(b)) => a == b,
            _ => false,
        }
    }
}

/// Explorer steps per slice (one slice per animation frame): a few
/// milliseconds of work, so the page stays responsive.
const EXPLORE_SLICE: usize = 2_000;

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
    /// Be the scheduler: this actor's pending operation takes effect next;
    /// the run is forked here and its old future dropped.
    Schedule(String),
    /// Switch to the lesson at this index of [`LESSONS`].
    SelectLesson(usize),
    /// Play, or pause when playing.
    TogglePlay,
    /// Stop playing (dragging the scrubber, hiding the tab).
    Pause,
    /// Set the speed notch (see [`crate::playback`]).
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
    /// Show a failing schedule on the timeline: the shortest (0) or the
    /// k-th with this anomaly.
    ShowFailing(Anomaly, usize),
    /// Run the scenario on screen again with these faults instead of its
    /// own (same seed); refused with a message if they are not valid.
    SetFaults(Vec<Fault>),
}

impl Playground {
    /// A fresh run of `lesson`.
    pub fn new(lesson: &'static Lesson) -> Self {
        let base = lesson.scenario();
        let recording = Recording::new(&base).expect("built-in lessons are valid");
        Playground {
            lesson,
            beats_at: narration::positions(narration::beats(lesson.name), &recording),
            whole: WholeTimeline(Rc::new(timeline::of_recording(&recording))),
            recording,
            message: None,
            playback: Playback::default(),
            base: Rc::new(base),
            custom: false,
            exploring: Exploring::Idle,
        }
    }

    /// Runs `scenario` (loaded or edited by hand) in place of the one on
    /// screen; or says why not, keeping the state.
    fn run_own(&mut self, scenario: Scenario) -> Result<(), String> {
        let recording = record(&scenario)?;
        self.base = Rc::new(scenario);
        self.custom = true;
        self.exploring = Exploring::Idle;
        self.show(recording);
        Ok(())
    }

    /// Switches to `recording` (a fork, or a loaded scenario's run),
    /// keeping the lesson, speed and any loaded scenario.
    fn show(&mut self, recording: Recording) {
        self.beats_at = if self.custom {
            Vec::new()
        } else {
            narration::positions(narration::beats(self.lesson.name), &recording)
        };
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
}

/// The explorer's result, once it has counted everything.
fn finished(explorer: &Rc<RefCell<Explorer>>) -> Exploring {
    match explorer.borrow_mut().take_result() {
        Some(exploration) => Exploring::Done {
            summary: exploration.summary(),
            exploration: Rc::new(exploration),
            shown: None,
        },
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

/// A scenario from a person, run to its end; or one message saying what is
/// wrong with it.
fn record(scenario: &Scenario) -> Result<Recording, String> {
    if let Some(workload) = &scenario.workload {
        let expected =
            (workload.reads_per_s + workload.writes_per_s) * workload.duration_ms as f64 / 1000.0;
        if expected > MAX_PAGE_REQUESTS {
            return Err(format!(
                "This scenario was not loaded: about {expected:.0} requests is more than the \
                 {MAX_PAGE_REQUESTS} the page records operation by operation (run it with the \
                 command line, or shorten workload.duration_ms)"
            ));
        }
    }
    Recording::new(scenario).map_err(|error| format!("This scenario was not loaded: {error}"))
}

/// The most generated requests the page records operation by operation.
const MAX_PAGE_REQUESTS: f64 = 20_000.0;

impl Reducible for Playground {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.message = None;
        // Moving by hand stops playback; the clock ticking does not.
        if !matches!(
            action,
            Action::Tick(_) | Action::TogglePlay | Action::SetSpeed(_)
        ) {
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
                if next.custom {
                    match record(&next.base) {
                        Ok(recording) => next.show(recording),
                        Err(message) => next.message = Some(message),
                    }
                } else {
                    next = Playground::new(next.lesson);
                }
                next.playback.set_speed(speed);
                next.exploring = exploring;
            }
            Action::Seek(step) => next.recording.seek(step),
            Action::Schedule(actor) => match next.recording.fork(ScheduleEntry::Actor(actor)) {
                Ok(forked) => next.show(forked),
                Err(error) => next.message = Some(error.to_string()),
            },
            Action::SelectLesson(index) => {
                // An index from outside the list keeps the current lesson.
                if let Some(lesson) = LESSONS.get(index) {
                    let speed = next.playback.speed;
                    next = Playground::new(lesson);
                    next.playback.set_speed(speed);
                }
            }
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
                next.playback.tick(&mut next.recording, wall_ms);
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
            Action::Explore => {
                next.exploring = match Explorer::new(&next.base, Limits::default()) {
                    Ok(explorer) => Exploring::Running {
                        progress: explorer.progress(),
                        explorer: Rc::new(RefCell::new(explorer)),
                    },
                    Err(error) => Exploring::Refused(error.to_string()),
                }
            }
            Action::ExploreSlice => {
                if let Exploring::Running { explorer, .. } = &next.exploring {
                    let advanced = explorer.borrow_mut().advance(EXPLORE_SLICE);
                    next.exploring = match advanced {
                        Ok(false) => Exploring::Running {
                            progress: explorer.borrow().progress(),
                            explorer: explorer.clone(),
                        },
                        Ok(true) => finished(explorer),
                        Err(error) => Exploring::Refused(error.to_string()),
                    };
                }
            }
            Action::CancelExplore => next.exploring = Exploring::Idle,
            Action::ShowFailing(anomaly, k) => {
                if let Exploring::Done {
                    exploration, shown, ..
                } = &mut next.exploring
                {
                    let schedule = if k == 0 {
                        exploration.shortest(anomaly)
                    } else {
                        exploration.schedules_with(Some(anomaly)).nth(k - 1)
                    };
                    match schedule.map(|s| Recording::new(&exploration.scenario_with(s))) {
                        Some(Ok(mut recording)) => {
                            *shown = Some((anomaly, k));
                            // At the end, where the anomaly is.
                            recording.seek(recording.len());
                            next.show(recording);
                        }
                        Some(Err(error)) => next.message = Some(error.to_string()),
                        None => {
                            next.message = Some(format!(
                                "No more schedules with {} to show.",
                                anomaly_words(anomaly)
                            ))
                        }
                    }
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
}
