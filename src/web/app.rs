//! The page.

use yew::prelude::*;

use std::rc::Rc;

use super::aggregated::AggregatedView;
use super::charts::ChartView;
use super::compare::ComparePanel;
use super::explorer::ExplorerPanel;
use super::faults::FaultsPanel;
use super::knobs::KnobsPanel;
use super::panels::{InspectorPanel, NarrationPanel, ScenarioLoader, StepsPanel};
use super::share::{self, Opening};
use super::sharing::{EmbedDialog, Export, ShareBar, ShortcutsOverlay};
use super::strip::ArchitectureStrip;
use super::timeline::{Axis, Selection, TimelineView};
use crate::lessons::LESSONS;
use crate::model::explain::{self, Explanation};
use crate::model::narration;
use crate::model::playback::{FASTEST, SLOWEST};
use crate::model::playground::{Action, Exploring, Playground, Purpose};
use crate::model::view;
use crate::sim::engine::DivergenceKind;
use crate::sim::report::Requests;
use crate::sim::{Report, TraceEvent};

/// The operations list shows this many of the latest (the timeline shows
/// them all); fewer while playing, when rows change every frame and nobody
/// reads more than the last few (laying out a long list each frame costs
/// more than drawing the timeline).
const RECENT_STEPS: usize = 40;
const RECENT_STEPS_PLAYING: usize = 8;

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
    let help = use_state(|| false);
    let embedding = use_state(|| false);
    let axis = use_state(|| Axis::from_name(linked.axis.as_deref().unwrap_or_default()));
    use_keyboard(state.dispatcher(), help.setter(), embedding.setter());
    use_pause_when_hidden(state.dispatcher());
    {
        let (opening, state) = (opening.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            if opening.panic {
                panic!("a deliberate panic, asked for by ?panic=1 (to check the error banner)");
            }
            if opening.autoplay {
                state.dispatch(Action::TogglePlay);
            }
        });
    }
    use_every_frame(state.playback.playing, state.dispatcher(), Action::Tick);
    use_every_frame(
        matches!(state.exploring, Exploring::Running { .. }),
        state.dispatcher(),
        |_| Action::ExploreSlice,
    );
    use_every_frame(state.work.is_some(), state.dispatcher(), |_| {
        Action::WorkSlice
    });
    let reduced_motion = *use_memo((), |_| prefers_reduced_motion());
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
    let onseek = on_slider(state.dispatcher(), Action::Seek);
    let onspeed = on_slider(state.dispatcher(), Action::SetSpeed);
    let explanation = (*selected).and_then(|selection| explain_selection(&state, selection));
    let onschedule = {
        let state = state.dispatcher();
        Callback::from(move |actor: String| state.dispatch(Action::Schedule(actor)))
    };
    // Tokens move with the playback clock while playing, unless motion is
    // unwelcome; otherwise they sit where the last step left them.
    let clock = if playing && !reduced_motion {
        state.playback.clock_ms()
    } else {
        sim.now_ms() as f64
    };
    let strip = crate::model::architecture::architecture(sim, clock);
    let previous = taken
        .checked_sub(1)
        .map(|step| state.recording.simulation_at(step));
    let inspector = view::inspect(sim, previous.as_ref());
    let recent = if playing {
        RECENT_STEPS_PLAYING
    } else {
        RECENT_STEPS
    };
    let recent_from = trace.len().saturating_sub(recent);
    let beats = if state.custom {
        &[][..]
    } else {
        state.lesson.narration
    };
    let base = &state.base;
    let charts = {
        let version = charts_version(&state);
        let state = state.clone();
        use_memo(version, move |_| charts_of(&state, version))
    };
    // Memoised, so the panels they go to do not re-render every frame.
    let ontune = use_action(state.dispatcher(), |scenario| {
        Action::Tune(Box::new(scenario))
    });
    let oncompare = use_action(state.dispatcher(), Action::Compare);
    let onclearcomparison = use_action(state.dispatcher(), |()| Action::ClearComparison);
    let onopencompared = use_action(state.dispatcher(), Action::OpenCompared);
    // What the loader starts from: the run on screen (with its schedule if
    // it was forked), or the aggregated run's scenario.
    let on_screen = match &state.aggregated {
        Some(_) => &**base,
        None => state.recording.scenario(),
    };
    let scenario_json = serde_json::to_string_pretty(on_screen).unwrap_or_default();

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
            link_fragment(&state, axis, selected)
        })
    };
    // Copy link: the run as it is this instant (the address bar lags while
    // playing), and paused there.
    let onlink = {
        let (state, axis, selected) = (state.clone(), *axis, *selected);
        Callback::from(move |()| {
            state.dispatch(Action::Pause);
            link_fragment(&state, axis, selected)
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
                    onclose={{ let embedding = embedding.setter(); Callback::from(move |()| embedding.set(false)) }} />
            }
        </>
    };
    let title = if state.custom {
        format!("Your scenario: {}", state.recording.scenario().name)
    } else {
        state.lesson.title.to_string()
    };

    let transport = html! {
        <>
            if state.aggregated.is_none() {
            <div class="transport" role="toolbar" aria-label="Run controls">
                <button data-testid="reset" onclick={dispatch(Action::Reset)}>{ "Reset" }</button>
                <button data-testid="step-back" onclick={dispatch(Action::StepBack)} disabled={taken == 0}
                    aria-label="Step back">{ "◀ Back" }</button>
                <button data-testid="play" class="primary" onclick={dispatch(Action::TogglePlay)}
                    aria-pressed={playing.to_string()} disabled={total == 0}>
                    { if playing { "❚❚ Pause" } else { "▶ Play" } }
                </button>
                <button data-testid="step" onclick={dispatch(Action::Step)} disabled={finished}>{ "Step ▶" }</button>
                <button data-testid="run" onclick={dispatch(Action::RunToEnd)} disabled={finished}>{ "Run to end" }</button>
                <label class="speed">
                    <span>{ "Speed " }</span>
                    <input type="range" data-testid="speed" min={SLOWEST.to_string()} max={FASTEST.to_string()} step="1"
                        value={state.playback.speed.to_string()} oninput={onspeed}
                        aria-valuetext={format!("{} real time", state.playback.label())} />
                    <output data-testid="speed-label">{ state.playback.label() }</output>
                </label>
                <input type="range" class="scrubber" data-testid="scrubber" aria-label="Position in the run (steps)"
                    min="0" max={total.to_string()} value={taken.to_string()} oninput={onseek}
                    onpointerdown={{ let state = state.dispatcher(); Callback::from(move |_: PointerEvent| state.dispatch(Action::Pause)) }} />
                <span class="clock" data-testid="clock" aria-live="polite">
                    { format!("t = {} ms · step {} of {}", sim.now_ms(), taken, total) }
                    if finished { { " · done" } }
                </span>
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
    let timeline = html! {
                    <TimelineView whole={state.whole.clone()} entries={trace.len()} now_ms={sim.now_ms()}
                        axis={*axis} onaxis={onaxis.clone()}
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
    // A run too large to record, in place of the stage.
    let aggregated_view = state.aggregated.as_ref().map(|aggregated| {
        html! {
            <AggregatedView outcome={aggregated.outcome.clone()} busy_ms={aggregated.busy_ms}
                cursor_ms={state.aggregated_cursor_ms}
                onseek={on_slider(state.dispatcher(), Action::SeekTime)} />
        }
    });
    let class = classes!(
        "playground",
        presenting.then_some("presenting"),
        opening.embed.then_some("embed")
    );
    if opening.embed {
        // Transport and timeline only, for an iframe of any size.
        return html! {
            <main {class}>
                <div class="embed-head">
                    <h1 class="embed-title" data-testid="lesson-title">{ &title }</h1>
                    <a data-testid="open-full" href={share::address(&[], Some(&fragment))} target="_blank" rel="noopener">
                        { "Open in full playground ↗" }
                    </a>
                </div>
                { transport }
                { status }
                { aggregated_view.unwrap_or(timeline) }
                { overlays }
            </main>
        };
    }

    html! {
        <main {class}>
            <header class="masthead">
                <h1>{ "cachescope" }</h1>
                <p class="tagline">{ "How caches drift from their database, one operation at a time." }</p>
            </header>
            <ShareBar {onlink} presenting={*presenting} onpresent={toggle(&presenting)}
                onhelp={open(&help)} onembed={open(&embedding)} {onexport} />
            <section class="lesson" aria-labelledby="lesson-title">
                <LessonPicker current={state.lesson.name} onselect={
                    let state = state.dispatcher();
                    Callback::from(move |index| state.dispatch(Action::SelectLesson(index)))
                } />
                <h2 id="lesson-title" data-testid="lesson-title">{ &title }</h2>
                if !state.custom {
                    <p>{ state.lesson.text }</p>
                }
            </section>
            <NarrationPanel {beats} positions={state.beats_at.clone()} current={state.beat()}
                onnext={dispatch(Action::NextBeat)} onprevious={dispatch(Action::PreviousBeat)} />
            { transport }
            { status }
            if let Some(aggregated_view) = aggregated_view {
                { aggregated_view }
            } else {
            <div class="stage">
                <div class="stage-main">
                    <ArchitectureStrip {strip} />
                    <SchedulerPanel actors={sim.schedulable()} onschedule={onschedule} />
                    { timeline }
                    if let Some(explanation) = &explanation {
                        <p class="explanation" data-testid="explanation" aria-live="polite">{ &explanation.sentence }</p>
                    } else {
                        <p class="explanation hint">{ "Click an operation for its details, or an anomaly (triangle, ring, cross, patterned window) to see what caused it." }</p>
                    }
                </div>
                <div class="stage-side">
                    <InspectorPanel {inspector} pending={view::pending_rows(sim)} />
                    <StepsPanel rows={view::step_rows(&trace[recent_from..], recent_from)} earlier={recent_from} />
                </div>
            </div>
            }
            <section class="panel charts" aria-labelledby="charts-title" data-testid="charts">
                <h3 id="charts-title">{ "Metrics" }</h3>
                <div class="chart-grid">
                    { for charts.charts.iter().map(|chart| html! {
                        <ChartView chart={chart.clone()} end_ms={charts.end_ms} cursor_ms={Some(charts.cursor_ms)} version={charts.version} />
                    }) }
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
                    let state = state.dispatcher();
                    Callback::from(move |(anomaly, k)| state.dispatch(Action::ShowFailing(anomaly, k)))
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

#[derive(Properties, PartialEq)]
struct LessonPickerProps {
    current: &'static str,
    onselect: Callback<usize>,
}

#[function_component(LessonPicker)]
fn lesson_picker(props: &LessonPickerProps) -> Html {
    let onchange = {
        let onselect = props.onselect.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            if let Ok(index) = select.value().parse() {
                onselect.emit(index);
            }
        })
    };
    html! {
        <label class="lesson-picker">
            { "Lesson " }
            <select data-testid="lesson" {onchange}>
                { for LESSONS.iter().enumerate().map(|(index, lesson)| html! {
                    <option value={index.to_string()} selected={lesson.name == props.current}>
                        { lesson.name }
                    </option>
                }) }
            </select>
        </label>
    }
}

#[derive(Properties, PartialEq)]
struct SchedulerProps {
    actors: Vec<String>,
    onschedule: Callback<String>,
}

/// Be the scheduler: every actor that could go next is a button; pressing
/// one makes its pending operation take effect next (forking the run here).
#[function_component(SchedulerPanel)]
fn scheduler_panel(props: &SchedulerProps) -> Html {
    html! {
        <section class="panel scheduler" aria-labelledby="scheduler-title">
            <h3 id="scheduler-title">{ "Be the scheduler: who goes next?" }</h3>
            if props.actors.is_empty() {
                <p class="empty">{ "Nobody has anything pending." }</p>
            } else {
                <div class="choices" data-testid="scheduler">
                    { for props.actors.iter().map(|actor| {
                        let onclick = {
                            let onschedule = props.onschedule.clone();
                            let actor = actor.clone();
                            Callback::from(move |_: MouseEvent| onschedule.emit(actor.clone()))
                        };
                        html! {
                            <button key={actor.clone()} data-testid={format!("schedule-{actor}")} {onclick}
                                title={format!("Make {actor}'s pending operation take effect next")}>
                                { actor }
                            </button>
                        }
                    }) }
                </div>
            }
        </section>
    }
}

/// The charts on screen: the run's metrics up to the cursor on the whole
/// run's axis, or an aggregated run's whole series.
struct ChartsOnScreen {
    charts: Vec<Rc<crate::model::charts::Chart>>,
    end_ms: u64,
    cursor_ms: u64,
    version: u64,
}

/// When the charts must be computed and drawn again: a new run, or the
/// cursor moved (while playing, once per bucket is enough; paused, every
/// step shows).
fn charts_version(state: &Playground) -> u64 {
    use crate::sim::series::Series;
    match &state.aggregated {
        Some(aggregated) => (Rc::as_ptr(&aggregated.outcome) as u64)
            .wrapping_mul(1_000_003)
            .wrapping_add(state.aggregated_cursor_ms),
        None => {
            let sim = state.recording.current();
            let identity = Rc::as_ptr(&state.whole.0) as u64;
            // While playing, a chart is drawn again at most 32 times over
            // the run (drawing six canvases costs most of a frame with
            // software raster); paused, at every step.
            let moment = if state.playback.playing {
                let end = state.whole.0.end_ms;
                sim.now_ms() / Series::width_for(end).max(end / 32).max(1)
            } else {
                state.steps_taken() as u64
            };
            identity
                .wrapping_mul(1_000_003)
                .wrapping_add(moment * 2 + u64::from(state.playback.playing))
        }
    }
}

fn charts_of(state: &Playground, version: u64) -> ChartsOnScreen {
    use crate::model::charts::{Metric, chart};
    use crate::sim::series::Series;
    let (series, end_ms, cursor_ms) = match &state.aggregated {
        Some(aggregated) => {
            let outcome = &aggregated.outcome;
            (
                &outcome.series,
                outcome.report.end_ms,
                state.aggregated_cursor_ms,
            )
        }
        None => {
            let sim = state.recording.current();
            (sim.series(), state.whole.0.end_ms, sim.now_ms())
        }
    };
    let width = Series::width_for(end_ms);
    ChartsOnScreen {
        charts: Metric::ALL
            .into_iter()
            .map(|metric| Rc::new(chart(metric, series, width)))
            .collect(),
        end_ms,
        cursor_ms,
        version,
    }
}

/// A callback dispatching `action` of its value, made once (the same
/// callback on every render).
#[hook]
fn use_action<T: 'static>(
    dispatcher: UseReducerDispatcher<Playground>,
    action: fn(T) -> Action,
) -> Callback<T> {
    use_callback((), move |value: T, _| dispatcher.dispatch(action(value)))
}

/// A slider's input events as actions: its value parsed, and `action` of
/// it dispatched (a value that does not parse is ignored).
fn on_slider<T: std::str::FromStr + 'static>(
    dispatcher: UseReducerDispatcher<Playground>,
    action: fn(T) -> Action,
) -> Callback<InputEvent> {
    Callback::from(move |event: InputEvent| {
        let input: web_sys::HtmlInputElement = event.target_unchecked_into();
        if let Ok(value) = input.value().parse() {
            dispatcher.dispatch(action(value));
        }
    })
}

/// What a click on the timeline explains, at the cursor (from the trace so
/// far: an explanation never tells the future).
fn explain_selection(state: &Playground, selection: Selection) -> Option<Explanation> {
    let trace = state.recording.trace();
    let now = state.recording.current().now_ms();
    let whole = &*state.whole.0;
    match selection {
        Selection::Window(index) => {
            if index >= whole.windows.len() {
                return None;
            }
            let (_, w) = whole
                .windows_at(index..index + 1, trace.len(), now)
                .next()?;
            let to = (!w.open).then_some(w.to_ms);
            match w.kind {
                DivergenceKind::Stale => explain::stale_window(trace, &w.key, w.from_ms, to),
                DivergenceKind::Ahead => explain::ahead_window(trace, &w.key, w.from_ms, to),
            }
        }
        Selection::Read(index) => {
            let report = Report::of(state.recording.current(), false);
            let Requests::Listed(requests) = &report.requests else {
                return None;
            };
            let request = requests.get(index)?;
            explain::stale_read(trace, request).or_else(|| explain::phantom_read(trace, request))
        }
        Selection::Lost(step) => explain::lost_writes(trace, step),
        Selection::Op(step) => trace.get(step).map(|event| Explanation {
            steps: vec![step],
            sentence: describe_operation(event),
        }),
    }
}

/// `W (app 0) db.write user:123: issued at 5 ms, took effect at 25 ms:
/// committed @2`.
fn describe_operation(event: &TraceEvent) -> String {
    let who = match event.app {
        Some(app) => format!("{} (app {app})", event.actor),
        None => event.actor.to_string(),
    };
    let what = match &event.key {
        Some(key) => format!("{} {key}", event.op),
        None => event.op.to_string(),
    };
    if event.start_ms == event.end_ms {
        format!("{who} {what} at {} ms: {}", event.end_ms, event.result)
    } else {
        format!(
            "{who} {what}: issued at {} ms, took effect at {} ms: {}",
            event.start_ms, event.end_ms, event.result
        )
    }
}

/// Whether the person asked for less motion.
fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}

/// While `active`, dispatches `action(elapsed real ms)` once per animation
/// frame: one render per frame, in step with the display (a timer would
/// sometimes land two renders in one frame). Playing ticks the playback
/// clock this way; exploring counts a slice.
#[hook]
fn use_every_frame(
    active: bool,
    dispatcher: UseReducerDispatcher<Playground>,
    action: fn(f64) -> Action,
) {
    use std::cell::Cell;
    use std::rc::Rc;
    use_effect_with(active, move |&active| {
        let running = Rc::new(Cell::new(active));
        if active {
            next_frame(running.clone(), dispatcher, action, now_ms());
        }
        move || running.set(false)
    });

    /// Asks for the next frame with a one-shot callback (freed once called),
    /// which dispatches and asks again while still active.
    fn next_frame(
        running: Rc<Cell<bool>>,
        dispatcher: UseReducerDispatcher<Playground>,
        action: fn(f64) -> Action,
        last: f64,
    ) {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let callback = Closure::once_into_js(move |now: f64| {
            if running.get() {
                dispatcher.dispatch(action(now - last));
                next_frame(running, dispatcher, action, now);
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.request_animation_frame(callback.unchecked_ref());
        }
    }
}

/// The page's monotonic clock.
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Keyboard shortcuts (listed for people in [`super::sharing::SHORTCUTS`]),
/// anywhere on the page except in a form field (which keeps its own keys):
/// space or `.` plays or pauses, the arrows step, Home and End go to the
/// start and the end, PageDown/PageUp move by lesson part (a presentation
/// remote's keys), `?` lists the shortcuts and Escape closes the list or
/// the embed dialog.
#[hook]
fn use_keyboard(
    dispatcher: UseReducerDispatcher<Playground>,
    help: UseStateSetter<bool>,
    embedding: UseStateSetter<bool>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use_effect_with((), move |_| {
        let listener =
            Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
                let tag = event
                    .target()
                    .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                    .map(|element| element.tag_name())
                    .unwrap_or_default();
                let in_field = matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA");
                if event.key() == "Escape" {
                    help.set(false);
                    embedding.set(false);
                    return;
                }
                if in_field || event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let action = match event.key().as_str() {
                    // On a focused button, space presses that button.
                    " " if tag != "BUTTON" && tag != "SUMMARY" => Action::TogglePlay,
                    "." => Action::TogglePlay,
                    "ArrowRight" => Action::Step,
                    "ArrowLeft" => Action::StepBack,
                    "PageDown" => Action::Advance,
                    "PageUp" => Action::Retreat,
                    "Home" => Action::Seek(0),
                    "End" => Action::RunToEnd,
                    "?" => {
                        event.prevent_default();
                        dispatcher.dispatch(Action::Pause);
                        help.set(true);
                        return;
                    }
                    _ => return,
                };
                event.prevent_default();
                dispatcher.dispatch(action);
            });
        let cleanup = listen(document_target(), "keydown", listener);
        move || drop(cleanup)
    });
}

/// Pauses playback when the tab is hidden (a presenter switching slides
/// comes back to the step they left, not to the end of the run).
#[hook]
fn use_pause_when_hidden(dispatcher: UseReducerDispatcher<Playground>) {
    use wasm_bindgen::closure::Closure;
    use_effect_with((), move |_| {
        let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
            let hidden = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.hidden());
            if hidden {
                dispatcher.dispatch(Action::Pause);
            }
        });
        let cleanup = listen(document_target(), "visibilitychange", listener);
        move || drop(cleanup)
    });
}

fn document_target() -> Option<web_sys::EventTarget> {
    web_sys::window()
        .and_then(|w| w.document())
        .map(web_sys::EventTarget::from)
}

/// A listener registered on `target` until this is dropped.
struct Listening<E: ?Sized> {
    target: Option<web_sys::EventTarget>,
    event: &'static str,
    listener: wasm_bindgen::closure::Closure<E>,
}

impl<E: ?Sized> Drop for Listening<E> {
    fn drop(&mut self) {
        use wasm_bindgen::JsCast;
        if let Some(target) = &self.target {
            let _ = target.remove_event_listener_with_callback(
                self.event,
                self.listener.as_ref().unchecked_ref(),
            );
        }
    }
}

fn listen<E: ?Sized>(
    target: Option<web_sys::EventTarget>,
    event: &'static str,
    listener: wasm_bindgen::closure::Closure<E>,
) -> Listening<E> {
    use wasm_bindgen::JsCast;
    if let Some(target) = &target {
        // Registration only fails for a non-function, which this is not.
        let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    Listening {
        target,
        event,
        listener,
    }
}

/// The link fragment holding `state` as the page shows it.
fn link_fragment(state: &Playground, axis: Axis, selected: Option<Selection>) -> String {
    let mut link = state.link();
    link.axis = (axis != Axis::default()).then(|| axis.name().to_string());
    link.selected = selected.map(Selection::to_link);
    crate::model::link::encode(&link)
}

/// Exports `what` as a download; or why it could not be.
fn export(
    state: &Playground,
    what: Export,
    dispatcher: UseReducerDispatcher<Playground>,
) -> Result<(), String> {
    let scenario = match &state.aggregated {
        Some(aggregated) => &aggregated.outcome.scenario,
        None => state.recording.scenario(),
    };
    // A file name from the scenario's name: letters, digits, dashes.
    let stem: String = scenario
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let stem = if stem.trim_matches('-').is_empty() {
        "scenario".to_string()
    } else {
        stem
    };
    let json = "application/json";
    match what {
        Export::Scenario => share::download(&format!("{stem}.json"), json, &scenario.to_json()),
        Export::Report => {
            let report = match &state.aggregated {
                // Too large to have been recorded: as `cachescope run --no-trace`.
                Some(aggregated) => aggregated.outcome.report.to_json(),
                None => state.recording.report().to_json(),
            };
            share::download(&format!("{stem}.report.json"), json, &report)
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
