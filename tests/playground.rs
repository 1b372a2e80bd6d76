//! The page's reducer, driven natively as the page drives it: every action
//! from a lesson's start, links, knobs, comparisons, faults and the
//! explorer panel. The clock that bounds work per frame is a test clock
//! that moves one millisecond each time it is read, so slices are
//! deterministic.
#![cfg(not(target_arch = "wasm32"))]

use std::rc::Rc;

use cachescope::model::playground::{Action, Playground};

mod support;
use support::TestClock;

/// The reducer with the test clock, as the page calls it with its own.
trait Reduce {
    fn reduce(self, action: Action) -> Self;
}

impl Reduce for Rc<Playground> {
    fn reduce(self, action: Action) -> Self {
        self.apply(action, &TestClock::default())
    }
}

/// The playground's reducer, driven as the page drives it.
mod reducer {
    use std::rc::Rc;

    use super::{Reduce, support};
    use cachescope::lessons;
    use cachescope::model::playground::{Action, FromWorker, Playground};
    use cachescope::sim::Scenario;
    use cachescope::sim::scenario::ScheduleEntry;

    fn playground(lesson: &str) -> Rc<Playground> {
        Rc::new(Playground::new(lessons::lesson(lesson).unwrap()))
    }

    fn apply(state: Rc<Playground>, actions: impl IntoIterator<Item = Action>) -> Rc<Playground> {
        actions
            .into_iter()
            .fold(state, |state, action| state.reduce(action))
    }

    #[test]
    fn playing_advances_with_real_time_and_any_move_by_hand_pauses() {
        let state = apply(
            playground("cache-aside-basics"),
            [
                Action::SetPauseAtParts(false),
                Action::SetSpeed(-10),
                Action::TogglePlay,
                Action::Tick(10.0),
            ],
        );
        // 0.1x: 10 ms of real time is 1 simulated ms: R1's miss (free
        // play: not pausing there, where the lesson's next part is).
        assert!(state.playback.playing);
        assert_eq!(state.steps_taken(), 1);
        let state = apply(state, [Action::StepBack]);
        assert!(!state.playback.playing);
        assert_eq!(state.steps_taken(), 0);
        // Ticks while paused move nothing.
        let state = apply(state, [Action::Tick(1e6)]);
        assert_eq!(state.steps_taken(), 0);
    }

    #[test]
    fn a_host_page_drives_an_embed_and_hears_where_it_stands() {
        use cachescope::model::embed::HostCommand;
        let host = |command| Action::Host(command);
        let start = playground("read-write-race");
        let status = start.embed_status();
        assert_eq!(
            (
                status.lesson.as_str(),
                status.step,
                status.steps,
                status.part,
                status.parts
            ),
            ("read-write-race", 0, 6, 1, 5)
        );
        assert!(
            status
                .text
                .starts_with("Invalidate-on-write, but the reader is slow")
        );
        // To part 4: where R's set of v1 lands.
        let at_four = apply(start.clone(), [host(HostCommand::Part(4))]);
        let status = at_four.embed_status();
        assert_eq!(
            (status.part, status.step),
            (4, at_four.beats_at[3].unwrap())
        );
        assert!(
            status
                .text
                .starts_with("R's set of v1 lands after the delete")
        );
        // Play stops at the next part; playing again while playing is no
        // toggle.
        let playing = apply(
            at_four.clone(),
            [host(HostCommand::Play), host(HostCommand::Play)],
        );
        assert!(playing.embed_status().playing);
        let paused = apply(playing, [Action::Tick(1e9)]);
        assert_eq!(paused.embed_status().part, 5);
        assert!(!paused.embed_status().playing);
        // Step, back, run to the end, reset.
        let stepped = apply(
            start.clone(),
            [host(HostCommand::Step), host(HostCommand::Step)],
        );
        assert_eq!(stepped.embed_status().step, 2);
        let back = apply(stepped, [host(HostCommand::Back)]);
        assert_eq!(back.embed_status().step, 1);
        let end = apply(back, [host(HostCommand::RunToEnd)]);
        assert!(end.embed_status().done);
        assert_eq!(
            apply(end, [host(HostCommand::Reset)]).embed_status().step,
            0
        );
        // A part that does not exist is said, and nothing moves.
        let nowhere = apply(at_four.clone(), [host(HostCommand::Part(9))]);
        assert_eq!(
            nowhere.message.as_deref(),
            Some("There is no part 9: this run's narration has 5 parts.")
        );
        assert_eq!(nowhere.steps_taken(), at_four.steps_taken());
        // Hello changes nothing (the page answers it with the status).
        assert_eq!(
            apply(at_four.clone(), [host(HostCommand::Hello)]).embed_status(),
            at_four.embed_status()
        );
    }

    #[test]
    fn next_and_previous_go_where_the_narration_is_reached() {
        let state = apply(playground("read-write-race"), [Action::NextBeat]);
        assert_eq!((state.beat(), state.steps_taken()), (1, 2));
        let state = apply(
            state,
            [Action::NextBeat, Action::NextBeat, Action::NextBeat],
        );
        assert_eq!((state.beat(), state.steps_taken()), (4, 6));
        let state = apply(state, [Action::NextBeat]);
        assert_eq!(state.beat(), 4, "no beat after the last");
        let state = apply(state, [Action::PreviousBeat]);
        assert_eq!((state.beat(), state.steps_taken()), (3, 5));
    }

    #[test]
    fn a_bad_scenario_is_refused_with_one_message_and_the_state_is_kept() {
        let state = apply(playground("leases"), [Action::Step, Action::Step]);
        let whole = state.whole.clone();
        for bad in [
            "",
            "{",
            "[1, 2]",
            r#"{"keys": {}}"#,
            r#"{"keys": {"k": "v"}, "requests": [{"id": "R", "op": "read", "key": "nope"}]}"#,
        ] {
            let after = apply(state.clone(), [Action::LoadScenario(bad.to_string())]);
            let message = after.message.clone().unwrap_or_default();
            assert!(
                message.starts_with("This scenario was not loaded: "),
                "{bad:?}: {message}"
            );
            assert_eq!(after.steps_taken(), 2);
            assert!(after.whole == whole && !after.custom);
        }
        // Too big even to aggregate: refused before anything is simulated.
        let huge =
            r#"{"keys": {"k": "v"}, "workload": {"duration_ms": 1000000, "reads_per_s": 30000}}"#;
        let after = apply(state.clone(), [Action::LoadScenario(huge.to_string())]);
        assert!(
            after
                .message
                .as_deref()
                .unwrap_or_default()
                .contains("more than the 20000000")
        );
        assert!(after.work.is_none() && after.whole == whole);
        // Large: simulated in slices; cancelled, the lesson stays.
        let big =
            r#"{"keys": {"k": "v"}, "workload": {"duration_ms": 100000, "reads_per_s": 10000}}"#;
        let after = apply(state, [Action::LoadScenario(big.to_string())]);
        assert!(after.message.is_none() && after.work.is_some());
        let after = apply(after, [Action::WorkSlice, Action::CancelWork]);
        assert!(after.work.is_none() && after.aggregated.is_none());
        assert!(after.whole == whole && !after.custom && after.steps_taken() == 2);
    }

    /// Sends work slices until the work is done (or a bound is reached).
    fn finish_work(mut state: Rc<Playground>) -> Rc<Playground> {
        for _ in 0..10_000 {
            if state.work.is_none() {
                return state;
            }
            state = state.reduce(Action::WorkSlice);
        }
        panic!("the work did not finish");
    }

    /// What a link must bring back: the same run at the same place.
    fn same_place(a: &Playground, b: &Playground) {
        assert_eq!(a.lesson.name, b.lesson.name);
        assert_eq!(a.custom, b.custom);
        assert_eq!(*a.base, *b.base);
        assert_eq!(a.recording.scenario(), b.recording.scenario());
        assert_eq!(a.steps_taken(), b.steps_taken());
        assert_eq!(a.playback.speed, b.playback.speed);
        assert_eq!(a.aggregated_cursor_ms, b.aggregated_cursor_ms);
        assert_eq!(a.link(), b.link());
    }

    #[test]
    fn a_link_opens_the_same_run_at_the_same_place() {
        use cachescope::model::link;
        // A lesson part-way, a fork of it, an edited scenario forked too.
        let at_step = apply(
            playground("read-write-race"),
            [Action::Step, Action::Step, Action::SetSpeed(4)],
        );
        let actor = at_step.recording.current().schedulable().pop().unwrap();
        let forked = apply(
            at_step.clone(),
            [Action::Schedule(ScheduleEntry::Actor(actor)), Action::Step],
        );
        let mut edited = (*forked.base).clone();
        edited.strategy.ttl_ms = 777;
        let edited = apply(forked.clone(), [Action::Tune(Box::new(edited))]);
        let actor = edited.recording.current().schedulable().remove(0);
        let edited_fork = apply(
            edited,
            [
                Action::Schedule(ScheduleEntry::Actor(actor)),
                Action::StepBack,
            ],
        );
        for page in [&at_step, &forked, &edited_fork] {
            let text = link::encode(&page.link());
            let opened = Playground::from_link(&link::decode(&text).unwrap()).unwrap();
            same_place(page, &opened);
        }
        assert!(forked.link().schedule.is_some() && forked.link().scenario.is_none());
        assert!(edited_fork.link().scenario.is_some());
        // A link past the run's end, or naming no lesson, is refused.
        let mut past = at_step.link();
        past.step = 10_000;
        assert!(
            Playground::from_link(&past)
                .unwrap_err()
                .contains("past the end of the run")
        );
        past.lesson = "nope".into();
        assert!(
            Playground::from_link(&past)
                .unwrap_err()
                .contains("names a lesson this page does not have")
        );
    }

    #[test]
    fn a_link_to_a_large_run_opens_it_aggregated_at_its_instant() {
        let large: serde_json::Value =
            serde_json::from_str(include_str!("../benches/page-100k-requests.json")).unwrap();
        let mut link = cachescope::model::link::LinkState {
            lesson: "stampede".into(),
            scenario: Some(large),
            time_ms: Some(1234),
            ..Default::default()
        };
        let opened = finish_work(Rc::new(Playground::from_link(&link).unwrap()));
        assert!(opened.aggregated.is_some());
        assert_eq!(opened.aggregated_cursor_ms, 1234);
        // Its link again: the same scenario (written out in full), the same
        // instant.
        let again = opened.link();
        assert_eq!(again.time_ms, Some(1234));
        assert_eq!(again.parsed_scenario(), link.parsed_scenario());
        link.scenario = again.scenario.clone();
        assert_eq!(again, link);
    }

    #[test]
    fn a_knob_reruns_the_same_seed_and_a_large_workload_is_shown_aggregated() {
        use cachescope::model::compare::Batch;
        use cachescope::model::knobs;
        let state = playground("stampede");
        let lease = knobs::set(
            &state.base,
            knobs::knob("/strategy/stampede").unwrap(),
            "lease",
        )
        .unwrap();
        let tuned = apply(
            state.clone(),
            [Action::Tune(Box::new(lease.clone())), Action::RunToEnd],
        );
        assert_eq!(*tuned.base, lease);
        assert_eq!(tuned.recording.current().counters().db_reads, 1);
        assert_eq!(tuned.base.seed, state.base.seed);
        // 30,000 requests: more than the page records one by one.
        let generated = knobs::with_generated_workload(&state.base).unwrap();
        let big = knobs::set(
            &generated,
            knobs::knob("/workload/reads_per_s").unwrap(),
            "15000",
        )
        .unwrap();
        let running = apply(tuned, [Action::Tune(Box::new(big.clone()))]);
        assert!(running.aggregated.is_none() && running.work.is_some());
        let done = finish_work(running);
        let aggregated = done.aggregated.clone().expect("shown aggregated");
        assert!(aggregated.busy_ms > 0.0);
        assert_eq!(*done.base, big);
        let expected = Batch::new("x", &big).unwrap().run();
        assert_eq!(aggregated.outcome.report, expected.report);
        assert_eq!(aggregated.outcome.series, expected.series);
        // A small scenario again: back to the run recorded step by step.
        let back = apply(done, [Action::Tune(Box::new(lease))]);
        assert!(back.aggregated.is_none());
    }

    #[test]
    fn comparing_write_strategies_runs_seven_configurations_and_any_opens() {
        use cachescope::model::playground::Variants;
        use cachescope::sim::scenario::WriteStrategy;
        let state = apply(
            playground("read-write-race"),
            [Action::Compare(Variants::WriteStrategies)],
        );
        let done = finish_work(state);
        assert_eq!(done.comparison.len(), 7);
        assert_eq!(done.comparison[0].label, "invalidate");
        assert!(done.comparison[0].report.stale_ms > 0);
        let added = finish_work(apply(done, [Action::Compare(Variants::Current)]));
        assert_eq!(added.comparison.len(), 8);
        let opened = apply(added, [Action::OpenCompared(4)]);
        assert_eq!(opened.base.strategy.write, WriteStrategy::WriteThrough);
        assert!(opened.custom && opened.aggregated.is_none());
        let cleared = apply(opened, [Action::ClearComparison]);
        assert!(cleared.comparison.is_empty());
    }

    /// The page's worker, played by the test as the page's worker plays
    /// it: the job and each run's result cross as JSON.
    fn worker_does(state: &Playground) -> (u64, Vec<FromWorker>) {
        use cachescope::model::compare::Batch;
        use cachescope::model::playground::{Task, ToWorker};
        let work = state.work.as_ref().expect("work going on");
        let job = work.away_job().expect("the work is away");
        let sent = ToWorker {
            job,
            task: Task::Simulate(work.scenarios_json()),
        };
        let received: ToWorker =
            serde_json::from_str(&serde_json::to_string(&sent).unwrap()).unwrap();
        let Task::Simulate(scenarios) = received.task else {
            panic!("{received:?}")
        };
        let replies = scenarios
            .iter()
            .enumerate()
            .map(|(index, scenario)| {
                let scenario = Scenario::from_json(scenario).unwrap();
                let mut batch = Batch::new("", &scenario).unwrap();
                while !batch.advance(4096) {}
                let message = FromWorker::Ran {
                    job,
                    ran: Box::new(batch.ran()),
                    busy_ms: 5.0,
                    left: scenarios.len() - index - 1,
                };
                FromWorker::read(&message.to_json()).unwrap()
            })
            .collect();
        (job, replies)
    }

    /// Runs too large to record go to the page's worker: the page sends no
    /// slices meanwhile, shows the worker's progress, and ends with the
    /// outcomes the page's own thread gets, exactly (a comparison and a
    /// large workload); what the worker says neither pauses playing nor
    /// clears a message; a cancelled or superseded job's replies change
    /// nothing; and if the worker fails, the runs go on here.
    #[test]
    fn runs_too_large_to_record_go_to_the_worker_and_come_back_exactly() {
        use cachescope::model::knobs;
        use cachescope::model::playground::{Place, Variants};
        let clock = support::Offloading::default();
        let compare = Action::Compare(Variants::StampedeProtections);
        let here = finish_work(apply(playground("stampede"), [compare.clone()]));
        let state = Rc::new(Playground::new(lessons::lesson("stampede").unwrap()))
            .apply(compare.clone(), &clock)
            .apply(Action::WorkSlice, &clock);
        let work = state.work.as_ref().unwrap();
        assert!(matches!(work.place, Place::Away { .. }));
        assert!(!work.needs_slices(), "no slices while the worker works");
        let (job, replies) = worker_does(&state);
        assert_eq!(replies.len(), here.comparison.len());
        let noticed = state
            .clone()
            .apply(Action::Notice("a message".into()), &clock)
            .apply(Action::WorkProgress(job, 0.5), &clock);
        assert_eq!(noticed.message.as_deref(), Some("a message"));
        let mut state = state
            .apply(Action::TogglePlay, &clock)
            .apply(Action::WorkProgress(job, 0.5), &clock)
            .apply(Action::WorkProgress(job + 1, 0.9), &clock);
        assert_eq!(state.work.as_ref().unwrap().progress, 0.5);
        for reply in replies {
            let FromWorker::Ran {
                job, ran, busy_ms, ..
            } = reply
            else {
                unreachable!()
            };
            state = state.apply(Action::WorkRan(job, Rc::from(ran), busy_ms), &clock);
        }
        assert!(state.work.is_none());
        assert_eq!(state.comparison, here.comparison);
        assert!(state.playback.playing, "the worker's replies do not pause");

        // A large workload, shown aggregated.
        let generated = knobs::with_generated_workload(&state.base).unwrap();
        let knob = knobs::knob("/workload/reads_per_s").unwrap();
        let big = knobs::set(&generated, knob, "15000").unwrap();
        let tune = Action::Tune(Box::new(big));
        let here = finish_work(apply(playground("stampede"), [tune.clone()]));
        let state = Rc::new(Playground::new(lessons::lesson("stampede").unwrap()))
            .apply(tune.clone(), &clock)
            .apply(Action::WorkSlice, &clock);
        let (job, replies) = worker_does(&state);
        // Cancelled, then asked again: the old job's reply is ignored.
        let again = state
            .clone()
            .apply(Action::CancelWork, &clock)
            .apply(tune.clone(), &clock)
            .apply(Action::WorkSlice, &clock);
        let [FromWorker::Ran { ran, busy_ms, .. }] = &replies[..] else {
            panic!("{replies:?}")
        };
        let ignored = again.clone().apply(
            Action::WorkRan(job, Rc::from(ran.clone()), *busy_ms),
            &clock,
        );
        assert!(ignored.aggregated.is_none() && ignored.work == again.work);
        let state = state.apply(Action::WorkRan(job, Rc::from(ran.clone()), 5.0), &clock);
        let (away, local) = (
            state.aggregated.clone().unwrap(),
            here.aggregated.clone().unwrap(),
        );
        assert_eq!(away.outcome, local.outcome);
        assert_eq!(away.busy_ms, 5.0, "the worker's time, for ops/s");

        // A worker that fails: the runs go on in the page's thread.
        let job = again.work.as_ref().unwrap().away_job().unwrap();
        let mut state = again.apply(Action::WorkFailed(job), &clock);
        assert_eq!(state.work.as_ref().unwrap().place, Place::Here);
        for _ in 0..10_000 {
            if state.work.is_none() {
                break;
            }
            state = state.apply(Action::WorkSlice, &clock);
        }
        assert_eq!(state.aggregated.clone().unwrap().outcome, local.outcome);
    }

    #[test]
    fn faults_rerun_the_same_seed_and_bad_ones_keep_the_state() {
        use cachescope::model::view::new_fault;
        let state = apply(playground("write-behind-crash"), [Action::RunToEnd]);
        assert_eq!(
            cachescope::sim::Report::of(state.recording.current(), false).lost_writes,
            2
        );
        // No faults: nothing lost; the lesson's seed and requests are kept.
        let state = apply(state, [Action::SetFaults(Vec::new()), Action::RunToEnd]);
        let report = cachescope::sim::Report::of(state.recording.current(), false);
        assert_eq!((report.lost_writes, report.seed), (0, 1));
        let lesson = lessons::lesson("write-behind-crash").unwrap().scenario();
        assert_eq!(state.base.requests, lesson.requests);
        // A crash of app instance 5 in a one-instance scenario is refused;
        // the run on screen stays.
        let bad = cachescope::sim::scenario::Fault {
            at_ms: Some(5),
            kind: cachescope::sim::scenario::FaultKind::AppCrash { app: 5 },
        };
        assert!(new_fault("app_crash", 5, 0).is_some());
        let after = apply(state.clone(), [Action::SetFaults(vec![bad])]);
        assert!(
            after
                .message
                .as_deref()
                .unwrap_or_default()
                .starts_with("This scenario was not loaded: faults[0]")
        );
        assert!(after.whole == state.whole);
    }

    #[test]
    fn a_loaded_scenario_replaces_the_lesson_until_another_lesson_is_chosen() {
        let json = lessons::lesson("ttl-only").unwrap().scenario_json;
        let state = apply(
            playground("cache-aside-basics"),
            [Action::LoadScenario(json.to_string())],
        );
        assert!(state.custom && state.message.is_none());
        assert_eq!(state.recording.scenario().name, "TTL only");
        let state = apply(state, [Action::RunToEnd, Action::Reset]);
        assert_eq!(state.steps_taken(), 0);
        assert!(state.custom, "reset replays the loaded scenario");
        let state = apply(state, [Action::SelectLesson(0)]);
        assert!(!state.custom);
    }
    #[test]
    fn a_remote_moves_by_lesson_part_or_by_step_without_narration() {
        // read-write-race's parts are reached at steps 0, 2, 4, 5 and 6.
        let state = apply(playground("read-write-race"), [Action::Advance]);
        assert_eq!((state.beat(), state.steps_taken()), (1, 2));
        let state = apply(state, [Action::Step, Action::Retreat]);
        assert_eq!(state.steps_taken(), 2, "back to the start of this part");
        let state = apply(state, [Action::Retreat]);
        assert_eq!(state.steps_taken(), 0, "then to the previous part");
        // At the run's end (where read-write-race's last part is) Advance
        // goes on to the next lesson of the course.
        let end = apply(state, [const { Action::NextBeat }; 4]);
        assert_eq!((end.beat(), end.steps_taken()), (4, 6));
        let next = apply(end, [Action::Advance]);
        assert_eq!((next.lesson.name, next.steps_taken()), ("leases", 0));
    }

    #[test]
    fn pausing_and_a_notice_keep_the_place_and_a_notice_is_shown() {
        let state = apply(
            playground("stampede"),
            [Action::Step, Action::TogglePlay, Action::Pause],
        );
        assert!(!state.playback.playing);
        assert_eq!(state.steps_taken(), 1);
        let state = apply(state, [Action::Notice("The clipboard refused.".into())]);
        assert_eq!(state.message.as_deref(), Some("The clipboard refused."));
        assert_eq!(state.steps_taken(), 1);
        // Pausing keeps a message; a move by hand clears it.
        let state = apply(state, [Action::Pause]);
        assert!(state.message.is_some());
        let state = apply(state, [Action::Step]);
        assert!(state.message.is_none());
    }

    #[test]
    fn the_aggregated_cursor_moves_within_the_run_and_the_transport_is_inert() {
        let big =
            r#"{"keys": {"k": "v"}, "workload": {"duration_ms": 100000, "reads_per_s": 10000}}"#;
        let state = finish_work(apply(
            playground("leases"),
            [Action::LoadScenario(big.to_string())],
        ));
        let end = state
            .aggregated
            .as_ref()
            .expect("shown aggregated")
            .outcome
            .report
            .end_ms;
        let state = apply(state, [Action::SeekTime(40_000)]);
        assert_eq!(state.aggregated_cursor_ms, 40_000);
        let state = apply(state, [Action::SeekTime(u64::MAX)]);
        assert_eq!(state.aggregated_cursor_ms, end);
        // Stepping has nothing to step through: the state is the same one.
        let same = apply(
            state.clone(),
            [Action::Step, Action::Advance, Action::TogglePlay],
        );
        assert!(Rc::ptr_eq(&same, &state));
    }
}

/// The explorer panel's reducer: counting in slices, as the page does.
mod exploring {
    use std::rc::Rc;

    use super::{Reduce, support};
    use cachescope::lessons;
    use cachescope::model::playground::{
        Action, Exploring, FromWorker, Playground, Task, ToWorker, Working, answer_of,
    };
    use cachescope::sim::explore::Anomaly;
    use cachescope::sim::scenario::ScheduleEntry;

    fn explored(lesson: &str) -> Rc<Playground> {
        let mut state =
            Rc::new(Playground::new(lessons::lesson(lesson).unwrap())).reduce(Action::Explore);
        let mut slices = 0;
        while state.exploring.working().is_some() {
            state = state.reduce(Action::ExploreSlice);
            slices += 1;
            assert!(slices < 10_000);
        }
        state
    }

    #[test]
    fn the_update_on_write_race_is_counted_and_a_failing_schedule_opens() {
        let state = explored("update-on-write-race");
        let Exploring::Done { answer, .. } = &state.exploring else {
            panic!("{:?}", state.exploring)
        };
        let summary = &answer.summary;
        // As `cachescope explore` counts it (tests/golden/explore.json).
        assert_eq!(
            (summary.schedules, summary.stale, summary.divergent_at_end),
            (188, 6, 64)
        );
        let shortest = summary.examples["stale"].schedule.clone();
        let state = state.reduce(Action::ShowFailing(Anomaly::Stale, 0));
        assert_eq!(
            state.recording.scenario().schedule.as_ref(),
            Some(&shortest)
        );
        assert!(
            state.finished(),
            "opened at its end, where the stale read is"
        );
        let report = cachescope::sim::Report::of(state.recording.current(), false);
        assert!(report.stale_reads > 0);
        // Another one: the explorer's first stale schedule.
        let state = state.reduce(Action::ShowFailing(Anomaly::Stale, 1));
        let schedule: &Vec<ScheduleEntry> = state.recording.scenario().schedule.as_ref().unwrap();
        assert!(!schedule.is_empty());
        assert!(matches!(
            state.exploring,
            Exploring::Done {
                shown: Some((Anomaly::Stale, 1)),
                ..
            }
        ));
    }

    /// A stampede has too many orders to count: the panel samples them,
    /// with the same figures as `cachescope explore --sample 2000` (same
    /// default seed), and opens the shortest order drawn.
    #[test]
    fn a_stampede_lesson_is_sampled_as_the_command_line_samples_it() {
        use cachescope::model::playground::sampled_sentences;
        use cachescope::sim::sample::{self, DEFAULT_SAMPLE_SEED, DEFAULT_SAMPLES};
        let lesson = lessons::lesson("stampede").unwrap();
        let state = Rc::new(Playground::new(lesson))
            .reduce(Action::Explore)
            .reduce(Action::ExploreSlice);
        assert!(
            matches!(&state.exploring, Exploring::Sampling { why, .. } if why.contains("16 concurrent requests")),
            "{:?}",
            state.exploring
        );
        let state = explored("stampede");
        let Exploring::Sampled { answer, .. } = &state.exploring else {
            panic!("{:?}", state.exploring)
        };
        let summary = &answer.summary;
        let (expected, _) = sample::sample(
            &lesson.scenario(),
            DEFAULT_SAMPLES,
            DEFAULT_SAMPLE_SEED,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(*summary, expected);
        let sentences = sampled_sentences(answer);
        assert!(
            sentences
                .total
                .starts_with("16 concurrent requests have too many orders to count (about "),
            "{}",
            sentences.total
        );
        assert!(
            sentences.anomalies[0]
                .starts_with("0 of 2,000 orders (0%, 95% interval 0%\u{2013}0.19%): a stale read"),
            "{}",
            sentences.anomalies[0]
        );
        assert_eq!(
            sentences.db_reads,
            format!(
                "DB reads per order: {} to {}, median {}.",
                expected.db_reads.min, expected.db_reads.max, expected.db_reads.p50
            )
        );
    }

    /// Where the count runs out of states, the panel samples instead; an
    /// order drawn with an anomaly opens on the timeline and shows it.
    #[test]
    fn a_count_over_its_limit_turns_to_sampling_and_opens_an_order_drawn() {
        let lesson = lessons::lesson("update-on-write-race").unwrap();
        let mut state = Rc::new(Playground::new(lesson));
        let mut page = Rc::unwrap_or_clone(state);
        page.exploring = Exploring::counting_failed(
            &lesson.scenario(),
            &cachescope::sim::explore::ExploreError::TooManyStates { limit: 10 },
        );
        state = Rc::new(page);
        let mut slices = 0;
        while state.exploring.working().is_some() {
            state = state.reduce(Action::ExploreSlice);
            slices += 1;
            assert!(slices < 10_000);
        }
        let Exploring::Sampled { answer, .. } = &state.exploring else {
            panic!("{:?}", state.exploring)
        };
        let summary = &answer.summary;
        assert!(summary.stale.count > 0, "{summary:?}");
        let shortest = summary.examples["stale"].schedule.clone();
        let state = state.reduce(Action::ShowFailing(Anomaly::Stale, 0));
        assert_eq!(
            state.recording.scenario().schedule.as_ref(),
            Some(&shortest)
        );
        assert!(state.finished());
        assert!(cachescope::sim::Report::of(state.recording.current(), false).stale_reads > 0);
        assert!(matches!(
            state.exploring,
            Exploring::Sampled {
                shown: Some(Anomaly::Stale),
                ..
            }
        ));
    }

    #[test]
    fn cancel_stops_counting_and_sampling() {
        for lesson in ["outbox", "stampede"] {
            let state = Rc::new(Playground::new(lessons::lesson(lesson).unwrap()))
                .reduce(Action::Explore)
                .reduce(Action::ExploreSlice)
                .reduce(Action::CancelExplore);
            assert!(matches!(state.exploring, Exploring::Idle), "{lesson}");
        }
    }

    #[test]
    fn a_slice_that_changes_nothing_on_screen_keeps_the_state_and_the_count_still_ends() {
        // The page draws itself again only for a new state: between whole
        // percentages (and at most a quarter of a second apart) the panel
        // keeps what it shows, and the explorer counts on in its cell.
        let mut state =
            Rc::new(Playground::new(lessons::lesson("leases").unwrap())).reduce(Action::Explore);
        let (mut kept, mut shown) = (0, 0);
        let mut percents = Vec::new();
        state = state.reduce(Action::ExploreSlice);
        while let Exploring::Running {
            working: Working::Counting { fraction, .. },
            ..
        } = &state.exploring
        {
            percents.push(*fraction);
            let next = state.clone().reduce(Action::ExploreSlice);
            if Rc::ptr_eq(&next, &state) {
                kept += 1;
            } else {
                shown += 1;
            }
            state = next;
            assert!(kept + shown < 100_000);
        }
        assert!(kept > 0 && shown > 0, "kept {kept}, shown {shown}");
        assert!(
            percents.windows(2).all(|w| w[0] <= w[1]),
            "progress never goes back"
        );
        let Exploring::Done { answer, .. } = &state.exploring else {
            panic!("{:?}", state.exploring)
        };
        assert_eq!(answer.summary.schedules, 490_938);
    }

    /// A clock whose page hands the explorer to a worker.
    use support::Offloading;

    /// The page's worker path: the panel waits for a job, shows what the
    /// worker says of it, and shows its answer, which is what the page's
    /// own thread would have found; a stale job's messages are ignored, and
    /// a worker that fails is a refusal with its reason.
    #[test]
    fn a_worker_job_shows_its_progress_and_answer_and_ignores_stale_jobs() {
        let clock = Offloading(support::TestClock::default());
        let lesson = lessons::lesson("update-on-write-race").unwrap();
        let state = Rc::new(Playground::new(lesson))
            .apply(Action::Explore, &clock)
            .apply(Action::ExploreSlice, &clock);
        let Some(job) = state.exploring.away_job() else {
            panic!("{:?}", state.exploring)
        };
        assert!(
            !state.exploring.needs_slices(),
            "no slices while the worker works"
        );
        // The worker, as the page's worker runs it (through its messages).
        let scenario = ToWorker {
            job,
            task: Task::Explore(state.base.to_json()),
        };
        let sent: ToWorker =
            serde_json::from_str(&serde_json::to_string(&scenario).unwrap()).unwrap();
        let Task::Explore(sent) = sent.task else {
            panic!("{sent:?}")
        };
        let parsed = cachescope::sim::Scenario::from_json(&sent).unwrap();
        let mut said = Vec::new();
        let answer = answer_of(&parsed, &mut |working| said.push(working.clone()));
        assert!(!said.is_empty());
        let crossed = |message: FromWorker| -> FromWorker {
            serde_json::from_str(&serde_json::to_string(&message).unwrap()).unwrap()
        };
        let FromWorker::Progress { working, .. } = crossed(FromWorker::Progress {
            job,
            working: said[0].clone(),
        }) else {
            unreachable!()
        };
        // Playing meanwhile: what the worker says neither pauses it nor
        // clears a message.
        let noticed = state
            .clone()
            .apply(Action::Notice("a message".into()), &clock)
            .apply(Action::ExploreProgress(job, working.clone()), &clock);
        assert_eq!(noticed.message.as_deref(), Some("a message"));
        let state = state.apply(Action::TogglePlay, &clock);
        let state = state.apply(Action::ExploreProgress(job, working.clone()), &clock);
        assert_eq!(state.exploring.working(), Some(working));
        assert!(
            state.playback.playing,
            "the worker's progress does not pause playing"
        );
        // Another job's messages change nothing.
        let same = state
            .clone()
            .apply(Action::ExploreFailed(job + 1, "old".into()), &clock);
        assert_eq!(same.exploring, state.exploring);
        let FromWorker::Answer {
            answer: received, ..
        } = crossed(FromWorker::Answer {
            job,
            answer: Box::new(answer.clone()),
        })
        else {
            unreachable!()
        };
        assert_eq!(*received, answer, "the answer crosses intact");
        let state = state.apply(Action::Explored(job, Rc::from(received)), &clock);
        // The same answer as counting in the page's own thread.
        let here = explored("update-on-write-race");
        let (Exploring::Done { answer: away, .. }, Exploring::Done { answer: local, .. }) =
            (&state.exploring, &here.exploring)
        else {
            panic!("{:?}", state.exploring)
        };
        assert_eq!(away, local);
        let second = away.schedule(Anomaly::Stale, 2);
        assert!(second.is_some());
        // Show another: from the schedules the answer lists.
        let state = state.apply(Action::ShowFailing(Anomaly::Stale, 2), &clock);
        assert_eq!(state.recording.scenario().schedule, second);
        // A worker that fails: the reason, in the panel.
        let failed = Rc::new(Playground::new(lesson))
            .apply(Action::Explore, &clock)
            .apply(Action::ExploreSlice, &clock);
        let job = failed.exploring.away_job().unwrap();
        let failed = failed.apply(
            Action::ExploreFailed(job, "the worker stopped".into()),
            &clock,
        );
        assert_eq!(
            failed.exploring,
            Exploring::Refused("the worker stopped".into())
        );
    }

    /// Every explorable lesson and the stampedes: the worker's answer, sent
    /// as the page's worker sends it, reads back to itself: counts and
    /// schedules exactly, fractions to within a few units of their last
    /// digit (serde_json's default float reading; the page shows two or
    /// three digits), and the panel says the same. Every lesson has an
    /// answer: counted, orders sampled, or runs on seeds where orders
    /// cannot be varied; none is refused.
    #[test]
    fn every_lesson_has_an_answer_that_crosses_from_the_worker_intact() {
        use cachescope::model::playground::{Answer, sampled_sentences};
        for lesson in lessons::LESSONS {
            let answer = answer_of(&lesson.scenario(), &mut |_| {});
            assert!(
                !matches!(answer, Answer::Refused(_)),
                "{}: {answer:?}",
                lesson.name
            );
            let text = serde_json::to_string(&FromWorker::Answer {
                job: 1,
                answer: Box::new(answer.clone()),
            })
            .unwrap();
            let FromWorker::Answer { answer: back, .. } = serde_json::from_str(&text).unwrap()
            else {
                panic!("{}", lesson.name)
            };
            match (&answer, &*back) {
                (Answer::Sampled(sent), Answer::Sampled(got)) => {
                    assert_eq!(
                        sampled_sentences(got),
                        sampled_sentences(sent),
                        "{}",
                        lesson.name
                    );
                    let close = |a: f64, b: f64| (a - b).abs() <= a.abs() * 1e-14;
                    assert!(
                        match (sent.summary.orders_estimate, got.summary.orders_estimate) {
                            (Some(a), Some(b)) => close(a, b),
                            (a, b) => a == b,
                        }
                    );
                    assert!(close(sent.summary.db_reads.mean, got.summary.db_reads.mean));
                    let mut exact = got.clone();
                    exact.summary.orders_estimate = sent.summary.orders_estimate;
                    exact.summary.db_reads.mean = sent.summary.db_reads.mean;
                    for anomaly in Anomaly::ALL {
                        let (a, b) = (sent.summary.share(anomaly), got.summary.share(anomaly));
                        assert!(
                            close(a.low, b.low) && close(a.high, b.high) && close(a.share, b.share)
                        );
                    }
                    exact.summary.stale = sent.summary.stale;
                    exact.summary.divergent_at_end = sent.summary.divergent_at_end;
                    exact.summary.lost_writes = sent.summary.lost_writes;
                    assert_eq!(&exact, sent, "{}", lesson.name);
                }
                _ => assert_eq!(*back, answer, "{}", lesson.name),
            }
        }
    }
}

/// What the page shows beside the run, computed from the state.
mod shown {
    use std::rc::Rc;

    use super::Reduce;
    use cachescope::lessons;
    use cachescope::model::link;
    use cachescope::model::playground::{Action, Playground};
    use cachescope::model::timeline::{Axis, Selection};

    fn at_end(lesson: &str) -> Rc<Playground> {
        Rc::new(Playground::new(lessons::lesson(lesson).unwrap())).reduce(Action::RunToEnd)
    }

    #[test]
    fn a_click_is_explained_from_the_trace_so_far() {
        let state = at_end("read-write-race");
        let sentence = |selection| state.explain(selection).map(|e| e.sentence);
        assert_eq!(
            sentence(Selection::Op(0)).as_deref(),
            Some("R (app 0) cache.get user:123: issued at 0 ms, took effect at 1 ms: miss")
        );
        // The stale window, and R2's stale read (request 2).
        assert!(sentence(Selection::Window(0)).is_some_and(|s| s.contains("R")));
        assert!(sentence(Selection::Read(2)).is_some());
        // Out of range: nothing to explain, no panic.
        assert_eq!(sentence(Selection::Window(99)), None);
        assert_eq!(sentence(Selection::Op(999)), None);
        // At the start nothing has happened yet: the window is not known.
        let start = at_end("read-write-race").reduce(Action::Seek(0));
        assert!(start.explain(Selection::Window(0)).is_none());
    }

    #[test]
    fn the_charts_are_made_again_only_when_what_they_show_changes() {
        let state = Rc::new(Playground::new(lessons::lesson("stampede").unwrap()));
        let version = state.charts_version();
        assert_eq!(state.charts_version(), version);
        let stepped = state.clone().reduce(Action::Step);
        assert_ne!(stepped.charts_version(), version);
        let charts = stepped.charts(stepped.charts_version());
        assert_eq!(charts.charts.len(), 6);
        assert_eq!(charts.end_ms, stepped.whole.0.end_ms);
    }

    #[test]
    fn the_side_panels_follow_the_cursor_and_the_scenario_on_screen() {
        use cachescope::model::playground::{RECENT_STEPS, RECENT_STEPS_PLAYING};
        let state = at_end("stampede-lock");
        let entries = state.recording.trace().len();
        assert!(entries > RECENT_STEPS);
        assert_eq!(state.recent_steps_from(), entries - RECENT_STEPS);
        let playing = state
            .clone()
            .reduce(Action::Seek(entries - 1))
            .reduce(Action::TogglePlay);
        assert!(playing.playback.playing);
        assert_eq!(
            playing.recent_steps_from(),
            playing.recording.trace().len() - RECENT_STEPS_PLAYING
        );
        // The inspector flags what the last step changed; at the start, nothing.
        let start = state.clone().reduce(Action::Seek(0));
        assert_eq!(
            start.inspector(),
            cachescope::model::view::inspect(start.recording.current(), None)
        );
        // A person's own scenario has no narration; the loader shows it.
        assert!(!state.narration().is_empty());
        let own = state.reduce(Action::LoadScenario(
            r#"{"name": "mine", "keys": {"k": "v"}, "requests": [{"id": "R", "op": "read", "key": "k"}]}"#.into(),
        ));
        assert!(own.narration().is_empty());
        assert!(own.loader_json().contains("\"name\": \"mine\""));
    }

    #[test]
    fn a_link_fragment_holds_the_axis_and_the_selection() {
        let state = at_end("leases");
        let fragment = state.link_fragment(Axis::Steps, Some(Selection::Op(3)));
        let decoded = link::decode(&fragment).unwrap();
        assert_eq!(decoded.axis.as_deref(), Some("steps"));
        assert_eq!(decoded.selected.as_deref(), Some("op:3"));
        let plain = link::decode(&state.link_fragment(Axis::Time, None)).unwrap();
        assert_eq!((plain.axis, plain.selected), (None, None));
    }

    #[test]
    fn exports_are_named_after_the_scenario_and_hold_what_the_command_line_prints() {
        let state = at_end("read-write-race");
        assert_eq!(
            state.file_stem(),
            "read-write-race-under-invalidate-on-write"
        );
        let mut sim = cachescope::sim::Simulation::new(state.shown_scenario()).unwrap();
        sim.run();
        assert_eq!(
            state.report_json(),
            cachescope::sim::Report::of(&sim, true).to_json()
        );
        let unnamed = Rc::new(Playground::new(lessons::lesson("leases").unwrap())).reduce(
            Action::LoadScenario(
                r#"{"keys": {"k": "v"}, "requests": [{"id": "R", "op": "read", "key": "k"}]}"#
                    .into(),
            ),
        );
        assert_eq!(unnamed.file_stem(), "scenario");
    }
}
