//! The event queue: timed events drained in order of (time, sequence
//! number), so simultaneous events keep the order in which they were
//! scheduled and every run of a scenario is the same run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::bus::BusEvent;
use crate::sim::scenario::Millis;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Event {
    /// A client sends scripted request `0`.
    Arrive(usize),
    /// Actor `actor`'s pending operation takes effect. (The operation
    /// itself waits in the actor, which keeps queue entries small: moving
    /// them is most of the event queue's work.)
    Effect { actor: usize },
    /// Fault `0` of the scenario's `faults` happens (timed mode).
    Fault(usize),
    /// Arrival stream `0` of a workload generates a request.
    Generate(usize),
    /// The read replica applies the oldest commit it has not applied.
    Replicate,
    /// The CDC connector publishes again the commit the bus did not
    /// acknowledge (and those behind it).
    CdcRetry,
    /// Actor `actor`'s app instance resumes from a pause: the reply it
    /// holds reaches its code.
    Wake { actor: usize },
    /// A bus event reaches the consumer of its partition.
    Deliver {
        partition: u32,
        event: Box<BusEvent>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Scheduled {
    pub(super) at: Millis,
    pub(super) seq: u64,
    pub(super) event: Event,
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The events still to happen.
#[derive(Clone, Debug, Default)]
pub(super) struct EventQueue {
    next_seq: u64,
    heap: BinaryHeap<Reverse<Scheduled>>,
}

impl EventQueue {
    /// Schedules `event` at `at`, after every event already scheduled then.
    pub(super) fn push(&mut self, at: Millis, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Scheduled { at, seq, event }));
    }

    /// The next event, if it happens at `until` or before.
    pub(super) fn pop_until(&mut self, until: Millis) -> Option<Scheduled> {
        if self.peek_at()? > until {
            return None;
        }
        self.heap.pop().map(|Reverse(next)| next)
    }

    /// When the next event happens.
    pub(super) fn peek_at(&self) -> Option<Millis> {
        self.heap.peek().map(|Reverse(next)| next.at)
    }

    /// Every scheduled event, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Scheduled> {
        self.heap.iter().map(|Reverse(s)| s)
    }

    /// Every scheduled event, in the order they will happen.
    pub(super) fn sorted(&self) -> Vec<&Scheduled> {
        let mut events: Vec<&Scheduled> = self.iter().collect();
        events.sort_unstable();
        events
    }

    /// Whether `actor` has an operation waiting to take effect.
    pub(super) fn has_effect_of(&self, actor: usize) -> bool {
        self.iter()
            .any(|s| matches!(s.event, Event::Effect { actor: a } if a == actor))
    }

    /// Drops `actor`'s operation waiting to take effect, and a reply held
    /// for it by a pause.
    pub(super) fn remove_effects_of(&mut self, actor: usize) {
        self.heap.retain(|Reverse(s)| {
            !matches!(s.event, Event::Effect { actor: a } | Event::Wake { actor: a } if a == actor)
        });
    }

    /// Takes out the soonest effect of any of `actors`.
    pub(super) fn take_first_effect_of(&mut self, actors: &[usize]) -> Option<Scheduled> {
        let first = self
            .iter()
            .filter(|s| matches!(s.event, Event::Effect { actor } if actors.contains(&actor)))
            .min()
            .cloned()?;
        self.heap.retain(|Reverse(s)| s.seq != first.seq);
        Some(first)
    }
}
