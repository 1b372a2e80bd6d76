//! Share, teach, embed: the share bar (copy link, export, present), the
//! embed dialog with its live preview, and the keyboard shortcuts overlay.

use yew::prelude::*;

use crate::lessons::LESSONS;
use crate::model::embed::{EMBED_SIZES, EmbedOptions, embed_size};
use crate::web::browser as share;

/// What can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// The scenario on screen, as `cachescope run` reads it.
    Scenario,
    /// The run's report, as `cachescope run` prints it.
    Report,
    /// The timeline as a picture.
    TimelinePng,
    /// The timeline as a vector drawing.
    TimelineSvg,
}

#[derive(Properties, PartialEq)]
pub struct ShareBarProps {
    /// The state on screen as a link fragment, this instant.
    pub onlink: Callback<(), String>,
    /// Whether presenter mode is on.
    pub presenting: bool,
    pub onpresent: Callback<()>,
    pub onhelp: Callback<()>,
    pub onembed: Callback<()>,
    pub onexport: Callback<Export>,
}

/// Link, export, embed, present, shortcuts: one row under the title.
#[function_component(ShareBar)]
pub fn share_bar(props: &ShareBarProps) -> Html {
    // The link last copied, and whether the clipboard took it.
    let copied = use_state(|| None::<(String, bool)>);
    let oncopy = {
        let (copied, onlink, presenting) = (copied.clone(), props.onlink.clone(), props.presenting);
        Callback::from(move |_: MouseEvent| {
            let params: &[(&str, &str)] = if presenting { &[("present", "1")] } else { &[] };
            let url = share::address(params, Some(&onlink.emit(())));
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let ok = share::copy(url.clone()).await;
                copied.set(Some((url, ok)));
            });
        })
    };
    let export = |what: Export| {
        let onexport = props.onexport.clone();
        Callback::from(move |_: MouseEvent| onexport.emit(what))
    };
    let emit = |callback: &Callback<()>| {
        let callback = callback.clone();
        Callback::from(move |_: MouseEvent| callback.emit(()))
    };
    html! {
        <div class="share-bar" role="toolbar" aria-label="Share, export and present">
            <button data-testid="copy-link" onclick={oncopy}
                title="Copy a link that opens this page exactly as it is now">{ "Copy link" }</button>
            <button data-testid="export-scenario" onclick={export(Export::Scenario)}
                title="The scenario as JSON: run it with `cachescope run FILE`">{ "Scenario JSON" }</button>
            <button data-testid="export-report" onclick={export(Export::Report)}
                title="The whole run's report as JSON, as `cachescope run` prints it">{ "Report JSON" }</button>
            <button data-testid="export-png" onclick={export(Export::TimelinePng)}
                title="The timeline as you see it, as a PNG picture">{ "Timeline PNG" }</button>
            <button data-testid="export-svg" onclick={export(Export::TimelineSvg)}
                title="The timeline as you see it, as an SVG drawing">{ "Timeline SVG" }</button>
            <button data-testid="embed" onclick={emit(&props.onembed)}
                title="Write the snippet that embeds this in a web page">{ "Embed…" }</button>
            <button data-testid="present" aria-pressed={props.presenting.to_string()} onclick={emit(&props.onpresent)}
                title="Large type and high contrast for a projector; PageDown/PageUp and . work from a presentation remote">{ "Present" }</button>
            <button data-testid="shortcuts" onclick={emit(&props.onhelp)} aria-keyshortcuts="?"
                title="Keyboard shortcuts (?)">{ "Shortcuts ?" }</button>
            if let Some((url, ok)) = &*copied {
                <span class="copied" role="status" data-testid="link-status">
                    { if *ok { "Link copied: " } else { "Copy this link: " } }
                    <input readonly=true data-testid="link-text" aria-label="The link" value={url.clone()}
                        onfocus={Callback::from(|event: FocusEvent| {
                            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
                            input.select();
                        })} />
                </span>
            }
        </div>
    }
}

/// Every shortcut, as the overlay lists them (the keyboard hook in app.rs
/// implements them).
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "Play or pause"),
    ("→", "Step forward one operation"),
    ("←", "Step back one operation"),
    ("Home", "Back to the start of the run"),
    ("End", "Run to the end"),
    (
        "Page Down",
        "Next part of the lesson (or the next step; at the end, the next lesson) — a \
         presentation remote's forward",
    ),
    (
        "Page Up",
        "Previous part of the lesson (or the previous step; at the start, the previous \
         lesson) — a remote's back",
    ),
    (
        ".",
        "Play or pause (a presentation remote's blank-screen key)",
    ),
    (
        "e",
        "In presenter mode: show or hide the editing, export and analysis panels",
    ),
    ("?", "Show this list"),
    ("Escape", "Close this list or the embed dialog"),
];

#[derive(Properties, PartialEq)]
pub struct OverlayProps {
    pub onclose: Callback<()>,
}

/// The list of keyboard shortcuts, over the page.
#[function_component(ShortcutsOverlay)]
pub fn shortcuts_overlay(props: &OverlayProps) -> Html {
    let close = use_node_ref();
    {
        let close = close.clone();
        use_effect_with((), move |_| {
            if let Some(button) = close.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let onclose = {
        let onclose = props.onclose.clone();
        Callback::from(move |_: MouseEvent| onclose.emit(()))
    };
    html! {
        <div class="overlay" data-testid="shortcuts-overlay">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
                <h2 id="shortcuts-title">{ "Keyboard shortcuts" }</h2>
                <dl class="shortcut-list">
                    { for SHORTCUTS.iter().map(|(key, what)| html! {
                        <>
                            <dt><kbd>{ *key }</kbd></dt>
                            <dd>{ *what }</dd>
                        </>
                    }) }
                </dl>
                <p class="hint">{ "Shortcuts work anywhere except while typing in a field." }</p>
                <button ref={close} data-testid="shortcuts-close" class="primary" onclick={onclose}>{ "Close" }</button>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct EmbedProps {
    /// The state on screen as a link fragment ("this run").
    pub fragment: std::rc::Rc<String>,
    /// The lesson on screen.
    pub lesson: &'static str,
    /// Whether the run on screen is a person's own (changed, loaded, a
    /// challenge): the dialog then starts on "this run", else the lesson.
    pub custom: bool,
    /// What "this run" is called (the frame's title when it is embedded).
    pub run_title: AttrValue,
    pub onclose: Callback<()>,
}

/// The iframe's address for these options.
fn embed_url(options: &EmbedOptions, fragment: &str) -> String {
    share::address(&options.params(), options.fragment(fragment))
}

/// Writes the iframe snippet that embeds the playground, with a live
/// preview of exactly what it embeds.
#[function_component(EmbedDialog)]
pub fn embed_dialog(props: &EmbedProps) -> Html {
    let options = use_state(|| EmbedOptions::opening(props.lesson, props.custom, &props.run_title));
    let copied = use_state(|| None::<bool>);
    let update = |change: fn(&mut EmbedOptions, String)| {
        let options = options.clone();
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let value = if input.type_() == "checkbox" {
                input.checked().to_string()
            } else {
                input.value()
            };
            let mut next = (*options).clone();
            change(&mut next, value);
            options.set(next);
        })
    };
    let onlesson = {
        let (options, run) = (options.clone(), props.run_title.clone());
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let mut next = (*options).clone();
            let lesson = LESSONS
                .iter()
                .find(|l| l.name == select.value())
                .map(|l| l.name);
            next.choose(lesson, &run);
            options.set(next);
        })
    };
    let snippet = {
        let address = embed_url(&options, &props.fragment);
        options.snippet(&if options.absolute {
            address
        } else {
            crate::model::embed::relative_to_folder(&address)
        })
    };
    let oncopy = {
        let (snippet, copied) = (snippet.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (snippet, copied) = (snippet.clone(), copied.clone());
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(share::copy(snippet).await));
            });
        })
    };
    let onclose = {
        let onclose = props.onclose.clone();
        Callback::from(move |_: MouseEvent| onclose.emit(()))
    };
    let onkeydown = {
        let onclose = props.onclose.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                onclose.emit(());
            }
        })
    };
    let o = &*options;
    html! {
        <div class="overlay" data-testid="embed-dialog" {onkeydown}>
            <div class="dialog embed-dialog" role="dialog" aria-modal="true" aria-labelledby="embed-title">
                <h2 id="embed-title">{ "Embed this playground" }</h2>
                <div class="embed-options">
                    <label>{ "What " }
                        <select data-testid="embed-lesson" onchange={onlesson}>
                            <option value="" selected={o.lesson.is_none()}>
                                { format!("This run, as it is now ({})", props.run_title) }
                            </option>
                            { for LESSONS.iter().map(|l| html! {
                                <option value={l.name} selected={o.lesson == Some(l.name)}>
                                    { format!("Lesson {} {}", crate::lessons::course::place(l.name).map(|p| p.number()).unwrap_or_default(), l.heading) }
                                </option>
                            }) }
                        </select>
                    </label>
                    <label>{ "Width " }
                        <input type="number" data-testid="embed-width" min={EMBED_SIZES.0.to_string()} max={EMBED_SIZES.1.to_string()}
                            value={o.width.to_string()} onchange={update(|o, v| o.width = embed_size(&v, o.width))} />
                    </label>
                    <label>{ "Height " }
                        <input type="number" data-testid="embed-height" min={EMBED_SIZES.0.to_string()} max={EMBED_SIZES.1.to_string()}
                            value={o.height.to_string()} onchange={update(|o, v| o.height = embed_size(&v, o.height))} />
                    </label>
                    <label><input type="checkbox" data-testid="embed-autoplay" checked={o.autoplay}
                        onchange={update(|o, v| o.autoplay = v == "true")} />{ " Start playing" }</label>
                    <label><input type="checkbox" data-testid="embed-present" checked={o.present}
                        onchange={update(|o, v| o.present = v == "true")} />{ " Large type (presenter)" }</label>
                </div>
                <label><input type="checkbox" data-testid="embed-absolute" checked={o.absolute}
                    onchange={update(|o, v| o.absolute = v == "true")} />
                    { " This server's full address (otherwise relative: publish the playground's folder beside your page)" }</label>
                <label for="embed-snippet">{ "Paste this into your page:" }</label>
                <textarea id="embed-snippet" data-testid="embed-snippet" readonly=true rows="3" value={snippet.clone()} />
                <div class="loader-buttons">
                    <button data-testid="embed-copy" class="primary" onclick={oncopy}>{ "Copy snippet" }</button>
                    if let Some(ok) = *copied {
                        <span role="status">{ if ok { "Copied." } else { "Select the text above and copy it." } }</span>
                    }
                    <button data-testid="embed-close" onclick={onclose}>{ "Close" }</button>
                </div>
                <p class="hint">{ format!("Live preview, {} × {} pixels:", o.width, o.height) }</p>
                <div class="embed-preview">
                    <iframe data-testid="embed-preview" src={embed_url(o, &props.fragment)} width={o.width.to_string()}
                        height={o.height.to_string()} title="Preview of the embedded playground" />
                </div>
            </div>
        </div>
    }
}
