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

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::ops::{
    Cached, KeyId, LeaseGrant, LeaseToken, LockToken, Op, OutboxRow, Published, Reply, SetOutcome,
    Unlocked, Value, Version, Versioned, WriteId,
};
use super::scenario::Millis;
use super::strategy::Served;

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
}

/// The one slot through which a parked coroutine and the engine talk.
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

/// The handle strategy code performs its operations through.
#[derive(Clone)]
pub struct Io {
    mailbox: Rc<RefCell<Mailbox>>,
}

impl Io {
    /// Performs `op` and waits for the engine's reply.
    pub async fn perform(&self, op: Op) -> Reply {
        Park {
            mailbox: &self.mailbox,
            wait: Some(Wait::Op(op)),
        }
        .await
        .expect("an operation is answered with a reply")
    }

    /// The instant the actor's previous operation took effect.
    pub fn now(&self) -> Millis {
        self.mailbox.borrow().now
    }

    /// Waits until `instant` (at once if it has passed): the next operation
    /// is issued then.
    pub async fn sleep_until(&self, instant: Millis) {
        Park {
            mailbox: &self.mailbox,
            wait: Some(Wait::Until(instant)),
        }
        .await;
    }

    /// Waits `ms` milliseconds.
    pub async fn sleep(&self, ms: Millis) {
        self.sleep_until(self.now() + ms).await;
    }

    /// Answers the client now, while the code goes on (e.g. a delayed
    /// second delete after the write was acknowledged).
    pub fn respond(&self, served: Served) {
        self.mailbox.borrow_mut().response = Some(served);
    }

    /// Asks for `key` to be refreshed in the background (at most one
    /// refresh of a key runs at a time).
    pub fn refresh_in_background(&self, key: KeyId) {
        self.mailbox.borrow_mut().refresh = Some(key);
    }

    /// A DB read of `key` shared with concurrent misses of it on this app
    /// instance. Returns the row and whether this caller led the read.
    pub async fn db_read_shared(&self, key: KeyId) -> (Versioned, bool) {
        let reply = Park {
            mailbox: &self.mailbox,
            wait: Some(Wait::SharedRead(key)),
        }
        .await;
        match reply {
            Some(Reply::SharedRead { row, leader }) => (row, leader),
            other => panic!("engine bug: a shared read answered with {other:?}"),
        }
    }

    /// Takes the cache tier's per-key lock of `key` (one cache operation),
    /// or waits in line until the holder lets go. Everything from here to [`Io::tier_unlock`] the
    /// cache tier performs for the caller, so an app crash does not stop it.
    pub async fn tier_lock(&self, key: KeyId) {
        match self.perform(Op::TierLock { key }).await {
            Reply::TierLock { granted: true } => {}
            Reply::TierLock { granted: false } => {
                Park {
                    mailbox: &self.mailbox,
                    wait: Some(Wait::TierLock(key)),
                }
                .await;
            }
            other => mismatched("cache.tier_lock", &other),
        }
    }

    /// Lets go of the cache tier's lock of `key`: the next waiter has it.
    pub async fn tier_unlock(&self, key: KeyId) {
        Park {
            mailbox: &self.mailbox,
            wait: Some(Wait::TierUnlock(key)),
        }
        .await;
    }

    /// Add-if-absent of `key`'s lock; the token of the lock this caller
    /// now holds, or `None` when another holds it.
    pub async fn lock_add(&self, key: KeyId) -> Option<LockToken> {
        match self.perform(Op::LockAdd { key }).await {
            Reply::LockAdd { token } => token,
            other => mismatched("cache.lock_add", &other),
        }
    }

    /// Releases `key`'s lock taken with `token`: compare-and-delete, or
    /// with `compare: false` a plain delete.
    pub async fn unlock(&self, key: KeyId, token: LockToken, compare: bool) -> Unlocked {
        let op = Op::Unlock {
            key,
            token,
            compare,
        };
        match self.perform(op).await {
            Reply::Unlock(outcome) => outcome,
            other => mismatched("cache.unlock", &other),
        }
    }

    /// Looks `key` up, and learns whether to refresh it in the background.
    pub async fn cache_get_refreshing(&self, key: KeyId) -> (Option<Cached>, bool) {
        match self.perform(Op::CacheGetRefreshing { key }).await {
            Reply::CacheGetRefreshing { value, refresh } => (value, refresh),
            other => mismatched("cache.get", &other),
        }
    }

    /// Stores a value computed in `cost_ms` (XFetch's delta).
    pub async fn cache_set_computed(&self, key: KeyId, value: Versioned, cost_ms: Millis) {
        let value = value.into();
        match self
            .perform(Op::CacheSetComputed {
                key,
                value,
                cost_ms,
            })
            .await
        {
            Reply::CacheSet(_) => {}
            other => mismatched("cache.set", &other),
        }
    }

    /// Looks `key` up in the cache.
    pub async fn cache_get(&self, key: KeyId) -> Option<Cached> {
        match self.perform(Op::CacheGet { key }).await {
            Reply::CacheGet(entry) => entry,
            other => mismatched("cache.get", &other),
        }
    }

    /// Stores `value` in the cache (unless the cache refuses it).
    pub async fn cache_set(&self, key: KeyId, value: impl Into<Cached>) -> SetOutcome {
        self.store(key, value.into(), false).await
    }

    /// Stores a write-behind value, dirty until the flusher writes it.
    pub async fn cache_set_dirty(&self, key: KeyId, value: Cached) -> SetOutcome {
        self.store(key, value, true).await
    }

    async fn store(&self, key: KeyId, value: Cached, dirty: bool) -> SetOutcome {
        match self.perform(Op::CacheSet { key, value, dirty }).await {
            Reply::CacheSet(outcome) => outcome,
            other => mismatched("cache.set", &other),
        }
    }

    /// Commits `write` together with its outbox row, in one transaction.
    pub async fn db_write_with_outbox(
        &self,
        key: KeyId,
        value: Value,
        write: WriteId,
        update: bool,
    ) -> Version {
        let op = Op::DbWriteOutbox {
            key,
            value,
            write,
            update,
        };
        match self.perform(op).await {
            Reply::DbWrite { version } => version,
            other => mismatched("db.write+outbox", &other),
        }
    }

    /// The outbox rows not yet marked sent.
    pub async fn outbox_poll(&self) -> Vec<OutboxRow> {
        match self.perform(Op::OutboxPoll).await {
            Reply::OutboxRows(rows) => rows,
            other => mismatched("outbox.poll", &other),
        }
    }

    /// Marks outbox rows sent.
    pub async fn outbox_mark_sent(&self, ids: Vec<u64>) {
        match self.perform(Op::OutboxMarkSent { ids }).await {
            Reply::MarkedSent => {}
            other => mismatched("outbox.mark_sent", &other),
        }
    }

    /// Publishes an event about `key` (an update if it carries a payload).
    pub async fn publish(&self, key: KeyId, payload: Option<Cached>) -> Published {
        self.publish_op(key, payload, None).await
    }

    /// The relay publishes outbox row `row`.
    pub async fn publish_row(&self, row: &OutboxRow) -> Published {
        self.publish_op(row.key, row.payload.clone(), Some(row.id))
            .await
    }

    async fn publish_op(&self, key: KeyId, payload: Option<Cached>, row: Option<u64>) -> Published {
        match self.perform(Op::Publish { key, payload, row }).await {
            Reply::Publish(outcome) => outcome,
            other => mismatched("bus.publish", &other),
        }
    }

    /// Write-behind flush of `key`'s dirty period `period`.
    pub async fn flush(&self, key: KeyId, period: u64) -> Option<Version> {
        match self.perform(Op::Flush { key, period }).await {
            Reply::Flush { version } => version,
            other => mismatched("flush", &other),
        }
    }

    /// memcache lease get.
    pub async fn lease_get(&self, key: KeyId) -> LeaseGrant {
        match self.perform(Op::LeaseGet { key }).await {
            Reply::LeaseGet(grant) => grant,
            other => mismatched("cache.lease_get", &other),
        }
    }

    /// memcache lease set.
    pub async fn lease_set(&self, key: KeyId, value: Versioned, token: LeaseToken) -> SetOutcome {
        let value = value.into();
        match self.perform(Op::LeaseSet { key, value, token }).await {
            Reply::LeaseSet(outcome) => outcome,
            other => mismatched("cache.lease_set", &other),
        }
    }

    /// Deletes `key` from the cache; returns whether a live entry was removed.
    pub async fn cache_delete(&self, key: KeyId) -> bool {
        match self.perform(Op::CacheDelete { key }).await {
            Reply::CacheDelete { removed } => removed,
            other => mismatched("cache.delete", &other),
        }
    }

    /// Reads `key`'s committed row from the database.
    pub async fn db_read(&self, key: KeyId) -> Versioned {
        match self.perform(Op::DbRead { key }).await {
            Reply::DbRead(row) => row,
            other => mismatched("db.read", &other),
        }
    }

    /// Commits `write`'s `value` to the database; returns the committed
    /// version.
    pub async fn db_write(&self, key: KeyId, value: Value, write: WriteId) -> Version {
        match self.perform(Op::DbWrite { key, value, write }).await {
            Reply::DbWrite { version } => version,
            other => mismatched("db.write", &other),
        }
    }
}

/// The engine answered an operation with the reply of another: an engine bug.
fn mismatched(op: &str, reply: &Reply) -> ! {
    panic!("engine bug: {op} answered with {reply:?}")
}

/// The future behind every wait: parks once to hand over what it waits for,
/// completes on the next resume (with the reply, for an operation).
struct Park<'a> {
    mailbox: &'a RefCell<Mailbox>,
    wait: Option<Wait>,
}

impl Future for Park<'_> {
    type Output = Option<Reply>;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Reply>> {
        if let Some(wait) = self.wait.take() {
            self.mailbox.borrow_mut().waiting = Some(wait);
            return Poll::Pending;
        }
        Poll::Ready(self.mailbox.borrow_mut().reply.take())
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

type Body<T> = Rc<dyn Fn(Io) -> Pin<Box<dyn Future<Output = T>>>>;

/// One running piece of strategy code.
pub struct Coroutine<T> {
    body: Body<T>,
    io: Io,
    future: Pin<Box<dyn Future<Output = T>>>,
    /// Every input received so far: the coroutine's whole state, for cloning.
    inputs: Vec<Input>,
}

impl<T: 'static> Coroutine<T> {
    /// Creates a coroutine that will run `body`. It does nothing until the
    /// first [`Coroutine::resume`].
    pub fn new<F>(body: impl Fn(Io) -> F + 'static) -> Self
    where
        F: Future<Output = T> + 'static,
    {
        let body: Body<T> = Rc::new(move |io| Box::pin(body(io)));
        Self::from_body(body)
    }

    fn from_body(body: Body<T>) -> Self {
        let io = Io {
            mailbox: Rc::default(),
        };
        let future = body(io.clone());
        Coroutine {
            body,
            io,
            future,
            // Most strategy code takes three or four steps: reserve them at
            // once rather than growing the history step by step.
            inputs: Vec::with_capacity(4),
        }
    }

    /// Runs the coroutine until it waits or finishes.
    pub fn resume(&mut self, input: Input) -> Resume<T> {
        self.inputs.push(input.clone());
        {
            let mut mailbox = self.io.mailbox.borrow_mut();
            mailbox.reply = input.reply;
            mailbox.now = input.now;
        }
        let mut context = Context::from_waker(Waker::noop());
        match self.future.as_mut().poll(&mut context) {
            Poll::Ready(result) => Resume::Done(result),
            Poll::Pending => match self.io.mailbox.borrow_mut().waiting.take() {
                Some(Wait::Op(op)) => Resume::Perform(op),
                Some(Wait::Until(instant)) => Resume::SleepUntil(instant),
                Some(Wait::SharedRead(key)) => Resume::SharedRead(key),
                Some(Wait::TierLock(key)) => Resume::TierLock(key),
                Some(Wait::TierUnlock(key)) => Resume::TierUnlock(key),
                None => panic!("strategy code awaited something other than an Io operation"),
            },
        }
    }

    /// Every input received so far (the coroutine's whole state).
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The acknowledgement the code sent its client during the last resume.
    pub fn take_response(&mut self) -> Option<Served> {
        self.io.mailbox.borrow_mut().response.take()
    }

    /// The background refresh the code asked for during the last resume.
    pub fn take_refresh(&mut self) -> Option<KeyId> {
        self.io.mailbox.borrow_mut().refresh.take()
    }

    /// A coroutine in the same state, made by replaying the inputs received
    /// so far into a fresh instance (sound because strategy code is a
    /// deterministic function of its inputs).
    pub fn replay(&self) -> Self {
        let mut copy = Self::from_body(self.body.clone());
        for input in &self.inputs {
            copy.resume(input.clone());
            copy.take_response();
            copy.take_refresh();
        }
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
