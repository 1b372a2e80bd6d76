//! Rules of the code's layout that a compiler does not check: the code map
//! in ARCHITECTURE.md names every folder and top-level file and stays
//! short, and the core is sans-IO.
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

/// The code map's headings (`### ` lines) of ARCHITECTURE.md.
fn headings(map: &str) -> Vec<&str> {
    map.lines().filter(|l| l.starts_with("### ")).collect()
}

#[test]
fn the_code_map_names_every_folder_and_top_level_file() {
    let map =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let mut files = Vec::new();
    sources(&src(), &src(), &mut files);
    assert!(files.len() > 40, "{files:?}");
    // A file in src/ is named in a heading; a folder of modules (one with
    // Rust files of its own, under src/) has a heading, or is named in its
    // parent's section (`components/`).
    let headings = headings(&map);
    let mut missing = std::collections::BTreeSet::new();
    for file in &files {
        let parts: Vec<String> = file
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let (named, shown) = match parts.as_slice() {
            [top] => (format!("`src/{top}`"), top.clone()),
            [.., folder, _] => {
                let path = parts[..parts.len() - 1].join("/");
                let in_heading = format!("`src/{path}/`");
                if headings.iter().any(|h| h.contains(&in_heading)) {
                    continue;
                }
                (format!("`{folder}/`"), format!("{path}/"))
            }
            [] => unreachable!(),
        };
        let found = if parts.len() == 1 {
            headings.iter().any(|h| h.contains(&named))
        } else {
            map.contains(&named)
        };
        if !found {
            missing.insert(shown);
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name: {missing:?}"
    );
    // Short enough to read in minutes.
    assert!(
        map.len() <= 20_000,
        "ARCHITECTURE.md is {} bytes",
        map.len()
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

/// The modules of `src/sim/` each file's code uses (comments left out),
/// with `engine/` counted as one module: `super::x` from a file of the
/// core, `crate::sim::x` from anywhere in it, `super::super::x` from the
/// engine's files.
fn core_imports() -> Graph {
    let mut files = Vec::new();
    sources(&src().join("sim"), &src(), &mut files);
    let mut graph = Graph::new();
    for file in &files {
        let parts: Vec<String> = file
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let (module, prefixes): (String, &[&str]) = match parts.as_slice() {
            [_, root] if root == "mod.rs" => continue,
            [_, name] => (
                name.trim_end_matches(".rs").to_string(),
                &["super::", "crate::sim::"],
            ),
            [_, folder, ..] => (folder.clone(), &["super::super::", "crate::sim::"]),
            _ => unreachable!(),
        };
        let text = std::fs::read_to_string(src().join(file)).unwrap();
        let uses = graph.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            for prefix in prefixes {
                for (at, _) in code.match_indices(prefix) {
                    // `super::super::x` also contains `super::x`: read a
                    // prefix only where a longer one does not start.
                    if *prefix == "super::" && code[..at].ends_with("super::") {
                        continue;
                    }
                    let name: String = code[at + prefix.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != module && name != "super" {
                        uses.insert(name);
                    }
                }
            }
        }
    }
    graph
}

type Graph = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// The first cycle a depth-first search of `graph` finds, as the modules
/// on it (the first repeated at the end).
fn first_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_string());
            return Some(cycle);
        }
        if !done.insert(module.to_string()) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cores_modules_import_each_other_without_cycles() {
    let graph = core_imports();
    assert!(graph.len() > 15, "{graph:?}");
    let cycle = first_cycle(&graph);
    assert!(cycle.is_none(), "an import cycle in src/sim/: {cycle:?}");
    // The shared words sit at the bottom, the catalogue just above them.
    assert_eq!(graph["vocabulary"], Default::default());
    assert_eq!(
        graph["variants"],
        std::collections::BTreeSet::from(["vocabulary".to_string()])
    );
}

/// The files of `src/sim/engine/`, sorted.
fn engine_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(src().join("sim/engine"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_engines_parts_own_their_state() {
    // A part is a file of `src/sim/engine/` that keeps its own state and
    // imports nothing of the simulation but its sibling parts. The
    // simulation orchestrates them: `mod.rs`, and `running.rs`, the
    // simulation's own code kept apart for length.
    const ORCHESTRATING: [&str; 2] = ["mod.rs", "running.rs"];
    let engine = src().join("sim/engine");
    let parts = engine_files();
    let modules: Vec<&str> = parts.iter().map(|p| p.trim_end_matches(".rs")).collect();
    let mut found = Vec::new();
    for part in parts
        .iter()
        .filter(|p| !ORCHESTRATING.contains(&p.as_str()))
    {
        let text = std::fs::read_to_string(engine.join(part)).unwrap();
        // A unit test module's `super` is the part itself.
        let code_before_tests = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in code_before_tests.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if code.contains("impl Simulation") || code.contains("super::{") {
                found.push(format!("{part}:{}: {}", number + 1, code.trim()));
            }
            for (at, _) in code.match_indices("super::") {
                let name: String = code[at + "super::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !modules.contains(&name.as_str()) && name != "super" {
                    found.push(format!("{part}:{}: {}", number + 1, code.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "engine parts reaching into the simulation: {found:#?}"
    );
    assert!(parts.len() >= 10, "{parts:?}");
}

/// The engine's files and which of them each one's code uses: a part's
/// `super::part`, `super::item` of the simulation (`mod`), and in `mod.rs`
/// each `part::` path. (A unit test module's `super` is its own file.)
fn engine_imports() -> Graph {
    let engine = src().join("sim/engine");
    let files = engine_files();
    let modules: Vec<String> = files
        .iter()
        .map(|f| f.trim_end_matches(".rs").to_string())
        .collect();
    let mut graph = Graph::new();
    for (file, module) in files.iter().zip(&modules) {
        let text = std::fs::read_to_string(engine.join(file)).unwrap();
        let code_before_tests = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut uses = std::collections::BTreeSet::new();
        for line in code_before_tests.lines() {
            let code = line.split("//").next().unwrap_or_default();
            if module == "mod" {
                for part in &modules {
                    let path = format!("{part}::");
                    let starts_a_path = code.match_indices(&path).any(|(at, _)| {
                        !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                    });
                    if part != "mod" && starts_a_path {
                        uses.insert(part.clone());
                    }
                }
                continue;
            }
            for (at, _) in code.match_indices("super::") {
                let name: String = code[at + "super::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name == "super" {
                    continue;
                }
                if modules.contains(&name) {
                    uses.insert(name);
                } else {
                    uses.insert("mod".to_string());
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

#[test]
fn the_engines_files_import_each_other_without_cycles() {
    let graph = engine_imports();
    assert!(graph.len() >= 12, "{graph:?}");
    let cycle = first_cycle(&graph);
    assert!(
        cycle.is_none(),
        "an import cycle in src/sim/engine/: {cycle:?}"
    );
    // The simulation uses its parts; `running.rs` is the simulation's own
    // code, which nothing imports.
    assert!(graph["mod"].contains("bus") && graph["mod"].contains("queue"));
    assert!(graph.values().all(|uses| !uses.contains("running")));
}
