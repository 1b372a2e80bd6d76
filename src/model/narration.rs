//! Where a lesson's narration is reached: each beat's cue (see
//! [`crate::lessons::Cue`]) checked against the model, step by step; and
//! the lesson's questions judged by the run (see [`crate::lessons::Check`]).

use crate::lessons::{Beat, Check, Cue, Question};
use crate::sim::engine::DivergenceKind;
use crate::sim::recording::Recording;
use crate::sim::{Report, Simulation, TraceEvent};

/// What a part of the narration is about, on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The latest mark of this kind drawn (the page's test id for it).
    Mark(&'static str),
    /// The lane of this actor.
    Lane(&'static str),
}

impl Focus {
    /// The page's selector for it.
    pub fn selector(self) -> String {
        match self {
            Focus::Mark(id) => format!("[data-testid=\"{id}\"]"),
            Focus::Lane(actor) => format!(".timeline g.lane[data-lane=\"{actor}\"]"),
        }
    }
}

impl Cue {
    /// What on the timeline a beat with this cue is about: the anomaly
    /// (`mark-stale`, `shade-stale`, ...), the DB reads band of a stampede
    /// (`db-level`), by the page's name for the mark, or the lane of the
    /// actor whose operation it names. The page keeps it in view while the
    /// beat shows.
    pub fn focus(self) -> Option<Focus> {
        let mark = match self {
            // A fault's own mark says which and when.
            Cue::Did("fault", _) => "mark-fault",
            Cue::Did(actor, _) => return Some(Focus::Lane(actor)),
            Cue::DbReadsInFlight(_) => "db-level",
            Cue::StaleNow => "shade-stale",
            Cue::AheadNow => "shade-ahead",
            Cue::StaleRead => "mark-stale",
            Cue::PhantomRead => "mark-phantom",
            Cue::LostWrite => "mark-lost",
            Cue::Start | Cue::End => return None,
        };
        Some(Focus::Mark(mark))
    }

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

impl Check {
    /// Whether the check holds for `sim`.
    pub fn holds(self, sim: &Simulation) -> bool {
        let read = |actor: &str, stale: bool| match Report::of(sim, false).requests {
            crate::sim::report::Requests::Listed(requests) => requests
                .iter()
                .any(|r| r.id == actor && r.stale == Some(stale)),
            crate::sim::report::Requests::Counted(_) => false,
        };
        let counters = sim.counters();
        let db_reads = counters.db_reads + counters.db_reads_in_flight;
        match self {
            Check::StaleRead(actor) => read(actor, true),
            Check::FreshRead(actor) => read(actor, false),
            Check::DbReadsAtMost(n) => db_reads <= n,
            Check::DbReadsAtLeast(n) => db_reads >= n,
            Check::LostWrite => !sim.lost_writes().is_empty(),
            Check::NoLostWrite => sim.lost_writes().is_empty(),
            Check::CacheDiverged => Cue::StaleNow.holds(sim, &[]) || Cue::AheadNow.holds(sim, &[]),
            Check::CacheAgrees => !Check::CacheDiverged.holds(sim),
        }
    }
}

/// The step at which `question` is judged in `recording` (whose beats are
/// reached at `beats_at`): where its reveal beat is reached; in a run that
/// never gets there, its last step.
pub fn judged_at(question: &Question, beats_at: &[Option<usize>], recording: &Recording) -> usize {
    beats_at
        .get(question.reveal)
        .copied()
        .flatten()
        .unwrap_or(recording.len())
}

/// Which of `question`'s choices hold in `recording` where it is judged.
pub fn right_choices(
    question: &Question,
    beats_at: &[Option<usize>],
    recording: &Recording,
) -> Vec<bool> {
    let at = judged_at(question, beats_at, recording);
    let judge = |sim: &Simulation| {
        question
            .choices
            .iter()
            .map(|c| c.check.holds(sim))
            .collect()
    };
    if recording.cursor() == at {
        judge(recording.current())
    } else {
        judge(&recording.simulation_at(at))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::LESSONS;

    #[test]
    fn every_lesson_has_narration_and_every_beat_is_reached_in_order() {
        for lesson in LESSONS {
            let beats = lesson.narration;
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
        let found = positions(
            crate::lessons::lesson("read-write-race").unwrap().narration,
            &recording,
        );
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
        let found = positions(
            crate::lessons::lesson("read-write-race").unwrap().narration,
            &by_hand,
        );
        assert_eq!(found, [Some(0), Some(2), Some(5), None, None]);
    }

    #[test]
    fn every_question_has_exactly_one_right_answer_in_its_lessons_own_run() {
        let mut asked = 0;
        for lesson in LESSONS {
            let recording = Recording::new(&lesson.scenario()).unwrap();
            let found = positions(lesson.narration, &recording);
            for question in lesson.questions {
                asked += 1;
                assert!(
                    question.at < question.reveal && question.reveal < lesson.narration.len(),
                    "{}: asked at {} and revealed at {}",
                    lesson.name,
                    question.at,
                    question.reveal
                );
                assert!(
                    found[question.at] < found[question.reveal],
                    "{}",
                    lesson.name
                );
                let right = right_choices(question, &found, &recording);
                assert_eq!(
                    right.iter().filter(|&&r| r).count(),
                    1,
                    "{}: {right:?}",
                    lesson.name
                );
            }
        }
        assert!(asked >= 14, "{asked} questions");
    }

    #[test]
    fn a_question_is_judged_by_the_run_on_screen() {
        // read-write-race, scheduled by hand so that R's set lands before
        // W's commit: R2 reads the fresh value, and that answer is right.
        let lesson = crate::lessons::lesson("read-write-race").unwrap();
        let question = &lesson.questions[0];
        let mut by_hand = Recording::new(&lesson.scenario()).unwrap();
        by_hand.seek(2);
        for actor in ["R", "W", "W", "R2", "R2", "R2"] {
            by_hand = by_hand
                .fork(crate::sim::scenario::ScheduleEntry::Actor(actor.into()))
                .unwrap();
        }
        let found = positions(lesson.narration, &by_hand);
        assert_eq!(
            found[question.reveal], None,
            "never revealed: judged at the end"
        );
        assert_eq!(judged_at(question, &found, &by_hand), by_hand.len());
        let labels: Vec<&str> = question.choices.iter().map(|c| c.label).collect();
        let right = right_choices(question, &found, &by_hand);
        assert_eq!(
            labels
                .iter()
                .zip(&right)
                .find(|(_, r)| **r)
                .map(|(l, _)| *l),
            Some("v2, the value W committed")
        );
    }
}
