//! Strategy code as coroutines.
//!
//! A strategy is an ordinary `async fn` that awaits operations on an [`Io`]
//! handle (`io.cache_get(k).await`). Nothing here is asynchronous in the
//! runtime sense: awaiting an operation parks the coroutine and hands the
//! operation to the engine, which applies it at the instant the engine
//! chooses and then resumes the coroutine with the reply. So the strategy
//! reads like service code while the interleaving stays entirely in the
//! engine's hands.
//!
//! A coroutine's state is a pure function of the replies it has received, so
//! it is cloned by replaying those replies into a fresh instance. That is
//! what lets a whole simulation be cloned (checkpoints, forks, exploration).

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::ops::{
    Cached, ExpiringEntry, KeyId, LeaseGrant, LeaseToken, LockToken, Op, OutboxRow, Published,
    Reply, Served, SetOutcome, Unlocked, Value, Version, Versioned, WriteId,
};
use super::vocabulary::Millis;

/// What parked strategy code is waiting for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Wait {
    /// An operation to take effect.
    Op(Op),
    /// The clock to reach this instant (a delay, a retry).
    Until(Millis),
    /// A DB read shared with the other misses of the key on this app
    /// instance (singleflight).
    SharedRead(KeyId),
    /// The cache tier's per-key lock of this key (write-through and
    /// read-through), after a `TierLock` operation put the caller in line:
    /// granted when the holder lets go.
    TierLock(KeyId),
    /// Letting go of it.
    TierUnlock(KeyId),
    /// A random draw of the app's own (answered at once).
    Draw,
}

/// The one slot through which a parked coroutine and the engine talk. One
/// coroutine runs at a time on a thread (a resume never resumes another),
/// so the slot is the thread's: the handle strategy code holds is then
/// empty, and starting a coroutine allocates nothing but its future.
#[derive(Default)]
struct Mailbox {
    /// What the coroutine waits for.
    waiting: Option<Wait>,
    /// The engine's reply to the operation, until the coroutine picks it up.
    reply: Option<Reply>,
    /// The actor's current time: the instant its last operation took effect
    /// (or it woke up).
    now: Millis,
    /// An acknowledgement to the client sent before the code finished.
    response: Option<Served>,
    /// A background refresh of this key the code asked for.
    refresh: Option<KeyId>,
}

thread_local! {
    // Initialised as a constant: no lazy initialisation to check on each
    // of the several accesses a resume makes.
    static MAILBOX: RefCell<Mailbox> = const {
        RefCell::new(Mailbox {
            waiting: None,
            reply: None,
            now: 0,
            response: None,
            refresh: None,
        })
    };
}

/// Works on this thread's mailbox.
fn mailbox<R>(f: impl FnOnce(&mut Mailbox) -> R) -> R {
    MAILBOX.with_borrow_mut(f)
}

/// The handle strategy code performs its operations through. It carries
/// nothing: what it hands over goes through the running coroutine's
/// mailbox.
#[derive(Clone, Copy)]
pub struct Io {
    _only_from_a_coroutine: (),
}

impl Io {
    /// Hands over what the code waits for; the future completes with the
    /// engine's answer, read by `read`.
    fn ask<R>(&self, wait: Wait, read: fn(Option<Reply>) -> R) -> Ask<R> {
        Ask {
            park: Park { wait: Some(wait) },
            read,
        }
    }

    /// Performs `op` and waits for the engine's reply.
    pub fn perform(&self, op: Op) -> Ask<Reply> {
        self.ask(Wait::Op(op), |reply| {
            reply.expect("an operation is answered with a reply")
        })
    }

    /// The instant the actor's previous operation took effect.
    pub fn now(&self) -> Millis {
        mailbox(|m| m.now)
    }

    /// Waits until `instant` (at once if it has passed): the next operation
    /// is issued then.
    pub fn sleep_until(&self, instant: Millis) -> Ask<()> {
        self.ask(Wait::Until(instant), |_| ())
    }

    /// Waits `ms` milliseconds.
    pub fn sleep(&self, ms: Millis) -> Ask<()> {
        self.sleep_until(self.now() + ms)
    }

    /// Answers the client now, while the code goes on (e.g. a delayed
    /// second delete after the write was acknowledged).
    pub fn respond(&self, served: Served) {
        mailbox(|m| m.response = Some(served));
    }

    /// Asks for `key` to be refreshed in the background (at most one
    /// refresh of a key runs at a time).
    pub fn refresh_in_background(&self, key: KeyId) {
        mailbox(|m| m.refresh = Some(key));
    }

    /// A DB read of `key` shared with concurrent misses of it on this app
    /// instance. Returns the row and whether this caller led the read.
    pub fn db_read_shared(&self, key: KeyId) -> Ask<(Versioned, bool)> {
        self.ask(Wait::SharedRead(key), |reply| match reply {
            Some(Reply::SharedRead { row, leader }) => (row, leader),
            other => mismatched("a shared read", &other),
        })
    }

    /// Takes the cache tier's per-key lock of `key` (one cache operation),
    /// or waits in line until the holder lets go. Everything from here to [`Io::tier_unlock`] the
    /// cache tier performs for the caller, so an app crash does not stop it.
    pub async fn tier_lock(&self, key: KeyId) {
        let granted = self.ask(Wait::Op(Op::TierLock { key }), |reply| match reply {
            Some(Reply::TierLock { granted }) => granted,
            other => mismatched("cache.tier_lock", &other),
        });
        if !granted.await {
            self.ask(Wait::TierLock(key), |_| ()).await;
        }
    }

    /// Lets go of the cache tier's lock of `key`: the next waiter has it.
    pub fn tier_unlock(&self, key: KeyId) -> Ask<()> {
        self.ask(Wait::TierUnlock(key), |_| ())
    }
    /// Add-if-absent of `key`'s lock; the token of the lock this caller
    /// now holds, or `None` when another holds it.
    pub fn lock_add(&self, key: KeyId) -> Ask<Option<LockToken>> {
        self.ask(Wait::Op(Op::LockAdd { key }), |reply| match reply {
            Some(Reply::LockAdd { token }) => token,
            other => mismatched("cache.lock_add", &other),
        })
    }

    /// Releases `key`'s lock taken with `token`: compare-and-delete, or
    /// with `compare: false` a plain delete.
    pub fn unlock(&self, key: KeyId, token: LockToken, compare: bool) -> Ask<Unlocked> {
        let op = Op::Unlock {
            key,
            token,
            compare,
        };
        self.ask(Wait::Op(op), |reply| match reply {
            Some(Reply::Unlock(outcome)) => outcome,
            other => mismatched("cache.unlock", &other),
        })
    }

    /// Looks `key` up, and learns whether it is past its TTL (served in its
    /// stale-while-revalidate grace period, so due for a refresh).
    pub fn cache_get_refreshing(&self, key: KeyId) -> Ask<(Option<Cached>, bool)> {
        self.ask(
            Wait::Op(Op::CacheGetRefreshing { key }),
            |reply| match reply {
                Some(Reply::CacheGetRefreshing { value, refresh }) => (value, refresh),
                other => mismatched("cache.get", &other),
            },
        )
    }

    /// Looks `key` up with its expiry and how long computing it took.
    pub fn cache_get_expiry(&self, key: KeyId) -> Ask<Option<ExpiringEntry>> {
        self.ask(Wait::Op(Op::CacheGetExpiry { key }), |reply| match reply {
            Some(Reply::CacheGetExpiry(entry)) => entry,
            other => mismatched("cache.get", &other),
        })
    }

    /// A random number uniform in `(0, 1]`: the app's own randomness (the
    /// scenario's early-recompute stream), drawn at this instant.
    pub fn draw_unit(&self) -> Ask<f64> {
        self.ask(Wait::Draw, |reply| match reply {
            Some(Reply::Drawn(draw)) => draw.value(),
            other => mismatched("draw", &other),
        })
    }

    /// Stores a value computed in `cost_ms` (XFetch's delta).
    pub fn cache_set_computed(&self, key: KeyId, value: Versioned, cost_ms: Millis) -> Ask<()> {
        let op = Op::CacheSetComputed {
            key,
            value: value.into(),
            cost_ms,
        };
        self.ask(Wait::Op(op), |reply| match reply {
            Some(Reply::CacheSet(_)) => {}
            other => mismatched("cache.set", &other),
        })
    }

    /// Looks `key` up in the cache.
    pub fn cache_get(&self, key: KeyId) -> Ask<Option<Cached>> {
        self.ask(Wait::Op(Op::CacheGet { key }), |reply| match reply {
            Some(Reply::CacheGet(entry)) => entry,
            other => mismatched("cache.get", &other),
        })
    }

    /// Stores `value` in the cache (unless the cache refuses it).
    pub fn cache_set(&self, key: KeyId, value: impl Into<Cached>) -> Ask<SetOutcome> {
        self.store(key, value.into(), false)
    }

    /// Stores a write-behind value, dirty until the flusher writes it.
    pub fn cache_set_dirty(&self, key: KeyId, value: Cached) -> Ask<SetOutcome> {
        self.store(key, value, true)
    }

    fn store(&self, key: KeyId, value: Cached, dirty: bool) -> Ask<SetOutcome> {
        self.ask(
            Wait::Op(Op::CacheSet { key, value, dirty }),
            |reply| match reply {
                Some(Reply::CacheSet(outcome)) => outcome,
                other => mismatched("cache.set", &other),
            },
        )
    }

    /// Commits `write` together with its outbox row, in one transaction.
    pub fn db_write_with_outbox(
        &self,
        key: KeyId,
        value: Value,
        write: WriteId,
        update: bool,
    ) -> Ask<Version> {
        let op = Op::DbWriteOutbox {
            key,
            value,
            write,
            update,
        };
        self.ask(Wait::Op(op), |reply| match reply {
            Some(Reply::DbWrite { version }) => version,
            other => mismatched("db.write+outbox", &other),
        })
    }

    /// The outbox rows not yet marked sent.
    pub fn outbox_poll(&self) -> Ask<Vec<OutboxRow>> {
        self.ask(Wait::Op(Op::OutboxPoll), |reply| match reply {
            Some(Reply::OutboxRows(rows)) => rows,
            other => mismatched("outbox.poll", &other),
        })
    }

    /// Marks outbox rows sent.
    pub fn outbox_mark_sent(&self, ids: Vec<u64>) -> Ask<()> {
        self.ask(Wait::Op(Op::OutboxMarkSent { ids }), |reply| match reply {
            Some(Reply::MarkedSent) => {}
            other => mismatched("outbox.mark_sent", &other),
        })
    }

    /// Publishes an event about `key` (an update if it carries a payload).
    pub fn publish(&self, key: KeyId, payload: Option<Cached>) -> Ask<Published> {
        self.publish_op(key, payload, None)
    }

    /// The relay publishes outbox row `row`.
    pub fn publish_row(&self, row: &OutboxRow) -> Ask<Published> {
        self.publish_op(row.key, row.payload.clone(), Some(row.id))
    }

    fn publish_op(&self, key: KeyId, payload: Option<Cached>, row: Option<u64>) -> Ask<Published> {
        self.ask(
            Wait::Op(Op::Publish { key, payload, row }),
            |reply| match reply {
                Some(Reply::Publish(outcome)) => outcome,
                other => mismatched("bus.publish", &other),
            },
        )
    }

    /// Write-behind flush of `key`'s dirty period `period`.
    pub fn flush(&self, key: KeyId, period: u64) -> Ask<Option<Version>> {
        self.ask(Wait::Op(Op::Flush { key, period }), |reply| match reply {
            Some(Reply::Flush { version }) => version,
            other => mismatched("flush", &other),
        })
    }

    /// memcache lease get.
    pub fn lease_get(&self, key: KeyId) -> Ask<LeaseGrant> {
        self.ask(Wait::Op(Op::LeaseGet { key }), |reply| match reply {
            Some(Reply::LeaseGet(grant)) => grant,
            other => mismatched("cache.lease_get", &other),
        })
    }

    /// memcache lease set.
    pub fn lease_set(&self, key: KeyId, value: Versioned, token: LeaseToken) -> Ask<SetOutcome> {
        let op = Op::LeaseSet {
            key,
            value: value.into(),
            token,
        };
        self.ask(Wait::Op(op), |reply| match reply {
            Some(Reply::LeaseSet(outcome)) => outcome,
            other => mismatched("cache.lease_set", &other),
        })
    }

    /// Deletes `key` from the cache; returns whether a live entry was removed.
    pub fn cache_delete(&self, key: KeyId) -> Ask<bool> {
        self.ask(Wait::Op(Op::CacheDelete { key }), |reply| match reply {
            Some(Reply::CacheDelete { removed }) => removed,
            other => mismatched("cache.delete", &other),
        })
    }

    /// Reads `key`'s committed row from the database.
    pub fn db_read(&self, key: KeyId) -> Ask<Versioned> {
        self.ask(Wait::Op(Op::DbRead { key }), |reply| match reply {
            Some(Reply::DbRead(row)) => row,
            other => mismatched("db.read", &other),
        })
    }

    /// Commits `write`'s `value` to the database; returns the committed
    /// version.
    pub fn db_write(&self, key: KeyId, value: Value, write: WriteId) -> Ask<Version> {
        self.ask(
            Wait::Op(Op::DbWrite { key, value, write }),
            |reply| match reply {
                Some(Reply::DbWrite { version }) => version,
                other => mismatched("db.write", &other),
            },
        )
    }
}

/// The engine answered an operation with the reply of another: an engine bug.
fn mismatched(op: &str, reply: &Option<Reply>) -> ! {
    panic!("engine bug: {op} answered with {reply:?}")
}

/// What awaiting an operation (or a wait) is: it parks the coroutine once
/// to hand over what it waits for, and completes on the next resume with
/// the engine's answer, read into what the caller wants. A plain struct
/// rather than an `async fn`, so a pending operation in strategy code's
/// state is only this, and polling it is one call.
pub struct Ask<R> {
    park: Park,
    read: fn(Option<Reply>) -> R,
}

impl<R> Future for Ask<R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        match Pin::new(&mut this.park).poll(context) {
            Poll::Ready(reply) => Poll::Ready((this.read)(reply)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Parks once to hand over what the code waits for; completes on the next
/// resume (with the reply, for an operation).
struct Park {
    wait: Option<Wait>,
}

impl Future for Park {
    type Output = Option<Reply>;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Reply>> {
        if let Some(wait) = self.wait.take() {
            mailbox(|m| m.waiting = Some(wait));
            return Poll::Pending;
        }
        Poll::Ready(mailbox(|m| m.reply.take()))
    }
}

/// What a coroutine does when resumed.
#[derive(Debug, PartialEq, Eq)]
pub enum Resume<T> {
    /// It waits for this operation to take effect.
    Perform(Op),
    /// It waits until this instant.
    SleepUntil(Millis),
    /// It waits for a shared DB read of this key.
    SharedRead(KeyId),
    /// It waits for the cache tier's lock of this key.
    TierLock(KeyId),
    /// It lets go of the cache tier's lock of this key.
    TierUnlock(KeyId),
    /// It draws a random number (the engine answers at once, at the same
    /// instant, with [`Reply::Drawn`]).
    Draw,
    /// It has finished with this result.
    Done(T),
}

/// What the engine hands a coroutine when it resumes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Input {
    /// The reply to the operation it waited on (`None` after a sleep and on
    /// the first resume).
    pub reply: Option<Reply>,
    /// The actor's current time.
    pub now: Millis,
}

/// Strategy code and the run of it in progress, in one allocation: the
/// code (a closure over its arguments) is kept so that the run can be
/// started again from the beginning for a replay.
trait Frame<T> {
    /// Runs the code until it waits or finishes.
    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<T>;
    /// A fresh run of the same code, not started.
    fn restart(&self) -> BoxedFrame<T>;
    /// The kind of code it runs (its closure's type).
    fn kind(&self) -> TypeId;
    /// Runs `body` (an `Option` of a closure of this frame's kind, taken)
    /// from the start in this frame's place, dropping what the frame held.
    fn start_over(self: Pin<&mut Self>, body: &mut dyn Any);
}

/// A frame, whatever code it runs.
type BoxedFrame<T> = Pin<Box<dyn Frame<T>>>;

struct FrameOf<B, F> {
    body: B,
    /// Structurally pinned: never moved out of the frame, and the frame
    /// only ever lives pinned in its box.
    future: F,
}

impl<T, B, F> Frame<T> for FrameOf<B, F>
where
    B: Fn(Io) -> F + Clone + 'static,
    F: Future<Output = T> + 'static,
{
    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<T> {
        // SAFETY: `future` is pinned whenever the frame is (see the field),
        // and `body` is never reached through a pin.
        let future = unsafe { self.map_unchecked_mut(|frame| &mut frame.future) };
        future.poll(context)
    }

    fn restart(&self) -> BoxedFrame<T> {
        start(self.body.clone())
    }

    fn kind(&self) -> TypeId {
        TypeId::of::<B>()
    }

    fn start_over(mut self: Pin<&mut Self>, body: &mut dyn Any) {
        let body = body
            .downcast_mut::<Option<B>>()
            .and_then(Option::take)
            .expect("code of the frame's own kind");
        let future = body(Io {
            _only_from_a_coroutine: (),
        });
        // Replaces the whole frame in place: the pinned future is dropped
        // where it is, never moved.
        self.set(FrameOf { body, future });
    }
}

/// The most spare frames of one kind a pool keeps (the most coroutines of
/// one kind a large run has at once is about this: a herd of waiting
/// readers).
const MAX_SPARE_PER_KIND: usize = 1 << 16;

/// Frames of finished coroutines, kept to run new code of the same kind
/// in. A workload starts a coroutine for every request; starting it in a
/// spare frame saves an allocation and a free, and the frame is one the
/// processor's cache has just seen. Not cloned with what holds it (a clone
/// starts with none spare).
pub struct FramePool<T> {
    /// Spare frames by kind (there are only a few kinds: reads, writes).
    spare: Vec<(TypeId, Vec<BoxedFrame<T>>)>,
}

impl<T> Default for FramePool<T> {
    fn default() -> Self {
        FramePool { spare: Vec::new() }
    }
}

impl<T> Clone for FramePool<T> {
    fn clone(&self) -> Self {
        FramePool::default()
    }
}

impl<T> fmt::Debug for FramePool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spare: usize = self.spare.iter().map(|(_, frames)| frames.len()).sum();
        write!(f, "FramePool({spare} spare)")
    }
}

impl<T: 'static> FramePool<T> {
    /// Keeps the frame of a coroutine that has finished, unless a clone
    /// of it still runs.
    pub fn recycle(&mut self, coroutine: SharedCoroutine<T>) {
        let Some(coroutine) = coroutine.into_owned() else {
            return;
        };
        let kind = coroutine.frame.kind();
        match self.spare.iter_mut().find(|(k, _)| *k == kind) {
            // (A bound, should code of some kind be recycled but never
            // started with `new_in`: the pool must not grow with the run.)
            Some((_, frames)) if frames.len() >= MAX_SPARE_PER_KIND => {}
            Some((_, frames)) => frames.push(coroutine.frame),
            None => self.spare.push((kind, vec![coroutine.frame])),
        }
    }

    fn take(&mut self, kind: TypeId) -> Option<BoxedFrame<T>> {
        let (_, frames) = self.spare.iter_mut().find(|(k, _)| *k == kind)?;
        frames.pop()
    }
}

fn start<T, B, F>(body: B) -> BoxedFrame<T>
where
    B: Fn(Io) -> F + Clone + 'static,
    F: Future<Output = T> + 'static,
{
    let future = body(Io {
        _only_from_a_coroutine: (),
    });
    Box::pin(FrameOf { body, future })
}

/// One running piece of strategy code.
pub struct Coroutine<T> {
    frame: BoxedFrame<T>,
    /// Every input received so far (the coroutine's whole state, for
    /// cloning), unless it will never be cloned.
    inputs: Option<Vec<Input>>,
    /// What the last resume left besides its result.
    response: Option<Served>,
    refresh: Option<KeyId>,
}

impl<T: 'static> Coroutine<T> {
    /// Creates a coroutine that will run `body`. It does nothing until the
    /// first [`Coroutine::resume`].
    pub fn new<B, F>(body: B) -> Self
    where
        B: Fn(Io) -> F + Clone + 'static,
        F: Future<Output = T> + 'static,
    {
        Coroutine {
            frame: start(body),
            // (The first input reserves room for four: most strategy code
            // takes three or four steps.)
            inputs: Some(Vec::new()),
            response: None,
            refresh: None,
        }
    }

    /// Like [`Coroutine::new`], in a spare frame of `pool` if it has one
    /// for this kind of code.
    pub fn new_in<B, F>(pool: &mut FramePool<T>, body: B) -> Self
    where
        B: Fn(Io) -> F + Clone + 'static,
        F: Future<Output = T> + 'static,
    {
        let Some(mut frame) = pool.take(TypeId::of::<B>()) else {
            return Coroutine::new(body);
        };
        frame.as_mut().start_over(&mut Some(body));
        Coroutine {
            frame,
            inputs: Some(Vec::new()),
            response: None,
            refresh: None,
        }
    }

    /// The same coroutine keeping no history of its inputs: cheaper, for a
    /// run that is never cloned, but [`Coroutine::replay`] is then
    /// impossible.
    pub fn without_history(mut self) -> Self {
        self.inputs = None;
        self
    }

    /// Runs the coroutine until it waits or finishes.
    pub fn resume(&mut self, input: Input) -> Resume<T> {
        if let Some(inputs) = &mut self.inputs {
            inputs.push(input.clone());
        }
        mailbox(|m| {
            m.reply = input.reply;
            m.now = input.now;
        });
        let mut context = Context::from_waker(Waker::noop());
        let polled = self.frame.as_mut().poll(&mut context);
        let waiting = mailbox(|m| {
            self.response = m.response.take();
            self.refresh = m.refresh.take();
            m.reply = None;
            m.waiting.take()
        });
        match polled {
            Poll::Ready(result) => Resume::Done(result),
            Poll::Pending => match waiting {
                Some(Wait::Op(op)) => Resume::Perform(op),
                Some(Wait::Until(instant)) => Resume::SleepUntil(instant),
                Some(Wait::SharedRead(key)) => Resume::SharedRead(key),
                Some(Wait::TierLock(key)) => Resume::TierLock(key),
                Some(Wait::TierUnlock(key)) => Resume::TierUnlock(key),
                Some(Wait::Draw) => Resume::Draw,
                None => panic!("strategy code awaited something other than an Io operation"),
            },
        }
    }

    /// Every input received so far (the coroutine's whole state).
    ///
    /// # Panics
    /// If it keeps no history ([`Coroutine::without_history`]).
    pub fn inputs(&self) -> &[Input] {
        self.inputs
            .as_deref()
            .expect("the inputs of a coroutine that keeps its history")
    }

    /// The acknowledgement the code sent its client during the last resume.
    pub fn take_response(&mut self) -> Option<Served> {
        self.response.take()
    }

    /// The background refresh the code asked for during the last resume.
    pub fn take_refresh(&mut self) -> Option<KeyId> {
        self.refresh.take()
    }

    /// A coroutine in the same state, made by replaying the inputs received
    /// so far into a fresh instance (sound because strategy code is a
    /// deterministic function of its inputs).
    ///
    /// # Panics
    /// If it keeps no history ([`Coroutine::without_history`]).
    pub fn replay(&self) -> Self {
        let mut copy = Coroutine {
            frame: self.frame.restart(),
            inputs: Some(Vec::with_capacity(self.inputs().len())),
            response: None,
            refresh: None,
        };
        for input in self.inputs() {
            copy.resume(input.clone());
        }
        copy.response = None;
        copy.refresh = None;
        copy
    }
}

/// A coroutine that clones of a simulation share until one of them resumes
/// it: cloning is a reference count, and only the clone that moves the
/// actor on pays for a replay. (Exploring schedules clones a simulation per
/// choice, and each choice moves one actor.) A coroutine nobody has cloned
/// stays owned, so a run that never clones pays no extra allocation.
pub struct SharedCoroutine<T>(RefCell<Holding<T>>);

/// How a [`SharedCoroutine`] holds its coroutine.
enum Holding<T> {
    /// Nobody else has it.
    Owned(Coroutine<T>),
    /// Shared with clones (possibly no longer).
    Shared(Rc<Coroutine<T>>),
    /// Only while switching from owned to shared.
    Moving,
}

impl<T: 'static> SharedCoroutine<T> {
    /// Wraps a coroutine nobody shares yet.
    pub fn new(coroutine: Coroutine<T>) -> Self {
        SharedCoroutine(RefCell::new(Holding::Owned(coroutine)))
    }

    /// The coroutine, if nobody else shares it.
    fn into_owned(self) -> Option<Coroutine<T>> {
        match self.0.into_inner() {
            Holding::Owned(coroutine) => Some(coroutine),
            Holding::Shared(shared) => Rc::try_unwrap(shared).ok(),
            Holding::Moving => None,
        }
    }

    /// The coroutine, to look at.
    pub fn get(&self) -> std::cell::Ref<'_, Coroutine<T>> {
        std::cell::Ref::map(self.0.borrow(), |holding| match holding {
            Holding::Owned(coroutine) => coroutine,
            Holding::Shared(shared) => shared,
            Holding::Moving => unreachable!("only between two statements of clone"),
        })
    }

    /// The coroutine, to resume: a private copy (made by replay) if it is
    /// still shared.
    pub fn get_mut(&mut self) -> &mut Coroutine<T> {
        let holding = self.0.get_mut();
        if let Holding::Shared(_) = holding {
            let Holding::Shared(shared) = std::mem::replace(holding, Holding::Moving) else {
                unreachable!("just matched")
            };
            let own = Rc::try_unwrap(shared).unwrap_or_else(|shared| shared.replay());
            *holding = Holding::Owned(own);
        }
        match holding {
            Holding::Owned(coroutine) => coroutine,
            _ => unreachable!("made owned above"),
        }
    }
}

impl<T> Clone for SharedCoroutine<T> {
    fn clone(&self) -> Self {
        let mut holding = self.0.borrow_mut();
        let shared = match std::mem::replace(&mut *holding, Holding::Moving) {
            Holding::Owned(coroutine) => Rc::new(coroutine),
            Holding::Shared(shared) => shared,
            Holding::Moving => unreachable!("only between two statements of clone"),
        };
        *holding = Holding::Shared(Rc::clone(&shared));
        SharedCoroutine(RefCell::new(Holding::Shared(shared)))
    }
}

impl<T> fmt::Debug for SharedCoroutine<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0.borrow() {
            Holding::Owned(coroutine) => coroutine.fmt(f),
            Holding::Shared(shared) => shared.fmt(f),
            Holding::Moving => f.write_str("Coroutine(moving)"),
        }
    }
}

impl<T> fmt::Debug for Coroutine<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coroutine")
            .field("inputs", &self.inputs)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_then_set() -> Coroutine<Option<Cached>> {
        Coroutine::new(|io: Io| async move {
            let key = KeyId(0);
            if let Some(hit) = io.cache_get(key).await {
                return Some(hit);
            }
            let row = io.db_read(key).await;
            io.sleep(5).await;
            io.cache_set(key, row.clone()).await;
            None
        })
    }

    fn row(value: &str, version: Version) -> Versioned {
        Versioned {
            value: value.into(),
            version,
        }
    }

    fn input(reply: Option<Reply>, now: Millis) -> Input {
        Input { reply, now }
    }

    #[test]
    fn yields_each_operation_and_takes_its_reply() {
        let mut co = read_then_set();
        assert_eq!(
            co.resume(input(None, 0)),
            Resume::Perform(Op::CacheGet { key: KeyId(0) })
        );
        assert_eq!(
            co.resume(input(Some(Reply::CacheGet(None)), 1)),
            Resume::Perform(Op::DbRead { key: KeyId(0) })
        );
        // The sleep is relative to the actor's time when it starts sleeping.
        assert_eq!(
            co.resume(input(Some(Reply::DbRead(row("v1", 1))), 11)),
            Resume::SleepUntil(16)
        );
        assert_eq!(
            co.resume(input(None, 16)),
            Resume::Perform(Op::CacheSet {
                key: KeyId(0),
                value: row("v1", 1).into(),
                dirty: false
            })
        );
        let stored = Reply::CacheSet(SetOutcome::Stored { expires_ms: 9 });
        assert_eq!(co.resume(input(Some(stored), 17)), Resume::Done(None));
    }

    #[test]
    fn replay_continues_from_the_same_point() {
        let mut co = read_then_set();
        co.resume(input(None, 0));
        co.resume(input(Some(Reply::CacheGet(None)), 1));
        let mut copy = co.replay();
        // The copy goes on independently of the original.
        assert_eq!(
            copy.resume(input(Some(Reply::DbRead(row("v9", 9))), 11)),
            Resume::SleepUntil(16)
        );
        assert_eq!(
            copy.resume(input(None, 16)),
            Resume::Perform(Op::CacheSet {
                key: KeyId(0),
                value: row("v9", 9).into(),
                dirty: false
            })
        );
        assert_eq!(
            co.resume(input(Some(Reply::DbRead(row("v1", 1))), 11)),
            Resume::SleepUntil(16)
        );
    }

    /// Reads `key` and returns what it read (a closure of one kind for
    /// every key).
    fn reader(
        key: u32,
    ) -> impl Fn(Io) -> std::pin::Pin<Box<dyn Future<Output = Versioned>>> + Clone {
        move |io: Io| Box::pin(async move { io.db_read(KeyId(key)).await })
    }

    #[test]
    fn a_spare_frame_runs_new_code_of_its_kind_from_the_start() {
        let mut pool = FramePool::default();
        let mut first = Coroutine::new_in(&mut pool, reader(1));
        assert_eq!(
            first.resume(input(None, 0)),
            Resume::Perform(Op::DbRead { key: KeyId(1) })
        );
        assert_eq!(
            first.resume(input(Some(Reply::DbRead(row("a", 1))), 10)),
            Resume::Done(row("a", 1))
        );
        pool.recycle(SharedCoroutine::new(first));
        // Code of another kind does not take the spare frame.
        let mut other = Coroutine::new_in(
            &mut pool,
            |io: Io| async move { io.db_read(KeyId(0)).await },
        );
        assert_eq!(
            other.resume(input(None, 0)),
            Resume::Perform(Op::DbRead { key: KeyId(0) })
        );
        assert_eq!(format!("{pool:?}"), "FramePool(1 spare)");
        // A reader of another key does, and starts from the beginning.
        let mut second = Coroutine::new_in(&mut pool, reader(2));
        assert_eq!(format!("{pool:?}"), "FramePool(0 spare)");
        assert_eq!(
            second.resume(input(None, 0)),
            Resume::Perform(Op::DbRead { key: KeyId(2) })
        );
        // Its replay starts the same code again.
        let copy = second.replay();
        assert_eq!(copy.inputs(), second.inputs());
        // A frame a clone still runs is not kept.
        let shared = SharedCoroutine::new(second);
        let clone = shared.clone();
        pool.recycle(shared);
        assert_eq!(format!("{pool:?}"), "FramePool(0 spare)");
        drop(clone);
    }

    #[test]
    fn shared_copies_part_when_one_moves_on() {
        let mut original = SharedCoroutine::new(read_then_set());
        original.get_mut().resume(input(None, 0));
        original
            .get_mut()
            .resume(input(Some(Reply::CacheGet(None)), 1));
        let mut copy = original.clone();
        assert_eq!(copy.get().inputs(), original.get().inputs());
        // The copy moves on with its own reply; the original is untouched.
        assert_eq!(
            copy.get_mut()
                .resume(input(Some(Reply::DbRead(row("v9", 9))), 11)),
            Resume::SleepUntil(16)
        );
        assert_eq!(copy.get().inputs().len(), 3);
        assert_eq!(original.get().inputs().len(), 2);
        drop(copy);
        // Alone again, the original goes on from where it was.
        assert_eq!(
            original
                .get_mut()
                .resume(input(Some(Reply::DbRead(row("v1", 1))), 11)),
            Resume::SleepUntil(16)
        );
        assert!(format!("{original:?}").contains("inputs"));
    }
}
