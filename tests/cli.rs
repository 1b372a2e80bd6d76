//! The command line as a user runs it.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn cachescope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cachescope"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn version_prints_the_package_version() {
    let (code, stdout, _) = cachescope(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        format!("cachescope {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_explains_what_the_tool_is() {
    let (code, stdout, _) = cachescope(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Simulate caches drifting from their database"),
        "{stdout}"
    );
    assert!(stdout.contains("Usage: cachescope"), "{stdout}");
}

/// Writes `text` to a fresh file under the target directory and returns its path.
fn scenario_file(name: &str, text: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn presets_lists_every_lesson_and_each_preset_runs_as_printed() {
    let (code, stdout, _) = cachescope(&["presets"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = stdout.lines().collect();
    let expected: Vec<&str> = cachescope::lessons::LESSONS
        .iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, expected);
    for name in names {
        let (code, scenario, stderr) = cachescope(&["preset", name]);
        assert_eq!(code, 0, "{stderr}");
        let file = scenario_file(&format!("{name}.json"), &scenario);
        let (code, report, stderr) = cachescope(&["run", &file]);
        assert_eq!(code, 0, "{name}: {stderr}");
        let report: serde_json::Value = serde_json::from_str(&report).unwrap();
        assert!(
            report["trace"].as_array().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
    }
}

#[test]
fn run_prints_the_same_report_as_the_library() {
    let lesson = cachescope::lessons::lesson("read-write-race").unwrap();
    let file = scenario_file("rwr.json", lesson.scenario_json);
    let (code, stdout, _) = cachescope(&["run", &file]);
    assert_eq!(code, 0);
    let mut sim = cachescope::sim::Simulation::new(&lesson.scenario()).unwrap();
    sim.run();
    assert_eq!(
        stdout.trim_end(),
        cachescope::sim::Report::of(&sim, true).to_json()
    );
}

#[test]
fn no_trace_leaves_the_trace_out() {
    let lesson = cachescope::lessons::lesson("ttl-only").unwrap();
    let file = scenario_file("ttl.json", lesson.scenario_json);
    let (code, stdout, _) = cachescope(&["run", &file, "--no-trace"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(report.get("trace").is_none());
    assert_eq!(report["stale_ms"], 880);
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_file_and_json_path() {
    let cases = [
        (
            "syntax.json",
            "{not json",
            "$: not valid JSON (line 1, column 2)",
        ),
        (
            "enum.json",
            r#"{"keys":{"k":"v"},"requests":[{"id":"R","op":"read","key":"k"}],"strategy":{"write":"sideways"}}"#,
            "strategy.write: unknown variant `sideways`",
        ),
        (
            "negative.json",
            r#"{"keys":{"k":"v"},"requests":[{"id":"R","op":"read","key":"k"}],"latency_ms":{"cache":-1}}"#,
            "latency_ms.cache: invalid value: integer `-1`",
        ),
        (
            "schedule.json",
            r#"{"keys":{"k":"v"},"requests":[{"id":"R","op":"read","key":"k"}],"schedule":["R","R","R","R"]}"#,
            "schedule[3]: \"R\" has nothing pending",
        ),
    ];
    for (name, text, expected) in cases {
        let file = scenario_file(name, text);
        let (code, stdout, stderr) = cachescope(&["run", &file]);
        assert_eq!(code, 2, "{name}");
        assert!(stdout.is_empty(), "{name}: no partial report");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!("cachescope: {file}: {expected}")),
            "{name}: {stderr}"
        );
    }
    let (code, _, stderr) = cachescope(&["run", "/nonexistent/scenario.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("/nonexistent/scenario.json: cannot read"),
        "{stderr}"
    );
    let (code, _, stderr) = cachescope(&["preset", "no-such-lesson"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no preset named \"no-such-lesson\""),
        "{stderr}"
    );
}

#[test]
fn no_arguments_prints_help_and_exits_with_usage_error() {
    let (code, _, stderr) = cachescope(&[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("Usage: cachescope"), "{stderr}");
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    let (code, _, stderr) = cachescope(&["--frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--frobnicate"), "{stderr}");
}
