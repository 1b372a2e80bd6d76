//! The faults panel: the faults of the scenario on screen, each movable (a
//! new start time) and removable, and a form to add one (cache crash, app
//! crash, dropped event, consumer pause, slow database, relay crash). Any
//! change runs the scenario again with the same seed.

use yew::prelude::*;

use crate::model::view::{fault_text, move_fault, new_fault, typed_millis};
use crate::sim::scenario::Fault;
use crate::sim::scenario::FaultKind;

#[derive(Properties, PartialEq)]
pub struct FaultsProps {
    /// The scenario's faults.
    pub faults: Vec<Fault>,
    /// Run again with these.
    pub onchange: Callback<Vec<Fault>>,
}

#[function_component(FaultsPanel)]
pub fn faults_panel(props: &FaultsProps) -> Html {
    let kind = use_state(|| FaultKind::ENTRIES[0].name.to_string());
    let at = use_state(|| "100".to_string());
    let span = use_state(|| "200".to_string());
    let error = use_state(|| None::<String>);
    let lasting = FaultKind::ENTRIES
        .iter()
        .any(|e| e.name == kind.as_str() && e.lasting);

    let text_input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            state.set(input.value());
        })
    };
    let onkind = {
        let kind = kind.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            kind.set(select.value());
        })
    };
    let onadd = {
        let (kind, at, span, error) = (kind.clone(), at.clone(), span.clone(), error.clone());
        let (faults, onchange) = (props.faults.clone(), props.onchange.clone());
        Callback::from(move |_: MouseEvent| {
            let made = typed_millis(&at, "start").and_then(|at_ms| {
                let span_ms = if lasting {
                    typed_millis(&span, "length")?
                } else {
                    0
                };
                new_fault(&kind, at_ms, span_ms).ok_or_else(|| format!("unknown fault {}", *kind))
            });
            match made {
                Ok(fault) => {
                    error.set(None);
                    let mut faults = faults.clone();
                    faults.push(fault);
                    onchange.emit(faults);
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    html! {
        <section class="panel faults" aria-labelledby="faults-title" data-testid="faults">
            <h3 id="faults-title">{ "Faults" }</h3>
            if props.faults.is_empty() {
                <p class="empty">{ "No faults: add one below; the run starts again with the same seed." }</p>
            } else {
                <ul class="fault-list">
                    { for props.faults.iter().enumerate().map(|(index, fault)| {
                        let remove = {
                            let (faults, onchange) = (props.faults.clone(), props.onchange.clone());
                            Callback::from(move |_: MouseEvent| {
                                let mut faults = faults.clone();
                                faults.remove(index);
                                onchange.emit(faults);
                            })
                        };
                        let onmove = {
                            let (faults, onchange, error) = (props.faults.clone(), props.onchange.clone(), error.clone());
                            Callback::from(move |event: Event| {
                                let input: web_sys::HtmlInputElement = event.target_unchecked_into();
                                match typed_millis(&input.value(), "start") {
                                    Ok(at_ms) => {
                                        error.set(None);
                                        let mut faults = faults.clone();
                                        faults[index] = move_fault(&faults[index], at_ms);
                                        onchange.emit(faults);
                                    }
                                    Err(why) => error.set(Some(why)),
                                }
                            })
                        };
                        html! {
                            <li key={index} data-testid="fault">
                                <span>{ fault_text(fault) }</span>
                                <label>
                                    { "starts at " }
                                    <input type="number" min="0" step="1" data-testid="fault-start"
                                        value={fault.starts_ms().unwrap_or(0).to_string()} onchange={onmove}
                                        aria-label={format!("Start of {} (ms)", fault_text(fault))} />
                                    { " ms" }
                                </label>
                                <button data-testid="fault-remove" onclick={remove}
                                    aria-label={format!("Remove {}", fault_text(fault))}>{ "Remove" }</button>
                            </li>
                        }
                    }) }
                </ul>
            }
            <div class="fault-add">
                <label>{ "Add " }
                    <select data-testid="fault-kind" onchange={onkind}>
                        { for FaultKind::ENTRIES.iter().map(|e| html! {
                            <option value={e.name} selected={e.name == kind.as_str()}>{ e.label }</option>
                        }) }
                    </select>
                </label>
                <label>{ if lasting { " from " } else { " at " } }
                    <input type="number" min="0" step="1" data-testid="fault-at" value={(*at).clone()} oninput={text_input(&at)} />
                    { " ms" }
                </label>
                if lasting {
                    <label>{ " for " }
                        <input type="number" min="0" step="1" data-testid="fault-span" value={(*span).clone()} oninput={text_input(&span)} />
                        { " ms" }
                    </label>
                }
                <button data-testid="fault-add" onclick={onadd}>{ "Add fault" }</button>
            </div>
            if let Some(why) = &*error {
                <p class="message" role="alert" data-testid="fault-error">{ why }</p>
            }
        </section>
    }
}
