//! The lesson's narration: the beat the model has reached, with Next and Previous.

use yew::prelude::*;

use crate::lessons::Beat;

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
    html! {
        <section class="narration" aria-labelledby="narration-title" data-testid="narration">
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
        </section>
    }
}
