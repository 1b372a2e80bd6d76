//! The page's side of its worker: the explorer runs there, in a second
//! WebAssembly module, so counting or sampling never takes a frame from
//! the page, and Cancel stops it at once (the worker is ended, not asked).
//!
//! The worker's module is fetched on first use: when the explorer is
//! first asked for, or, in a full page (never an embed), once the page has
//! been idle for a while. A job is the scenario as JSON
//! ([`ToWorker`]); the worker answers with progress and the answer
//! ([`FromWorker`]), which become actions. If the worker cannot load, the
//! panel says why (the page's own module has no explorer: that keeps it
//! out of the first load).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, MessageEvent, Worker};
use yew::prelude::*;

use crate::model::playground::{Action, FromWorker, Playground, ToWorker};
use crate::sim::Scenario;

/// The worker's script (static/worker_loader.js), which loads the worker's
/// glue and module from beside itself.
const WORKER_SCRIPT: &str = "./worker_loader.js";

/// How long a full page waits, after opening, before loading the worker
/// so that it is ready when first asked.
const PREFETCH_AFTER_MS: u32 = 3_000;

thread_local! {
    static CLIENT: RefCell<Client> = RefCell::new(Client::default());
}

#[derive(Default)]
struct Client {
    worker: Option<Loaded>,
    dispatcher: Option<UseReducerDispatcher<Playground>>,
}

/// A worker and what it is doing.
struct Loaded {
    worker: Worker,
    /// It has said it listens (a job posted before is lost).
    ready: bool,
    /// The job given to it, as its message, until it answers.
    job: Option<(u64, String)>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(Event)>,
}

impl Drop for Loaded {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// Hands the job the explorer panel is away on to the worker, and ends
/// the worker's work when the panel stops waiting for it (cancelled, or a
/// new run). `prefetch`: load the worker after a while even if not asked.
#[hook]
pub fn use_offload(
    job: Option<u64>,
    scenario: Rc<Scenario>,
    dispatcher: UseReducerDispatcher<Playground>,
    prefetch: bool,
) {
    // The reducer's dispatcher is the same for the page's life: kept once.
    use_effect_with((), move |_| {
        CLIENT.with(|client| client.borrow_mut().dispatcher = Some(dispatcher));
    });
    use_effect_with(job, move |job| {
        match job {
            Some(job) => give(*job, &scenario),
            None => stop_work(),
        };
    });
    use_effect_with(prefetch, |&prefetch| {
        if prefetch {
            gloo_timers::callback::Timeout::new(PREFETCH_AFTER_MS, || {
                if CLIENT.with(|client| client.borrow().worker.is_none()) {
                    after(load());
                }
            })
            .forget();
        }
    });
}

/// Gives job `job` to the worker (loading it, or replacing one busy with
/// another job).
fn give(job: u64, scenario: &Scenario) {
    let message = serde_json::to_string(&ToWorker {
        job,
        scenario: scenario.to_json(),
    })
    .expect("a job serialises");
    let busy_elsewhere = CLIENT.with(|client| {
        let client = client.borrow();
        let worker = client.worker.as_ref();
        worker.is_some_and(|w| w.job.as_ref().is_some_and(|(j, _)| *j != job))
    });
    if busy_elsewhere {
        stop_work();
    }
    let loaded = CLIENT.with(|client| client.borrow().worker.is_some());
    if !loaded {
        after(load());
    }
    let failed = CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        match client.worker.as_mut() {
            Some(worker) => {
                if worker.ready {
                    let _ = worker.worker.post_message(&message.as_str().into());
                }
                worker.job = Some((job, message));
                false
            }
            None => true,
        }
    });
    if failed {
        dispatch(Action::ExploreFailed(
            job,
            "the explorer's worker could not be started in this browser".to_string(),
        ));
    }
}

/// Ends the worker if it is working (the answer is no longer wanted); the
/// next job loads a new one.
fn stop_work() {
    let ended = CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        let busy = client.worker.as_ref().is_some_and(|w| w.job.is_some());
        busy.then(|| client.worker.take())
    });
    // Dropped outside the borrow: it terminates the worker.
    drop(ended);
}

/// Starts loading the worker; on failure marks the page as without one.
fn load() -> Result<(), String> {
    let worker = Worker::new(WORKER_SCRIPT).map_err(|e| format!("{e:?}"))?;
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        match serde_json::from_str::<FromWorker>(&text) {
            Ok(message) => heard(message),
            // A worker file cached from another build of the page.
            Err(error) => failed(&format!(
                "the worker is from another version of the page ({error}); reload the page"
            )),
        }
    });
    // An error inside the worker is an ErrorEvent with a message; a
    // worker script that did not load, a plain Event.
    let onerror = Closure::<dyn FnMut(Event)>::new(|event: Event| {
        let message = js_sys::Reflect::get(&event, &"message".into())
            .ok()
            .and_then(|m| m.as_string());
        failed(&match message {
            Some(message) => format!("the worker stopped: {message}"),
            None => "the worker's script did not load".to_string(),
        });
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    CLIENT.with(|client| {
        client.borrow_mut().worker = Some(Loaded {
            worker,
            ready: false,
            job: None,
            _onmessage: onmessage,
            _onerror: onerror,
        })
    });
    Ok(())
}

/// What follows an attempt to load.
fn after(loaded: Result<(), String>) {
    if let Err(why) = loaded {
        failed(&format!("the worker could not be created: {why}"));
    }
}

/// The worker failed: say so in the console and in the panel (for the job
/// it had); the next job tries a new worker.
fn failed(why: &str) {
    web_sys::console::error_1(&format!("cachescope: {why}").into());
    let (job, worker) = CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        let mut worker = client.worker.take();
        let job = worker
            .as_mut()
            .and_then(|w| w.job.take())
            .map(|(job, _)| job);
        (job, worker)
    });
    drop(worker);
    if let Some(job) = job {
        dispatch(Action::ExploreFailed(
            job,
            format!(
                "{why} (serve every file of the built folder: the explorer runs in \
                 cachescope-worker_bg.wasm beside the page)"
            ),
        ));
    }
}

/// A message from the worker.
fn heard(message: FromWorker) {
    match message {
        FromWorker::Ready => CLIENT.with(|client| {
            let mut client = client.borrow_mut();
            if let Some(worker) = client.worker.as_mut() {
                worker.ready = true;
                if let Some((_, message)) = &worker.job {
                    let _ = worker.worker.post_message(&message.as_str().into());
                }
            }
        }),
        FromWorker::Failed(why) => failed(&why),
        FromWorker::Progress { job, working } => dispatch(Action::ExploreProgress(job, working)),
        FromWorker::Answer { job, answer } => {
            CLIENT.with(|client| {
                let mut client = client.borrow_mut();
                if let Some(worker) = client.worker.as_mut() {
                    if worker.job.as_ref().is_some_and(|(j, _)| *j == job) {
                        worker.job = None;
                    }
                }
            });
            dispatch(Action::Explored(job, Rc::new(answer)));
        }
    }
}

/// Dispatches outside any borrow of the client (the reducer's effects may
/// call back into it).
fn dispatch(action: Action) {
    let dispatcher = CLIENT.with(|client| client.borrow().dispatcher.clone());
    if let Some(dispatcher) = dispatcher {
        dispatcher.dispatch(action);
    }
}
