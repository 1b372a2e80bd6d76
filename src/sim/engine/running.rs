//! Running actors, the simulation's own code (split from `mod.rs` for
//! length; nothing imports from here): starting an actor, advancing its
//! coroutine to its next operation, answering it, and retiring or aborting
//! it.

use super::actors::{ActorKind, ActorRun, flight_app, request_code};
use super::faults::app_resumes_at;
use super::queue::Event;
use super::{Simulation, strategy};
use crate::sim::coroutine::{Coroutine, Input, Resume, SharedCoroutine};
use crate::sim::ops::{KeyId, Op, Reply, Resource, Stamp, Value, WriteId};
use crate::sim::scenario::{Millis, RequestOp};
use crate::sim::strategy::Served;

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
                        && self.snapshots_at_issue
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
