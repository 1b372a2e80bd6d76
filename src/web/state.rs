//! The playground's state and the actions that change it.

use std::rc::Rc;

use yew::Reducible;

use crate::lessons::{LESSONS, Lesson};
use crate::sim::Simulation;

/// Everything the page shows is derived from this.
#[derive(Clone, Debug)]
pub struct Playground {
    /// The lesson on screen.
    pub lesson: &'static Lesson,
    /// The run, advanced to the current step.
    pub sim: Simulation,
    /// How many steps the whole run has (for "step 3 of 4").
    pub total_steps: usize,
}

/// What a person can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Apply the next operation.
    Step,
    /// Run every remaining operation.
    RunToEnd,
    /// Back to time 0.
    Reset,
    /// Switch to the lesson at this index of [`LESSONS`].
    SelectLesson(usize),
}

impl Playground {
    /// A fresh run of `lesson`.
    pub fn new(lesson: &'static Lesson) -> Self {
        let sim = Simulation::new(&lesson.scenario()).expect("built-in lessons are valid");
        let mut whole = sim.clone();
        whole.run();
        Playground {
            lesson,
            total_steps: whole.trace().len(),
            sim,
        }
    }

    /// How many steps have been taken.
    pub fn steps_taken(&self) -> usize {
        self.sim.trace().len()
    }
}

impl Reducible for Playground {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        match action {
            Action::Step => {
                next.sim.step();
            }
            Action::RunToEnd => next.sim.run(),
            Action::Reset => next = Playground::new(next.lesson),
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
