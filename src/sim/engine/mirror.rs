//! A mirror: something outside the simulation that performs each of its
//! operations as well, and whose replies the strategy code then gets
//! instead of the model's. The native-only `real` backend mirrors a run on
//! a real Redis and PostgreSQL this way: the engine still decides who goes
//! when, the real servers decide what each operation returns.
//!
//! The engine calls the mirror at each point where the outside world acts:
//! an operation taking effect, a DB read's snapshot at its issue, an event
//! put on or taken off a bus partition, a commit captured for CDC, a fault,
//! a consumer restarting. A run without a mirror is untouched.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::sim::ops::BusEvent;
use crate::sim::ops::{KeyId, Op, Reply, Version, Versioned};
use crate::sim::scenario::{FaultKind, Millis};
use crate::sim::trace::Actor;

/// What performs a simulation's operations on the outside world.
pub trait Mirror {
    /// `actor`'s `op` takes effect at `now`; the model answered
    /// `simulated`. Returns the answer the strategy code gets.
    fn effect(&mut self, actor: Actor, op: &Op, now: Millis, simulated: Reply) -> Reply;
    /// A DB read of `key` is issued at `now` (timed mode): the statement's
    /// snapshot is taken now. Returns the row it will answer with.
    fn snapshot(
        &mut self,
        actor: Actor,
        key: KeyId,
        now: Millis,
        simulated: Versioned,
    ) -> Versioned;
    /// An event is put on `partition` (a copy each, when duplicated).
    fn bus_put(&mut self, partition: u32, event: &BusEvent, now: Millis);
    /// `partition`'s consumer takes its next event, which the model says
    /// is `event`.
    fn bus_take(&mut self, partition: u32, event: &BusEvent, now: Millis);
    /// `partition`'s consumer restarts from its committed offset: the last
    /// `again` events it took are taken again, in order.
    fn consumer_restart(&mut self, partition: u32, again: usize, now: Millis);
    /// CDC read commit `version` of `key` from the database's log; the model
    /// publishes `event` for it.
    fn captured(&mut self, key: KeyId, version: Version, event: &BusEvent, now: Millis);
    /// A fault happens at `now`.
    fn fault(&mut self, kind: FaultKind, now: Millis);
}

/// The simulation's mirror, if it has one. Clones of a mirrored simulation
/// share it (only the real backend's runs have one, and they never fork).
#[derive(Clone, Default)]
pub(super) struct MirrorSlot(Option<Rc<RefCell<dyn Mirror>>>);

impl fmt::Debug for MirrorSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "MirrorSlot(mirrored)"
        } else {
            "MirrorSlot(none)"
        })
    }
}

impl MirrorSlot {
    /// A slot holding `mirror`.
    pub(super) fn new(mirror: Rc<RefCell<dyn Mirror>>) -> Self {
        MirrorSlot(Some(mirror))
    }

    /// Runs `f` on the mirror, if there is one.
    pub(super) fn with(&self, f: impl FnOnce(&mut dyn Mirror)) {
        if let Some(mirror) = &self.0 {
            f(&mut *mirror.borrow_mut());
        }
    }

    /// The mirror's answer to an operation, or the model's without one.
    pub(super) fn effect(&self, actor: Actor, op: &Op, now: Millis, simulated: Reply) -> Reply {
        match &self.0 {
            Some(mirror) => mirror.borrow_mut().effect(actor, op, now, simulated),
            None => simulated,
        }
    }

    /// The mirror's snapshot for a DB read, or the model's without one.
    pub(super) fn snapshot(
        &self,
        actor: Actor,
        key: KeyId,
        now: Millis,
        simulated: Versioned,
    ) -> Versioned {
        match &self.0 {
            Some(mirror) => mirror.borrow_mut().snapshot(actor, key, now, simulated),
            None => simulated,
        }
    }
}
