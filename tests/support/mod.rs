//! Helpers shared by the native integration tests: scenario in, report out.
#![allow(dead_code)] // each test file uses its own subset

use cachescope::lessons;
use cachescope::sim::{Report, Scenario, Simulation};
use serde_json::Value;

/// Every write strategy's name in scenario files.
pub const WRITE_STRATEGIES: [&str; 7] = cachescope::sim::scenario::WriteStrategy::NAMES;

/// Runs a scenario given as JSON to the end and returns its report as JSON.
pub fn run(scenario: &Value) -> Value {
    let scenario = Scenario::from_json(&scenario.to_string()).expect("valid scenario");
    let mut sim = Simulation::new(&scenario).expect("valid scenario");
    sim.run();
    serde_json::to_value(Report::of(&sim, true)).unwrap()
}

/// `scenario` run to its end at once without its trace: its report (what
/// a run in slices, or the page, is held to).
pub fn report_without_trace(scenario: &Scenario) -> Report {
    let mut sim = Simulation::new(scenario)
        .expect("valid scenario")
        .without_trace();
    sim.run();
    Report::of(&sim, false)
}

/// A built-in lesson run to its end: its report, with the trace.
pub fn lesson_report(name: &str) -> Report {
    let scenario = Scenario::from_json(&lesson(name).to_string()).expect("valid lesson");
    let mut sim = Simulation::new(&scenario).expect("valid lesson");
    sim.run();
    Report::of(&sim, true)
}

/// A built-in lesson's scenario as JSON.
pub fn lesson(name: &str) -> Value {
    let lesson = lessons::lesson(name).unwrap_or_else(|| panic!("no lesson {name}"));
    serde_json::from_str(lesson.scenario_json).unwrap()
}

/// The trace as compact lines `start-end actor op key result`, so a test
/// reads like the timeline it pins.
pub fn trace_lines(report: &Value) -> Vec<String> {
    report["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}-{} {} {} {} {}",
                e["start_ms"],
                e["end_ms"],
                e["actor"].as_str().unwrap(),
                e["op"].as_str().unwrap(),
                e["key"].as_str().unwrap_or("*"),
                e["result"].as_str().unwrap()
            )
        })
        .collect()
}

/// Whether any trace entry is a background refresher's.
pub fn ran_a_refresher(report: &Value) -> bool {
    report["trace"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "refresher")
}

/// The report's divergence windows as `kind from-to` (`to` is `open`).
pub fn windows(report: &Value) -> Vec<String> {
    report["divergence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let to = w["to_ms"]
                .as_u64()
                .map_or("open".to_string(), |t| t.to_string());
            format!(
                "{} {} {}-{}",
                w["key"].as_str().unwrap(),
                w["kind"].as_str().unwrap(),
                w["from_ms"],
                to
            )
        })
        .collect()
}

/// The rejection message of an invalid scenario.
pub fn rejection(scenario: &Value) -> String {
    let parsed = Scenario::from_json(&scenario.to_string());
    let result = parsed.and_then(|s| Simulation::new(&s).map(|_| ()));
    result.expect_err("scenario should be rejected").to_string()
}

/// A clock one millisecond later at every reading: the page's reducer,
/// driven natively, bounds its work per frame by it, so slices are
/// deterministic.
#[derive(Default)]
pub struct TestClock(std::cell::Cell<f64>);

impl cachescope::model::playground::Clock for TestClock {
    fn now_ms(&self) -> f64 {
        let now = self.0.get() + 1.0;
        self.0.set(now);
        now
    }
}

/// A test clock that hands heavy work to a worker, as the page's does
/// (the test plays the worker).
#[derive(Default)]
pub struct Offloading(pub TestClock);

impl cachescope::model::playground::Clock for Offloading {
    fn now_ms(&self) -> f64 {
        self.0.now_ms()
    }

    fn offloads(&self) -> bool {
        true
    }
}
