//! The lesson menu.

use yew::prelude::*;

use crate::lessons::LESSONS;

#[derive(Properties, PartialEq)]
pub struct LessonPickerProps {
    /// The lesson shown.
    pub current: &'static str,
    /// A lesson chosen, by its index in [`LESSONS`].
    pub onselect: Callback<usize>,
}

/// The lesson menu.
#[function_component(LessonPicker)]
pub fn lesson_picker(props: &LessonPickerProps) -> Html {
    let onchange = {
        let onselect = props.onselect.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Ok(index) = select.value().parse() {
                onselect.emit(index);
            }
        })
    };
    html! {
        <label class="lesson-picker">
            { "Lesson " }
            <select data-testid="lesson" {onchange}>
                { for LESSONS.iter().enumerate().map(|(index, lesson)| html! {
                    <option value={index.to_string()} selected={lesson.name == props.current}>
                        { lesson.name }
                    </option>
                }) }
            </select>
        </label>
    }
}
