//! The actors: scripted requests, generated requests and background jobs
//! (flusher, refresher, consumer, relay), each running its strategy code as
//! a coroutine; how they start, go from one operation to the next, finish,
//! and stop when their app instance crashes.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::ops::{Index, IndexMut};
use std::rc::Rc;

use super::faults::app_resumes_at;
use super::queue::{Event, EventQueue};
use super::{Actor, Simulation, strategy};
use crate::sim::coroutine::{Coroutine, FramePool, Input, Resume, SharedCoroutine};
use crate::sim::ops::{KeyId, Op, Reply, Resource, Stamp, Value, Versioned, WriteId};
use crate::sim::scenario::{Millis, RequestOp, RequestSpec, Strategy};
use crate::sim::strategy::Served;

/// Who an actor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// Scripted request `0` (its index in the scenario's `requests`).
    Request(usize),
    /// The write-behind flusher (one job per dirty period).
    Flusher,
    /// A background refresher (XFetch, stale-while-revalidate).
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
    fn place(&mut self, run: ActorRun) -> usize {
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
    fn free(&mut self, slot: usize) {
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

impl Simulation {
    /// Starts a request whose client sends it at `at`: its first operation
    /// is issued then.
    pub(super) fn start_request(&mut self, request: usize, at: Millis) {
        let spec = &self.scenario.requests[request];
        let run = &mut self.actors[request];
        let key = run.key;
        run.started_ms = Some(at);
        let value = || Value::from(spec.value.as_deref().unwrap_or_default());
        let write = WriteId(request as u32);
        let strategy = self.scenario.strategy;
        let coroutine = request_code(&mut self.frames, strategy, spec.op, write, key, value);
        let mut coroutine = self.for_this_run(coroutine);
        // A paused instance takes the request up when the pause ends.
        let app = self.actors[request]
            .app
            .expect("a request runs on an instance");
        let begin = app_resumes_at(&self.scenario.faults, app, at);
        let first = coroutine.resume(Input {
            reply: None,
            now: begin,
        });
        self.actors[request].coroutine = Some(SharedCoroutine::new(coroutine));
        self.advance(request, first, begin);
    }

    /// `coroutine`, keeping its history only if the run may be cloned.
    fn for_this_run(&self, coroutine: Coroutine<Served>) -> Coroutine<Served> {
        if self.replayable {
            coroutine
        } else {
            coroutine.without_history()
        }
    }

    /// Starts a background job running `coroutine`, whose first operation
    /// is issued now.
    pub(super) fn spawn(&mut self, kind: ActorKind, key: KeyId, coroutine: Coroutine<Served>) {
        let run = ActorRun::new(kind, None, key, None);
        self.start_actor(run, coroutine, self.now);
    }

    /// Places `run` in a free slot (or a new one) and starts `coroutine`
    /// there, issuing its first operation at `now` (the present, or a later
    /// delivery instant in scheduled mode).
    ///
    /// Invariant the explorer relies on: a background job's behaviour is a
    /// function of its kind, key, inputs and pending operation (whatever
    /// else its code captures shows in its first pending operation).
    pub(super) fn start_actor(
        &mut self,
        mut run: ActorRun,
        coroutine: Coroutine<Served>,
        now: Millis,
    ) {
        let mut coroutine = self.for_this_run(coroutine);
        run.started_ms = run.started_ms.or(Some(now));
        let now = run
            .app
            .map_or(now, |app| app_resumes_at(&self.scenario.faults, app, now));
        let first = coroutine.resume(Input { reply: None, now });
        run.coroutine = Some(SharedCoroutine::new(coroutine));
        let actor = self.actors.place(run);
        self.advance(actor, first, now);
    }

    /// Issues the request's next operation at `issued_ms` (after any sleep
    /// it asks for), and records its answer to the client once given.
    pub(super) fn advance(
        &mut self,
        actor: usize,
        mut resume: Resume<Served>,
        mut issued_ms: Millis,
    ) {
        loop {
            let run = &mut self.actors[actor];
            let coroutine = run
                .coroutine
                .as_mut()
                .expect("advancing a running request")
                .get_mut();
            if let Some(served) = coroutine.take_response()
                && run.finished.is_none()
            {
                run.finished = Some((issued_ms, served));
            }
            if let Some(key) = coroutine.take_refresh()
                && !self.jobs.refreshing[key.0 as usize]
            {
                self.jobs.refreshing[key.0 as usize] = true;
                let job =
                    Coroutine::new_in(&mut self.frames, move |io| strategy::recompute(io, key));
                self.spawn(ActorKind::Refresher, key, job);
                continue;
            }
            match resume {
                Resume::SharedRead(key) => {
                    if !self.flights.join_or_lead(flight_app(run), key, actor) {
                        // Someone on this instance is reading it: wait for
                        // their row; nothing is issued.
                        return;
                    }
                    resume = Resume::Perform(Op::DbRead { key });
                }
                // In line behind the holder (the `TierLock` operation put
                // it there): nothing is issued until the holder lets go.
                Resume::TierLock(_) => return,
                Resume::TierUnlock(key) => {
                    run.server_side = false;
                    resume = coroutine.resume(Input {
                        reply: None,
                        now: issued_ms,
                    });
                    if let Some(next) = self.tier.release(key) {
                        // The next in line has the lock now.
                        self.answer_at(next, None, issued_ms);
                    }
                }
                Resume::Draw => {
                    // The app's own randomness: drawn now, not an operation
                    // that takes effect later.
                    let draw = self.random.early_recompute.unit_draw();
                    resume = coroutine.resume(Input {
                        reply: Some(Reply::Drawn(draw)),
                        now: issued_ms,
                    });
                }
                Resume::SleepUntil(instant) => {
                    // Nothing takes effect while sleeping: the next operation
                    // is simply issued later (after a pause of its instance).
                    issued_ms = issued_ms.max(instant);
                    if let Some(app) = run.app {
                        issued_ms = app_resumes_at(&self.scenario.faults, app, issued_ms);
                    }
                    resume = coroutine.resume(Input {
                        reply: None,
                        now: issued_ms,
                    });
                }
                Resume::Perform(op) => {
                    if op.resource() == Resource::DbRead {
                        self.counters.read_issued(&mut self.series, self.now);
                    }
                    if let Op::DbRead { key } = op
                        && self.scenario.schedule.is_none()
                    {
                        // Every strategy issues a DB read right after an
                        // effect (none sleeps into one), so the database as
                        // it is now is the database at the read's issue.
                        debug_assert_eq!(issued_ms, self.now, "a DB read is issued now");
                        let row = self.world.db.read_row(key).clone();
                        let row = self.mirror.snapshot(self.actor(actor), key, self.now, row);
                        self.actors[actor].snapshot = Some(row);
                    }
                    let at = issued_ms + self.latency(op.resource(), issued_ms);
                    self.actors[actor].pending = Some((op, issued_ms));
                    self.queue.push(at, Event::Effect { actor });
                    return;
                }
                Resume::Done(_) if run.aborting => {
                    // Finished inside the cache tier after its app crashed:
                    // the reply has nobody to go to.
                    self.abort(actor);
                    return;
                }
                Resume::Done(served) => {
                    if let Some(finished) = run.coroutine.take() {
                        self.frames.recycle(finished);
                    }
                    if run.finished.is_none() {
                        run.finished = Some((issued_ms, served));
                    }
                    self.retire(actor);
                    return;
                }
            }
        }
    }

    /// Hands a waiting actor the reply to its operation, now, and lets it
    /// go on to its next one.
    pub(super) fn answer(&mut self, actor: usize, reply: Reply) {
        // The cache tier's work for a request goes on through a pause of
        // its instance.
        if let Some(app) = self.actors[actor].app
            && !self.actors[actor].server_side
        {
            let resumes = app_resumes_at(&self.scenario.faults, app, self.now);
            if resumes > self.now {
                // Its instance is paused: the reply waits for the pause
                // (and a write is not acknowledged until it is over).
                if let Some(write) = self.write_of(actor) {
                    self.write_behind.awaiting_ack(write);
                }
                self.actors[actor].held_reply = Some(reply);
                self.queue.push(resumes, Event::Wake { actor });
                return;
            }
        }
        self.answer_at(actor, Some(reply), self.now);
    }

    /// A paused instance resumes: `actor`'s held reply reaches its code.
    pub(super) fn wake(&mut self, actor: usize) {
        if let Some(reply) = self.actors[actor].held_reply.take() {
            if let Some(write) = self.write_of(actor)
                && self.write_behind.acknowledged(write)
            {
                self.series.at(self.now).lost_writes += 1;
            }
            self.answer_at(actor, Some(reply), self.now);
        }
    }

    /// The write a request actor serves, if it serves one.
    fn write_of(&self, actor: usize) -> Option<WriteId> {
        match self.actors[actor].kind {
            ActorKind::Request(index) if self.scenario.requests[index].op == RequestOp::Write => {
                Some(WriteId(index as u32))
            }
            ActorKind::Generated {
                op: RequestOp::Write,
                n,
            } => Some(WriteId(n as u32)),
            _ => None,
        }
    }

    /// Resumes a waiting actor at `now` with `reply` (`None`: what it
    /// waited for, a tier lock, has come) and lets it go on.
    fn answer_at(&mut self, actor: usize, reply: Option<Reply>, now: Millis) {
        let coroutine = self.actors[actor]
            .coroutine
            .as_mut()
            .expect("only a running actor waits for a reply")
            .get_mut();
        let next = coroutine.resume(Input { reply, now });
        self.advance(actor, next, now);
    }

    /// A background or generated actor has finished: keep its statistics
    /// and free its slot.
    pub(super) fn retire(&mut self, actor: usize) {
        let run = &self.actors[actor];
        // An answered request counts in its bucket of time; a generated one
        // also in the run's totals (a scripted one is reported one by one).
        if let (
            ActorKind::Generated { .. } | ActorKind::Request(_),
            Some(start),
            Some((end, served)),
        ) = (run.kind, run.started_ms, &run.finished)
        {
            let latency = end - start;
            let generated = matches!(run.kind, ActorKind::Generated { .. });
            let bucket = self.series.at(*end);
            bucket.answered += 1;
            match served {
                Served::Read {
                    value, fallback, ..
                } => {
                    self.counters.fallback_reads += u64::from(*fallback);
                    let stale = self.world.db.is_stale(run.key, start, value);
                    bucket.read_latency.record(latency);
                    bucket.stale_reads += u64::from(stale);
                    if generated {
                        let totals = &mut self.generator.stats;
                        totals.read_latency.record(latency);
                        totals.stale_reads += u64::from(stale);
                        if let Stamp::Uncommitted(write) = value.stamp {
                            *totals.uncommitted_reads.entry(write).or_default() += 1;
                        }
                    }
                }
                Served::Write { .. } => {
                    bucket.write_latency.record(latency);
                    if generated {
                        self.generator.stats.write_latency.record(latency);
                    }
                }
            }
        }
        match run.kind {
            ActorKind::Refresher => self.jobs.refreshing[run.key.0 as usize] = false,
            ActorKind::Relay => self.jobs.relay_running = false,
            ActorKind::Consumer(partition) => {
                let interval = self.scenario.bus.commit_interval_ms;
                self.bus.release(partition, self.now, interval);
                self.actors.free(actor);
                self.consume_next(partition);
                return;
            }
            _ => {}
        }
        if !matches!(run.kind, ActorKind::Request(_)) {
            self.actors.free(actor);
        }
    }

    /// Stops an actor whose app instance crashed: nothing it has pending
    /// takes effect, and a request that had not answered is `aborted`.
    pub(super) fn abort(&mut self, actor: usize) {
        self.queue.remove_effects_of(actor);
        self.actors[actor].snapshot = None;
        self.actors[actor].held_reply = None;
        if let Some((op, _)) = self.actors[actor].pending.take()
            && op.resource() == Resource::DbRead
        {
            // A dropped read is no longer in flight.
            self.counters.read_landed(&mut self.series, self.now);
        }
        self.flights.forget(actor);
        let write = self.write_of(actor);
        let run = &mut self.actors[actor];
        run.coroutine = None;
        run.aborting = false;
        if run.finished.is_none() {
            run.aborted = true;
            if matches!(run.kind, ActorKind::Generated { .. }) {
                self.generator.stats.aborted += 1;
            }
            if let Some(write) = write {
                self.write_behind.unacknowledged(write);
            }
        }
        self.retire(actor);
    }
}

/// Singleflight groups misses by app instance and key (background jobs,
/// which have no instance, share a group of their own).
pub(super) fn flight_app(run: &ActorRun) -> u32 {
    run.app.unwrap_or(u32::MAX)
}
