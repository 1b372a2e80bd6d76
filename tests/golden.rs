//! The golden reports and explorations of every lesson. The native build
//! must produce `tests/golden/lessons.json` and `tests/golden/explore.json`
//! exactly (the wasm build is held to the same files by `tests/web.rs`).
//! After an intended change of behaviour, regenerate them with
//! `CACHESCOPE_UPDATE_GOLDEN=1 cargo test --test golden` and review the diff.
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn every_lessons_report_matches_the_golden_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/lessons.json");
    let actual = cachescope::lessons::all_reports_json();
    if std::env::var_os("CACHESCOPE_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "lesson reports differ from {path}; if the change is intended, regenerate it \
         (CACHESCOPE_UPDATE_GOLDEN=1 cargo test --test golden) and review the diff"
    );
}

#[test]
fn every_lessons_exploration_matches_the_golden_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/explore.json");
    let actual = cachescope::lessons::all_explorations_json();
    if std::env::var_os("CACHESCOPE_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "lesson explorations differ from {path}; if the change is intended, regenerate it \
         (CACHESCOPE_UPDATE_GOLDEN=1 cargo test --test golden) and review the diff"
    );
}
