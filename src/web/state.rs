//! The playground's state and the actions that change it.

use std::rc::Rc;

use yew::Reducible;

use crate::lessons::{LESSONS, Lesson};
use crate::narration;
use crate::playback::Playback;
use crate::sim::recording::Recording;
use crate::sim::scenario::ScheduleEntry;

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
}

/// What a person can do.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

impl Playground {
    /// A fresh run of `lesson`.
    pub fn new(lesson: &'static Lesson) -> Self {
        let recording = Recording::new(&lesson.scenario()).expect("built-in lessons are valid");
        Playground {
            lesson,
            beats_at: narration::positions(narration::beats(lesson.name), &recording),
            recording,
            message: None,
            playback: Playback::default(),
        }
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
            Action::Reset => next = Playground::new(next.lesson),
            Action::Seek(step) => next.recording.seek(step),
            Action::Schedule(actor) => match next.recording.fork(ScheduleEntry::Actor(actor)) {
                Ok(forked) => {
                    next.beats_at =
                        narration::positions(narration::beats(next.lesson.name), &forked);
                    next.recording = forked;
                }
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
