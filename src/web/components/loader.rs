//! The scenario loader: paste, edit or import a scenario's JSON and run it.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoaderProps {
    /// The scenario on screen, as JSON, to start editing from.
    pub current: String,
    /// Run this JSON.
    pub onload: Callback<String>,
    /// A picked file could not be read.
    pub onerror: Callback<String>,
}

/// Run your own scenario: the command line's JSON, pasted, edited or
/// imported from a file (a file is run at once, and shown for editing).
#[function_component(ScenarioLoader)]
pub fn scenario_loader(props: &LoaderProps) -> Html {
    let text = use_state(String::new);
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = event.target_unchecked_into();
            text.set(area.value());
        })
    };
    let onload = {
        let (text, onload) = (text.clone(), props.onload.clone());
        Callback::from(move |_: MouseEvent| onload.emit((*text).clone()))
    };
    let oncopy = {
        let (text, current) = (text.clone(), props.current.clone());
        Callback::from(move |_: MouseEvent| text.set(current.clone()))
    };
    let onfile = {
        let (text, onload, onerror) = (text.clone(), props.onload.clone(), props.onerror.clone());
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            // The same file picked again must fire again.
            input.set_value("");
            let (text, onload, onerror) = (text.clone(), onload.clone(), onerror.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::web::browser::read_file(file).await {
                    Ok(contents) => {
                        text.set(contents.clone());
                        onload.emit(contents);
                    }
                    Err(why) => onerror.emit(format!("The file was not imported: {why}.")),
                }
            });
        })
    };
    html! {
        <details class="panel loader">
            <summary>{ "Run your own scenario (JSON, as the command line reads it)" }</summary>
            <label class="import">{ "Import a scenario file: " }
                <input type="file" data-testid="scenario-file" accept=".json,application/json" onchange={onfile} />
            </label>
            <label for="scenario-json">{ "Scenario" }</label>
            <textarea id="scenario-json" data-testid="scenario-json" rows="10" spellcheck="false"
                value={(*text).clone()} {oninput} />
            <div class="loader-buttons">
                <button data-testid="scenario-edit-current" onclick={oncopy}>{ "Start from the scenario on screen" }</button>
                <button data-testid="scenario-load" class="primary" onclick={onload}>{ "Run this scenario" }</button>
            </div>
        </details>
    }
}
