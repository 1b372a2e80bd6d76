//! The page's side of its workers: the explorer and runs too large to
//! record (a large workload, a comparison's configurations) go to a second
//! WebAssembly module in a worker thread, so they never take a frame from
//! the page, and Cancel stops them at once (the worker is ended, not
//! asked).
//!
//! Two workers of the same module, one per kind of job ([`Slot`]), so
//! exploring and a comparison go on side by side and cancelling one
//! leaves the other. The module is fetched on first use: when a job is
//! first given, or, in a full page (never an embed), once the page has
//! been idle for a while; then the simulating worker warms up (a short
//! built-in workload, so that a person's first large run is not made of
//! code the browser has not yet optimised). A job is sent as
//! [`ToWorker`]; the worker answers with [`FromWorker`] messages, which
//! become actions. If a worker cannot load, the explorer's panel says
//! why, and runs go on in the page's thread (the page's own module has no
//! explorer: that keeps it out of the first load; it has the simulator,
//! which plays lessons).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, MessageEvent, Worker};
use yew::prelude::*;

use crate::model::playground::{Action, FromWorker, Playground, Task, ToWorker, WARM_UP_JOB, Work};
use crate::sim::Scenario;

/// The worker's script (static/worker_loader.js), which loads the worker's
/// glue and module from beside itself.
const WORKER_SCRIPT: &str = "./worker_loader.js";

/// How long a full page waits, after opening, before loading its
/// workers so that they are ready when first asked.
const PREFETCH_AFTER_MS: u32 = 3_000;

/// Operations the simulating worker's warm-up simulates: without it, a
/// first large run in a fresh worker goes at about half the speed of the
/// next (the page's bench prints both).
const WORKER_WARM_UP_OPERATIONS: u64 = 60_000;

/// Which worker a job goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// The explorer panel's counting or sampling.
    Explorer,
    /// Runs too large to record.
    Simulator,
}

impl Slot {
    fn index(self) -> usize {
        self as usize
    }

    /// The action saying that job `job` failed, and why (the explorer's
    /// panel shows it; runs go on in the page's thread).
    fn failure(self, job: u64, why: String) -> Action {
        match self {
            Slot::Explorer => Action::ExploreFailed(job, why),
            Slot::Simulator => Action::WorkFailed(job),
        }
    }
}

thread_local! {
    static CLIENT: RefCell<Client> = RefCell::new(Client::default());
}

#[derive(Default)]
struct Client {
    workers: [Option<Loaded>; 2],
    dispatcher: Option<UseReducerDispatcher<Playground>>,
}

impl Client {
    fn worker(&mut self, slot: Slot) -> &mut Option<Loaded> {
        &mut self.workers[slot.index()]
    }
}

/// A worker and what it is doing.
struct Loaded {
    worker: Worker,
    /// It has said it listens (a job posted before is lost).
    ready: bool,
    /// A warm-up to post once it listens, before any job.
    warm_up: Option<String>,
    /// The job given to it, as its message, until it is done.
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

/// Hands the job the explorer panel is away on, and the runs the work is
/// away on, to their workers, and ends a worker's work when the page
/// stops waiting for it (cancelled, or a new run). `prefetch`: load the
/// explorer's worker after a while even if not asked.
#[hook]
pub fn use_offload(
    exploring: Option<u64>,
    scenario: Rc<Scenario>,
    work: Option<Work>,
    dispatcher: UseReducerDispatcher<Playground>,
    prefetch: bool,
) {
    // The reducer's dispatcher is the same for the page's life: kept once.
    use_effect_with((), move |_| {
        CLIENT.with(|client| client.borrow_mut().dispatcher = Some(dispatcher));
    });
    use_effect_with(exploring, move |job| match job {
        Some(job) => give(Slot::Explorer, *job, || Task::Explore(scenario.to_json())),
        None => stop_work(Slot::Explorer),
    });
    let simulating = work.as_ref().and_then(Work::away_job);
    use_effect_with(simulating, move |job| match (job, work) {
        (Some(job), Some(work)) => give(Slot::Simulator, *job, || {
            Task::Simulate(work.scenarios_json())
        }),
        _ => stop_work(Slot::Simulator),
    });
    use_effect_with(prefetch, |&prefetch| {
        if prefetch {
            gloo_timers::callback::Timeout::new(PREFETCH_AFTER_MS, || {
                for slot in [Slot::Explorer, Slot::Simulator] {
                    if CLIENT.with(|client| client.borrow_mut().worker(slot).is_none()) {
                        after(slot, load(slot));
                        // (A simulating worker already loaded has run.)
                        if slot == Slot::Simulator {
                            warm_up(slot);
                        }
                    }
                }
            })
            .forget();
        }
    });
}

/// Gives job `job` (its `task`) to the `slot` worker (loading it, or
/// replacing one busy with another job).
fn give(slot: Slot, job: u64, task: impl FnOnce() -> Task) {
    let message = ToWorker { job, task: task() }.to_json();
    let busy_elsewhere = CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        let worker = client.worker(slot).as_ref();
        worker.is_some_and(|w| w.job.as_ref().is_some_and(|(j, _)| *j != job))
    });
    if busy_elsewhere {
        stop_work(slot);
    }
    let loaded = CLIENT.with(|client| client.borrow_mut().worker(slot).is_some());
    if !loaded {
        after(slot, load(slot));
    }
    let failed = CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        match client.worker(slot).as_mut() {
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
        let why = "the page's worker could not be started in this browser".to_string();
        dispatch(slot.failure(job, why));
    }
}

/// Has the `slot` worker, once it listens, warm up before any job.
fn warm_up(slot: Slot) {
    let task = Task::WarmUp(WORKER_WARM_UP_OPERATIONS);
    let message = ToWorker {
        job: WARM_UP_JOB,
        task,
    }
    .to_json();
    CLIENT.with(|client| {
        if let Some(worker) = client.borrow_mut().worker(slot).as_mut() {
            worker.warm_up = Some(message);
        }
    });
}

/// Ends the `slot` worker if it is working (what it does is no longer
/// wanted); the next job loads a new one.
fn stop_work(slot: Slot) {
    let ended = CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        let worker = client.worker(slot);
        let busy = worker.as_ref().is_some_and(|w| w.job.is_some());
        busy.then(|| worker.take())
    });
    // Dropped outside the borrow: it terminates the worker.
    drop(ended);
}

/// Starts loading the `slot` worker; on failure marks it as without one.
fn load(slot: Slot) -> Result<(), String> {
    let worker = Worker::new(WORKER_SCRIPT).map_err(|e| format!("{e:?}"))?;
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        match FromWorker::read(&text) {
            Ok(message) => heard(slot, message),
            // A worker file cached from another build of the page.
            Err(error) => failed(
                slot,
                &format!(
                    "the worker is from another version of the page ({error}); reload the page"
                ),
            ),
        }
    });
    // An error inside the worker is an ErrorEvent with a message; a
    // worker script that did not load, a plain Event.
    let onerror = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        let message = js_sys::Reflect::get(&event, &"message".into())
            .ok()
            .and_then(|m| m.as_string());
        failed(
            slot,
            &match message {
                Some(message) => format!("the worker stopped: {message}"),
                None => "the worker's script did not load".to_string(),
            },
        );
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    CLIENT.with(|client| {
        *client.borrow_mut().worker(slot) = Some(Loaded {
            worker,
            ready: false,
            warm_up: None,
            job: None,
            _onmessage: onmessage,
            _onerror: onerror,
        })
    });
    Ok(())
}

/// What follows an attempt to load.
fn after(slot: Slot, loaded: Result<(), String>) {
    if let Err(why) = loaded {
        failed(slot, &format!("the worker could not be created: {why}"));
    }
}

/// The `slot` worker failed: say so in the console, and to the job it had;
/// the next job tries a new worker.
fn failed(slot: Slot, why: &str) {
    web_sys::console::error_1(&format!("cachescope: {why}").into());
    let (job, worker) = CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        let mut worker = client.worker(slot).take();
        let job = worker
            .as_mut()
            .and_then(|w| w.job.take())
            .map(|(job, _)| job);
        (job, worker)
    });
    drop(worker);
    if let Some(job) = job {
        let why = format!(
            "{why} (serve every file of the built folder: heavy work runs in \
             cachescope-worker_bg.wasm beside the page)"
        );
        dispatch(slot.failure(job, why));
    }
}

/// A message from the `slot` worker.
fn heard(slot: Slot, message: FromWorker) {
    match message {
        FromWorker::Ready => CLIENT.with(|client| {
            let mut client = client.borrow_mut();
            if let Some(worker) = client.worker(slot).as_mut() {
                worker.ready = true;
                if let Some(message) = worker.warm_up.take() {
                    let _ = worker.worker.post_message(&message.as_str().into());
                }
                if let Some((_, message)) = &worker.job {
                    let _ = worker.worker.post_message(&message.as_str().into());
                }
            }
        }),
        FromWorker::WarmedUp { busy_ms } => {
            super::browser::note_on_page("data-worker-warmed-up", &format!("{busy_ms:.0}"));
        }
        FromWorker::Failed(why) => failed(slot, &why),
        FromWorker::Progress { job, working } => dispatch(Action::ExploreProgress(job, working)),
        FromWorker::Answer { job, answer } => {
            finished(slot, job);
            dispatch(Action::Explored(job, Rc::from(answer)));
        }
        FromWorker::Simulating { job, progress } => dispatch(Action::WorkProgress(job, progress)),
        FromWorker::Ran {
            job,
            ran,
            busy_ms,
            left,
        } => {
            if left == 0 {
                finished(slot, job);
            }
            // Reading a long run's result takes most of a frame: it is
            // drawn in the next.
            let ran = Rc::from(ran);
            super::browser::at_next_frame(move |_| dispatch(Action::WorkRan(job, ran, busy_ms)));
        }
    }
}

/// The `slot` worker is done with job `job`: it is idle (ending it would
/// not stop anything wanted).
fn finished(slot: Slot, job: u64) {
    CLIENT.with(|client| {
        let mut client = client.borrow_mut();
        if let Some(worker) = client.worker(slot).as_mut() {
            if worker.job.as_ref().is_some_and(|(j, _)| *j == job) {
                worker.job = None;
            }
        }
    });
}

/// Dispatches outside any borrow of the client (the reducer's effects may
/// call back into it).
fn dispatch(action: Action) {
    let dispatcher = CLIENT.with(|client| client.borrow().dispatcher.clone());
    if let Some(dispatcher) = dispatcher {
        dispatcher.dispatch(action);
    }
}
