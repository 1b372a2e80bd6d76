//! In-browser component tests (wasm-bindgen-test in headless Chrome). Native
//! test runs compile this file to nothing.
#![cfg(target_arch = "wasm32")]

use cachescope::web::App;
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the app in a fresh element and returns that element.
fn mount() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root(root.clone()).render();
    root
}

fn count(root: &web_sys::Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

fn text(root: &web_sys::Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("{selector} not found"))
        .text_content()
        .unwrap_or_default()
}

fn click(root: &web_sys::Element, selector: &str) {
    root.query_selector(selector)
        .unwrap()
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

/// Yew renders on the next tick of the event loop; give it a few.
async fn settle() {
    TimeoutFuture::new(20).await;
}

#[wasm_bindgen_test]
async fn the_app_renders_the_first_lesson_and_steps_through_the_real_core() {
    let root = mount();
    settle().await;
    assert!(text(&root, "[data-testid=lesson-title]").contains("Cache-aside"));
    assert_eq!(text(&root, "[data-testid=clock]"), "t = 0 ms · step 0 of 4");
    assert_eq!(count(&root, "[data-testid=step-row]"), 0);

    click(&root, "[data-testid=step]");
    settle().await;
    assert_eq!(count(&root, "[data-testid=step-row]"), 1);
    assert!(text(&root, "[data-testid=step-row]").contains("miss"));
    assert!(text(&root, "[data-testid=pending]").contains("db.read user:123"));

    click(&root, "[data-testid=run]");
    settle().await;
    assert_eq!(count(&root, "[data-testid=step-row]"), 4);
    // The timeline draws every operation, and no anomaly here.
    assert_eq!(count(&root, "[data-testid=span]"), 4);
    assert_eq!(count(&root, "[data-testid=mark-stale]"), 0);
    assert_eq!(count(&root, "[data-testid=db-level]"), 1);
    assert!(text(&root, "[data-testid=clock]").ends_with("done"));
    assert!(text(&root, "[data-testid=cache-cell]").starts_with("v1 @1"));

    click(&root, "[data-testid=step-back]");
    settle().await;
    assert_eq!(count(&root, "[data-testid=step-row]"), 3);
    assert_eq!(
        text(&root, "[data-testid=clock]"),
        "t = 12 ms · step 3 of 4"
    );

    click(&root, "[data-testid=reset]");
    settle().await;
    assert_eq!(count(&root, "[data-testid=step-row]"), 0);

    // Be the scheduler: R2 first (its cache.get misses: nothing is cached).
    // The run is not done: the others still wait to be chosen.
    click(&root, "[data-testid=schedule-R2]");
    settle().await;
    assert_eq!(
        text(&root, "[data-testid=clock]"),
        "t = 21 ms · step 1 of 1 · your move: choose who goes next"
    );
    assert!(text(&root, "[data-testid=step-row]").contains("R2"));
}

#[wasm_bindgen_test]
fn the_wasm_core_computes_every_lessons_report_byte_for_byte_as_native() {
    // tests/golden/lessons.json is what the native build computes
    // (tests/golden.rs holds it to that).
    let golden = include_str!("golden/lessons.json");
    let actual = cachescope::lessons::all_reports_json();
    assert!(
        actual == golden,
        "wasm reports differ from the native golden file"
    );
}

#[wasm_bindgen_test]
async fn the_wasm_explorer_counts_every_lessons_schedules_as_native() {
    use cachescope::sim::explore::{Explorer, Limits};
    // tests/golden/explore.json is what the native build computes. The
    // explorer runs in slices, yielding to the browser between them, as
    // the page will run it.
    let mut summaries = std::collections::BTreeMap::new();
    for lesson in cachescope::lessons::explorable() {
        let mut explorer = Explorer::new(&lesson.scenario(), Limits::default()).unwrap();
        while !explorer.advance(20_000).unwrap() {
            TimeoutFuture::new(0).await;
        }
        summaries.insert(lesson.name, explorer.finish().unwrap().summary());
    }
    let actual = cachescope::lessons::explorations_json(summaries);
    let golden = include_str!("golden/explore.json");
    assert!(
        actual == golden,
        "wasm explorations differ from the native golden file"
    );
}
