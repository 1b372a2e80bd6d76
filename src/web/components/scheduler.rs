//! Be the scheduler.

use yew::prelude::*;

use crate::model::playground::SchedulerChoice;
use crate::sim::scenario::ScheduleEntry;

#[derive(Properties, PartialEq)]
pub struct SchedulerProps {
    /// Who (or which fault) could go next.
    pub choices: Vec<SchedulerChoice>,
    /// One of them chosen.
    pub onschedule: Callback<ScheduleEntry>,
}

/// Be the scheduler: every actor that could go next is a button saying the
/// operation it makes take effect ("R: db.read user:123"), and so is every
/// fault of the scenario still to happen; pressing one makes it go next
/// (forking the run here).
#[function_component(SchedulerPanel)]
pub fn scheduler_panel(props: &SchedulerProps) -> Html {
    html! {
        <section class="panel scheduler" aria-labelledby="scheduler-title">
            <h3 id="scheduler-title">{ "Be the scheduler: who goes next?" }</h3>
            if props.choices.is_empty() {
                <p class="empty">{ "Nobody has anything pending." }</p>
            } else {
                <div class="choices" data-testid="scheduler">
                    { for props.choices.iter().map(|choice| {
                        let onclick = {
                            let onschedule = props.onschedule.clone();
                            let entry = choice.entry.clone();
                            Callback::from(move |_: MouseEvent| onschedule.emit(entry.clone()))
                        };
                        let fault = matches!(choice.entry, ScheduleEntry::Fault(_));
                        let title = if fault {
                            format!("Make the {} happen now", choice.label)
                        } else {
                            format!("Make {}'s {} take effect next", choice.label, choice.next)
                        };
                        html! {
                            <button key={choice.label.clone()} class={classes!(fault.then_some("fault"))}
                                data-testid={format!("schedule-{}", choice.label.replace(' ', "-"))} {onclick} {title}>
                                if fault {
                                    { format!("⚡ {}", choice.label) }
                                } else {
                                    <strong>{ &choice.label }</strong>
                                    <span class="next-op">{ format!(": {}", choice.next) }</span>
                                }
                            </button>
                        }
                    }) }
                </div>
            }
        </section>
    }
}
