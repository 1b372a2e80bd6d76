//! The golden reports and explorations of every lesson. The native build
//! must produce `tests/golden/lessons.json` and `tests/golden/explore.json`
//! exactly (the wasm build is held to the same files by `tests/web.rs`).
//! After an intended change of behaviour, regenerate them with
//! `CACHESCOPE_UPDATE_GOLDEN=1 cargo test --test golden` and review the diff.
#![cfg(not(target_arch = "wasm32"))]

/// Holds `actual` to the golden file `tests/golden/{file}` (or rewrites
/// the file when asked to).
fn matches_golden(file: &str, actual: &str) {
    let path = format!("{}/tests/golden/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("CACHESCOPE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "the output differs from {path}; if the change is intended, regenerate it \
         (CACHESCOPE_UPDATE_GOLDEN=1 cargo test --test golden) and review the diff"
    );
}

#[test]
fn every_lessons_report_matches_the_golden_file() {
    matches_golden("lessons.json", &cachescope::lessons::all_reports_json());
}

#[test]
fn every_lessons_exploration_matches_the_golden_file() {
    matches_golden(
        "explore.json",
        &cachescope::lessons::all_explorations_json(),
    );
}
