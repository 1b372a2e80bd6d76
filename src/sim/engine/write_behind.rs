//! Write-behind bookkeeping: each key's dirty period (from its first dirty
//! set until the flush), and the fate of every acknowledged write that is
//! not committed directly: coalesced into a later write of its period,
//! still waiting, or lost by a cache crash.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

use crate::sim::ops::{KeyId, WriteId};

/// A key's write-behind dirty period: from its first dirty set until the
/// flush (or a crash).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct DirtyPeriod {
    id: u64,
    /// The acknowledged writes the period holds, oldest first.
    writes: Vec<WriteId>,
}

/// The dirty periods and what became of their writes.
#[derive(Clone, Debug, Default)]
pub(super) struct WriteBehind {
    /// Per key, its dirty period if it has one.
    dirty: Vec<Option<DirtyPeriod>>,
    next_period: u64,
    /// Acknowledged writes a crash lost before they were flushed.
    pub(super) lost: Vec<WriteId>,
    /// Writes that a later write of their period replaced before the
    /// flush: never committed, by design.
    pub(super) coalesced: Vec<WriteId>,
    /// Writes whose app crashed before they were acknowledged: if a crash
    /// then loses them, they were never promised, so they are not lost
    /// writes.
    unacknowledged: BTreeSet<WriteId>,
    /// Writes stored whose acknowledgement waits for their paused app
    /// instance: not promised yet.
    awaiting_ack: BTreeSet<WriteId>,
    /// Writes a crash lost while their acknowledgement waited: lost writes
    /// once it reaches the client, never if their app crashes first.
    lost_unless_unacknowledged: BTreeSet<WriteId>,
}

impl WriteBehind {
    pub(super) fn new(keys: usize) -> Self {
        WriteBehind {
            dirty: vec![None; keys],
            ..WriteBehind::default()
        }
    }

    /// What decides how write-behind goes on: the open periods, the next
    /// period's id and the writes never acknowledged (lost and coalesced
    /// writes are history).
    pub(super) fn hash_state<H: Hasher>(&self, state: &mut H) {
        self.dirty.hash(state);
        self.next_period.hash(state);
        self.unacknowledged.hash(state);
        self.awaiting_ack.hash(state);
        self.lost_unless_unacknowledged.hash(state);
    }

    /// A dirty set of `write` on `key` was stored: it joins the key's
    /// period, or opens one, whose id is returned (its flusher is to
    /// start).
    pub(super) fn dirty_set(&mut self, key: KeyId, write: WriteId) -> Option<u64> {
        let slot = &mut self.dirty[key.0 as usize];
        if let Some(period) = slot {
            period.writes.push(write);
            return None;
        }
        let id = self.next_period;
        self.next_period += 1;
        *slot = Some(DirtyPeriod {
            id,
            writes: vec![write],
        });
        Some(id)
    }

    /// Whether `period` is still `key`'s dirty period (a crash ends it: its
    /// flush then finds nothing of its own to write).
    pub(super) fn is_current(&self, key: KeyId, period: u64) -> bool {
        self.dirty[key.0 as usize]
            .as_ref()
            .is_some_and(|p| p.id == period)
    }

    /// The flush of `key`'s period committed: the period ends.
    pub(super) fn flushed(&mut self, key: KeyId) {
        let period = self.dirty[key.0 as usize]
            .take()
            .expect("a flush that wrote had a dirty period");
        // The flush wrote the period's latest value; the earlier writes
        // were replaced in the cache before it.
        let (_, earlier) = period.writes.split_last().expect("a period has a write");
        self.coalesced.extend_from_slice(earlier);
    }

    /// `write`'s app crashed before acknowledging it.
    pub(super) fn unacknowledged(&mut self, write: WriteId) {
        self.unacknowledged.insert(write);
        self.awaiting_ack.remove(&write);
        self.lost_unless_unacknowledged.remove(&write);
    }

    /// `write`'s acknowledgement waits for its paused app instance.
    pub(super) fn awaiting_ack(&mut self, write: WriteId) {
        self.awaiting_ack.insert(write);
    }

    /// `write`'s acknowledgement reached its client. Returns whether that
    /// makes it a lost write (a crash lost it while it waited).
    pub(super) fn acknowledged(&mut self, write: WriteId) -> bool {
        self.awaiting_ack.remove(&write);
        let lost = self.lost_unless_unacknowledged.remove(&write);
        if lost {
            self.lost.push(write);
        }
        lost
    }

    /// The cache crashed: every period ends, and its acknowledged writes
    /// are lost. Returns how many were.
    pub(super) fn cache_crashed(&mut self) -> usize {
        let before = self.lost.len();
        for slot in &mut self.dirty {
            if let Some(period) = slot.take() {
                for write in period.writes {
                    if self.awaiting_ack.contains(&write) {
                        self.lost_unless_unacknowledged.insert(write);
                    } else if !self.unacknowledged.contains(&write) {
                        self.lost.push(write);
                    }
                }
            }
        }
        self.lost.len() - before
    }

    /// Writes still waiting for their flush.
    pub(super) fn unflushed(&self) -> impl Iterator<Item = WriteId> + '_ {
        self.dirty
            .iter()
            .flatten()
            .flat_map(|p| p.writes.iter().copied())
    }
}
