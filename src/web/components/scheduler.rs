//! Be the scheduler.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SchedulerProps {
    /// Who could go next, by name.
    pub actors: Vec<String>,
    /// One of them chosen.
    pub onschedule: Callback<String>,
}

/// Be the scheduler: every actor that could go next is a button; pressing
/// one makes its pending operation take effect next (forking the run here).
#[function_component(SchedulerPanel)]
pub fn scheduler_panel(props: &SchedulerProps) -> Html {
    html! {
        <section class="panel scheduler" aria-labelledby="scheduler-title">
            <h3 id="scheduler-title">{ "Be the scheduler: who goes next?" }</h3>
            if props.actors.is_empty() {
                <p class="empty">{ "Nobody has anything pending." }</p>
            } else {
                <div class="choices" data-testid="scheduler">
                    { for props.actors.iter().map(|actor| {
                        let onclick = {
                            let onschedule = props.onschedule.clone();
                            let actor = actor.clone();
                            Callback::from(move |_: MouseEvent| onschedule.emit(actor.clone()))
                        };
                        html! {
                            <button key={actor.clone()} data-testid={format!("schedule-{actor}")} {onclick}
                                title={format!("Make {actor}'s pending operation take effect next")}>
                                { actor }
                            </button>
                        }
                    }) }
                </div>
            }
        </section>
    }
}
