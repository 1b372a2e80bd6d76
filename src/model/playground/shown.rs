//! What the page shows beside the run, computed from the state: the
//! explanation of a click, the charts, the link, the exports.

use std::rc::Rc;

use super::Playground;
use crate::lessons::Beat;
use crate::model::embed::EmbedStatus;
use crate::model::explain::{self, Explanation};
use crate::model::timeline::{Axis, Selection};
use crate::model::view::{self, Inspector};
use crate::sim::Scenario;
use crate::sim::engine::DivergenceKind;
use crate::sim::report::{Report, Requests};

/// The charts on screen: the run's metrics up to the cursor on the whole
/// run's axis, or an aggregated run's whole series.
pub struct ChartsOnScreen {
    /// One chart per metric.
    pub charts: Vec<Rc<crate::model::charts::Chart>>,
    /// The whole run's end (the axis).
    pub end_ms: u64,
    /// The cursor.
    pub cursor_ms: u64,
    /// What [`Playground::charts_version`] said when they were made.
    pub version: u64,
    /// The run's consistency as of the cursor (commits not visible yet
    /// count as "never" until the cursor moves on); of the whole run when
    /// it is shown aggregated.
    pub consistency: crate::sim::consistency::ConsistencyReport,
    /// How long commits took to become visible (as `consistency`).
    pub visibility: Rc<crate::model::charts::Chart>,
}

/// The operations list shows this many of the latest (the timeline shows
/// them all); fewer while playing, when rows change every frame and nobody
/// reads more than the last few (laying out a long list each frame costs
/// more than drawing the timeline).
pub const RECENT_STEPS: usize = 40;
/// The operations list's length while playing.
pub const RECENT_STEPS_PLAYING: usize = 8;

/// What the page shows beside the run, computed from the state.
impl Playground {
    /// The inspector at the cursor, with what changed in the last step.
    pub fn inspector(&self) -> Inspector {
        let previous = self
            .steps_taken()
            .checked_sub(1)
            .map(|step| self.recording.simulation_at(step));
        view::inspect(self.recording.current(), previous.as_ref())
    }

    /// The first trace entry the operations list shows.
    pub fn recent_steps_from(&self) -> usize {
        let recent = if self.playback.playing {
            RECENT_STEPS_PLAYING
        } else {
            RECENT_STEPS
        };
        self.recording.trace().len().saturating_sub(recent)
    }

    /// The narration on screen: the lesson's, or none for a person's own
    /// scenario or a challenge.
    pub fn narration(&self) -> &'static [Beat] {
        if self.custom || self.challenge.is_some() {
            &[]
        } else {
            self.lesson.narration
        }
    }

    /// Where the run stands, for the page an embed is in.
    pub fn embed_status(&self) -> EmbedStatus {
        let beats = self.narration();
        EmbedStatus {
            lesson: if self.custom {
                self.recording.scenario().name.clone()
            } else {
                self.lesson.name.to_string()
            },
            step: self.steps_taken(),
            steps: self.total_steps(),
            time_ms: self.recording.current().now_ms(),
            part: if beats.is_empty() { 0 } else { self.beat() + 1 },
            parts: beats.len(),
            text: beats
                .get(self.beat())
                .map_or_else(String::new, |beat| beat.text.to_string()),
            playing: self.playback.playing,
            done: self.done(),
        }
    }

    /// What the scenario loader starts from: the run on screen (with its
    /// schedule if it was forked), or the aggregated run's scenario.
    pub fn loader_json(&self) -> String {
        let on_screen = match &self.aggregated {
            Some(_) => &*self.base,
            None => self.recording.scenario(),
        };
        serde_json::to_string_pretty(on_screen).unwrap_or_default()
    }

    /// What a click on the timeline explains, at the cursor (from the trace so
    /// far: an explanation never tells the future).
    pub fn explain(&self, selection: Selection) -> Option<Explanation> {
        let state = self;
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
                explain::stale_read(trace, request)
                    .or_else(|| explain::phantom_read(trace, request))
                    .or_else(|| explain::fallback_read(trace, request))
            }
            Selection::Lost(step) => explain::lost_writes(trace, step),
            Selection::Op(step) => trace.get(step).map(|event| Explanation {
                steps: vec![step],
                sentence: explain::operation(event),
            }),
        }
    }

    /// When the charts must be computed and drawn again: a new run, or the
    /// cursor moved (while playing, once per bucket is enough; paused, every
    /// step shows).
    pub fn charts_version(&self) -> u64 {
        let state = self;
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

    /// The charts to show now, made for `version`.
    pub fn charts(&self, version: u64) -> ChartsOnScreen {
        let state = self;
        use crate::model::charts::{bucket_width, every_chart, visibility};
        let (series, end_ms, cursor_ms, consistency) = match &state.aggregated {
            Some(aggregated) => {
                let outcome = &aggregated.outcome;
                (
                    &outcome.series,
                    outcome.report.end_ms,
                    state.aggregated_cursor_ms,
                    outcome.report.consistency.clone(),
                )
            }
            None => {
                let sim = state.recording.current();
                let consistency = crate::sim::report::consistency_of(sim);
                (
                    sim.series(),
                    state.whole.0.end_ms,
                    sim.now_ms(),
                    consistency,
                )
            }
        };
        let width = bucket_width(end_ms);
        ChartsOnScreen {
            charts: every_chart(series, width)
                .into_iter()
                .map(Rc::new)
                .collect(),
            end_ms,
            cursor_ms,
            version,
            visibility: Rc::new(visibility(&consistency)),
            consistency,
        }
    }

    /// The link fragment holding `state` as the page shows it.
    pub fn link_fragment(&self, axis: Axis, selected: Option<Selection>) -> String {
        let mut link = self.link();
        link.axis = (axis != Axis::default()).then(|| axis.name().to_string());
        link.selected = selected.map(Selection::to_link);
        crate::model::link::encode(&link)
    }

    /// The name files exported from this run start with: the scenario's name
    /// in letters, digits and dashes (`scenario` if it has none).
    pub fn file_stem(&self) -> String {
        let stem: String = self
            .shown_scenario()
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        if stem.trim_matches('-').is_empty() {
            "scenario".to_string()
        } else {
            stem
        }
    }

    /// The scenario on screen (an aggregated run's, or the recording's).
    pub fn shown_scenario(&self) -> &Scenario {
        match &self.aggregated {
            Some(aggregated) => &aggregated.outcome.scenario,
            None => self.recording.scenario(),
        }
    }

    /// The report of the run on screen, as `cachescope run` prints it (an
    /// aggregated run, too large to have been recorded, as with `--no-trace`).
    pub fn report_json(&self) -> String {
        match &self.aggregated {
            Some(aggregated) => aggregated.outcome.report.to_json(),
            None => self.recording.report().to_json(),
        }
    }
}
