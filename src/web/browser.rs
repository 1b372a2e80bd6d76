//! The page and the browser around it: the address bar (links that hold
//! the state), downloads, the clipboard, imported files, and the timeline
//! as a picture. The link format itself is [`crate::model::link`] (native, fuzzed).

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::lessons::LESSONS;
use crate::model::knobs::decimal;
use crate::model::link::{self, LinkState};
use crate::model::playground::Playground;

/// Whether the page has the switches only tests use (`?panic=1`): set by
/// building it with `CACHESCOPE_TEST_SWITCHES` in the environment, as
/// the end-to-end tests' second build does. A release has none: the
/// compiler leaves their code out.
pub const TEST_SWITCHES: bool = option_env!("CACHESCOPE_TEST_SWITCHES").is_some();

/// What the address asked for when the page opened.
#[derive(Clone, Debug, PartialEq)]
pub struct Opening {
    /// `?embed=1`: transport and timeline only, for an iframe.
    pub embed: bool,
    /// `?present=1`: large type and high contrast.
    pub present: bool,
    /// `?autoplay=1`: start playing once loaded.
    pub autoplay: bool,
    /// `?panic=1`: panic on purpose (how the tests see the error banner);
    /// a page built without [`TEST_SWITCHES`] ignores it.
    pub panic: bool,
    /// The state in the fragment (`None` without one), or why it is not
    /// one; `?lesson=NAME` stands for a link to that lesson's start.
    pub link: Result<Option<LinkState>, String>,
}

impl Opening {
    /// Read off the page's address.
    pub fn from_location() -> Opening {
        Opening::parse(
            &location_part(web_sys::Location::search),
            &location_part(web_sys::Location::hash),
        )
    }

    /// From the address's query (`?…`) and fragment (`#…`).
    pub fn parse(search: &str, hash: &str) -> Opening {
        let params = web_sys::UrlSearchParams::new_with_str(search).ok();
        let param = |name: &str| params.as_ref().and_then(|p| p.get(name));
        let flag = |name: &str| param(name).is_some_and(|v| v == "1" || v == "true");
        let fragment = hash.trim_start_matches('#');
        let link = if !fragment.is_empty() {
            link::decode(fragment).map(Some)
        } else if let Some(name) = param("challenge") {
            match crate::lessons::challenges::challenge(&name) {
                Some(challenge) => Ok(Some(LinkState {
                    lesson: challenge.lesson.to_string(),
                    challenge: Some(name),
                    ..LinkState::default()
                })),
                None => Err(format!("there is no challenge named {name:.40}")),
            }
        } else {
            match param("lesson") {
                Some(name) if LESSONS.iter().any(|l| l.name == name) => Ok(Some(LinkState {
                    lesson: name,
                    ..LinkState::default()
                })),
                Some(name) => Err(format!(
                    "there is no lesson named {name:.40} (the lessons are listed under Lesson)"
                )),
                None => Ok(None),
            }
        };
        Opening {
            embed: flag("embed"),
            present: flag("present"),
            autoplay: flag("autoplay"),
            panic: flag("panic"),
            link,
        }
    }

    /// The page it opens: the link's state, or the first lesson with a
    /// message saying why the link could not be opened. With `autoplay`
    /// it plays through (a lesson's parts are still a click away); else
    /// Play stops at each part.
    pub fn playground(&self) -> Playground {
        let opened = match &self.link {
            Ok(None) => Ok(Playground::new(&LESSONS[0])),
            Ok(Some(state)) => Playground::from_link(state),
            Err(why) => Err(why.clone()),
        };
        let mut page = opened.unwrap_or_else(|why| {
            let mut page = Playground::new(&LESSONS[0]);
            page.message = Some(format!(
                "This link could not be opened: {why}. The first lesson is shown instead."
            ));
            page
        });
        page.pause_at_parts = !self.autoplay;
        page
    }
}

/// The page's address (this origin and path) with these query
/// parameters and, if any, this fragment.
pub fn address(params: &[(&str, &str)], fragment: Option<&str>) -> String {
    let origin = location_part(web_sys::Location::origin);
    let path = location_part(web_sys::Location::pathname);
    let query = match web_sys::UrlSearchParams::new() {
        Ok(query) => {
            for (name, value) in params {
                query.append(name, value);
            }
            String::from(query.to_string())
        }
        Err(_) => String::new(),
    };
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{origin}{path}{query}{fragment}")
}

/// A part of the page's address (empty if the browser will not say).
fn location_part(part: fn(&web_sys::Location) -> Result<String, JsValue>) -> String {
    web_sys::window()
        .and_then(|w| part(&w.location()).ok())
        .unwrap_or_default()
}

/// Scrolls the element with this `data-testid` into view (its top below
/// the sticky transport, by its `scroll-margin-top`), unless it is already
/// in view.
pub fn bring_into_view(test_id: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(Some(element)) = document.query_selector(&format!("[data-testid=\"{test_id}\"]")) else {
        return;
    };
    let top = element.get_bounding_client_rect().top();
    let height = window_height();
    if top < 0.0 || top > height * 0.6 {
        element.scroll_into_view_with_bool(true);
    }
}

/// Scrolls the least that shows the story's subject: the first lanes of
/// the timeline with the cursor, what the narration's part is about
/// (`focus`, a selector: the latest element it matches) and the sentence a
/// click explains, below whatever stays stuck at the top of the window
/// (the story, or on a phone the transport). A timeline wider than its
/// frame (a phone) scrolls sideways to the focus, else to the cursor.
/// Nothing moves while the person works in a panel further down.
pub fn keep_in_view(focus: Option<&str>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let find = |selector: &str| document.query_selector(selector).ok().flatten();
    let working_below = document.active_element().is_some_and(|active| {
        active
            .closest(".knobs, .faults, .compare, .explorer, .loader, .charts, .share-bar, dialog, .overlay")
            .ok()
            .flatten()
            .is_some()
    });
    let (Some(plot), false) = (find(".timeline-plot"), working_below) else {
        return;
    };
    let mark = focus.and_then(|selector| {
        let all = document.query_selector_all(selector).ok()?;
        all.item(all.length().checked_sub(1)?)
            .and_then(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(node).ok())
    });
    // Sideways first: it moves what the vertical sums below measure. The
    // target is a small mark itself; on a window, band or lane wider than
    // the view, the point of it nearest the cursor.
    if let Some(frame) = find(".timeline-scroll").filter(|f| f.scroll_width() > f.client_width()) {
        let frame_box = frame.get_bounding_client_rect();
        // The lane names cover the frame's left edge.
        let names = find(".lane-names").map_or(0.0, |n| n.get_bounding_client_rect().width());
        let (left, right) = (frame_box.left() + names, frame_box.right());
        let cursor = find("[data-testid=\"cursor\"]").map(|c| c.get_bounding_client_rect().left());
        let target = match (&mark, cursor) {
            (Some(mark), cursor) => {
                let m = mark.get_bounding_client_rect();
                if m.width() < (right - left) / 2.0 {
                    Some((m.left(), m.right()))
                } else {
                    let x = cursor
                        .unwrap_or(m.left())
                        .clamp(m.left(), (m.right() - 1.0).max(m.left()));
                    Some((x, x))
                }
            }
            (None, Some(x)) => Some((x, x)),
            (None, None) => None,
        };
        // A few pixels of room on the right: the cursor's own line is wider
        // than the point it stands for.
        if let Some((from, _)) = target.filter(|&(from, to)| from < left || to > right - 4.0) {
            let offset = from - left - (right - left) / 3.0;
            frame.set_scroll_left(frame.scroll_left() + offset as i32);
        }
    }
    let height = window_height();
    // What stays stuck at the top once the page scrolls.
    let covered = [".story", ".transport"]
        .iter()
        .filter_map(|selector| find(selector))
        .map(|e| e.get_bounding_client_rect().height())
        .find(|h| *h > 0.0)
        .unwrap_or(0.0);
    let plot_box = plot.get_bounding_client_rect();
    // The first lanes (a fifth of the diagram, at least a hundred pixels).
    let lanes_bottom = plot_box.top() + (plot_box.height() / 5.0).max(100.0).min(plot_box.height());
    let mut top = plot_box.top();
    let mut bottom = lanes_bottom;
    let mut widen = |element: Option<web_sys::Element>| {
        if let Some(element) = element {
            let r = element.get_bounding_client_rect();
            top = top.min(r.top());
            bottom = bottom.max(r.bottom());
        }
    };
    widen(mark.clone());
    widen(find("[data-testid=\"explanation\"]"));
    let room = height - covered;
    let by = if bottom - top <= room {
        if top < covered {
            top - covered
        } else if bottom > height {
            bottom - height
        } else {
            0.0
        }
    } else if let Some(mark) = &mark {
        // Not all of it fits: the focus, in the middle of the room.
        let r = mark.get_bounding_client_rect();
        (r.top() + r.bottom()) / 2.0 - (covered + room / 2.0)
    } else {
        top - covered
    };
    // Whole pixels, away from zero: a fraction short would leave the last
    // line of the explanation a fraction outside.
    if by.abs() >= 0.5 {
        window.scroll_by_with_x_and_y(0.0, if by > 0.0 { by.ceil() } else { by.floor() });
    }
}

/// Calls `then` once, at the start of the next frame, with its time
/// (`requestAnimationFrame`; the callback is freed once called).
pub fn at_next_frame(then: impl FnOnce(f64) + 'static) {
    use wasm_bindgen::JsCast;
    let callback = wasm_bindgen::closure::Closure::once_into_js(then);
    if let Some(window) = web_sys::window() {
        let _ = window.request_animation_frame(callback.unchecked_ref());
    }
}

/// Notes `value` on the document element as `attribute` (what the page
/// says about itself for its benchmarks and tests: warm-ups done).
pub fn note_on_page(attribute: &str, value: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute(attribute, value);
    }
}

/// The window's height in CSS pixels (0 if the browser will not say).
pub fn window_height() -> f64 {
    web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0)
}

/// Keeps the address bar on the state on screen, without a history entry
/// per step.
pub fn replace_address(fragment: &str) {
    let here = format!(
        "{}{}#{fragment}",
        location_part(web_sys::Location::pathname),
        location_part(web_sys::Location::search)
    );
    if let Some(Ok(history)) = web_sys::window().map(|w| w.history()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&here));
    }
}

/// Copies `text` to the clipboard; `false` if the browser refused (the
/// page then shows the text to copy by hand).
pub async fn copy(text: String) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = window.navigator().clipboard();
    // Absent in an insecure context: calling it would throw.
    if JsValue::from(clipboard.clone()).is_undefined() {
        return false;
    }
    JsFuture::from(clipboard.write_text(&text)).await.is_ok()
}

/// Offers `contents` as a file download named `name`.
pub fn download(name: &str, mime: &str, contents: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser could not make the file".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not make the file".to_string())?;
    let result = save(name, &url);
    let _ = web_sys::Url::revoke_object_url(&url);
    result
}

/// Clicks a download link to `url`.
fn save(name: &str, url: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "the browser could not make the file".to_string())?
        .unchecked_into();
    anchor.set_href(url);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// The text of a file a person picked.
pub async fn read_file(file: web_sys::File) -> Result<String, String> {
    let text = JsFuture::from(file.text())
        .await
        .map_err(|_| format!("{} could not be read", file.name()))?;
    text.as_string()
        .ok_or_else(|| format!("{} is not text", file.name()))
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The timeline on screen (up to the cursor, as zoomed) as one standalone
/// SVG document: the diagram and its layers in one `<svg>`, the page's
/// style sheet inside it, the cursor drawn as a line.
pub fn timeline_svg() -> Result<String, String> {
    let fail = |what: &str| format!("the timeline could not be exported ({what})");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| fail("no document"))?;
    let plot = document
        .query_selector(".timeline-plot")
        .ok()
        .flatten()
        .ok_or_else(|| fail("no timeline on screen"))?;
    let base = plot
        .query_selector("svg[data-testid=timeline]")
        .ok()
        .flatten()
        .ok_or_else(|| fail("no diagram"))?;
    let svg: web_sys::Element = base
        .clone_node_with_deep(true)
        .map_err(|_| fail("copy"))?
        .unchecked_into();
    let attribute = |name: &str| base.get_attribute(name).unwrap_or_default();
    let view_box = attribute("viewBox");
    let [_, _, width, height] = view_box.split_whitespace().collect::<Vec<_>>()[..] else {
        return Err(fail("viewBox"));
    };
    let layers = plot
        .query_selector_all("svg.layer, canvas.layer")
        .map_err(|_| fail("layers"))?;
    for i in 0..layers.length() {
        let Some(layer) = layers.item(i) else {
            continue;
        };
        // A dense run's spans are a canvas: its pixels, as an image over
        // the whole diagram.
        if let Some(canvas) = layer.dyn_ref::<web_sys::HtmlCanvasElement>() {
            let image = document
                .create_element_ns(Some(SVG_NS), "image")
                .map_err(|_| fail("image"))?;
            let pixels = canvas.to_data_url().map_err(|_| fail("canvas"))?;
            for (name, value) in [
                ("href", pixels.as_str()),
                ("x", "0"),
                ("y", "0"),
                ("width", width),
                ("height", height),
                ("preserveAspectRatio", "none"),
            ] {
                let _ = image.set_attribute(name, value);
            }
            svg.append_child(&image).map_err(|_| fail("append"))?;
            continue;
        }
        let group = document
            .create_element_ns(Some(SVG_NS), "g")
            .map_err(|_| fail("group"))?;
        let children = layer.child_nodes();
        for j in 0..children.length() {
            if let Some(child) = children.item(j) {
                let copy = child.clone_node_with_deep(true).map_err(|_| fail("copy"))?;
                group.append_child(&copy).map_err(|_| fail("append"))?;
            }
        }
        svg.append_child(&group).map_err(|_| fail("append"))?;
    }
    // The page's rules are scoped under `.timeline` (the figure around the
    // diagram): a group with that class stands in for it.
    let scope = document
        .create_element_ns(Some(SVG_NS), "g")
        .map_err(|_| fail("group"))?;
    let _ = scope.set_attribute("class", "timeline");
    while let Some(child) = svg.first_child() {
        scope.append_child(&child).map_err(|_| fail("scope"))?;
    }
    svg.append_child(&scope).map_err(|_| fail("scope"))?;
    if let (Some(x), Some(to)) = (
        decimal(&attribute("data-cursor-x")),
        decimal(&attribute("data-cursor-to")),
    ) {
        let line = document
            .create_element_ns(Some(SVG_NS), "line")
            .map_err(|_| fail("cursor"))?;
        for (name, value) in [
            ("x1", x.to_string()),
            ("x2", x.to_string()),
            ("y1", "10".to_string()),
            ("y2", to.to_string()),
            ("class", "export-cursor".to_string()),
        ] {
            let _ = line.set_attribute(name, &value);
        }
        scope.append_child(&line).map_err(|_| fail("cursor"))?;
    }
    let _ = svg.set_attribute("width", width);
    let _ = svg.set_attribute("height", height);
    let style = document
        .create_element_ns(Some(SVG_NS), "style")
        .map_err(|_| fail("style"))?;
    style.set_text_content(Some(&page_css(&document)));
    svg.insert_before(&style, svg.first_child().as_ref())
        .map_err(|_| fail("style"))?;
    for name in ["data-cursor-x", "data-cursor-to", "data-testid"] {
        let _ = svg.remove_attribute(name);
    }
    let _ = svg.set_attribute("class", "timeline-export");
    let text = web_sys::XmlSerializer::new()
        .and_then(|s| s.serialize_to_string(&svg))
        .map_err(|_| fail("serialise"))?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{text}\n"
    ))
}

/// Every rule of the page's own style sheets, as text.
fn page_css(document: &web_sys::Document) -> String {
    let sheets = document.style_sheets();
    let mut css = String::new();
    for i in 0..sheets.length() {
        let Some(sheet) = sheets
            .item(i)
            .and_then(|s| s.dyn_into::<web_sys::CssStyleSheet>().ok())
        else {
            continue;
        };
        let Ok(rules) = sheet.css_rules() else {
            continue;
        };
        for j in 0..rules.length() {
            if let Some(rule) = rules.item(j) {
                css.push_str(&rule.css_text());
                css.push('\n');
            }
        }
    }
    css
}

/// The timeline as a PNG (twice the diagram's size), downloaded as `name`.
pub async fn download_timeline_png(name: String) -> Result<(), String> {
    let fail = |what: &str| format!("the timeline could not be exported as PNG ({what})");
    let svg = timeline_svg()?;
    let parts = js_sys::Array::of1(&JsValue::from_str(&svg));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| fail("blob"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("url"))?;
    let drawn = draw_png(&url).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    save(&name, &drawn.map_err(|what| fail(&what))?)
}

/// The SVG at `url` drawn on a canvas, as a PNG data URL.
async fn draw_png(url: &str) -> Result<String, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let image: web_sys::HtmlImageElement = document
        .create_element("img")
        .map_err(|_| "image")?
        .unchecked_into();
    image.set_src(url);
    JsFuture::from(image.decode())
        .await
        .map_err(|_| "the browser could not draw the SVG")?;
    let (width, height) = (image.natural_width() * 2, image.natural_height() * 2);
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(|_| "canvas")?
        .unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .ok_or("canvas")?
        .unchecked_into();
    // The page's own background (light or dark), behind the diagram.
    let background = web_sys::window()
        .zip(document.body())
        .and_then(|(w, body)| w.get_computed_style(&body).ok().flatten())
        .and_then(|style| style.get_property_value("background-color").ok())
        .filter(|colour| !colour.is_empty())
        .unwrap_or_else(|| "white".to_string());
    context.set_fill_style_str(&background);
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    context
        .draw_image_with_html_image_element_and_dw_and_dh(
            &image,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .map_err(|_| "draw")?;
    canvas
        .to_data_url_with_type("image/png")
        .map_err(|_| "png".to_string())
}
