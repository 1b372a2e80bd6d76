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

/// `explore` prints its counts; each example, pasted into the
/// scenario as its `schedule` (with its timed faults removed: the example
/// carries them as schedule entries), runs to that anomaly.
#[test]
fn explore_counts_schedules_and_each_example_replays_with_run() {
    for lesson in ["update-on-write-race", "write-behind-crash"] {
        let (_, scenario, _) = cachescope(&["preset", lesson]);
        let path = scenario_file(&format!("{lesson}.json"), &scenario);
        let (code, stdout, stderr) = cachescope(&["explore", &path]);
        assert_eq!(code, 0, "{stderr}");
        let out: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        for field in ["schedules", "stale", "divergent_at_end", "lost_writes"] {
            assert!(out[field].is_u64(), "{lesson}: {field} in {stdout}");
        }
        let examples = out["examples"].as_object().unwrap();
        assert!(!examples.is_empty(), "{lesson}");
        for (anomaly, example) in examples {
            let mut replay: serde_json::Value = serde_json::from_str(&scenario).unwrap();
            replay["schedule"] = example["schedule"].clone();
            replay.as_object_mut().unwrap().remove("faults");
            let path = scenario_file(&format!("{lesson}-{anomaly}.json"), &replay.to_string());
            let (code, report, stderr) = cachescope(&["run", &path]);
            assert_eq!(code, 0, "{stderr}");
            let report: serde_json::Value = serde_json::from_str(&report).unwrap();
            let shows = match anomaly.as_str() {
                "stale" => report["stale_reads"].as_u64() > Some(0),
                "lost_writes" => report["lost_writes"].as_u64() > Some(0),
                "divergent_at_end" => report["divergence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|w| w["to_ms"].is_null()),
                other => panic!("unknown anomaly {other}"),
            };
            assert!(shows, "{lesson}: the {anomaly} example does not reproduce");
        }
    }
    let (_, stdout, _) = cachescope(&[
        "explore",
        &scenario_file(
            "uow.json",
            &cachescope(&["preset", "update-on-write-race"]).1,
        ),
    ]);
    let out: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (out["schedules"].as_u64(), out["divergent_at_end"].as_u64()),
        (Some(188), Some(64))
    );
}

#[test]
fn explore_refuses_what_it_cannot_explore_with_exit_2() {
    let (_, scenario, _) = cachescope(&["preset", "leases"]);
    let path = scenario_file("leases.json", &scenario);
    let (code, stdout, stderr) = cachescope(&["explore", &path, "--max-states", "1000"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.contains("explore: more than 1000 distinct states"),
        "{stderr}"
    );
    let workload =
        r#"{"name":"w","keys":{"k":"v"},"workload":{"duration_ms":10,"reads_per_s":100}}"#;
    let path = scenario_file("workload.json", workload);
    let (code, _, stderr) = cachescope(&["explore", &path]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("workload: explore follows scripted requests"),
        "{stderr}"
    );
}

/// `explore --sample N` answers where counting cannot: the stampede's
/// shares with 95% intervals, its size in DB reads, the method stated;
/// with `--example`, a sampled order `run` reproduces.
#[test]
fn explore_samples_what_it_cannot_count() {
    let (_, scenario, _) = cachescope(&["preset", "stampede"]);
    let path = scenario_file("stampede-sample.json", &scenario);
    let (code, _, stderr) = cachescope(&["explore", &path]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("sample them instead: `explore --sample N`"),
        "{stderr}"
    );
    let (code, stdout, stderr) = cachescope(&["explore", &path, "--sample", "300", "--seed", "5"]);
    assert_eq!(code, 0, "{stderr}");
    let out: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(out["samples"], 300);
    assert_eq!(out["seed"], 5);
    assert!(
        out["method"]
            .as_str()
            .unwrap()
            .starts_with("random scheduler")
    );
    assert_eq!(out["stale"]["count"], 0);
    assert_eq!(out["stale"]["low"], 0.0);
    assert!(out["stale"]["high"].as_f64().unwrap() > 0.0);
    let most = out["db_reads"]["max"].as_u64().unwrap();
    assert!(
        (10..=16).contains(&most),
        "16 readers: up to 16 DB reads, got {most}"
    );
    assert!(out["orders_estimate"].as_f64().unwrap() > 1e12);
    let (_, again, _) = cachescope(&["explore", &path, "--sample", "300", "--seed", "5"]);
    assert_eq!(again, stdout, "a seed decides the orders");

    let (_, race, _) = cachescope(&["preset", "update-on-write-race"]);
    let path = scenario_file("race-sample.json", &race);
    let args = ["explore", &path, "--sample", "200", "--example", "stale"];
    let (code, replay, stderr) = cachescope(&args);
    assert_eq!(code, 0, "{stderr}");
    let path = scenario_file("race-sample-replay.json", &replay);
    let (code, report, stderr) = cachescope(&["run", &path]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(report["stale_reads"].as_u64().unwrap() > 0);

    // A generated workload: runs on seeds, the example a seed that `run`
    // reproduces.
    let (_, workload, _) = cachescope(&["preset", "lease-hot-key"]);
    let workload = scenario_file("lease-hot-key-sample.json", &workload);
    let (code, seeds, stderr) = cachescope(&["explore", &workload, "--sample", "30"]);
    assert_eq!(code, 0, "{stderr}");
    let seeds: serde_json::Value = serde_json::from_str(&seeds).unwrap();
    assert!(seeds["method"].as_str().unwrap().starts_with("seeds"));
    assert_eq!(seeds["identical_runs"], false);
    assert!(seeds.get("orders_estimate").is_none());
    let args = ["explore", &workload, "--sample", "30", "--example", "stale"];
    let (code, replay, stderr) = cachescope(&args);
    assert_eq!(code, 0, "{stderr}");
    let replay_file = scenario_file("lease-hot-key-replay.json", &replay);
    let (_, report, _) = cachescope(&["run", &replay_file, "--no-trace"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["seed"], seeds["example_seeds"]["stale"]);
    assert!(report["stale_reads"].as_u64().unwrap() > 0);

    let (code, _, stderr) = cachescope(&["explore", &path, "--sample", "0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--sample: at least one order"), "{stderr}");
    let (code, _, _) = cachescope(&["explore", &path, "--seed", "3"]);
    assert_eq!(code, 2, "--seed belongs to --sample");
}

#[test]
fn explore_example_prints_a_scenario_that_run_reproduces() {
    let (_, scenario, _) = cachescope(&["preset", "write-behind-crash"]);
    let path = scenario_file("wbc.json", &scenario);
    let (code, replay, stderr) = cachescope(&["explore", &path, "--example", "lost_writes"]);
    assert_eq!(code, 0, "{stderr}");
    let replay_path = scenario_file("wbc-lost.json", &replay);
    let (code, report, stderr) = cachescope(&["run", &replay_path]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(report["lost_writes"].as_u64() > Some(0), "{report}");
    let (code, _, stderr) = cachescope(&["explore", &path, "--example", "phantom"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--example: expected one of stale, divergent_at_end, lost_writes"),
        "{stderr}"
    );
    let (_, basics, _) = cachescope(&["preset", "cache-aside-basics"]);
    let path = scenario_file("basics.json", &basics);
    let (code, _, stderr) = cachescope(&["explore", &path, "--example", "stale"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no schedule shows stale (0 of 20)"),
        "{stderr}"
    );
}
