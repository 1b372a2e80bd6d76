//! The cache tier's per-key locks: a write-through write, and a
//! read-through fill after a miss, run inside the cache tier holding the
//! key's lock, so no write or fill of a key interleaves with another (how
//! cache providers implement write-through and read-through). Waiters are
//! served in the order they asked.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use crate::sim::ops::KeyId;

/// Who holds each key's lock and who waits for it (actor slots).
#[derive(Clone, Debug, Default)]
pub(super) struct Tier {
    locks: Vec<KeyLock>,
}

#[derive(Clone, Debug, Default, Hash)]
struct KeyLock {
    holder: Option<usize>,
    waiting: VecDeque<usize>,
}

impl Tier {
    pub(super) fn new(keys: usize) -> Self {
        Tier {
            locks: vec![KeyLock::default(); keys],
        }
    }

    /// `actor` asks for `key`'s lock: whether it has it now (otherwise it
    /// waits in line).
    pub(super) fn acquire(&mut self, key: KeyId, actor: usize) -> bool {
        let lock = &mut self.locks[key.0 as usize];
        if lock.holder.is_none() {
            lock.holder = Some(actor);
            true
        } else {
            lock.waiting.push_back(actor);
            false
        }
    }

    /// The holder lets go of `key`'s lock: the next in line, who now holds
    /// it, if any.
    pub(super) fn release(&mut self, key: KeyId) -> Option<usize> {
        let lock = &mut self.locks[key.0 as usize];
        lock.holder = lock.waiting.pop_front();
        lock.holder
    }

    /// Who holds `key`'s lock, and how many wait for it.
    pub(super) fn state(&self, key: KeyId) -> (Option<usize>, usize) {
        let lock = &self.locks[key.0 as usize];
        (lock.holder, lock.waiting.len())
    }

    /// What decides how the tier goes on: all of it.
    pub(super) fn hash_state<H: Hasher>(&self, state: &mut H) {
        self.locks.hash(state);
    }
}
