//! Built-in lessons, one file each (`read_write_race.rs`), beside its
//! scenario (`read-write-race.json`): the name, title and text, the scenario
//! (compiled in, so the command line and the page offer exactly the same
//! ones, and each is a file a person can read, copy, edit and run), and the
//! narration, a list of beats. A beat waits for the model to reach a state
//! (an operation taken effect, a key gone stale, a stale read, a stampede's
//! DB reads in flight), never for a timer, so it stays true whatever speed
//! the run is played at and whichever way the person moves through it
//! ([`crate::model::narration`] finds where each is reached).

use crate::sim::trace::OpName;
use crate::sim::{Report, Scenario, Simulation};

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

/// A question put to the learner at one narration beat, answered before
/// the run reaches the beat that reveals it. Which choice is right is not
/// written down: each choice is a [`Check`] of the run on screen where the
/// answer is revealed, so a run scheduled by hand is judged by what it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question {
    /// Asked once the narration reaches this beat (an index into the
    /// lesson's narration).
    pub at: usize,
    /// Judged once the run reaches this later beat (or its end, when a run
    /// scheduled by hand never gets there).
    pub reveal: usize,
    /// "What will R2 read?"
    pub prompt: &'static str,
    /// The answers offered; in the lesson's own run exactly one holds.
    pub choices: &'static [Choice],
}

/// One answer to a [`Question`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// What the learner picks.
    pub label: &'static str,
    /// What must be true of the run for this answer to be right.
    pub check: Check,
}

/// Something true or false of a run at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// This request's read has returned a stale value.
    StaleRead(&'static str),
    /// This request's read has returned a value that is not stale.
    FreshRead(&'static str),
    /// At most this many DB reads have been issued.
    DbReadsAtMost(u64),
    /// At least this many DB reads have been issued.
    DbReadsAtLeast(u64),
    /// An acknowledged write has been lost.
    LostWrite,
    /// No acknowledged write has been lost.
    NoLostWrite,
    /// Some key's cache entry holds another version than the database.
    CacheDiverged,
    /// Every cache entry agrees with the database.
    CacheAgrees,
}

/// A built-in lesson.
#[derive(Clone, Copy, Debug)]
pub struct Lesson {
    /// Its preset name (`cachescope preset NAME`).
    pub name: &'static str,
    /// A short title, for menus and the course ("The read-write race").
    pub heading: &'static str,
    /// A one-line summary of what it shows.
    pub title: &'static str,
    /// What it shows and what to look for.
    pub text: &'static str,
    /// The scenario, as JSON.
    pub scenario_json: &'static str,
    /// Questions to predict the run by, at some beats.
    pub questions: &'static [Question],
    /// Its narration, in order; the first beat's cue is `Start`.
    pub narration: &'static [Beat],
}

impl Lesson {
    /// The lesson's scenario, parsed and validated.
    pub fn scenario(&self) -> Scenario {
        Scenario::from_json(self.scenario_json)
            .unwrap_or_else(|e| panic!("built-in lesson {} is invalid: {e}", self.name))
    }
}

/// A lesson's narration: `beats![(cue, "text"), ...]`.
macro_rules! beats {
    ($(($cue:expr, $text:expr)),* $(,)?) => { &[$(Beat { when: $cue, text: $text }),*] };
}

pub mod challenges;
pub mod course;
pub mod reproduced;

mod cache_aside_basics;
mod cache_then_db;
mod cdc_invalidation;
mod consumer_replay;
mod delayed_double_delete;
mod delete_first;
mod event_invalidation;
mod event_loss;
mod invalidate_on_write;
mod kafka_partitions;
mod lease_hot_key;
mod leases;
mod lock_expiry;
mod outbox;
mod read_write_race;
mod replica_lag;
mod stampede;
mod stampede_lease;
mod stampede_lock;
mod stampede_singleflight;
mod stampede_swr;
mod stampede_xfetch;
mod ttl_only;
mod update_on_write_race;
mod versioned_sets;
mod write_behind_crash;
mod write_through;

/// Every built-in lesson, in teaching order (the course's chapters,
/// [`course::CHAPTERS`], cut this list into runs).
pub const LESSONS: &[Lesson] = &[
    cache_aside_basics::LESSON,
    update_on_write_race::LESSON,
    invalidate_on_write::LESSON,
    read_write_race::LESSON,
    leases::LESSON,
    delayed_double_delete::LESSON,
    versioned_sets::LESSON,
    delete_first::LESSON,
    replica_lag::LESSON,
    write_through::LESSON,
    cache_then_db::LESSON,
    write_behind_crash::LESSON,
    ttl_only::LESSON,
    event_invalidation::LESSON,
    event_loss::LESSON,
    cdc_invalidation::LESSON,
    kafka_partitions::LESSON,
    outbox::LESSON,
    consumer_replay::LESSON,
    stampede::LESSON,
    stampede_lock::LESSON,
    lock_expiry::LESSON,
    stampede_singleflight::LESSON,
    stampede_lease::LESSON,
    lease_hot_key::LESSON,
    stampede_xfetch::LESSON,
    stampede_swr::LESSON,
];

/// A count as the lessons write it: `13016` as `13,016`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The lesson called `name`.
pub fn lesson(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}

/// Every lesson's full report (with trace), as one pretty JSON object keyed
/// by lesson name. The golden file `tests/golden/lessons.json` holds the
/// native result; the wasm build must produce the same bytes.
pub fn all_reports_json() -> String {
    let reports: serde_json::Map<String, serde_json::Value> = LESSONS
        .iter()
        .map(|lesson| {
            let mut sim = Simulation::new(&lesson.scenario())
                .unwrap_or_else(|e| panic!("built-in lesson {} is invalid: {e}", lesson.name));
            sim.run();
            let report = serde_json::to_value(Report::of(&sim, true)).expect("serialisable");
            (lesson.name.to_string(), report)
        })
        .collect();
    serde_json::to_string_pretty(&reports).expect("serialisable") + "\n"
}

/// The lessons `cachescope explore` takes on: all but those with more
/// requests than it follows (the stampedes), a generated workload, or a
/// fault that spans time.
pub fn explorable() -> impl Iterator<Item = &'static Lesson> {
    LESSONS.iter().filter(|lesson| {
        let scenario = lesson.scenario();
        scenario.workload.is_none()
            && !scenario.faults.iter().any(|f| f.kind.spans_time())
            && scenario.requests.len() <= crate::sim::explore::MAX_REQUESTS
    })
}

/// What `cachescope explore` says of every explorable lesson, as one pretty
/// JSON object keyed by lesson name. The golden file
/// `tests/golden/explore.json` holds the native result; the wasm build must
/// produce the same bytes.
pub fn all_explorations_json() -> String {
    use crate::sim::explore::{self, Limits};
    explorations_json(
        explorable()
            .map(|lesson| {
                let exploration =
                    explore::explore(&lesson.scenario(), Limits::default(), &mut |_| {})
                        .unwrap_or_else(|e| panic!("lesson {} does not explore: {e}", lesson.name));
                (lesson.name, exploration.summary())
            })
            .collect(),
    )
}

/// The golden file's format for explorations by lesson name.
pub fn explorations_json(
    explorations: std::collections::BTreeMap<&str, crate::sim::explore::Summary>,
) -> String {
    serde_json::to_string_pretty(&explorations).expect("serialisable") + "\n"
}
