//! The page's state is [`Playground`]; Yew's reducer calls its
//! [`Playground::apply`] with the browser's clock.

use std::rc::Rc;

use yew::Reducible;

use crate::model::playground::{Action, Clock, Playground};

/// The browser's `performance.now()`.
pub struct PageClock;

impl Clock for PageClock {
    fn now_ms(&self) -> f64 {
        super::hooks::now_ms()
    }

    /// The page explores in its worker (its own module has no explorer).
    fn offloads(&self) -> bool {
        true
    }
}

impl Reducible for Playground {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        self.apply(action, &PageClock)
    }
}
