//! The page.

use yew::prelude::*;

use std::rc::Rc;

use super::browser::{self as share, Opening};
use super::components::aggregated::AggregatedView;
use super::components::challenge::ChallengePanel;
use super::components::charts::ChartView;
use super::components::compare::ComparePanel;
use super::components::course::{LessonHeader, RunState, Shown};
use super::components::explorer::ExplorerPanel;
use super::components::faults::FaultsPanel;
use super::components::inspector::InspectorPanel;
use super::components::knobs::KnobsPanel;
use super::components::lesson_picker::LessonPicker;
use super::components::loader::ScenarioLoader;
use super::components::narration::NarrationPanel;
use super::components::scheduler::SchedulerPanel;
use super::components::sharing::{EmbedDialog, Export, ShareBar, ShortcutsOverlay};
use super::components::steps::StepsPanel;
use super::components::strip::ArchitectureStrip;
use super::components::timeline::TimelineView;
use super::hooks::{
    Toggle, now_ms, on_slider, prefers_reduced_motion, use_action, use_every_frame, use_keyboard,
    use_pause_when_hidden, use_warm_up,
};
use super::host::use_host_page;
use crate::model::playback::{FASTEST, SLOWEST};
use crate::model::playground::{Action, Playground, Purpose, Work};
use crate::model::timeline::{Axis, Selection};
use crate::model::view::{self, Inspector, PendingRow, StepRow};

/// The whole playground.
#[function_component(App)]
pub fn app() -> Html {
    // The address: a link's state, embed and presenter flags.
    let opening = use_memo((), |_| Opening::from_location());
    let linked = opening.link.clone().ok().flatten().unwrap_or_default();
    let state = use_reducer({
        let opening = opening.clone();
        move || opening.playground()
    });
    let dispatch = |action: Action| {
        let state = state.dispatcher();
        Callback::from(move |_: MouseEvent| state.dispatch(action.clone()))
    };
    let presenting = use_state(|| opening.present);
    // In presenter mode, whether the editing, export and analysis panels
    // are back on screen (the `e` key).
    let tools = use_reducer(Toggle::default);
    let help = use_state(|| false);
    let embedding = use_state(|| false);
    let axis = use_state(|| Axis::from_name(linked.axis.as_deref().unwrap_or_default()));
    use_keyboard(
        state.dispatcher(),
        help.setter(),
        embedding.setter(),
        tools.dispatcher(),
    );
    use_pause_when_hidden(state.dispatcher());
    use_warm_up(!opening.embed);
    {
        let (opening, state) = (opening.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            // (A constant first: a release leaves the panic out.)
            if share::TEST_SWITCHES && opening.panic {
                panic!("a deliberate panic, asked for by ?panic=1 (to check the error banner)");
            }
            if opening.autoplay {
                state.dispatch(Action::TogglePlay);
            }
        });
    }
    use_every_frame(state.playback.playing, state.dispatcher(), Action::Tick);
    super::offload::use_offload(
        state.exploring.away_job(),
        state.base.clone(),
        state.work.clone(),
        state.dispatcher(),
        !opening.embed,
    );
    use_every_frame(state.exploring.needs_slices(), state.dispatcher(), |_| {
        Action::ExploreSlice
    });
    use_every_frame(
        state.work.as_ref().is_some_and(Work::needs_slices),
        state.dispatcher(),
        |_| Action::WorkSlice,
    );
    let reduced_motion = *use_memo((), |_| prefers_reduced_motion());
    let framed = *use_memo((), |_| super::host::framed());
    let selected = use_state(|| linked.selected.as_deref().and_then(Selection::from_link));
    // A new run (lesson, reset, fork, loaded scenario) forgets the clicked
    // anomaly: its indices were the old run's. (Not the first run: a link
    // may have selected something in it.)
    {
        let selected = selected.setter();
        let first = use_mut_ref(|| true);
        use_effect_with(state.whole.clone(), move |_| {
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                selected.set(None);
            }
        });
    }
    let onselect = {
        let selected = selected.setter();
        use_callback((), move |selection: Selection, _| {
            selected.set(Some(selection))
        })
    };

    let sim = state.recording.current();
    let trace = state.recording.trace();
    let finished = state.finished();
    let taken = state.steps_taken();
    let total = state.total_steps();
    let playing = state.playback.playing;
    // At the end of what is recorded with someone still to schedule: only
    // a choice moves the run on.
    let waiting = finished && !state.done();
    // A run scheduled by hand has its choices beside the transport, where
    // the run waits for them; a timed one offers them under the timeline
    // (to take over the order from here).
    let by_hand = state.recording.scenario().schedule.is_some();
    let onseek = on_slider(state.dispatcher(), Action::Seek);
    let onspeed = on_slider(state.dispatcher(), Action::SetSpeed);
    let explanation = (*selected).and_then(|selection| state.explain(selection));
    // The story's subject stays in view: after each part, each step taken
    // while paused, each click explained and each new run, the page
    // scrolls the least that shows it (after the frame is drawn, so what
    // is measured is what is shown). An embed fits its frame instead.
    {
        let focus = state
            .narration()
            .get(state.beat())
            .and_then(|beat| beat.when.focus());
        let key = (
            state.lesson.name,
            state.beat(),
            (!playing).then_some(taken),
            *selected,
            Rc::as_ptr(&state.whole.0) as usize,
            state.question().is_some(),
        );
        let embed = opening.embed;
        use_effect_with(key, move |_| {
            if !embed {
                gloo_timers::callback::Timeout::new(0, move || {
                    share::keep_in_view(focus.map(|f| f.selector()).as_deref())
                })
                .forget();
            }
        });
    }
    // Only an embed in a frame has a page to tell (the full page does no
    // work for it).
    let hosted = opening.embed && framed;
    use_host_page(
        hosted,
        state.dispatcher(),
        if hosted {
            state.embed_status()
        } else {
            Default::default()
        },
        explanation
            .as_ref()
            .filter(|_| hosted)
            .map(|e| e.sentence.clone()),
    );
    // Actions that put another run on the timeline bring it into view.
    let onaction_revealing = {
        let state = state.dispatcher();
        Callback::from(move |action: Action| {
            state.dispatch(action);
            share::bring_into_view("timeline");
        })
    };
    let onaction = {
        let state = state.dispatcher();
        Callback::from(move |action: Action| state.dispatch(action))
    };
    // Whether a scenario of the person's own is this lesson's, changed
    // (same name): worked out once per scenario, not every frame (the
    // lesson's scenario is parsed from its file to know its name).
    let changed_lesson = *use_memo(Rc::as_ptr(&state.base) as usize, {
        let (base, lesson) = (state.base.clone(), state.lesson);
        move |_| base.name == lesson.scenario().name
    });
    let shown = Shown::of(&state, changed_lesson);
    // Tokens move with the playback clock while playing, unless motion is
    // unwelcome; otherwise they sit where the last step left them.
    let clock = if playing && !reduced_motion {
        state.playback.clock_ms()
    } else {
        sim.now_ms() as f64
    };
    let strip = crate::model::architecture::architecture(sim, clock);
    let side = {
        let cache = use_mut_ref(|| None::<(f64, Rc<SidePanels>)>);
        let now = now_ms();
        let mut cache = cache.borrow_mut();
        match &*cache {
            Some((at, side)) if playing && now - *at < SIDE_PANELS_PLAYING_MS => side.clone(),
            _ => {
                let recent_from = state.recent_steps_from();
                let side = Rc::new(SidePanels {
                    inspector: state.inspector(),
                    choices: state.scheduler_choices(),
                    pending: view::pending_rows(sim),
                    rows: view::step_rows(&trace[recent_from..], recent_from),
                    earlier: recent_from,
                });
                *cache = Some((now, side.clone()));
                side
            }
        }
    };
    let beats = state.narration();
    let base = &state.base;
    let charts = {
        let version = state.charts_version();
        let state = state.clone();
        use_memo(version, move |_| state.charts(version))
    };
    // While comparing, each metric's charts share one y axis: worked out
    // once per comparison, not every frame.
    let shared_peaks = {
        let comparison = state.comparison.clone();
        let key: Vec<usize> = comparison.iter().map(|o| Rc::as_ptr(o) as usize).collect();
        use_memo(key, move |_| {
            crate::model::charts::Metric::ALL.map(|metric| {
                (
                    metric,
                    crate::model::compare::shared_peak(metric, &comparison),
                )
            })
        })
    };
    // Memoised, so the panels they go to do not re-render every frame.
    let ontune = use_action(state.dispatcher(), |scenario| {
        Action::Tune(Box::new(scenario))
    });
    let oncompare = use_action(state.dispatcher(), Action::Compare);
    let onclearcomparison = use_action(state.dispatcher(), |()| Action::ClearComparison);
    let onopencompared = {
        let onaction = onaction_revealing.clone();
        use_callback((), move |index: usize, _| {
            onaction.emit(Action::OpenCompared(index))
        })
    };
    let scenario_json = state.loader_json();

    // The state as a link: written again when it changes (while playing,
    // only once paused: a link per frame would be wasted work).
    let fragment = {
        let state = state.clone();
        let key = (
            Rc::as_ptr(&state.whole.0) as usize,
            Rc::as_ptr(&state.base) as usize,
            if playing { usize::MAX } else { taken },
            state.aggregated.is_some(),
            state.aggregated_cursor_ms,
            state.playback.speed,
            *axis,
            *selected,
        );
        use_memo(key, move |&(.., axis, selected)| {
            state.link_fragment(axis, selected)
        })
    };
    // Copy link: the run as it is this instant (the address bar lags while
    // playing), and paused there.
    let onlink = {
        let (state, axis, selected) = (state.clone(), *axis, *selected);
        Callback::from(move |()| {
            state.dispatch(Action::Pause);
            state.link_fragment(axis, selected)
        })
    };
    use_effect_with(fragment.clone(), |fragment| {
        share::replace_address(fragment)
    });
    let onexport = {
        let state = state.clone();
        Callback::from(move |what: Export| {
            if let Err(why) = export(&state, what, state.dispatcher()) {
                state.dispatch(Action::Notice(why));
            }
        })
    };
    let onaxis = {
        let axis = axis.setter();
        Callback::from(move |to: Axis| axis.set(to))
    };
    let toggle = |flag: &UseStateHandle<bool>| {
        let flag = flag.clone();
        Callback::from(move |()| flag.set(!*flag))
    };
    // Opening a dialog pauses (nobody reads a list while the run moves on;
    // the embed dialog embeds the run where it stopped).
    let open = |flag: &UseStateHandle<bool>| {
        let (flag, state) = (flag.clone(), state.dispatcher());
        Callback::from(move |()| {
            state.dispatch(Action::Pause);
            flag.set(true);
        })
    };
    let overlays = html! {
        <>
            if *help {
                <ShortcutsOverlay onclose={{ let help = help.setter(); Callback::from(move |()| help.set(false)) }} />
            }
            if *embedding {
                <EmbedDialog fragment={fragment.clone()} lesson={state.lesson.name}
                    custom={shown != Shown::Lesson}
                    run_title={format!("{}, step {taken} of {total}",
                        if state.custom { state.recording.scenario().name.as_str() } else { state.lesson.heading })}
                    onclose={{ let embedding = embedding.setter(); Callback::from(move |()| embedding.set(false)) }} />
            }
        </>
    };
    let title = if state.custom {
        format!("Your scenario: {}", state.recording.scenario().name)
    } else {
        state.lesson.title.to_string()
    };

    let scheduler = html! {
        <SchedulerPanel choices={side.choices.clone()} onschedule={onaction.reform(Action::Schedule)} />
    };
    let transport = html! {
        <>
            if state.aggregated.is_none() {
            <div class="transport" role="toolbar" aria-label="Run controls">
                // In an embed (one row) the words are for screen readers
                // and the symbols are shown (static/style.css).
                <button data-testid="reset" onclick={dispatch(Action::Reset)}>
                    <span class="symbol" aria-hidden="true">{ "⟲" }</span><span class="word">{ "Reset" }</span></button>
                <button data-testid="step-back" onclick={dispatch(Action::StepBack)} disabled={taken == 0}
                    aria-label="Step back">{ "◀" }<span class="word">{ " Back" }</span></button>
                <button data-testid="play" class="primary" onclick={dispatch(Action::TogglePlay)}
                    aria-pressed={playing.to_string()} disabled={total == 0 || waiting}
                    title={if waiting { WAITING } else if state.done() { "Play the run again from its start" } else { "Play the run (Space)" }}>
                    { if playing { "❚❚" } else { "▶" } }<span class="word">{ if playing { " Pause" } else { " Play" } }</span>
                </button>
                <button data-testid="step" onclick={dispatch(Action::Step)} disabled={finished}
                    title={if waiting { WAITING } else if finished { "The run is at its end" } else { "One operation takes effect" }}>{ "Step ▶" }</button>
                <button data-testid="run" onclick={dispatch(Action::RunToEnd)} disabled={finished}
                    title={if waiting { WAITING } else if finished { "The run is at its end" } else { "Every operation up to the end" }}>
                    <span class="symbol" aria-hidden="true">{ "⇥" }</span><span class="word">{ "Run to end" }</span></button>
                <label class="speed">
                    <span>{ "Speed " }</span>
                    <input type="range" data-testid="speed" aria-label="Speed" min={SLOWEST.to_string()} max={FASTEST.to_string()} step="1"
                        value={state.playback.speed.to_string()} oninput={onspeed}
                        aria-valuetext={format!("{} real time", state.playback.label())} />
                    <output data-testid="speed-label">{ state.playback.label() }</output>
                </label>
                <input type="range" class="scrubber" data-testid="scrubber" aria-label="Position in the run (steps)"
                    min="0" max={total.to_string()} value={taken.to_string()} oninput={onseek}
                    onpointerdown={{ let state = state.dispatcher(); Callback::from(move |_: PointerEvent| state.dispatch(Action::Pause)) }} />
                <span class="clock" data-testid="clock" aria-live="polite">
                    { format!("t = {} ms", sim.now_ms()) }
                    <span class="clock-steps">{ format!(" · step {taken} of {total}") }</span>
                    if state.done() { { " · done" } } else if waiting { { " · your move: choose who goes next" } }
                </span>
                // The narration's current line, on a phone where the panel
                // above has scrolled away (hidden on wider screens).
                if let Some(beat) = beats.get(state.beat()) {
                    <div class="transport-beat">
                        <button data-testid="transport-beat-previous" aria-label="Previous part of the lesson"
                            onclick={dispatch(Action::PreviousBeat)} disabled={state.beat() == 0}>{ "◀" }</button>
                        <p data-testid="transport-beat">{ beat.text }</p>
                        <button data-testid="transport-beat-next" aria-label="Next part of the lesson"
                            onclick={dispatch(Action::NextBeat)} disabled={state.beat() + 1 >= beats.len()}>{ "▶" }</button>
                    </div>
                }
            </div>
            }
        </>
    };
    let status = html! {
        <>
            if let Some(message) = &state.message {
                <p class="message" role="alert" data-testid="message">{ message }</p>
            }
            if let Some(work) = &state.work {
                <div class="work" role="status" data-testid="work">
                    <span>{ match work.purpose {
                        Purpose::Show => "Simulating the workload (too large to record: it will be shown aggregated)… ".to_string(),
                        Purpose::Compare => format!("Comparing {} configurations… ", work.total()),
                    } }</span>
                    <progress data-testid="work-progress" max="1" value={work.progress.to_string()}
                        aria-label="Progress">{ format!("{:.0}%", work.progress * 100.0) }</progress>
                    <span>{ format!(" {:.0}%", work.progress * 100.0) }</span>
                    <button data-testid="work-cancel" onclick={dispatch(Action::CancelWork)}>{ "Cancel" }</button>
                </div>
            }
        </>
    };
    // A frame too small for a lane per reader (an embed under 600 pixels
    // high) groups neighbouring readers' lanes.
    let small_frame = *use_memo((), {
        let embed = opening.embed;
        move |_| embed && share::window_height() < EMBED_ROOMY_HEIGHT
    });
    let whole_shown = {
        let whole = state.whole.clone();
        use_memo(
            (Rc::as_ptr(&whole.0) as usize, small_frame),
            move |&(_, small)| {
                if small {
                    crate::model::playground::WholeTimeline(Rc::new(
                        whole.0.with_lanes_at_most(EMBED_LANES),
                    ))
                } else {
                    whole.clone()
                }
            },
        )
    };
    let timeline = html! {
                    <TimelineView whole={(*whole_shown).clone()} entries={trace.len()} now_ms={sim.now_ms()}
                        axis={*axis} onaxis={onaxis.clone()} compact={opening.embed} presenting={*presenting}
                        highlight={explanation.as_ref().map(|e| e.steps.clone()).unwrap_or_default()} {onselect}
                        fault_starts={base.faults.iter().map(|f| f.starts_ms().unwrap_or(0)).collect::<Vec<_>>()}
                        onmovefault={{
                            let (state, faults) = (state.dispatcher(), base.faults.clone());
                            Callback::from(move |(index, at_ms): (usize, crate::sim::scenario::Millis)| {
                                let mut faults = faults.clone();
                                faults[index] = view::move_fault(&faults[index], at_ms);
                                state.dispatch(Action::SetFaults(faults));
                            })
                        }}
                        onremovefault={{
                            let (state, faults) = (state.dispatcher(), base.faults.clone());
                            Callback::from(move |index: usize| {
                                let mut faults = faults.clone();
                                if index < faults.len() {
                                    faults.remove(index);
                                }
                                state.dispatch(Action::SetFaults(faults));
                            })
                        }} />
    };
    // What a click explains, or how to ask (shorter in an embed).
    let explained = match &explanation {
        Some(explanation) => html! {
            <p class="explanation" data-testid="explanation" aria-live="polite">{ &explanation.sentence }</p>
        },
        None => html! {
            <p class="explanation hint">{ if opening.embed {
                "Click an operation or an anomaly to explain it."
            } else {
                "Click an operation for its details, or an anomaly (triangle, ring, cross, patterned window) to see what caused it."
            } }</p>
        },
    };
    // A run too large to record, in place of the stage.
    let aggregated_view = state.aggregated.as_ref().map(|aggregated| {
        html! {
            <AggregatedView outcome={aggregated.outcome.clone()} busy_ms={aggregated.busy_ms}
                in_worker={aggregated.in_worker}
                cursor_ms={state.aggregated_cursor_ms}
                onseek={on_slider(state.dispatcher(), Action::SeekTime)} />
        }
    });
    let class = classes!(
        "playground",
        presenting.then_some("presenting"),
        (*presenting && tools.0).then_some("with-tools"),
        opening.embed.then_some("embed")
    );
    if opening.embed {
        // For an iframe of any size: a one-line title, the transport with
        // the narration's line, the timeline and what a click explains.
        let heading = if state.custom {
            title.clone()
        } else {
            format!("{}: {}", state.lesson.heading, state.lesson.title)
        };
        return html! {
            <main {class}>
                <div class="embed-head">
                    <h1 class="embed-title" data-testid="lesson-title" title={heading.clone()}>{ heading }</h1>
                    <a data-testid="open-full" href={share::address(&[], Some(&fragment))} target="_blank" rel="noopener">
                        { "Open in full ↗" }
                    </a>
                </div>
                { transport }
                { status }
                { aggregated_view.unwrap_or(timeline) }
                if state.aggregated.is_none() {
                    { explained }
                }
                { overlays }
            </main>
        };
    }

    // The lesson's text and where it was checked: beside the run on a wide
    // screen, under it on a narrow one (the story comes first). A
    // challenge's task is its own; the lesson's text would give it away.
    let notes = (!state.custom && state.challenge.is_none()).then(|| html! {
        <section class="panel lesson-notes" aria-label="About this lesson">
            <p class="lesson-text" data-testid="lesson-text">{ state.lesson.text }</p>
            if let Some(line) = crate::lessons::reproduced::reproduced().sentence(state.lesson.name) {
                <p class="reproduced" data-testid="reproduced">{ line }</p>
            }
            if let Some(line) = crate::lessons::reproduced::reproduced().live_sentence(state.lesson.name) {
                <p class="reproduced" data-testid="reproduced-live">{ line }</p>
            }
        </section>
    });
    html! {
        <main {class}>
            <header class="masthead">
                <h1>{ "cachescope" }</h1>
                <p class="tagline">{ "How caches drift from their database, one operation at a time." }</p>
                <LessonPicker current={state.lesson.name} challenge={state.challenge.map(|c| c.name)}
                    onselect={onaction.clone()} />
            </header>
            <section class="lesson" aria-labelledby="lesson-title">
                <LessonHeader lesson={state.lesson} shown={shown}
                    scenario_name={state.base.name.clone()} challenge={state.challenge.map(|c| c.title)}
                    onaction={onaction.clone()} />
            </section>
            if let Some(view) = state.challenge_view() {
                <ChallengePanel {view} exploring={state.exploring.clone()}
                    onshow={{
                        let (onaction, goal) = (onaction_revealing.clone(), state.challenge.map(|c| c.goal));
                        Callback::from(move |_: MouseEvent| if let Some(goal) = goal {
                            onaction.emit(Action::ShowFailing(goal, 0));
                        })
                    }}
                    onrestart={dispatch(Action::Reset)} />
            }
            // The story: what the narration says, the controls that move
            // the run, and (scheduled by hand) who may go next. It stays at
            // the top of the window while the run below scrolls.
            <div class="story" data-testid="story">
                <RunState lesson={state.lesson} shown={shown}
                    scenario_name={state.base.name.clone()} challenge={state.challenge.map(|c| c.title)}
                    onaction={onaction.clone()} />
                <NarrationPanel {beats} positions={state.beats_at.clone()} current={state.beat()}
                    onnext={dispatch(Action::NextBeat)} onprevious={dispatch(Action::PreviousBeat)}
                    question={state.question()}
                    onanswer={onaction.reform(|(q, c)| Action::Answer(q, c))}
                    pause_at_parts={state.pause_at_parts}
                    onpauseatparts={onaction.reform(Action::SetPauseAtParts)} />
                { transport }
                if by_hand && state.aggregated.is_none() && !state.done() {
                    { scheduler.clone() }
                }
                { status }
            </div>
            if let Some(aggregated_view) = aggregated_view {
                { aggregated_view }
            } else {
            <div class="stage">
                <div class="stage-main">
                    <ArchitectureStrip {strip} text_scale={if *presenting { PRESENTER_STRIP_TYPE } else { 1.0 }} />
                    { timeline }
                    { explained }
                    if !by_hand {
                        { scheduler }
                    }
                </div>
                <div class="stage-side">
                    { notes.clone().unwrap_or_default() }
                    <InspectorPanel inspector={side.inspector.clone()} pending={side.pending.clone()} />
                    <StepsPanel rows={side.rows.clone()} earlier={side.earlier} />
                </div>
            </div>
            }
            if state.aggregated.is_some() {
                { notes.unwrap_or_default() }
            }
            <ShareBar {onlink} presenting={*presenting} onpresent={toggle(&presenting)}
                onhelp={open(&help)} onembed={open(&embedding)} {onexport} />
            <section class="panel charts" aria-labelledby="charts-title" data-testid="charts">
                <h3 id="charts-title">{ "Metrics" }</h3>
                <div class="chart-grid">
                    { for charts.charts.iter().map(|chart| html! {
                        <ChartView chart={chart.clone()} end_ms={charts.end_ms} cursor_ms={Some(charts.cursor_ms)}
                            y_at_least={shared_peaks.iter().find(|(m, _)| *m == chart.metric).and_then(|(_, peak)| *peak)} />
                    }) }
                </div>
                <h4 id="consistency-title">{ "Consistency" }</h4>
                <div class="consistency-grid">
                    <dl class="consistency" data-testid="consistency" aria-labelledby="consistency-title"
                        data-reads={charts.consistency.reads.to_string()} data-fresh-reads={charts.consistency.fresh_reads.to_string()}
                        data-nines={charts.consistency.nines.map(|n| n.to_string()).unwrap_or_default()}
                        data-visible={format!("{:?} {:?} {:?}", charts.consistency.visible_p50_ms, charts.consistency.visible_p99_ms, charts.consistency.visible_max_ms)}
                        data-never={charts.consistency.never_visible.to_string()}>
                        <dt>{ "Fresh reads" }</dt>
                        <dd data-testid="consistency-nines">{ charts.consistency.nines_text() }</dd>
                        <dt>{ "Commit to visible" }</dt>
                        <dd data-testid="consistency-visible">{ charts.consistency.visible_text() }</dd>
                        <dd class="hint">{ "A commit is visible once the cache serves nothing older until the key's next commit; \"never\": the cache still serves an older value at the cursor. Nines: 99.9% of reads fresh is 3 nines." }</dd>
                    </dl>
                    <ChartView chart={charts.visibility.clone()} end_ms={charts.consistency.visible_max_ms.unwrap_or(0)}
                        cursor_ms={None::<u64>} />
                </div>
            </section>
            <KnobsPanel scenario={base.clone()} {ontune} />
            <FaultsPanel faults={base.faults.clone()} onchange={
                let state = state.dispatcher();
                Callback::from(move |faults| state.dispatch(Action::SetFaults(faults)))
            } />
            <ComparePanel outcomes={state.comparison.clone()}
                busy={state.work.as_ref().is_some_and(|w| w.purpose == Purpose::Compare)}
                {oncompare} onclear={onclearcomparison} onopen={onopencompared} />
            <ExplorerPanel exploring={state.exploring.clone()} onexplore={dispatch(Action::Explore)}
                oncancel={dispatch(Action::CancelExplore)} onshow={
                    let onaction = onaction_revealing.clone();
                    Callback::from(move |(anomaly, k)| onaction.emit(Action::ShowFailing(anomaly, k)))
                } />
            <ScenarioLoader current={scenario_json} onload={
                let state = state.dispatcher();
                Callback::from(move |json| state.dispatch(Action::LoadScenario(json)))
            } onerror={
                let state = state.dispatcher();
                Callback::from(move |why| state.dispatch(Action::Notice(why)))
            } />
            { overlays }
        </main>
    }
}

/// How much larger the presenter's stylesheet sets the strip's type
/// (static/style.css: boxes 20 px bold against 15, captions 16 against 12).
const PRESENTER_STRIP_TYPE: f64 = 1.4;

/// An embed at least this high (pixels) has a lane per reader.
const EMBED_ROOMY_HEIGHT: f64 = 600.0;
/// Lanes that fit a small embed (720x360, 480x320) with the time axis.
const EMBED_LANES: usize = 7;

/// Why the transport's buttons cannot move a run that waits for a choice.
const WAITING: &str =
    "The run waits for you: choose who goes next (the buttons under \"Be the scheduler\")";

/// While playing, the panels beside the timeline (the inspector, the
/// operations list and the scheduler's choices) follow the cursor at most this often: at several
/// operations a frame nobody reads them sixty times a second, and laying
/// them out is most of a frame's work. Paused, they show the cursor.
const SIDE_PANELS_PLAYING_MS: f64 = 50.0;

/// What the panels beside the timeline show.
struct SidePanels {
    inspector: Inspector,
    /// Who may go next, and what each would do.
    choices: Vec<crate::model::playground::SchedulerChoice>,
    pending: Vec<PendingRow>,
    rows: Vec<StepRow>,
    /// Operations before `rows`.
    earlier: usize,
}

/// Exports `what` as a download; or why it could not be.
fn export(
    state: &Playground,
    what: Export,
    dispatcher: UseReducerDispatcher<Playground>,
) -> Result<(), String> {
    let stem = state.file_stem();
    let json = "application/json";
    match what {
        Export::Scenario => share::download(
            &format!("{stem}.json"),
            json,
            &state.shown_scenario().to_json(),
        ),
        Export::Report => {
            share::download(&format!("{stem}.report.json"), json, &state.report_json())
        }
        Export::TimelineSvg => share::download(
            &format!("{stem}.timeline.svg"),
            "image/svg+xml",
            &share::timeline_svg()?,
        ),
        Export::TimelinePng => {
            // Checked now, so a refusal is immediate; drawn asynchronously.
            share::timeline_svg()?;
            let name = format!("{stem}.timeline.png");
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(why) = share::download_timeline_png(name).await {
                    dispatcher.dispatch(Action::Notice(why));
                }
            });
            Ok(())
        }
    }
}
