//! A workshop on the page's reducer, natively: the course and its walk,
//! Play pausing at each part, predictions judged by the run, challenges
//! recognised from the model (and compared with the explorer), faults
//! placed by hand, and the state the page reports ("done" or your move).
#![cfg(not(target_arch = "wasm32"))]

use std::rc::Rc;

use cachescope::lessons::challenges::{CHALLENGES, challenge};
use cachescope::lessons::{self, LESSONS};
use cachescope::model::link;
use cachescope::model::playground::{Action, Playground};
use cachescope::model::view;
use cachescope::sim::explore::Anomaly;
use cachescope::sim::scenario::{FaultKind, ScheduleEntry};

mod support;
use support::TestClock;

fn apply(state: Rc<Playground>, actions: impl IntoIterator<Item = Action>) -> Rc<Playground> {
    let clock = TestClock::default();
    actions
        .into_iter()
        .fold(state, |state, action| state.apply(action, &clock))
}

fn lesson(name: &str) -> Rc<Playground> {
    Rc::new(Playground::new(lessons::lesson(name).unwrap()))
}

/// Ticks a frame at a time until play stops (bounded).
fn play_until_paused(mut state: Rc<Playground>) -> Rc<Playground> {
    state = apply(state, [Action::SetSpeed(20), Action::TogglePlay]);
    for _ in 0..100_000 {
        if !state.playback.playing {
            return state;
        }
        state = apply(state, [Action::Tick(16.0)]);
    }
    panic!("still playing");
}

/// Counts the challenge's orders to the end.
fn explored(mut state: Rc<Playground>) -> Rc<Playground> {
    for _ in 0..1_000_000 {
        if state.exploring.working().is_none() {
            return state;
        }
        state = apply(state, [Action::ExploreSlice]);
    }
    panic!("the explorer did not finish");
}

#[test]
fn play_stops_at_every_part_of_the_lesson_and_plays_through_when_asked_not_to() {
    for name in ["read-write-race", "stampede-lease", "write-behind-crash"] {
        let start = lesson(name);
        let parts: Vec<usize> = start.beats_at.iter().flatten().copied().collect();
        let mut state = start.clone();
        let mut stops = Vec::new();
        while !state.finished() {
            state = play_until_paused(state);
            stops.push(state.steps_taken());
        }
        let mut expected: Vec<usize> = parts.iter().copied().filter(|&p| p > 0).collect();
        expected.dedup();
        if expected.last() != Some(&state.total_steps()) {
            expected.push(state.total_steps());
        }
        assert_eq!(
            stops, expected,
            "{name}: stops at each part, then at the end"
        );
        // Free play: one Play to the end.
        let state = play_until_paused(apply(start, [Action::SetPauseAtParts(false)]));
        assert!(state.finished(), "{name}");
    }
}

#[test]
fn a_prediction_is_made_before_the_reveal_and_judged_by_the_run() {
    let state = lesson("read-write-race");
    assert!(state.question().is_none(), "nothing asked at the start");
    let asked = apply(state, [Action::NextBeat, Action::NextBeat]);
    let question = asked.question().expect("asked once W has deleted");
    assert!(question.revealed.is_none() && question.picked.is_none());
    let stale = question
        .choices
        .iter()
        .position(|c| c.contains("stale"))
        .unwrap();
    let predicted = apply(asked.clone(), [Action::Answer(question.index, stale)]);
    assert_eq!(predicted.question().unwrap().picked, Some(stale));
    // The run reveals it: R2 reads v1, and the prediction held.
    let revealed = apply(predicted, [Action::NextBeat, Action::NextBeat]);
    let shown = revealed.question().unwrap();
    assert!(shown.revealed.is_some());
    assert_eq!(shown.held(), Some(true));
    // Too late to change it now.
    let late = apply(revealed.clone(), [Action::Answer(shown.index, 1 - stale)]);
    assert_eq!(late.question().unwrap().picked, Some(stale));
    assert!(
        late.message
            .as_deref()
            .unwrap_or_default()
            .contains("already shown")
    );
    // The other answer, made in time, did not hold.
    let wrong = apply(
        asked,
        [Action::Answer(question.index, 1 - stale), Action::RunToEnd],
    );
    assert_eq!(wrong.question().unwrap().held(), Some(false));
}

#[test]
fn a_challenge_is_solved_by_scheduling_and_compared_with_every_order() {
    let index = CHALLENGES
        .iter()
        .position(|c| c.name == "delete-first-stale")
        .unwrap();
    let state = explored(apply(
        lesson("cache-aside-basics"),
        [Action::StartChallenge(index)],
    ));
    assert_eq!(state.lesson.name, "delete-first");
    assert_eq!(state.steps_taken(), 0, "every order open");
    assert!(state.narration().is_empty());
    let view = state.challenge_view().unwrap();
    assert!(!view.solved && view.moves == 0);
    let explored = view.explored.expect("the orders are counted");
    // The explorer's own numbers for delete-first (tests/golden/explore.json).
    assert_eq!((explored.succeed, explored.orders), (66, 146));
    let shortest = explored.shortest.expect("some order succeeds");
    assert_eq!(shortest.len(), 6);
    // The learner plays the shortest order by hand, one click at a time.
    let mut played = state.clone();
    for (i, entry) in shortest.iter().enumerate() {
        assert!(
            !played.challenge_view().unwrap().solved,
            "not solved before move {i}"
        );
        assert!(
            played.scheduler_choices().iter().any(|c| &c.entry == entry),
            "{entry:?} is offered"
        );
        played = apply(played, [Action::Schedule(entry.clone())]);
    }
    let view = played.challenge_view().unwrap();
    assert!(view.solved && played.done());
    assert_eq!((view.moves, view.best), (6, Some(6)));
    // As a link, the attempt opens as it was.
    let opened =
        Playground::from_link(&link::decode(&link::encode(&played.link())).unwrap()).unwrap();
    assert_eq!(opened.challenge.map(|c| c.name), Some("delete-first-stale"));
    assert_eq!(opened.steps_taken(), 6);
    assert!(opened.challenge_view().unwrap().solved);
    // Start over keeps the best; back to the lesson leaves the challenge.
    let again = apply(played.clone(), [Action::Reset]);
    assert_eq!((again.steps_taken(), again.best_moves), (0, Some(6)));
    let back = apply(played, [Action::BackToLesson]);
    assert!(back.challenge.is_none() && !back.narration().is_empty());
}

#[test]
fn a_challenge_can_be_impossible_and_the_count_says_so() {
    let leases = challenge("leases-stale-end").unwrap();
    let state = explored(Rc::new(Playground::challenge(leases)));
    let explored = state.challenge_view().unwrap().explored.unwrap();
    assert_eq!((explored.succeed, explored.orders), (0, 490_938));
    assert_eq!(explored.shortest, None);
}

#[test]
fn faults_are_placed_by_hand_in_a_challenge_and_lose_a_write() {
    let state = Rc::new(Playground::challenge(
        challenge("write-behind-lost").unwrap(),
    ));
    assert_eq!(state.faults_to_place(), [FaultKind::CacheCrash]);
    let crash = ScheduleEntry::Fault(FaultKind::CacheCrash);
    let label = |s: &Playground| {
        s.scheduler_choices()
            .iter()
            .find(|c| c.entry == crash)
            .map(|c| c.label.clone())
    };
    assert_eq!(label(&state).as_deref(), Some("cache crash"));
    // W1 writes (dirty, acknowledged), then the cache crashes: the write
    // is lost, and the challenge is solved once the run is complete.
    let mut s = apply(state, [Action::Schedule(ScheduleEntry::Actor("W1".into()))]);
    s = apply(s, [Action::Schedule(crash.clone())]);
    assert!(!s.recording.current().lost_writes().is_empty());
    assert!(s.faults_to_place().is_empty(), "the crash is placed once");
    assert!(label(&s).is_none());
    while !s.done() {
        assert!(
            !s.challenge_view().unwrap().solved,
            "not before the run is complete"
        );
        let first = s.scheduler_choices()[0].entry.clone();
        s = apply(s, [Action::Schedule(first)]);
        assert!(s.steps_taken() < 20);
    }
    assert_eq!(s.challenge.unwrap().goal, Anomaly::LostWrite);
    let view = s.challenge_view().unwrap();
    assert!(view.solved);
    let explored = explored(s).challenge_view().unwrap().explored.unwrap();
    assert_eq!((explored.succeed, explored.orders), (26_992, 50_060));
    assert!(view.moves >= explored.shortest.unwrap().len());
}

#[test]
fn done_only_when_nothing_is_left_to_schedule_and_held_operations_say_so() {
    // A fork: the recording ends at the choice, with others still pending.
    let state = apply(lesson("read-write-race"), [Action::Step, Action::Step]);
    let forked = apply(state, [Action::Schedule(ScheduleEntry::Actor("W".into()))]);
    assert!(
        forked.finished() && !forked.done(),
        "the run waits for the next choice"
    );
    let rows = view::pending_rows(forked.recording.current());
    assert!(
        rows.iter().all(|r| r.when.contains("held until chosen")),
        "{rows:?}"
    );
    let now = forked.recording.current().now_ms();
    for row in &rows {
        if let Some(since) = row.when.split("ready since ").nth(1) {
            let at: u64 = since.split(' ').next().unwrap().parse().unwrap();
            assert!(at <= now, "held rows are the ones due by now");
        }
    }
    // The lesson as it comes is done at its end.
    let whole = apply(lesson("read-write-race"), [Action::RunToEnd]);
    assert!(whole.done());
}

#[test]
fn the_remote_walks_the_course_from_a_lessons_end_and_start() {
    let first = lesson(LESSONS[0].name);
    let mut state = first.clone();
    for _ in 0..200 {
        if state.lesson.name != LESSONS[0].name {
            break;
        }
        state = apply(state, [Action::Advance]);
    }
    assert_eq!(
        state.lesson.name, LESSONS[1].name,
        "PageDown at the end: next lesson"
    );
    assert_eq!(state.steps_taken(), 0);
    let back = apply(state, [Action::Retreat]);
    assert_eq!(
        back.lesson.name, LESSONS[0].name,
        "PageUp at the start: previous lesson"
    );
    // Not from a person's own scenario or a challenge.
    let own = apply(
        first,
        [
            Action::LoadScenario(LESSONS[0].scenario().to_json()),
            Action::RunToEnd,
            Action::Advance,
        ],
    );
    assert_eq!(own.lesson.name, LESSONS[0].name);
}

#[test]
fn each_choice_says_what_it_does_next() {
    // The cold challenge: nobody has started; each choice names the
    // operation it makes take effect, and so it does once W has started.
    let state = Rc::new(Playground::challenge(
        challenge("delete-first-stale").unwrap(),
    ));
    let next = |s: &Playground| -> Vec<(String, String)> {
        s.scheduler_choices()
            .into_iter()
            .map(|c| (c.label, c.next))
            .collect()
    };
    let start = next(&state);
    assert!(!start.is_empty());
    for (label, what) in &start {
        assert!(what.contains("user:123"), "{label}: {what}");
    }
    let s = apply(state, [Action::Schedule(ScheduleEntry::Actor("W".into()))]);
    let after = next(&s);
    let w = after
        .iter()
        .find(|(label, _)| label == "W")
        .map(|(_, n)| n.as_str());
    assert!(matches!(w, Some(n) if n.contains("user:123")), "{after:?}");
    // A timed run does not simulate a copy per request: it says when each
    // request not yet started arrives.
    let timed = lesson("stampede");
    let choices = timed.scheduler_choices();
    let r1 = choices.iter().find(|c| c.label == "R1").unwrap();
    assert_eq!(r1.next, "arrives at 300 ms");
}

#[test]
fn every_part_of_every_lesson_is_reached_at_a_step_of_its_own() {
    // Two parts reached at one step would show only the later one: Next
    // would skip a part of the story.
    for lesson_ in LESSONS {
        let state = lesson(lesson_.name);
        let reached: Vec<usize> = state
            .beats_at
            .iter()
            .map(|at| at.expect("reached"))
            .collect();
        assert!(
            reached.windows(2).all(|pair| pair[0] < pair[1]),
            "{}: parts reached at steps {reached:?}",
            lesson_.name
        );
    }
}
