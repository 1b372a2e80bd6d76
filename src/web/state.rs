//! The playground's state and the actions that change it.

use std::rc::Rc;

use yew::Reducible;

use crate::lessons::{LESSONS, Lesson};
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
}

impl Playground {
    /// A fresh run of `lesson`.
    pub fn new(lesson: &'static Lesson) -> Self {
        Playground {
            lesson,
            recording: Recording::new(&lesson.scenario()).expect("built-in lessons are valid"),
            message: None,
        }
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
                Ok(forked) => next.recording = forked,
                Err(error) => next.message = Some(error.to_string()),
            },
            Action::SelectLesson(index) => {
                // An index from outside the list keeps the current lesson.
                if let Some(lesson) = LESSONS.get(index) {
                    next = Playground::new(lesson);
                }
            }
        }
        Rc::new(next)
    }
}
