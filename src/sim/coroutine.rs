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

use super::ops::{KeyId, Op, Reply, Value, Version, Versioned};
use super::scenario::Millis;

/// The one slot through which a parked coroutine and the engine talk.
#[derive(Default)]
struct Mailbox {
    /// The operation the coroutine is waiting on.
    request: Option<Op>,
    /// The engine's reply to it, until the coroutine picks it up.
    reply: Option<Reply>,
}

/// The handle strategy code performs its operations through.
#[derive(Clone)]
pub struct Io {
    mailbox: Rc<RefCell<Mailbox>>,
}

impl Io {
    /// Performs `op` and waits for the engine's reply.
    pub async fn perform(&self, op: Op) -> Reply {
        Perform {
            mailbox: &self.mailbox,
            op: Some(op),
        }
        .await
    }

    /// Looks `key` up in the cache.
    pub async fn cache_get(&self, key: KeyId) -> Option<Versioned> {
        match self.perform(Op::CacheGet { key }).await {
            Reply::CacheGet(entry) => entry,
            other => mismatched("cache.get", &other),
        }
    }

    /// Stores `value` in the cache; returns when the entry expires.
    pub async fn cache_set(&self, key: KeyId, value: Versioned) -> Millis {
        match self.perform(Op::CacheSet { key, value }).await {
            Reply::CacheSet { expires_ms } => expires_ms,
            other => mismatched("cache.set", &other),
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

    /// Commits `value` to the database; returns the committed version.
    pub async fn db_write(&self, key: KeyId, value: Value) -> Version {
        match self.perform(Op::DbWrite { key, value }).await {
            Reply::DbWrite { version } => version,
            other => mismatched("db.write", &other),
        }
    }
}

/// The engine answered an operation with the reply of another: an engine bug.
fn mismatched(op: &str, reply: &Reply) -> ! {
    panic!("engine bug: {op} answered with {reply:?}")
}

/// The future behind every `Io` call: parks once to hand over the operation,
/// completes when the engine has put the reply in the mailbox.
struct Perform<'a> {
    mailbox: &'a RefCell<Mailbox>,
    op: Option<Op>,
}

impl Future for Perform<'_> {
    type Output = Reply;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Reply> {
        if let Some(op) = self.op.take() {
            self.mailbox.borrow_mut().request = Some(op);
            return Poll::Pending;
        }
        match self.mailbox.borrow_mut().reply.take() {
            Some(reply) => Poll::Ready(reply),
            None => Poll::Pending,
        }
    }
}

/// What a coroutine does when resumed.
#[derive(Debug, PartialEq, Eq)]
pub enum Resume<T> {
    /// It waits for this operation to take effect.
    Perform(Op),
    /// It has finished with this result.
    Done(T),
}

type Body<T> = Rc<dyn Fn(Io) -> Pin<Box<dyn Future<Output = T>>>>;

/// One running piece of strategy code.
pub struct Coroutine<T> {
    body: Body<T>,
    io: Io,
    future: Pin<Box<dyn Future<Output = T>>>,
    /// Every reply received so far: the coroutine's whole state, for cloning.
    replies: Vec<Reply>,
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
            replies: Vec::new(),
        }
    }

    /// Runs the coroutine until it needs an operation or finishes. `reply`
    /// answers the operation it last asked for (`None` on the first resume).
    pub fn resume(&mut self, reply: Option<Reply>) -> Resume<T> {
        if let Some(reply) = reply {
            self.replies.push(reply.clone());
            self.io.mailbox.borrow_mut().reply = Some(reply);
        }
        let mut context = Context::from_waker(Waker::noop());
        match self.future.as_mut().poll(&mut context) {
            Poll::Ready(result) => Resume::Done(result),
            Poll::Pending => Resume::Perform(
                self.io
                    .mailbox
                    .borrow_mut()
                    .request
                    .take()
                    .expect("strategy code awaited something other than an Io operation"),
            ),
        }
    }

    /// A coroutine in the same state, made by replaying the replies received
    /// so far into a fresh instance. Returns it with the operation it is
    /// waiting on (it must equal the original's: strategy code is
    /// deterministic in its replies).
    pub fn replay(&self) -> (Self, Option<Op>) {
        let mut copy = Self::from_body(self.body.clone());
        let mut waiting = match copy.resume(None) {
            Resume::Perform(op) => Some(op),
            Resume::Done(_) => None,
        };
        for reply in &self.replies {
            waiting = match copy.resume(Some(reply.clone())) {
                Resume::Perform(op) => Some(op),
                Resume::Done(_) => None,
            };
        }
        (copy, waiting)
    }
}

impl<T> fmt::Debug for Coroutine<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coroutine")
            .field("replies", &self.replies)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_then_set() -> Coroutine<Option<Versioned>> {
        Coroutine::new(|io: Io| async move {
            let key = KeyId(0);
            if let Some(hit) = io.cache_get(key).await {
                return Some(hit);
            }
            let row = io.db_read(key).await;
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

    #[test]
    fn yields_each_operation_and_takes_its_reply() {
        let mut co = read_then_set();
        assert_eq!(
            co.resume(None),
            Resume::Perform(Op::CacheGet { key: KeyId(0) })
        );
        assert_eq!(
            co.resume(Some(Reply::CacheGet(None))),
            Resume::Perform(Op::DbRead { key: KeyId(0) })
        );
        assert_eq!(
            co.resume(Some(Reply::DbRead(row("v1", 1)))),
            Resume::Perform(Op::CacheSet {
                key: KeyId(0),
                value: row("v1", 1)
            })
        );
        assert_eq!(
            co.resume(Some(Reply::CacheSet { expires_ms: 9 })),
            Resume::Done(None)
        );
    }

    #[test]
    fn replay_reaches_the_same_waiting_operation() {
        let mut co = read_then_set();
        co.resume(None);
        co.resume(Some(Reply::CacheGet(None)));
        let (mut copy, waiting) = co.replay();
        assert_eq!(waiting, Some(Op::DbRead { key: KeyId(0) }));
        // The copy goes on independently of the original.
        let next = copy.resume(Some(Reply::DbRead(row("v9", 9))));
        assert_eq!(
            next,
            Resume::Perform(Op::CacheSet {
                key: KeyId(0),
                value: row("v9", 9)
            })
        );
    }
}
