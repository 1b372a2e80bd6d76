//! The explorer panel's state: counting every interleaving in slices, and
//! its result.

use std::cell::RefCell;
use std::rc::Rc;

use crate::sim::explore::{Anomaly, Exploration, Explorer, Progress, Summary};

/// Explorer steps between looks at the clock; a slice (one per animation
/// frame) takes steps for `WORK_BUDGET_MS`, so the page stays responsive
/// however costly a step or a frame is.
pub(super) const EXPLORE_STEPS: usize = 500;

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
        /// What the panel shows, and when (page clock) it was last
        /// brought up to date.
        progress: Progress,
        shown_at_ms: f64,
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

impl Exploring {
    /// Starts counting every interleaving of `scenario`; or why it cannot.
    pub fn start(scenario: &crate::sim::Scenario) -> Exploring {
        match Explorer::new(scenario, crate::sim::explore::Limits::default()) {
            Ok(explorer) => Exploring::Running {
                progress: explorer.progress(),
                shown_at_ms: f64::NEG_INFINITY,
                explorer: Rc::new(RefCell::new(explorer)),
            },
            Err(error) => Exploring::Refused(error.to_string()),
        }
    }
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
                    ..
                },
                Exploring::Running {
                    explorer: b,
                    progress: q,
                    ..
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

/// How often the panel's figures follow the count at least; in between,
/// only a new whole percentage is shown at once.
pub(super) const PROGRESS_SHOWN_EVERY_MS: f64 = 250.0;

/// Whether the panel may go on showing `shown` (brought up to date at
/// `shown_at_ms`) when the count stands at `now`: the same whole
/// percentage, shown recently. A slice that changes nothing on screen
/// need not draw the page again.
pub(super) fn still_shown(shown: &Progress, shown_at_ms: f64, now: &Progress, now_ms: f64) -> bool {
    let percent = |p: &Progress| (p.fraction * 100.0).floor() as i64;
    percent(shown) == percent(now) && now_ms - shown_at_ms < PROGRESS_SHOWN_EVERY_MS
}

/// The explorer's result, once it has counted everything.
pub(super) fn finished(explorer: &Rc<RefCell<Explorer>>) -> Exploring {
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
