//! The lesson menu: the course's chapters, each lesson with its number and
//! title, then the challenges.

use yew::prelude::*;

use crate::lessons::challenges::CHALLENGES;
use crate::lessons::course;
use crate::model::playground::Action;

#[derive(Properties, PartialEq)]
pub struct LessonPickerProps {
    /// The lesson shown.
    pub current: &'static str,
    /// The challenge attempted, if any.
    pub challenge: Option<&'static str>,
    /// A lesson or a challenge chosen.
    pub onselect: Callback<Action>,
}

/// The lesson menu. A lesson's option value is its name (as in links); a
/// challenge's is `challenge:NAME`.
#[function_component(LessonPicker)]
pub fn lesson_picker(props: &LessonPickerProps) -> Html {
    let onchange = {
        let onselect = props.onselect.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let value = select.value();
            let action = match value.strip_prefix("challenge:") {
                Some(name) => CHALLENGES
                    .iter()
                    .position(|c| c.name == name)
                    .map(Action::StartChallenge),
                None => crate::lessons::LESSONS
                    .iter()
                    .position(|l| l.name == value)
                    .map(Action::SelectLesson),
            };
            if let Some(action) = action {
                onselect.emit(action);
            }
        })
    };
    html! {
        <label class="lesson-picker">
            { "Lesson " }
            <select data-testid="lesson" {onchange}>
                { for course::chapters().enumerate().map(|(c, (chapter, lessons))| html! {
                    <optgroup label={format!("{} · {}", c + 1, chapter.title)}>
                        { for lessons.iter().enumerate().map(|(i, lesson)| html! {
                            <option value={lesson.name}
                                selected={props.challenge.is_none() && lesson.name == props.current}>
                                { format!("{}.{} {}", c + 1, i + 1, lesson.heading) }
                            </option>
                        }) }
                    </optgroup>
                }) }
                <optgroup label="Challenges">
                    { for CHALLENGES.iter().map(|challenge| html! {
                        <option value={format!("challenge:{}", challenge.name)}
                            selected={props.challenge == Some(challenge.name)}>
                            { format!("Challenge: {}", challenge.title) }
                        </option>
                    }) }
                </optgroup>
            </select>
        </label>
    }
}
