//! Rules of the code's layout that a compiler does not check: the code map
//! in ARCHITECTURE.md names every module, and the core is sans-IO.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as paths relative to `src/`, sorted.
fn sources(dir: &Path, src: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, src, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path.strip_prefix(src).unwrap().to_path_buf());
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The code map's section about `top` (`sim`, `model`, `web`, `lessons`,
/// or a top-level file such as `cli.rs`): from its `### ` heading naming
/// `src/top` to the next heading.
fn section<'a>(map: &'a str, top: &str) -> &'a str {
    let heading = map
        .match_indices("\n### ")
        .map(|(i, _)| i + 1)
        .find(|&i| {
            let line = map[i..].lines().next().unwrap_or_default();
            line.contains(&format!("`src/{top}"))
        })
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no `### ` section about src/{top}"));
    let rest = &map[heading + 4..];
    let end = rest
        .find("\n### ")
        .or_else(|| rest.find("\n## "))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn the_code_map_names_every_module() {
    let map =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let mut files = Vec::new();
    sources(&src(), &src(), &mut files);
    assert!(files.len() > 40, "{files:?}");
    let mut missing = Vec::new();
    for file in &files {
        let parts: Vec<String> = file
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let name = parts.last().unwrap().as_str();
        let named = match parts.as_slice() {
            // The library's root and the binary: the bird's-eye view and
            // the command line's section.
            [top] if top == "lib.rs" => {
                map.contains("`src/lib.rs`") || map.contains("(src/lib.rs)")
            }
            [top] => section(&map, top).contains(&format!("`{top}`")),
            // A lesson: the lessons' section names the pattern.
            [top, _] if top == "lessons" && name != "mod.rs" => {
                section(&map, "lessons/").contains("`src/lessons/<name>.rs`")
            }
            // A folder's `mod.rs`: its folder is named.
            [top, .., folder, _] if name == "mod.rs" => {
                section(&map, &format!("{top}/")).contains(&format!("`{folder}/`"))
            }
            [top, _] if name == "mod.rs" => section(&map, &format!("{top}/")).contains("`mod.rs`"),
            [top, ..] => section(&map, &format!("{top}/")).contains(&format!("`{name}`")),
            [] => unreachable!(),
        };
        if !named {
            missing.push(file.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name these modules: {missing:?}"
    );
}

/// What would let the simulation depend on the world outside it: a clock,
/// a file, the network, a thread, ambient randomness, the terminal, the
/// browser, or the layers built on the core.
const FORBIDDEN: [&str; 25] = [
    "std::time",
    "Instant",
    "SystemTime",
    "std::thread",
    "std::sync",
    "std::fs",
    "std::net",
    "std::io",
    "std::env",
    "std::process",
    "rand::",
    "thread_rng",
    "print!",
    "println!",
    "dbg!",
    "web_sys",
    "js_sys",
    "wasm_bindgen",
    "yew",
    "gloo",
    "include_str!",
    "crate::model",
    "crate::web",
    "crate::cli",
    "crate::lessons",
];

/// The forbidden words in a file's code (comments left out), with their
/// line numbers.
fn forbidden_in(text: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for word in FORBIDDEN {
            if code.contains(word) {
                found.push((number + 1, word));
            }
        }
    }
    found
}

#[test]
fn the_core_is_sans_io() {
    let mut files = Vec::new();
    sources(&src().join("sim"), &src(), &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(src().join(file)).unwrap();
        for (line, word) in forbidden_in(&text) {
            found.push(format!("src/{}:{line}: {word}", file.display()));
        }
    }
    assert!(
        found.is_empty(),
        "the core reaches outside itself: {found:#?}"
    );
}

#[test]
fn the_sans_io_check_finds_what_it_forbids_in_code_not_in_comments() {
    let text = "//! Never std::fs here.\nuse crate::model::view;\nlet t = web_sys::window(); // std::env\n";
    assert_eq!(forbidden_in(text), [(2, "crate::model"), (3, "web_sys")]);
}
