//! Guided lessons: each lesson's narration, a list of beats. A beat waits
//! for the model to reach a state (an operation taken effect, a key gone
//! stale, a stale read, a stampede's DB reads in flight), never for a timer,
//! so it stays true whatever speed the run is played at and whichever way
//! the person moves through it.

use crate::sim::engine::DivergenceKind;
use crate::sim::recording::Recording;
use crate::sim::trace::OpName;
use crate::sim::{Report, Simulation, TraceEvent};

/// What a beat waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cue {
    /// Nothing: the lesson's first beat.
    Start,
    /// This actor's operation of this name has taken effect.
    Did(&'static str, OpName),
    /// Some key's cache entry is stale now.
    StaleNow,
    /// Some key's cache entry is ahead of the database now.
    AheadNow,
    /// A read has returned a stale value.
    StaleRead,
    /// A read has returned a value that was never committed.
    PhantomRead,
    /// An acknowledged write has been lost.
    LostWrite,
    /// At least this many DB reads are in flight at once.
    DbReadsInFlight(u64),
    /// The run is over.
    End,
}

/// One step of a lesson's narration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beat {
    /// Shown once the model reaches the cue.
    pub when: Cue,
    /// What to look at now.
    pub text: &'static str,
}

impl Cue {
    /// Whether the cue holds for `sim`, whose trace so far is `trace`.
    fn holds(self, sim: &Simulation, trace: &[TraceEvent]) -> bool {
        let open = |kind| {
            sim.divergence()
                .iter()
                .any(|w| w.kind == kind && w.to_ms.is_none())
        };
        match self {
            Cue::Start => true,
            Cue::Did(actor, op) => trace.iter().any(|e| e.op == op && e.actor.name() == actor),
            Cue::StaleNow => open(DivergenceKind::Stale),
            Cue::AheadNow => open(DivergenceKind::Ahead),
            Cue::StaleRead => Report::of(sim, false).stale_reads > 0,
            Cue::PhantomRead => Report::of(sim, false).phantom_reads > 0,
            Cue::LostWrite => !sim.lost_writes().is_empty(),
            Cue::DbReadsInFlight(n) => sim.counters().db_reads_in_flight >= n,
            Cue::End => sim.is_finished(),
        }
    }
}

/// Where each beat is reached in `recording`: the first step count (at or
/// after the previous beat's) at which its cue holds; `None` from the first
/// beat this run never reaches (a run scheduled by hand may not).
pub fn positions(beats: &[Beat], recording: &Recording) -> Vec<Option<usize>> {
    let mut walker = recording.clone();
    walker.seek(0);
    let mut found = Vec::with_capacity(beats.len());
    let mut beats = beats.iter().peekable();
    loop {
        while let Some(beat) = beats.peek() {
            if !beat.when.holds(walker.current(), walker.trace()) {
                break;
            }
            found.push(Some(walker.cursor()));
            beats.next();
        }
        if beats.peek().is_none() || !walker.step_forward() {
            break;
        }
    }
    found.resize(found.len() + beats.count(), None);
    found
}

/// The beat showing at `cursor`: the last one reached at or before it.
pub fn current(positions: &[Option<usize>], cursor: usize) -> usize {
    positions
        .iter()
        .rposition(|p| p.is_some_and(|p| p <= cursor))
        .unwrap_or(0)
}

/// Each lesson's narration, by preset name.
pub fn beats(lesson: &str) -> &'static [Beat] {
    use Cue::*;
    macro_rules! beats {
        ($(($cue:expr, $text:expr)),* $(,)?) => { &[$(Beat { when: $cue, text: $text }),*] };
    }
    match lesson {
        "cache-aside-basics" => beats![
            (
                Start,
                "Two readers of user:123, an empty cache. Press Step (or Play) and watch R1."
            ),
            (
                Did("R1", OpName::CacheGet),
                "R1 asks the cache first: a miss. It goes to the database."
            ),
            (
                Did("R1", OpName::CacheSet),
                "R1 read v1 and stored it in the cache, with a TTL (see the inspector's countdown)."
            ),
            (
                Did("R2", OpName::CacheGet),
                "R2 is served from the cache: a hit, no database read. Cache and database agree."
            ),
        ],
        "update-on-write-race" => beats![
            (
                Start,
                "Two writers update user:123 at the same moment; each commits, then sets the cache to its own value."
            ),
            (
                Did("W2", OpName::DbWrite),
                "W1 committed A (@2), then W2 committed B (@3): the database ends with B."
            ),
            (
                Did("W2", OpName::CacheSet),
                "W2 sets the cache to B first. So far so good."
            ),
            (
                StaleNow,
                "Then W1's set lands last: the cache holds A, the database B. The hatched window on the cache lane is the stale period."
            ),
            (
                StaleRead,
                "R arrives later and is served A: a stale read (triangle). Nothing fixes it until the TTL. Click the triangle to see why."
            ),
        ],
        "invalidate-on-write" => beats![
            (
                Start,
                "W will commit v2 and then delete the cached v1; readers come before and after."
            ),
            (
                Did("W", OpName::DbWrite),
                "W committed v2. For one cache operation the cache still holds v1: a short stale window."
            ),
            (
                Did("W", OpName::CacheDelete),
                "W deleted the key. The window closes: the next read will miss."
            ),
            (
                Did("R2", OpName::CacheSet),
                "R2 missed, read v2 and filled the cache. In this timing invalidation worked; try read-write-race next."
            ),
        ],
        "read-write-race" => beats![
            (
                Start,
                "Invalidate-on-write, but the reader is slow. Watch R's cache set."
            ),
            (
                Did("R", OpName::DbRead),
                "R missed and read v1 from the database. It has not stored it yet."
            ),
            (
                Did("W", OpName::CacheDelete),
                "Meanwhile W committed v2 and deleted the key. The cache is empty: consistent, for now."
            ),
            (
                StaleNow,
                "R's set of v1 lands after the delete. The cache holds v1, the database v2: stale until the TTL."
            ),
            (
                StaleRead,
                "R2 reads v1: a stale read. Invalidate-on-write is not always consistent. Click the window for its cause."
            ),
        ],
        "leases" => beats![
            (
                Start,
                "The read-write race again, with memcache leases. Watch the lease in the inspector."
            ),
            (
                Did("R", OpName::CacheLeaseGet),
                "R's miss hands it lease #1: the right to fill the key once."
            ),
            (
                Did("W", OpName::CacheDelete),
                "W committed v2 and deleted the key, which voided lease #1."
            ),
            (
                Did("R", OpName::CacheLeaseSet),
                "R's late set of v1 presents a void lease and is refused. The cache stays empty."
            ),
            (
                End,
                "R2 filled v2 with a fresh lease. No stale window at all: leases fix this race."
            ),
        ],
        "delayed-double-delete" => beats![
            (
                Start,
                "The read-write race, but W deletes again 50 ms after its commit."
            ),
            (
                StaleNow,
                "R's late set put v1 back after W's first delete: stale, as before."
            ),
            (
                Did("R2", OpName::CacheGet),
                "W's second delete removed v1 at 76 ms, bounding the window to about 50 ms. R2 misses and reads v2."
            ),
            (
                End,
                "The delay is a guess: a reader slower than 50 ms would reopen the window."
            ),
        ],
        "versioned-sets" => beats![
            (
                Start,
                "Every set carries its DB version; the cache refuses a set older than what it holds."
            ),
            (
                Did("W", OpName::CacheDelete),
                "W committed v2 and deleted the key. The cache now holds nothing to compare against."
            ),
            (
                StaleNow,
                "R's set of v1@1 finds no entry, so it is accepted: stale until the TTL."
            ),
            (
                StaleRead,
                "R2 reads v1. Versioned sets stop writers crossing, not a delete followed by an old fill."
            ),
        ],
        "delete-first" => beats![
            (
                Start,
                "W deletes the cached value first, then commits (20 ms)."
            ),
            (
                Did("W", OpName::CacheDelete),
                "The key is gone; W's commit is still in flight."
            ),
            (
                Did("R", OpName::CacheSet),
                "R missed, read v1 (the commit has not landed) and cached it."
            ),
            (
                StaleNow,
                "W's commit lands: the cache holds v1, the database v2, until the TTL."
            ),
            (
                StaleRead,
                "R2 reads v1: stale. Deleting first opens the race wider, not narrower."
            ),
        ],
        "write-through" => beats![
            (
                Start,
                "Write-through: each writer sets the cache, then commits."
            ),
            (
                AheadNow,
                "The cache holds a value the database has not committed: ahead (dotted window)."
            ),
            (
                Did("R0", OpName::CacheGet),
                "R0 reads B before any commit: an uncommitted read."
            ),
            (
                StaleNow,
                "W2 committed B, then W1 committed A: the database ends with A, the cache with B. Now stale."
            ),
            (StaleRead, "R reads B after A was committed: a stale read."),
        ],
        "write-behind-crash" => beats![
            (
                Start,
                "Write-behind: a write is acknowledged once the cache holds it (dirty); a flusher writes it later."
            ),
            (
                Did("W2", OpName::CacheSetDirty),
                "W1 and W2 are acknowledged; their values live only in the cache (dirty, never expire)."
            ),
            (
                Did("R", OpName::CacheGet),
                "R reads B from the cache: a value the database has never seen."
            ),
            (
                LostWrite,
                "The cache crashes before the flush: both acknowledged writes are lost (cross), and R's read becomes a phantom (ring)."
            ),
            (
                Did("R2", OpName::CacheSet),
                "R2 misses and reads v1 from the database: the writes are gone for good."
            ),
        ],
        "ttl-only" => beats![
            (
                Start,
                "TTL only: writers do nothing to the cache. The cached v1 expires at 1000 ms."
            ),
            (
                StaleNow,
                "W committed v2. The cache still serves v1: stale until it expires."
            ),
            (
                StaleRead,
                "R reads v1: stale. The window is expiry minus commit, 880 ms."
            ),
            (
                Did("R2", OpName::CacheSet),
                "After the expiry R2 missed and cached v2. A shorter TTL means a shorter window and more DB reads."
            ),
        ],
        "event-invalidation" => beats![
            (
                Start,
                "The writer publishes an invalidation event; a consumer applies it. Watch the bus in the inspector."
            ),
            (
                Did("W", OpName::BusPublish),
                "W committed v2 and published the event. It travels for 50 ms; the cache still serves v1."
            ),
            (
                StaleRead,
                "R1 reads v1 while the event is on its way: stale."
            ),
            (
                Did("consumer", OpName::CacheDelete),
                "The consumer deletes the key: the window closes. Stale for as long as the event took."
            ),
            (
                End,
                "R2 fills v2. Eventual consistency, measured: the window is the bus delay plus two operations."
            ),
        ],
        "event-loss" => beats![
            (
                Start,
                "The same event-driven write, but the bus will lose the event."
            ),
            (
                Did("W", OpName::BusPublish),
                "The event is lost. Nothing else will remove v1."
            ),
            (StaleRead, "R1 reads v1 at 500 ms: stale."),
            (
                Did("R2", OpName::CacheSet),
                "Only the TTL ended it: R2, after the expiry, cached v2. A TTL is the backstop for lost events."
            ),
        ],
        "kafka-partitions" => beats![
            (
                Start,
                "Update events over an unkeyed bus: round-robin over two partitions; partition 0 lags 100 ms."
            ),
            (
                Did("W2", OpName::BusPublish),
                "W1's event (A) went to the slow partition 0, W2's (B) to partition 1."
            ),
            (
                Did("consumer", OpName::CacheSet),
                "B arrives first and is set."
            ),
            (
                StaleNow,
                "A arrives last and overwrites B: the cache holds A, the database B."
            ),
            (
                StaleRead,
                "R reads A: stale until the TTL. A keyed bus keeps one key's events in order."
            ),
        ],
        "outbox" => beats![
            (
                Start,
                "W commits v2 and an outbox row in one transaction. Watch the outbox in the inspector."
            ),
            (
                Did("W", OpName::DbWriteOutbox),
                "Committed together: no crash can separate the change from its event."
            ),
            (
                Did("relay", OpName::BusPublish),
                "The relay polled and published the row, but has not marked it sent."
            ),
            (
                Did("consumer", OpName::CacheDelete),
                "The relay crashed before marking it; the consumer deleted the key anyway."
            ),
            (
                Did("relay", OpName::OutboxMarkSent),
                "Restarted, the relay published the row again and marked it sent: delivered at least once, here twice."
            ),
            (
                End,
                "The stale window was the poll interval plus the bus delay; it can never be forever."
            ),
        ],
        "stampede" => beats![
            (
                Start,
                "A hot key expires at 300 ms; twelve readers arrive just after. Watch the DB band under the timeline."
            ),
            (
                Did("R1", OpName::CacheGet),
                "The key has expired: R1 misses and goes to the database."
            ),
            (
                DbReadsInFlight(12),
                "All twelve missed before the first refill: twelve DB reads at once for one value. That is a stampede."
            ),
            (
                End,
                "Each of them then set the same value. Try stampede-lock, -singleflight, -lease, -xfetch, -swr."
            ),
        ],
        "stampede-lock" => beats![
            (
                Start,
                "The same burst; a miss must take the key's lock before reading the database."
            ),
            (
                Did("R1", OpName::CacheLockAdd),
                "R1 holds the lock (see the inspector) and reads the database."
            ),
            (
                Did("R2", OpName::CacheLockAdd),
                "The others find the lock held; they wait 10 ms and look again."
            ),
            (
                Did("R1", OpName::CacheSet),
                "R1 refilled the key; the waiters' next gets hit."
            ),
            (
                End,
                "One DB read instead of twelve; the price is the waiters' latency and their repeated gets."
            ),
        ],
        "stampede-singleflight" => beats![
            (
                Start,
                "The same burst; misses inside one app instance share one DB read."
            ),
            (
                DbReadsInFlight(4),
                "Four DB reads in flight: one per app instance, not one per reader."
            ),
            (
                End,
                "Four reads instead of twelve. The instances do not coordinate: more instances, more reads."
            ),
        ],
        "stampede-lease" => beats![
            (Start, "The same burst with memcache leases."),
            (
                Did("R1", OpName::CacheLeaseGet),
                "R1's miss gets the lease and reads the database."
            ),
            (
                Did("R2", OpName::CacheLeaseGet),
                "The others are told another reader holds the lease; they retry every 10 ms."
            ),
            (
                Did("R1", OpName::CacheLeaseSet),
                "R1 fills the key; the retries hit."
            ),
            (End, "One DB read, on the cache server's say-so."),
        ],
        "stampede-xfetch" => beats![
            (
                Start,
                "XFetch: a hit may recompute early, more likely the nearer the expiry."
            ),
            (
                Did("refresher", OpName::DbRead),
                "An early hit started a background refresh, well before 300 ms."
            ),
            (
                Did("refresher", OpName::CacheSet),
                "The new value is cached before the old one expires."
            ),
            (
                End,
                "The burst at 300 ms all hit: the key never expired under load."
            ),
        ],
        "stampede-swr" => beats![
            (
                Start,
                "Stale-while-revalidate: past its TTL an entry is still served for a grace period."
            ),
            (
                Did("R1", OpName::CacheGet),
                "R1 hits the expired entry, gets it at once, and starts one background refresh."
            ),
            (
                Did("refresher", OpName::CacheSet),
                "The refresh read the database once and stored the new value."
            ),
            (
                End,
                "Nobody waited and the database was read once; the price is serving a value past its TTL."
            ),
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::LESSONS;

    #[test]
    fn every_lesson_has_narration_and_every_beat_is_reached_in_order() {
        for lesson in LESSONS {
            let beats = beats(lesson.name);
            assert!(
                beats.len() >= 3,
                "{} has {} beats",
                lesson.name,
                beats.len()
            );
            assert_eq!(beats[0].when, Cue::Start, "{}", lesson.name);
            let recording = Recording::new(&lesson.scenario()).unwrap();
            let found = positions(beats, &recording);
            assert_eq!(found.len(), beats.len());
            for (i, position) in found.iter().enumerate() {
                assert!(
                    position.is_some(),
                    "{}: beat {i} ({:?}) never reached",
                    lesson.name,
                    beats[i].when
                );
            }
            let found: Vec<usize> = found.into_iter().flatten().collect();
            assert!(
                found.windows(2).all(|w| w[0] <= w[1]),
                "{}: {found:?}",
                lesson.name
            );
            assert_eq!(found[0], 0);
        }
    }

    #[test]
    fn beats_wait_for_the_model_not_for_a_clock() {
        // read-write-race: R misses (1), reads (2), W commits (3) and
        // deletes (4), R's set lands (5, stale), R2 hits (6, stale read).
        let recording = Recording::new(
            &crate::lessons::lesson("read-write-race")
                .unwrap()
                .scenario(),
        )
        .unwrap();
        let found = positions(beats("read-write-race"), &recording);
        assert_eq!(found, [Some(0), Some(2), Some(4), Some(5), Some(6)]);
        assert_eq!(current(&found, 0), 0);
        assert_eq!(current(&found, 3), 1);
        assert_eq!(current(&found, 5), 3);
        assert_eq!(current(&found, 6), 4);
        // By hand, R's set lands before W's commit (step 3), so W's delete
        // (step 5) removes the old value: the cue "stale after the delete"
        // and the stale read are never reached.
        let mut by_hand = recording.clone();
        by_hand.seek(2);
        for actor in ["R", "W", "W", "R2", "R2", "R2"] {
            by_hand = by_hand
                .fork(crate::sim::scenario::ScheduleEntry::Actor(actor.into()))
                .unwrap();
        }
        let found = positions(beats("read-write-race"), &by_hand);
        assert_eq!(found, [Some(0), Some(2), Some(5), None, None]);
    }
}
