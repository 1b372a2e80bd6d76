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
    // The choice shown is set on the select itself after each change: an
    // option's `selected` attribute no longer moves a select a person has
    // already used, and the lesson also changes from elsewhere (the
    // course's buttons, the remote's keys).
    let select = use_node_ref();
    let value = match props.challenge {
        Some(name) => format!("challenge:{name}"),
        None => props.current.to_string(),
    };
    {
        let select = select.clone();
        use_effect_with(value.clone(), move |value| {
            if let Some(select) = select.cast::<web_sys::HtmlSelectElement>() {
                select.set_value(value);
            }
        });
    }
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
            <select data-testid="lesson" ref={select} {onchange}>
                { for course::chapters().enumerate().map(|(c, (chapter, lessons))| html! {
                    <optgroup label={format!("{} · {}", c + 1, chapter.title)}>
                        { for lessons.iter().enumerate().map(|(i, lesson)| html! {
                            <option value={lesson.name} selected={value == lesson.name}>
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
