//! The lesson's header: where it sits in the course (chapter, number, the
//! lessons either side), its title, and what the run on screen is: the
//! lesson as it comes, an order chosen by hand, a changed scenario or a
//! challenge, with the way back to the lesson.

use yew::prelude::*;

use crate::lessons::{Lesson, course};
use crate::model::playground::{Action, Playground};

/// What the run on screen is, relative to its lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The lesson as it comes.
    Lesson,
    /// The lesson's scenario, with the order chosen by hand from this step.
    Rescheduled,
    /// The lesson's scenario, changed (knobs, faults, an edited file).
    Changed,
    /// Another scenario altogether, by this name.
    Own,
    /// A challenge on the lesson.
    Challenge,
}

impl Shown {
    /// What `state` shows; `changed_lesson`: its scenario, if the
    /// person's own, is the lesson's (same name), changed.
    pub fn of(state: &Playground, changed_lesson: bool) -> Shown {
        if state.challenge.is_some() {
            Shown::Challenge
        } else if state.custom && changed_lesson {
            Shown::Changed
        } else if state.custom {
            Shown::Own
        } else if state.recording.scenario().schedule != state.base.schedule {
            Shown::Rescheduled
        } else {
            Shown::Lesson
        }
    }
}

#[derive(Properties)]
pub struct HeaderProps {
    pub lesson: &'static Lesson,
    pub shown: Shown,
    /// The scenario's own name (for [`Shown::Own`]).
    pub scenario_name: String,
    /// The challenge's title, when one is attempted.
    pub challenge: Option<&'static str>,
    pub onaction: Callback<Action>,
}

impl PartialEq for HeaderProps {
    fn eq(&self, other: &Self) -> bool {
        // Lessons are built in: one per name.
        self.lesson.name == other.lesson.name
            && self.shown == other.shown
            && self.scenario_name == other.scenario_name
            && self.challenge == other.challenge
            && self.onaction == other.onaction
    }
}

/// The lesson's header.
#[function_component(LessonHeader)]
pub fn lesson_header(props: &HeaderProps) -> Html {
    let lesson = props.lesson;
    let place = course::place(lesson.name).expect("a built-in lesson");
    let chapter = &course::CHAPTERS[place.chapter];
    let go = |action: Action| props.onaction.reform(move |_: MouseEvent| action.clone());
    let title = match (props.shown, props.challenge) {
        (Shown::Challenge, Some(title)) => format!("Challenge: {title}"),
        (Shown::Changed, _) => format!("{}: your version", lesson.heading),
        (Shown::Own, _) => format!("Your scenario: {}", props.scenario_name),
        _ => lesson.heading.to_string(),
    };
    let total = crate::lessons::LESSONS.len();
    html! {
        <>
            <nav class="course" aria-label="Course" data-testid="course">
                <span class="course-place" data-testid="course-place">
                    { format!("Chapter {} · {} · lesson {} of {}", place.chapter + 1, chapter.title, place.index + 1, total) }
                </span>
                <span class="course-nav">
                    if let Some(previous) = place.previous() {
                        <button data-testid="course-previous" onclick={go(Action::SelectLesson(place.index - 1))}
                            title={previous.title}>
                            { format!("◀ {}", previous.heading) }
                        </button>
                    }
                    if let Some(next) = place.next() {
                        <button data-testid="course-next" class="primary" onclick={go(Action::SelectLesson(place.index + 1))}
                            title={next.title}>
                            { format!("Next: {} ▶", next.heading) }
                        </button>
                    }
                </span>
            </nav>
            <h2 id="lesson-title" data-testid="lesson-title">
                <span class="lesson-number">{ place.number() }</span>{ " " }{ title }
            </h2>
            if props.shown != Shown::Own {
                <p class="lesson-summary" data-testid="lesson-summary">{ lesson.title }</p>
            }
        </>
    }
}

/// What the run on screen is, when it is not the lesson as it comes, and
/// the way back: shown where the narration would be, so a person who
/// changed something reads at once why the story is gone.
#[function_component(RunState)]
pub fn run_state(props: &HeaderProps) -> Html {
    let lesson = props.lesson;
    let state_line = match props.shown {
        Shown::Lesson => None,
        Shown::Rescheduled => Some(
            "This run follows an order chosen by hand (or by the explorer), and the narration follows it.",
        ),
        Shown::Changed => Some(
            "You changed this lesson's scenario (settings, faults or its file), so its story no \
             longer applies: the narration and questions are the lesson's own, and are off.",
        ),
        Shown::Own => Some("A scenario of your own: no narration."),
        Shown::Challenge => Some("A challenge on this lesson's scenario: every order is open."),
    };
    let Some(line) = state_line else {
        return html! {};
    };
    let back = props.onaction.reform(|_: MouseEvent| Action::BackToLesson);
    html! {
        <p class="run-state" data-testid="run-state">
            { line }{ " " }
            <button data-testid="back-to-lesson" onclick={back}>
                { format!("Back to the lesson: {}", lesson.heading) }
            </button>
        </p>
    }
}
