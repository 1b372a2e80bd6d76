//! The explorer panel: every interleaving of the scenario on screen,
//! counted exactly in slices between frames (a progress bar and Cancel),
//! then "k of N schedules ..." for each anomaly, with buttons that open a
//! failing schedule on the timeline. Where there are too many orders to
//! count, random orders are drawn instead: "k of 2,000 orders (p%, 95%
//! interval ...)", and the shortest sampled order with each anomaly.

use yew::prelude::*;

use crate::model::playground::{Exploring, Working, anomaly_words, sampled_sentences};
use crate::sim::explore::Anomaly;

#[derive(Properties, PartialEq)]
pub struct ExplorerProps {
    /// The panel's state.
    pub exploring: Exploring,
    /// Start, cancel, show a failing schedule.
    pub onexplore: Callback<MouseEvent>,
    pub oncancel: Callback<MouseEvent>,
    pub onshow: Callback<(Anomaly, usize)>,
}

/// "Explore all interleavings".
#[function_component(ExplorerPanel)]
pub fn explorer_panel(props: &ExplorerProps) -> Html {
    let working = props.exploring.working().map(|working| {
        let (label, text) = match &working {
            Working::Sampling { taken, wanted, why } => (
                "Random orders drawn",
                format!("{why}: drawing {taken} of {wanted} random orders"),
            ),
            Working::Counting { fraction, states } => (
                "Share of the interleavings counted",
                format!("{:.0}% · {states} states", fraction * 100.0),
            ),
        };
        html! {
            <div class="explore-progress">
                <progress data-testid="explore-progress" max="1" value={working.fraction().to_string()}
                    aria-label={label} />
                <span data-testid="explore-working">{ text }</span>
                <button data-testid="explore-cancel" onclick={props.oncancel.clone()}>{ "Cancel" }</button>
            </div>
        }
    });
    let body = match (working, &props.exploring) {
        (Some(progress), _) => progress,
        (None, Exploring::Idle) => html! {
            <p class="empty">{ "Counts every order in which this scenario's operations could take effect, \
                and how many of those orders go wrong; where there are too many to count, draws random \
                orders and estimates how often each goes wrong." }</p>
        },
        (None, Exploring::Sampled { answer, shown }) => {
            let sentences = sampled_sentences(answer);
            html! {
                <div>
                    <p data-testid="explore-total">{ sentences.total }</p>
                    <ul class="explore-counts">
                        { for Anomaly::ALL.into_iter().zip(sentences.anomalies.clone()).map(|(anomaly, line)| {
                            let count = answer.summary.share(anomaly).count;
                            html! {
                                <li key={anomaly.name()} data-testid={format!("explore-{}", anomaly.name())}>
                                    <span class="count">{ line }</span>
                                    if count > 0 {
                                        <button data-testid={format!("show-{}", anomaly.name())}
                                            onclick={props.onshow.reform(move |_: MouseEvent| (anomaly, 0))}>
                                            { sentences.show.clone() }
                                        </button>
                                    }
                                </li>
                            }
                        }) }
                    </ul>
                    <p data-testid="explore-db-reads">{ sentences.db_reads }</p>
                    if let Some(anomaly) = shown {
                        <p class="empty" data-testid="explore-shown">{
                            sentences.shown[Anomaly::ALL.iter().position(|a| a == anomaly).unwrap_or(0)].clone()
                        }</p>
                    }
                </div>
            }
        }
        (None, Exploring::Refused(why)) => html! {
            <p class="message" role="alert" data-testid="explore-refused">{ format!("Not explored: {why}") }</p>
        },
        (None, Exploring::Done { answer, shown }) => {
            let summary = &answer.summary;
            let counts = [
                (Anomaly::Stale, summary.stale),
                (Anomaly::DivergentAtEnd, summary.divergent_at_end),
                (Anomaly::LostWrite, summary.lost_writes),
            ];
            html! {
                <div>
                    <p data-testid="explore-total">{ format!("{} schedules ({} distinct states).", summary.schedules, summary.states) }</p>
                    <ul class="explore-counts">
                        { for counts.into_iter().map(|(anomaly, count)| {
                            let k = match shown { Some((a, k)) if *a == anomaly => *k + 1, _ => 0 };
                            let show = |k: usize| props.onshow.reform(move |_: MouseEvent| (anomaly, k));
                            html! {
                                <li key={anomaly.name()} data-testid={format!("explore-{}", anomaly.name())}>
                                    <span class="count">{ format!("{count} of {} schedules: {}", summary.schedules, anomaly_words(anomaly)) }</span>
                                    if count > 0 {
                                        <button data-testid={format!("show-{}", anomaly.name())} onclick={show(0)}>
                                            { "Show the shortest" }
                                        </button>
                                        if count > 1 {
                                            <button data-testid={format!("show-next-{}", anomaly.name())} onclick={show(k.max(1))}>
                                                { "Show another" }
                                            </button>
                                        }
                                    }
                                </li>
                            }
                        }) }
                    </ul>
                    if let Some((anomaly, k)) = shown {
                        <p class="empty" data-testid="explore-shown">{ match k {
                            0 => format!("On the timeline: the shortest schedule with {}.", anomaly_words(*anomaly)),
                            k => format!("On the timeline: schedule {k} with {}.", anomaly_words(*anomaly)),
                        } }</p>
                    }
                </div>
            }
        }
        // Working: the progress above.
        (None, _) => html! {},
    };
    let running = props.exploring.working().is_some();
    html! {
        <section class="panel explorer" aria-labelledby="explorer-title" data-testid="explorer">
            <h3 id="explorer-title">{ "Every interleaving" }</h3>
            <button data-testid="explore" class="primary" onclick={props.onexplore.clone()} disabled={running}>
                { "Explore all interleavings" }
            </button>
            { body }
        </section>
    }
}
