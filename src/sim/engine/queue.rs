//! The event queue: timed events drained in order of (time, sequence
//! number), so simultaneous events keep the order in which they were
//! scheduled and every run of a scenario is the same run.
//!
//! A small queue (a lesson, a schedule being explored) is a binary heap: it
//! is cheap to clone, and a simulation is cloned for every checkpoint and
//! every explored choice. A large one (a workload: about a hundred events a
//! millisecond, thousands in flight) becomes a timing wheel: one first-in,
//! first-out line per millisecond for the next [`WHEEL_MS`] milliseconds,
//! the heap holding only what lies beyond. Time is whole milliseconds and
//! never runs backwards, and within one millisecond an event scheduled
//! later has a later sequence number, so each line is already in (time,
//! sequence) order and pushing or taking an event costs the same whatever
//! the queue's size.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::sim::ops::BusEvent;
use crate::sim::scenario::Millis;

/// How far ahead the wheel reaches, in milliseconds (a power of two).
const WHEEL_MS: usize = 256;

/// The queue turns into a wheel once it holds more events than this.
const WHEEL_FROM: usize = 64;

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
    /// Every event while the queue is small; then those the wheel does not
    /// reach yet.
    heap: BinaryHeap<Reverse<Scheduled>>,
    /// Empty while the queue is small; then one line per millisecond:
    /// events at `t` (with `base <= t < base + WHEEL_MS`) wait in line
    /// `t % WHEEL_MS`.
    wheel: Vec<VecDeque<Scheduled>>,
    /// The earliest instant the wheel holds (no event is ever scheduled
    /// before it: it is the time of the last event taken out, at most).
    base: Millis,
    /// How many events the wheel holds.
    in_wheel: usize,
    /// When the last event taken out happens (events are never scheduled
    /// before it).
    last_at: Millis,
}

impl EventQueue {
    /// Schedules `event` at `at`, after every event already scheduled then.
    pub(super) fn push(&mut self, at: Millis, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let scheduled = Scheduled { at, seq, event };
        if self.wheel.is_empty() {
            self.heap.push(Reverse(scheduled));
            if self.heap.len() > WHEEL_FROM {
                self.start_wheel();
            }
        } else if at < self.base {
            // Only a caller moving the clock by hand gets here (events are
            // scheduled at the present or later): go back to the heap.
            self.stop_wheel();
            self.heap.push(Reverse(scheduled));
        } else {
            self.place(scheduled);
        }
    }

    /// Puts an event in its line if the wheel reaches it, or in the heap.
    fn place(&mut self, scheduled: Scheduled) {
        if scheduled.at < self.base + WHEEL_MS as Millis {
            self.wheel[scheduled.at as usize % WHEEL_MS].push_back(scheduled);
            self.in_wheel += 1;
        } else {
            self.heap.push(Reverse(scheduled));
        }
    }

    /// Moves every event into a wheel starting at the last event taken out.
    fn start_wheel(&mut self) {
        self.wheel = vec![VecDeque::new(); WHEEL_MS];
        self.base = self.last_at;
        self.in_wheel = 0;
        self.refill();
    }

    /// Moves every event back into the heap.
    fn stop_wheel(&mut self) {
        for line in std::mem::take(&mut self.wheel) {
            self.heap.extend(line.into_iter().map(Reverse));
        }
        self.in_wheel = 0;
    }

    /// Moves the heap's events the wheel now reaches into their lines, in
    /// order (so each line stays in order: they were scheduled before
    /// anything the wheel took directly at their instant).
    fn refill(&mut self) {
        let reach = self.base + WHEEL_MS as Millis;
        while self.heap.peek().is_some_and(|Reverse(s)| s.at < reach) {
            let Reverse(scheduled) = self.heap.pop().expect("just peeked");
            self.place(scheduled);
        }
    }

    /// The next event, if it happens at `until` or before.
    pub(super) fn pop_until(&mut self, until: Millis) -> Option<Scheduled> {
        let next = if self.wheel.is_empty() {
            if self.peek_at()? > until {
                return None;
            }
            self.heap.pop().map(|Reverse(next)| next)
        } else {
            self.advance_to_next(until)?;
            let next = self.wheel[self.base as usize % WHEEL_MS].pop_front();
            self.in_wheel -= 1;
            next
        };
        self.last_at = next.as_ref().map_or(self.last_at, |n| n.at);
        next
    }

    /// Moves the wheel's base to the next event's instant if it is at
    /// `until` or before; `None` if there is no such event.
    fn advance_to_next(&mut self, until: Millis) -> Option<()> {
        loop {
            if self.in_wheel == 0 {
                // Nothing within reach: jump to the heap's first event.
                let at = self.heap.peek().map(|Reverse(s)| s.at)?;
                if at > until {
                    return None;
                }
                self.base = at;
                self.refill();
            }
            let line = &self.wheel[self.base as usize % WHEEL_MS];
            if let Some(first) = line.front() {
                return (first.at <= until).then_some(());
            }
            if self.base >= until {
                return None;
            }
            self.base += 1;
            self.refill();
        }
    }

    /// When the next event happens.
    pub(super) fn peek_at(&self) -> Option<Millis> {
        let in_heap = self.heap.peek().map(|Reverse(next)| next.at);
        if self.in_wheel == 0 {
            return in_heap;
        }
        // The wheel's events all come before the heap's.
        (0..WHEEL_MS as Millis)
            .map(|offset| self.base + offset)
            .find_map(|at| self.wheel[at as usize % WHEEL_MS].front().map(|s| s.at))
    }

    /// Every scheduled event, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Scheduled> {
        let wheel = self.wheel.iter().flatten();
        self.heap.iter().map(|Reverse(s)| s).chain(wheel)
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

    /// Keeps only the events `keep` accepts.
    fn retain(&mut self, mut keep: impl FnMut(&Scheduled) -> bool) {
        self.heap.retain(|Reverse(s)| keep(s));
        for line in &mut self.wheel {
            line.retain(&mut keep);
        }
        self.in_wheel = self.wheel.iter().map(VecDeque::len).sum();
    }

    /// Drops `actor`'s operation waiting to take effect, and a reply held
    /// for it by a pause.
    pub(super) fn remove_effects_of(&mut self, actor: usize) {
        self.retain(|s| {
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
        self.retain(|s| s.seq != first.seq);
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A queue fed the same pushes and pops as a plain (time, sequence)
    /// heap gives the same events in the same order, through the switch to
    /// the wheel, jumps past its reach and events far ahead.
    #[test]
    fn the_wheel_keeps_the_heaps_order() {
        let mut queue = EventQueue::default();
        let mut reference: BinaryHeap<Reverse<(Millis, usize)>> = BinaryHeap::new();
        let mut now: Millis = 0;
        let mut pushed = 0;
        // A deterministic mix of delays: 0, 1 and 120 ms mostly, sometimes
        // far beyond the wheel's reach.
        let delays = [1, 0, 120, 1, 3, 1000, 1, 0, 40, 257, 1, 5000];
        for round in 0..20_000usize {
            let pushes = if round < 500 { 3 } else { 1 + round % 2 };
            for _ in 0..pushes {
                let at = now + delays[pushed % delays.len()];
                queue.push(at, Event::Generate(pushed));
                reference.push(Reverse((at, pushed)));
                pushed += 1;
            }
            if round % 7 == 0 {
                // A removal in the middle, as an app crash does.
                let gone = pushed - 2;
                queue.retain(|s| s.event != Event::Generate(gone));
                reference.retain(|Reverse((_, n))| *n != gone);
            }
            for _ in 0..2 {
                let until = now + 2;
                let due = reference
                    .peek()
                    .is_some_and(|Reverse((at, _))| *at <= until);
                let expected = due.then(|| reference.pop().unwrap().0);
                let got = queue.pop_until(until).map(|s| match s.event {
                    Event::Generate(n) => (s.at, n),
                    other => panic!("{other:?}"),
                });
                assert_eq!(got, expected, "round {round}");
                assert_eq!(
                    queue.peek_at(),
                    reference.peek().map(|Reverse((at, _))| *at)
                );
                if let Some((at, _)) = got {
                    now = at;
                }
            }
        }
        assert!(!queue.wheel.is_empty(), "the queue grew into a wheel");
        while let Some(Reverse((at, n))) = reference.pop() {
            let got = queue.pop_until(Millis::MAX).unwrap();
            assert_eq!((got.at, got.event), (at, Event::Generate(n)));
        }
        assert_eq!(queue.pop_until(Millis::MAX), None);
    }
}
