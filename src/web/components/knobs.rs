//! The settings panel: every knob of [`crate::model::knobs`], grouped, each with
//! its one-line hint. A change runs the scenario again with the same seed;
//! a value the scenario's validator refuses stays in its field with the
//! message beside it, and the run on screen stays as it was.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::model::knobs::{self, Control, Group, Knob};
use crate::sim::Scenario;

#[derive(Properties, PartialEq)]
pub struct KnobsProps {
    /// The scenario on screen.
    pub scenario: Rc<Scenario>,
    /// Run this one instead.
    pub ontune: Callback<Scenario>,
}

/// A field's id (and test id) from its knob's path.
fn field_id(knob: &Knob) -> String {
    let name: String = knob
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("knob{}", name.trim_end_matches('-'))
}

#[function_component(KnobsPanel)]
pub fn knobs_panel(props: &KnobsProps) -> Html {
    // Refused values, as typed, and why (by knob path); forgotten when the
    // scenario changes.
    let refused = use_state(BTreeMap::<&'static str, (String, String)>::new);
    {
        let refused = refused.setter();
        use_effect_with(props.scenario.clone(), move |_| {
            refused.set(BTreeMap::new())
        });
    }
    let apply = {
        let (refused, scenario, ontune) = (
            refused.clone(),
            props.scenario.clone(),
            props.ontune.clone(),
        );
        move |knob: &'static Knob, text: String| match knobs::set(&scenario, knob, &text) {
            Ok(tuned) if tuned == *scenario => {}
            Ok(tuned) => ontune.emit(tuned),
            Err(message) => {
                let mut map = (*refused).clone();
                map.insert(knob.path, (text, message));
                refused.set(map);
            }
        }
    };
    let scenario = &props.scenario;
    let values = use_memo(scenario.clone(), |scenario| knobs::values(scenario));
    let group_html = |group: Group| {
        let in_group = knobs::KNOBS
            .iter()
            .zip(values.iter())
            .filter(move |(k, _)| k.group == group);
        let fields = in_group.map(|(knob, value)| {
            let id = field_id(knob);
            let (text, error) = match refused.get(knob.path) {
                Some((text, message)) => (text.clone(), Some(message.clone())),
                None => (value.clone(), None),
            };
            let unused = knobs::unused_because(knob, scenario);
            let used = unused.is_none();
            let onchange = {
                let apply = apply.clone();
                Callback::from(move |event: Event| {
                    let target = event.target().expect("a change has a target");
                    let text = if let Some(select) =
                        wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlSelectElement>(&target)
                    {
                        select.value()
                    } else {
                        let input: web_sys::HtmlInputElement = event.target_unchecked_into();
                        if input.type_() == "checkbox" {
                            input.checked().to_string()
                        } else {
                            input.value()
                        }
                    };
                    apply(knob, text);
                })
            };
            let hint_id = format!("{id}-hint");
            let control = match knob.control {
                Control::Choice(options) => html! {
                    <select id={id.clone()} data-testid={id.clone()} {onchange} aria-describedby={hint_id.clone()}>
                        { for options.iter().map(|option| html! {
                            <option value={*option} selected={*option == text}>{ *option }</option>
                        }) }
                    </select>
                },
                Control::Toggle => html! {
                    <input type="checkbox" id={id.clone()} data-testid={id.clone()} checked={text == "true"}
                        {onchange} aria-describedby={hint_id.clone()} />
                },
                _ => html! {
                    <input type="text" inputmode={if knob.control == Control::MillisList { "text" } else { "decimal" }}
                        id={id.clone()} data-testid={id.clone()} value={text} {onchange}
                        aria-invalid={error.is_some().to_string()} aria-describedby={hint_id.clone()} />
                },
            };
            html! {
                <div key={knob.path} class={classes!("knob", (!used).then_some("unused"), error.is_some().then_some("refused"))}>
                    <label for={id.clone()}>{ knob.label }</label>
                    { control }
                    <small id={hint_id}>
                        { knob.hint }
                        if let Some(unused) = unused { { format!(" ({})", unused.sentence()) } }
                    </small>
                    if let Some(message) = error {
                        <small class="knob-error" role="alert" data-testid={format!("{id}-error")}>{ message }</small>
                    }
                </div>
            }
        });
        let workload_missing = group == Group::Workload && scenario.workload.is_none();
        html! {
            <fieldset key={group.title()} class="knob-group" data-testid={format!("knobs-{}", group.title().to_ascii_lowercase().replace(' ', "-"))}>
                <legend>{ group.title() }</legend>
                if workload_missing {
                    <p class="empty">{ "This scenario's requests are scripted, one by one. A generated workload (rates, duration, key skew) replaces them:" }</p>
                    <button data-testid="make-workload" onclick={{
                        let (scenario, ontune, refused) = (scenario.clone(), props.ontune.clone(), refused.clone());
                        Callback::from(move |_: MouseEvent| match knobs::with_generated_workload(&scenario) {
                            Ok(generated) => ontune.emit(generated),
                            Err(message) => {
                                let mut map = (*refused).clone();
                                map.insert("/workload", (String::new(), message));
                                refused.set(map);
                            }
                        })
                    }}>{ "Use a generated workload" }</button>
                    if let Some((_, message)) = refused.get("/workload") {
                        <small class="knob-error" role="alert">{ message.clone() }</small>
                    }
                } else {
                    { for fields }
                }
            </fieldset>
        }
    };
    html! {
        <section class="panel knobs" aria-labelledby="knobs-title" data-testid="knobs">
            <h3 id="knobs-title">{ "Toggle and tune" }</h3>
            <p class="hint">{ "Every change runs the same seed again, so what changes is the effect of the setting. Press Enter or leave a field to apply it." }</p>
            if let Some(timed) = knobs::timed_copy(scenario) {
                <p class="scheduled-note" data-testid="scheduled-note">
                    { "This run's order is chosen by hand, so latencies and timers decide nothing in it (their knobs say so). " }
                    <button data-testid="run-timed" onclick={{
                        let ontune = props.ontune.clone();
                        Callback::from(move |_: MouseEvent| ontune.emit(timed.clone()))
                    }}>{ "Run it timed" }</button>
                    { " lets the latencies choose the order instead." }
                </p>
            }
            <div class="knob-groups">
                { for Group::ALL.into_iter().map(group_html) }
            </div>
        </section>
    }
}
