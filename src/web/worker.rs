//! The page's worker (the `cachescope-worker` binary): does the jobs the
//! page sends ([`ToWorker`]) with the same code as the page's own thread
//! and the command line — exploring a scenario, or running scenarios too
//! large to record — and sends back how it is getting on and what it found
//! ([`FromWorker`]). It is never asked to stop: the page ends it.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::model::compare::{Batch, WarmUp};
use crate::model::playground::{Answer, FromWorker, Task, ToWorker, answer_of};
use crate::sim::Scenario;

/// How often the worker says how it is getting on (the page shows a new
/// figure at most a few times a second).
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Simulation steps between looks at the clock.
const STEPS_BETWEEN_LOOKS: usize = 4096;

/// Listens for jobs, and says it does.
pub fn serve() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        match serde_json::from_str(&text) {
            Ok(ToWorker { job, task }) => match task {
                Task::Explore(scenario) => explore(&replies, job, &scenario),
                Task::Simulate(scenarios) => simulate(&replies, job, &scenarios),
                Task::WarmUp(operations) => warm_up(&replies, operations),
            },
            Err(error) => post(
                &replies,
                &FromWorker::Failed(format!("a job it cannot read: {error}")),
            ),
        }
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The worker lives as long as the page keeps it.
    onmessage.forget();
    post(&scope, &FromWorker::Ready);
}

/// Explores `scenario` (JSON) as job `job`.
fn explore(replies: &DedicatedWorkerGlobalScope, job: u64, scenario: &str) {
    let scenario = match Scenario::from_json(scenario) {
        Ok(scenario) => scenario,
        Err(error) => {
            let answer = Box::new(Answer::Refused(error.to_string()));
            return post(replies, &FromWorker::Answer { job, answer });
        }
    };
    let mut said_at = f64::NEG_INFINITY;
    let answer = Box::new(answer_of(&scenario, &mut |working| {
        let now = js_sys::Date::now();
        if now - said_at >= PROGRESS_EVERY_MS {
            said_at = now;
            let working = working.clone();
            post(replies, &FromWorker::Progress { job, working });
        }
    }));
    post(replies, &FromWorker::Answer { job, answer });
}

/// Runs each of `scenarios` (JSON) to its end as job `job`, saying what
/// each produced as it finishes.
fn simulate(replies: &DedicatedWorkerGlobalScope, job: u64, scenarios: &[String]) {
    let mut said_at = f64::NEG_INFINITY;
    for (index, scenario) in scenarios.iter().enumerate() {
        let started = js_sys::Date::now();
        let batch = Scenario::from_json(scenario)
            .map_err(|error| error.to_string())
            .and_then(|scenario| Batch::new("", &scenario));
        let mut batch = match batch {
            Ok(batch) => batch,
            // The page made the batch from this scenario: only a worker
            // from another build of the page can refuse it.
            Err(error) => return post(replies, &FromWorker::Failed(error)),
        };
        while !batch.advance(STEPS_BETWEEN_LOOKS) {
            let now = js_sys::Date::now();
            if now - said_at >= PROGRESS_EVERY_MS {
                said_at = now;
                let progress = (index as f64 + batch.fraction()) / scenarios.len() as f64;
                post(replies, &FromWorker::Simulating { job, progress });
            }
        }
        let ran = Box::new(batch.ran());
        let busy_ms = js_sys::Date::now() - started;
        let left = scenarios.len() - index - 1;
        post(
            replies,
            &FromWorker::Ran {
                job,
                ran,
                busy_ms,
                left,
            },
        );
    }
}

/// Simulates about `operations` operations of the warm-up workload, then
/// says so.
fn warm_up(replies: &DedicatedWorkerGlobalScope, operations: u64) {
    let started = js_sys::Date::now();
    let mut warm_up = WarmUp::new(operations);
    while !warm_up.slice(STEPS_BETWEEN_LOOKS) {}
    let busy_ms = js_sys::Date::now() - started;
    post(replies, &FromWorker::WarmedUp { busy_ms });
}

fn post(scope: &DedicatedWorkerGlobalScope, message: &FromWorker) {
    let _ = scope.post_message(&message.to_json().into());
}
