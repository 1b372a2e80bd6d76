//! The lesson's narration: the beat the model has reached, with Next and
//! Previous, the question to predict by, and whether Play pauses at each
//! part.

use yew::prelude::*;

use crate::lessons::Beat;
use crate::model::playground::QuestionView;

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    /// The lesson's beats.
    pub beats: &'static [Beat],
    /// Where each is reached in this run.
    pub positions: Vec<Option<usize>>,
    /// The beat showing.
    pub current: usize,
    /// Next / previous.
    pub onnext: Callback<MouseEvent>,
    pub onprevious: Callback<MouseEvent>,
    /// The question at this part, if any.
    pub question: Option<QuestionView>,
    /// A prediction: (question, choice).
    pub onanswer: Callback<(usize, usize)>,
    /// Whether Play pauses at each part.
    pub pause_at_parts: bool,
    pub onpauseatparts: Callback<bool>,
}

/// The lesson's narration: the beat the model has reached, and buttons to
/// go to where the next (or previous) one is reached.
#[function_component(NarrationPanel)]
pub fn narration_panel(props: &NarrationProps) -> Html {
    let Some(beat) = props.beats.get(props.current) else {
        return html! {};
    };
    let total = props.beats.len();
    let next_reached = props
        .positions
        .get(props.current + 1)
        .is_some_and(Option::is_some);
    let onpause = {
        let on = props.onpauseatparts.clone();
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            on.emit(input.checked());
        })
    };
    html! {
        <section class="narration" aria-labelledby="narration-title" data-testid="narration"
            data-focus={beat.when.focus().map(|f| f.selector())}>
            <h3 id="narration-title" class="visually-hidden">{ "Lesson narration" }</h3>
            <p class="beat-count" data-testid="beat-count">{ format!("{} of {}", props.current + 1, total) }</p>
            <p class="beat" data-testid="beat" aria-live="polite">{ beat.text }</p>
            <div class="beat-nav">
                <button data-testid="beat-previous" onclick={props.onprevious.clone()}
                    disabled={props.current == 0}>
                    { "◀ Previous" }
                </button>
                <button data-testid="beat-next" onclick={props.onnext.clone()}
                    disabled={props.current + 1 >= total}
                    title={if next_reached { "Run until the model gets there" } else { "This run never gets there" }}>
                    { "Next ▶" }
                </button>
            </div>
            if let Some(question) = &props.question {
                { question_block(question, &props.onanswer) }
            }
            <label class="pause-at-parts">
                <input type="checkbox" data-testid="pause-at-parts" checked={props.pause_at_parts} onchange={onpause} />
                { " Play pauses at each part" }
            </label>
        </section>
    }
}

/// "Predict, then watch": the prompt, a button per answer (pressed once
/// picked), and once the run has shown it, whether the prediction held.
fn question_block(question: &QuestionView, onanswer: &Callback<(usize, usize)>) -> Html {
    let verdict = match (&question.revealed, question.held()) {
        (None, _) if question.picked.is_some() => {
            "Prediction made. Press Play (or Next) to see what happens.".to_string()
        }
        (None, _) => "Predict, then press Play (or Next) to watch.".to_string(),
        (Some(right), held) => {
            let answer = question
                .choices
                .iter()
                .zip(right)
                .filter(|(_, right)| **right)
                .map(|(label, _)| *label)
                .collect::<Vec<_>>()
                .join("; ");
            match held {
                Some(true) => format!("Your prediction held: {answer}."),
                Some(false) => format!("Your prediction did not hold. What happened: {answer}."),
                None => format!("What happened: {answer}."),
            }
        }
    };
    let revealed = question.revealed.is_some();
    html! {
        <div class="question" data-testid="question" role="group" aria-labelledby="question-prompt">
            <p id="question-prompt" class="prompt"><strong>{ "Predict: " }</strong>{ question.prompt }</p>
            <div class="answers">
                { for question.choices.iter().enumerate().map(|(choice, label)| {
                    let picked = question.picked == Some(choice);
                    let right = question.revealed.as_ref().and_then(|r| r.get(choice).copied());
                    let onclick = {
                        let (onanswer, index) = (onanswer.clone(), question.index);
                        Callback::from(move |_: MouseEvent| onanswer.emit((index, choice)))
                    };
                    html! {
                        <button data-testid="answer" aria-pressed={picked.to_string()} disabled={revealed}
                            class={classes!(picked.then_some("picked"), (right == Some(true)).then_some("right"))}
                            {onclick}>
                            { *label }
                        </button>
                    }
                }) }
            </div>
            <p class={classes!("verdict", question.held().map(|h| if h { "held" } else { "missed" }))}
                data-testid="verdict" aria-live="polite">{ verdict }</p>
        </div>
    }
}
