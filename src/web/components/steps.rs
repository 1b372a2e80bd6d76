//! The operations list: the latest operations taken effect and those in flight.

use yew::prelude::*;

use crate::model::view::StepRow;

#[derive(Properties, PartialEq)]
pub struct StepsProps {
    /// Every operation so far.
    pub rows: Vec<StepRow>,
    /// How many earlier rows were left out.
    pub earlier: usize,
}

/// The latest operations, in the order they took effect.
#[function_component(StepsPanel)]
pub fn steps_panel(props: &StepsProps) -> Html {
    let last = props.rows.last().map_or(0, |r| r.number);
    html! {
        <section class="panel steps" aria-labelledby="steps-title">
            <h3 id="steps-title">{ "Operations, in the order they took effect" }</h3>
            if props.rows.is_empty() {
                <p class="empty">{ "Nothing has happened yet. Press Step or Play." }</p>
            } else {
                if props.earlier > 0 {
                    <p class="empty">{ format!("… {} earlier operation(s): see the timeline.", props.earlier) }</p>
                }
                // Focusable: a long list scrolls, and the keyboard must
                // reach it.
                <ol data-testid="steps" start={props.rows[0].number.to_string()} tabindex="0"
                    aria-labelledby="steps-title">
                    { for props.rows.iter().map(|row| html! {
                        <li key={row.number} data-testid="step-row" class={classes!((row.number == last).then_some("latest"))}>
                            <span class="when">{ &row.when }</span>
                            <span class="actor">{ &row.actor }</span>
                            <code class="op">{ &row.operation }</code>
                            <span class="result">{ &row.result }</span>
                        </li>
                    }) }
                </ol>
            }
        </section>
    }
}
