//! The page's worker (the `cachescope-worker` binary): explores the
//! scenarios the page sends ([`ToWorker`]) with the same code as the
//! page's own thread and the command line, and sends back how it is
//! getting on and the answer ([`FromWorker`]). It is never asked to stop:
//! the page ends it.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::model::playground::{Answer, FromWorker, ToWorker, answer_of};
use crate::sim::Scenario;

/// How often the worker says how it is getting on (the panel shows a new
/// figure at most a few times a second).
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Listens for jobs, and says it does.
pub fn serve() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        let ToWorker { job, scenario } = match serde_json::from_str(&text) {
            Ok(job) => job,
            Err(error) => {
                web_sys::console::error_1(
                    &format!("cachescope worker: a job it cannot read: {error}").into(),
                );
                return;
            }
        };
        let scenario = match Scenario::from_json(&scenario) {
            Ok(scenario) => scenario,
            Err(error) => {
                let answer = Answer::Refused(error.to_string());
                return post(&replies, &FromWorker::Answer { job, answer });
            }
        };
        let mut said_at = f64::NEG_INFINITY;
        let answer = answer_of(&scenario, &mut |working| {
            let now = js_sys::Date::now();
            if now - said_at >= PROGRESS_EVERY_MS {
                said_at = now;
                let working = working.clone();
                post(&replies, &FromWorker::Progress { job, working });
            }
        });
        post(&replies, &FromWorker::Answer { job, answer });
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The worker lives as long as the page keeps it.
    onmessage.forget();
    post(&scope, &FromWorker::Ready);
}

fn post(scope: &DedicatedWorkerGlobalScope, message: &FromWorker) {
    let text = serde_json::to_string(message).expect("the worker's messages serialise");
    let _ = scope.post_message(&text.into());
}
