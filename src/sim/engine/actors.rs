//! The actors: scripted requests, generated requests and background jobs
//! (flusher, refresher, consumer, relay), each running its strategy code as
//! a coroutine, and the slots they run in. How they run is the
//! simulation's (`running.rs`).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::ops::{Index, IndexMut};
use std::rc::Rc;

use super::queue::{Event, EventQueue};
use crate::sim::coroutine::{Coroutine, FramePool, Input, SharedCoroutine};
use crate::sim::ops::{KeyId, Op, Reply, Value, Versioned, WriteId};
use crate::sim::scenario::{Millis, RequestOp, RequestSpec, Strategy};
use crate::sim::strategy::{self, Served};
use crate::sim::vocabulary::Actor;

/// Who an actor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// Scripted request `0` (its index in the scenario's `requests`).
    Request(usize),
    /// The write-behind flusher (one job per dirty period).
    Flusher,
    /// A background refresher (stale-while-revalidate).
    Refresher,
    /// The invalidation consumer of bus partition `0`, applying one event.
    Consumer(u32),
    /// The outbox relay.
    Relay,
    /// The `n`th request of a generated workload.
    Generated { op: RequestOp, n: u64 },
}

impl ActorKind {
    /// Who it is in the trace.
    pub fn actor(self, requests: &[RequestSpec]) -> Actor {
        match self {
            ActorKind::Request(index) => Actor::Request(requests[index].id.clone()),
            ActorKind::Flusher => Actor::Flusher,
            ActorKind::Refresher => Actor::Refresher,
            ActorKind::Consumer(_) => Actor::Consumer(None),
            ActorKind::Relay => Actor::Relay,
            ActorKind::Generated { op, n } => Actor::Generated { op, n },
        }
    }

    /// Whether a schedule naming `actor` names a background actor of this
    /// kind (`consumer` names every partition's consumer, `consumer:P`
    /// partition P's).
    pub fn answers_to(self, actor: &Actor) -> bool {
        match (actor, self) {
            (Actor::Flusher, ActorKind::Flusher)
            | (Actor::Refresher, ActorKind::Refresher)
            | (Actor::Relay, ActorKind::Relay)
            | (Actor::Consumer(None), ActorKind::Consumer(_)) => true,
            (Actor::Consumer(Some(wanted)), ActorKind::Consumer(p)) => *wanted == p,
            _ => false,
        }
    }
}

/// How an actor (a request, or a background job) is getting on. Cloning
/// shares its coroutine until one of the copies moves it on.
#[derive(Clone, Debug)]
pub struct ActorRun {
    /// Who it is.
    pub kind: ActorKind,
    /// The app instance serving it (requests only).
    pub app: Option<u32>,
    /// Its key.
    pub key: KeyId,
    /// When the client sent it, once it has been sent.
    pub started_ms: Option<Millis>,
    /// When it finished and what it returned.
    pub finished: Option<(Millis, Served)>,
    /// Its strategy code while it runs.
    pub(super) coroutine: Option<SharedCoroutine<Served>>,
    /// Its app instance crashed: it stops after its pending operation.
    pub(super) aborting: bool,
    /// The operation it waits on, and when it issued it.
    pub(super) pending: Option<(Op, Millis)>,
    /// It is inside the cache tier (between asking for a key's tier lock
    /// and letting go of it): the tier, not its app instance, performs
    /// these steps, so an app crash lets them finish and drops the reply.
    pub(super) server_side: bool,
    /// A reply that reached it while its app instance was paused, held
    /// until the pause ends.
    pub(super) held_reply: Option<Reply>,
    /// Timed mode: the row its pending DB read sees, as of the read's
    /// issue (a statement's snapshot under READ COMMITTED).
    pub(super) snapshot: Option<Versioned>,
    /// It was stopped by an app crash before it answered.
    pub aborted: bool,
}

impl ActorRun {
    /// Whether it has started and not answered, with no operation under
    /// way: sleeping before a retry (a lock or lease holder's wait), or
    /// holding a reply for a paused instance.
    pub fn is_waiting(&self) -> bool {
        self.started_ms.is_some()
            && self.finished.is_none()
            && !self.aborted
            && self.pending.is_none()
    }

    pub(super) fn new(
        kind: ActorKind,
        app: Option<u32>,
        key: KeyId,
        started_ms: Option<Millis>,
    ) -> Self {
        ActorRun {
            kind,
            app,
            key,
            started_ms,
            finished: None,
            coroutine: None,
            aborting: false,
            pending: None,
            server_side: false,
            held_reply: None,
            snapshot: None,
            aborted: false,
        }
    }

    /// Whether its strategy code is still running.
    pub(super) fn is_running(&self) -> bool {
        self.coroutine.is_some()
    }

    /// What decides how it goes on: its code's inputs so far, whether it is
    /// stopping and what it waits on.
    fn hash_progress<H: Hasher>(&self, state: &mut H) {
        match &self.coroutine {
            Some(coroutine) => Some(coroutine.get().inputs()).hash(state),
            None => None::<&[Input]>.hash(state),
        }
        self.aborting.hash(state);
        self.server_side.hash(state);
        self.held_reply.hash(state);
        self.pending.hash(state);
        self.snapshot.hash(state);
    }
}

/// The strategy code serving one client request (scripted or generated):
/// a read, or a write of `value` as write `write`, in a spare frame of
/// `frames` if there is one.
pub fn request_code(
    frames: &mut FramePool<Served>,
    strategy: Strategy,
    op: RequestOp,
    write: WriteId,
    key: KeyId,
    value: impl FnOnce() -> Value,
) -> Coroutine<Served> {
    match op {
        RequestOp::Read => {
            let plan = strategy::ReadPlan::of(&strategy);
            Coroutine::new_in(frames, move |io| strategy::read(io, plan, key))
        }
        RequestOp::Write => {
            let (plan, value) = (strategy::WritePlan::of(&strategy), value());
            Coroutine::new_in(frames, move |io| {
                strategy::write(io, plan, write, key, value.clone())
            })
        }
    }
}

/// Every actor: the scripted requests first (actor `i` is request `i`),
/// then background and generated actors, whose slots are reused once they
/// finish.
#[derive(Clone, Debug)]
pub(super) struct Actors {
    runs: Vec<ActorRun>,
    /// How many scripted requests there are.
    requests: usize,
    /// Finished background and generated actors' slots, for reuse.
    free_slots: Vec<usize>,
    /// Request index by id, for schedules.
    request_ids: Rc<BTreeMap<String, usize>>,
}

impl Index<usize> for Actors {
    type Output = ActorRun;
    fn index(&self, actor: usize) -> &ActorRun {
        &self.runs[actor]
    }
}

impl IndexMut<usize> for Actors {
    fn index_mut(&mut self, actor: usize) -> &mut ActorRun {
        &mut self.runs[actor]
    }
}

impl Actors {
    /// The scripted requests, named by their ids, before they start.
    pub(super) fn new(requests: Vec<ActorRun>, ids: impl Iterator<Item = String>) -> Self {
        Actors {
            requests: requests.len(),
            runs: requests,
            free_slots: Vec::new(),
            request_ids: Rc::new(ids.enumerate().map(|(i, id)| (id, i)).collect()),
        }
    }

    /// How many slots there are.
    pub(super) fn len(&self) -> usize {
        self.runs.len()
    }

    /// The scripted requests.
    pub(super) fn requests(&self) -> &[ActorRun] {
        &self.runs[..self.requests]
    }

    /// The slots after the scripted requests.
    pub(super) fn background(&self) -> std::ops::Range<usize> {
        self.requests..self.runs.len()
    }

    /// The scripted request with this id.
    pub(super) fn request_named(&self, id: &str) -> Option<usize> {
        self.request_ids.get(id).copied()
    }

    /// Puts `run` in a free slot (or a new one); returns the slot.
    pub(super) fn place(&mut self, run: ActorRun) -> usize {
        match self.free_slots.pop() {
            Some(slot) => {
                self.runs[slot] = run;
                slot
            }
            None => {
                self.runs.push(run);
                self.runs.len() - 1
            }
        }
    }

    /// Frees a finished background or generated actor's slot for reuse.
    pub(super) fn free(&mut self, slot: usize) {
        debug_assert!(slot >= self.requests, "a request keeps its slot");
        self.free_slots.push(slot);
    }

    /// What decides how the actors go on: each unfinished request's
    /// progress and when its pending operation takes effect, and each
    /// background job with work pending, in the order their effects would
    /// be chosen. Left out as history: which slots are free, and anything
    /// of a finished request but that it finished.
    pub(super) fn hash_state<H: Hasher>(&self, queue: &EventQueue, state: &mut H) {
        for run in self.requests() {
            if run.coroutine.is_none() && run.started_ms.is_some() {
                // Finished or aborted: its outcome is settled, its past does
                // not matter any more.
                0u8.hash(state);
                continue;
            }
            1u8.hash(state);
            run.started_ms.hash(state);
            run.finished.is_some().hash(state);
            run.hash_progress(state);
        }
        // When each pending operation takes effect (a request's is found by
        // its slot; ties between requests do not matter, as each is named
        // on its own), and background jobs in the order their effects would
        // be chosen.
        let mut request_effects = vec![None; self.requests];
        for scheduled in queue.sorted() {
            match scheduled.event {
                Event::Effect { actor } if actor < self.requests => {
                    request_effects[actor] = Some(scheduled.at);
                }
                Event::Effect { actor } => {
                    scheduled.at.hash(state);
                    let run = &self.runs[actor];
                    run.kind.hash(state);
                    run.key.hash(state);
                    run.hash_progress(state);
                }
                // Only effects are queued in scheduled mode; anything else
                // is fed in full rather than assumed away.
                ref other => (scheduled.at, other).hash(state),
            }
        }
        request_effects.hash(state);
    }
}

/// Which one-per-kind background jobs are running.
#[derive(Clone, Debug, Default)]
pub(super) struct Jobs {
    /// Per key: whether a background refresh is running.
    pub(super) refreshing: Vec<bool>,
    /// Whether the outbox relay is running.
    pub(super) relay_running: bool,
}

impl Jobs {
    pub(super) fn new(keys: usize) -> Self {
        Jobs {
            refreshing: vec![false; keys],
            relay_running: false,
        }
    }

    /// What decides how they go on: all of it.
    pub(super) fn hash_state<H: Hasher>(&self, state: &mut H) {
        self.refreshing.hash(state);
        self.relay_running.hash(state);
    }
}

/// Singleflight groups misses by app instance and key (background jobs,
/// which have no instance, share a group of their own).
pub(super) fn flight_app(run: &ActorRun) -> u32 {
    run.app.unwrap_or(u32::MAX)
}
