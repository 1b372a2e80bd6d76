//! The challenge panel: the task, the learner's moves, whether the run on
//! screen does what it asks (recognised from the model), and, once solved
//! or asked for ("Show me"), what the explorer found in every order: how
//! many succeed, and the shortest.

use yew::prelude::*;

use crate::model::playground::{ChallengeView, Exploring};
use crate::sim::scenario::ScheduleEntry;

#[derive(Properties, PartialEq)]
pub struct ChallengeProps {
    /// The challenge and where the learner stands.
    pub view: ChallengeView,
    /// The explorer's progress while it counts.
    pub exploring: Exploring,
    /// Show the shortest order that succeeds.
    pub onshow: Callback<MouseEvent>,
    /// Start over.
    pub onrestart: Callback<MouseEvent>,
}

/// The challenge panel.
#[function_component(ChallengePanel)]
pub fn challenge_panel(props: &ChallengeProps) -> Html {
    let view = &props.view;
    let moves = |n: usize| {
        if n == 1 {
            "1 move".to_string()
        } else {
            format!("{n} moves")
        }
    };
    let shortest_moves = view
        .explored
        .as_ref()
        .and_then(|e| e.shortest.as_ref())
        .map(Vec::len);
    let standing = if view.solved {
        let mut line = format!("Solved in {}.", moves(view.moves));
        if let Some(shortest) = shortest_moves {
            line += &if view.moves <= shortest {
                " That is the fewest possible.".to_string()
            } else {
                format!(
                    " The shortest order takes {}: try again with fewer.",
                    moves(shortest)
                )
            };
        }
        line
    } else {
        format!(
            "{} so far. Choose who goes next under \"Be the scheduler\" (⚡ buttons place the \
             scenario's faults).",
            moves(view.moves)
        )
    };
    // The explorer's counts and its shortest order are the answer: hidden
    // until the challenge is solved or the learner asks.
    let asked = use_state(|| false);
    {
        let asked = asked.setter();
        use_effect_with(view.challenge.name, move |_| asked.set(false));
    }
    let revealed = view.solved || *asked;
    let explorer = match (&view.explored, &props.exploring) {
        (Some(_), _) if !revealed => html! {
            <p data-testid="challenge-hidden">
                { "The explorer has tried every order; whether and how it can be done stays hidden until you solve it. " }
                <button data-testid="challenge-reveal" onclick={{ let asked = asked.clone(); Callback::from(move |_: MouseEvent| asked.set(true)) }}>
                    { "Show me" }
                </button>
            </p>
        },
        (Some(explored), _) if explored.succeed == 0 => html! {
            <p data-testid="challenge-count">{ format!(
                "Impossible: the explorer checked all {} orders, and none does it.", explored.orders
            ) }</p>
        },
        (Some(explored), _) => html! {
            <>
                <p data-testid="challenge-count">{ format!(
                    "{} of the {} possible orders do it (the explorer checked every one).",
                    explored.succeed, explored.orders
                ) }</p>
                if let Some(shortest) = &explored.shortest {
                    <p class="shortest" data-testid="challenge-shortest">
                        { format!("The shortest ({}): {}. ", moves(shortest.len()), words(shortest)) }
                        <button data-testid="challenge-show" onclick={props.onshow.clone()}>{ "Show it" }</button>
                    </p>
                }
            </>
        },
        (None, exploring) if exploring.working().is_some() => {
            let fraction = exploring
                .working()
                .map_or(0.0, |working| working.fraction());
            html! {
                <p class="explore-progress" data-testid="challenge-count">
                    { "Checking every order… " }
                    <progress max="1" value={fraction.to_string()} aria-label="Share of the orders checked" />
                    { format!(" {:.0}%", fraction * 100.0) }
                </p>
            }
        }
        (None, Exploring::Refused(why)) => html! {
            <p data-testid="challenge-count">{ format!("The orders could not be counted: {why}") }</p>
        },
        (None, _) => html! {},
    };
    html! {
        <section class={classes!("challenge", view.solved.then_some("solved"))} aria-labelledby="challenge-title" data-testid="challenge">
            <h3 id="challenge-title">{ format!("Challenge: {}", view.challenge.title) }</h3>
            <p>{ view.challenge.task }</p>
            <p class="standing" data-testid="challenge-status" aria-live="polite">
                if view.solved { <strong>{ "✓ " }</strong> }
                { standing }
                if let Some(best) = view.best.filter(|_| !view.solved) {
                    { format!(" Your best: {}.", moves(best)) }
                }
            </p>
            { explorer }
            <button data-testid="challenge-restart" onclick={props.onrestart.clone()}>{ "Start over" }</button>
        </section>
    }
}

/// `W → R → ⚡cache_crash`.
fn words(schedule: &[ScheduleEntry]) -> String {
    schedule
        .iter()
        .map(|entry| match entry {
            ScheduleEntry::Actor(name) => name.clone(),
            ScheduleEntry::Wait(ms) => format!("wait {ms} ms"),
            ScheduleEntry::Fault(kind) => format!(
                "⚡{}",
                crate::model::view::fault_text(&crate::sim::scenario::Fault {
                    at_ms: None,
                    kind: *kind
                })
            ),
        })
        .collect::<Vec<_>>()
        .join(" → ")
}
