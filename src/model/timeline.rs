//! The timeline's layout as a pure function of a report: one lane per
//! actor, every operation a span from its start to its effect, marks for
//! stale and phantom reads, lost writes and faults, divergence windows
//! shaded on the cache lane, and the database's read concurrency as a step
//! function (a stampede shows as a tall band). The page only draws this;
//! what it draws is computed and tested natively.

use crate::sim::engine::DivergenceKind;
use crate::sim::report::{Report, Requests};
use crate::sim::scenario::{Millis, RequestOp};
use crate::sim::trace::{Actor, OpName};

/// Everything the timeline draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Lanes, top to bottom.
    pub lanes: Vec<Lane>,
    /// Every operation of the trace, in trace order.
    pub spans: Vec<Span>,
    /// Anomalies and faults, in time order.
    pub marks: Vec<Mark>,
    /// Divergence windows, shaded on the cache lane.
    pub windows: Vec<Shade>,
    /// The cache lane (index into `lanes`).
    pub cache_lane: usize,
    /// DB reads in flight over time: consecutive, non-overlapping levels
    /// (only where at least one read is in flight).
    pub db_concurrency: Vec<Level>,
    /// Where the time axis ends.
    pub end_ms: Millis,
}

/// What a lane stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneKind {
    /// A scripted client request (served by an app instance).
    Request,
    /// Generated requests of a workload, all on one lane per kind.
    Generated,
    /// A background actor: consumer, flusher, relay, refresher, or the
    /// database's change capture.
    Background,
    /// The cache: where divergence windows are shaded.
    Cache,
    /// Faults.
    Faults,
}

/// One lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Its label: a request id, `consumer`, `cache`, `faults`, ...
    pub name: String,
    /// What it stands for.
    pub kind: LaneKind,
}

/// One operation, from when it was issued to when it took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Its lane (index into [`Timeline::lanes`]).
    pub lane: usize,
    /// Its index in the trace (the step that applied it).
    pub step: usize,
    /// Issued.
    pub start_ms: Millis,
    /// Took effect.
    pub end_ms: Millis,
    /// `cache.get`, `db.write`, ...
    pub op: OpName,
    /// The key, if it is about one.
    pub key: Option<String>,
    /// What it returned, in words.
    pub result: String,
}

/// What a mark points out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// A read returned an older version than was committed when it started.
    StaleRead,
    /// A read returned a value that is never committed.
    PhantomRead,
    /// A read's wait for a lock or lease ran out: it read the DB itself.
    FallbackRead,
    /// An acknowledged write that a crash lost (on the write's lane, and
    /// on the faults lane at the crash).
    LostWrite,
    /// A fault happened.
    Fault,
}

/// A point on a lane worth a symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// Its lane.
    pub lane: usize,
    /// When.
    pub at_ms: Millis,
    /// What it points out.
    pub kind: MarkKind,
    /// The trace entry it belongs to (the read that returned, the crash).
    pub step: Option<usize>,
    /// The trace entry from which it is true: its own step, or for a lost
    /// write and a phantom read the crash that made them so (a read of an
    /// uncommitted value is only a phantom once its write is lost). The
    /// page shows the mark once the cursor has passed this entry.
    pub known_at: Option<usize>,
    /// A short caption (`R2 read v1@1`, `cache.crash: 2 writes lost`).
    pub label: String,
}

/// A divergence window shaded on the cache lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shade {
    /// The key.
    pub key: String,
    /// Stale or ahead (drawn with different patterns).
    pub kind: DivergenceKind,
    /// When it opened.
    pub from_ms: Millis,
    /// When it closed, or the end of the run if it is still open.
    pub to_ms: Millis,
    /// Still open at the end of the run.
    pub open: bool,
    /// The trace entry that opened it, so that a page at an earlier entry
    /// of the same instant does not show it yet.
    pub opened_by: Option<usize>,
}

/// A stretch of time with a constant number of DB reads in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// From.
    pub from_ms: Millis,
    /// Until (exclusive).
    pub to_ms: Millis,
    /// Reads in flight.
    pub reads: u32,
}

/// The lane names used besides request ids and background actors.
const CACHE_LANE: &str = "cache";
const FAULTS_LANE: &str = "faults";

impl Timeline {
    /// This timeline on at most `max_lanes` lanes (where there is no room
    /// for a lane per reader, as in a small embed): neighbouring scripted
    /// requests share a lane named after the first and last of them
    /// (`R1…R6`), their operations and marks drawn on it. Other lanes keep
    /// their own. Unchanged if it fits, or if grouping cannot make it fit.
    pub fn with_lanes_at_most(&self, max_lanes: usize) -> Timeline {
        let requests = self
            .lanes
            .iter()
            .filter(|l| l.kind == LaneKind::Request)
            .count();
        let others = self.lanes.len() - requests;
        if self.lanes.len() <= max_lanes || requests < 2 || others >= max_lanes {
            return self.clone();
        }
        let per_lane = requests.div_ceil(max_lanes - others);
        let mut lanes: Vec<Lane> = Vec::new();
        let mut moved = Vec::with_capacity(self.lanes.len());
        // Requests in the current group so far (on `lanes.last()`).
        let mut in_group = 0;
        let mut first_of_group = String::new();
        for lane in &self.lanes {
            if lane.kind == LaneKind::Request && in_group > 0 && in_group < per_lane {
                in_group += 1;
                let shared = lanes.last_mut().expect("a group has a lane");
                shared.name = format!("{first_of_group}…{}", lane.name);
            } else {
                in_group = usize::from(lane.kind == LaneKind::Request);
                first_of_group.clone_from(&lane.name);
                lanes.push(lane.clone());
            }
            moved.push(lanes.len() - 1);
        }
        let mut grouped = self.clone();
        grouped.lanes = lanes;
        grouped.cache_lane = moved[self.cache_lane];
        for span in &mut grouped.spans {
            span.lane = moved[span.lane];
        }
        for mark in &mut grouped.marks {
            mark.lane = moved[mark.lane];
        }
        grouped
    }
}

/// Lays out `report`'s timeline. A report without its trace gives lanes,
/// marks and windows but no spans.
pub fn layout(report: &Report) -> Timeline {
    let requests = match &report.requests {
        Requests::Listed(requests) => requests.as_slice(),
        Requests::Counted(_) => &[],
    };
    let trace = report.trace.as_deref().unwrap_or_default();
    let mut lanes: Vec<Lane> = requests
        .iter()
        .map(|r| Lane {
            name: r.id.clone(),
            kind: LaneKind::Request,
        })
        .collect();
    let lane_of = |lanes: &mut Vec<Lane>, name: &str, kind: LaneKind| {
        lanes
            .iter()
            .position(|l| l.name == name)
            .unwrap_or_else(|| {
                lanes.push(Lane {
                    name: name.to_string(),
                    kind,
                });
                lanes.len() - 1
            })
    };
    // Background actors (and generated requests) in order of first
    // appearance, then the cache, then faults.
    let mut actor_lanes = Vec::with_capacity(trace.len());
    for event in trace {
        let lane = match &event.actor {
            Actor::Fault => None,
            Actor::Request(id) if requests.iter().any(|r| &r.id == id) => {
                Some(lane_of(&mut lanes, id, LaneKind::Request))
            }
            Actor::Generated { op, .. } => {
                let lane = match op {
                    RequestOp::Read => "reads",
                    RequestOp::Write => "writes",
                };
                Some(lane_of(&mut lanes, lane, LaneKind::Generated))
            }
            background => Some(lane_of(
                &mut lanes,
                &background.name(),
                LaneKind::Background,
            )),
        };
        actor_lanes.push(lane);
    }
    let cache_lane = lane_of(&mut lanes, CACHE_LANE, LaneKind::Cache);
    let has_faults = trace.iter().any(|e| e.actor == Actor::Fault);
    let faults_lane = has_faults.then(|| lane_of(&mut lanes, FAULTS_LANE, LaneKind::Faults));

    let spans = trace
        .iter()
        .enumerate()
        .map(|(step, event)| Span {
            lane: actor_lanes[step]
                .or(faults_lane)
                .expect("a fault in the trace has its lane"),
            step,
            start_ms: event.start_ms,
            end_ms: event.end_ms,
            op: event.op,
            key: event.key.clone(),
            result: event.result.clone(),
        })
        .collect();

    let mut marks = Vec::new();
    for (lane, request) in requests.iter().enumerate() {
        let Some(end_ms) = request.end_ms else {
            continue;
        };
        let step = answering_entry(trace, &request.id, end_ms);
        let value = || {
            let value = request.value.as_deref().unwrap_or("?");
            match request.version {
                Some(version) => format!("{} read {value}@{version}", request.id),
                None => format!("{} read {value} (never committed)", request.id),
            }
        };
        if request.stale == Some(true) {
            marks.push(Mark {
                lane,
                at_ms: end_ms,
                kind: MarkKind::StaleRead,
                step,
                known_at: step,
                label: format!("stale: {}", value()),
            });
        }
        if request.fallback {
            marks.push(Mark {
                lane,
                at_ms: end_ms,
                kind: MarkKind::FallbackRead,
                step,
                known_at: step,
                label: format!("fallback: {} from the DB after its wait ran out", value()),
            });
        }
        let crash_after = || step.and_then(|step| next_cache_crash(trace, step));
        if request.phantom == Some(true) {
            marks.push(Mark {
                lane,
                at_ms: end_ms,
                kind: MarkKind::PhantomRead,
                step,
                known_at: crash_after(),
                label: format!("phantom: {}", value()),
            });
        }
        if request.op == RequestOp::Write && request.lost {
            marks.push(Mark {
                lane,
                at_ms: end_ms,
                kind: MarkKind::LostWrite,
                step,
                known_at: crash_after(),
                label: format!("{}: acknowledged, then lost", request.id),
            });
        }
    }
    if let Some(faults_lane) = faults_lane {
        for (step, event) in trace.iter().enumerate() {
            if event.actor != Actor::Fault {
                continue;
            }
            // A crash loses the acknowledged writes still unflushed at it:
            // those lost whose answer came before it and after any earlier
            // crash.
            let earlier_crash = trace[..step]
                .iter()
                .rposition(|e| e.op == OpName::CacheCrash)
                .map(|i| trace[i].end_ms);
            let lost = if event.op == OpName::CacheCrash {
                requests
                    .iter()
                    .filter(|r| r.lost)
                    .filter(|r| {
                        r.end_ms.is_some_and(|end| {
                            end <= event.end_ms && earlier_crash.is_none_or(|c| end > c)
                        })
                    })
                    .count()
            } else {
                0
            };
            let (kind, label) = if lost > 0 {
                (
                    MarkKind::LostWrite,
                    format!("{}: {lost} acknowledged write(s) lost", event.op),
                )
            } else {
                (MarkKind::Fault, format!("{}: {}", event.op, event.result))
            };
            marks.push(Mark {
                lane: faults_lane,
                at_ms: event.end_ms,
                kind,
                step: Some(step),
                known_at: Some(step),
                label,
            });
        }
    }
    marks.sort_by_key(|m| (m.at_ms, m.lane));

    let windows = report
        .divergence
        .iter()
        .map(|w| Shade {
            key: w.key.clone(),
            kind: w.kind,
            from_ms: w.from_ms,
            to_ms: w.to_ms.unwrap_or(report.end_ms),
            open: w.to_ms.is_none(),
            // Without a trace there is nothing to show it after.
            opened_by: (!trace.is_empty()).then_some(w.opened_by),
        })
        .collect();
    Timeline {
        lanes,
        spans,
        marks,
        windows,
        cache_lane,
        db_concurrency: db_concurrency(trace),
        end_ms: report.end_ms,
    }
}

/// The layout of a recorded run as a whole (every lane, span, mark and
/// window up to its end); the page lays this out once per run and shows it
/// at the cursor with [`Timeline::marks_known`] and [`Timeline::windows_at`].
pub fn of_recording(recording: &crate::sim::recording::Recording) -> Timeline {
    layout(&recording.report())
}

impl Timeline {
    /// How many trace entries have happened by `ms` (entries take effect
    /// in time order): the one-column-per-step view's column for an instant.
    pub fn entries_by(&self, ms: Millis) -> usize {
        self.spans.partition_point(|s| s.end_ms <= ms)
    }

    /// The marks among `marks[range]` true once `entries` trace entries
    /// have happened, with their indices.
    pub fn marks_known(
        &self,
        range: std::ops::Range<usize>,
        entries: usize,
    ) -> impl Iterator<Item = (usize, &Mark)> {
        let start = range.start;
        self.marks[range]
            .iter()
            .enumerate()
            .map(move |(i, m)| (start + i, m))
            .filter(move |(_, m)| m.known_at.is_none_or(|k| k < entries))
    }

    /// The windows among `windows[range]` as they stand once `entries`
    /// trace entries have happened at `now_ms`: those opened by then, cut
    /// at `now_ms`, with their indices. `open` then says "still open at the
    /// cursor".
    pub fn windows_at(
        &self,
        range: std::ops::Range<usize>,
        entries: usize,
        now_ms: Millis,
    ) -> impl Iterator<Item = (usize, Shade)> {
        let start = range.start;
        self.windows[range]
            .iter()
            .enumerate()
            .map(move |(i, w)| (start + i, w))
            .filter(move |(_, w)| w.from_ms <= now_ms && w.opened_by.is_none_or(|o| o < entries))
            .map(move |(i, w)| {
                let open = w.open || w.to_ms > now_ms;
                (
                    i,
                    Shade {
                        to_ms: w.to_ms.min(now_ms),
                        open,
                        ..w.clone()
                    },
                )
            })
    }
}

/// The trace entry that answered request `id` at `end_ms`: its last
/// operation up to then (which returned the value, for a read).
pub fn answering_entry(
    trace: &[crate::sim::TraceEvent],
    id: &str,
    end_ms: Millis,
) -> Option<usize> {
    trace
        .iter()
        .rposition(|e| matches!(&e.actor, Actor::Request(r) if r == id) && e.end_ms <= end_ms)
}

/// The first cache crash at or after trace entry `from`: the only fault
/// that loses acknowledged writes (an app or relay crash does not).
pub fn next_cache_crash(trace: &[crate::sim::TraceEvent], from: usize) -> Option<usize> {
    (from..trace.len())
        .find(|&i| trace[i].actor == Actor::Fault && trace[i].op == OpName::CacheCrash)
}

/// The number of DB reads in flight over time, from the reads' spans.
fn db_concurrency(trace: &[crate::sim::TraceEvent]) -> Vec<Level> {
    // +1 when a read is issued, -1 when it takes effect; at one instant,
    // ends before starts (a read ending at t and one starting at t do not
    // overlap).
    let mut changes: Vec<(Millis, i32)> = trace
        .iter()
        .filter(|e| e.op.reads_db() && e.end_ms > e.start_ms)
        .flat_map(|e| [(e.start_ms, 1), (e.end_ms, -1)])
        .collect();
    changes.sort_unstable();
    // A level whose end is not known yet (every read ends, so none stays
    // open).
    const OPEN: Millis = Millis::MAX;
    let mut levels: Vec<Level> = Vec::new();
    let mut reads: i32 = 0;
    let mut index = 0;
    while index < changes.len() {
        let at = changes[index].0;
        while index < changes.len() && changes[index].0 == at {
            reads += changes[index].1;
            index += 1;
        }
        let open = levels.last_mut().filter(|last| last.to_ms == OPEN);
        match open {
            // The same number of reads goes on (one ended as another began).
            Some(last) if last.reads == reads as u32 => continue,
            Some(last) => last.to_ms = at,
            None => {}
        }
        if reads > 0 {
            levels.push(Level {
                from_ms: at,
                to_ms: OPEN,
                reads: reads as u32,
            });
        }
    }
    levels
}

/// Something a person clicked, to be explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The divergence window at this index of the whole run's windows.
    Window(usize),
    /// The read of the scripted request at this index (stale or phantom).
    Read(usize),
    /// The lost write(s) of the crash at or after this trace entry.
    Lost(usize),
    /// The operation at this trace entry.
    Op(usize),
}

impl Selection {
    /// As a link writes it: `window:0`, `read:2`, `lost:14`, `op:3`.
    pub fn to_link(self) -> String {
        let (kind, index) = match self {
            Selection::Window(i) => ("window", i),
            Selection::Read(i) => ("read", i),
            Selection::Lost(i) => ("lost", i),
            Selection::Op(i) => ("op", i),
        };
        format!("{kind}:{index}")
    }

    /// From a link (`None` for anything else: nothing is selected then).
    pub fn from_link(text: &str) -> Option<Selection> {
        let (kind, index) = text.split_once(':')?;
        let index = index.parse().ok()?;
        Some(match kind {
            "window" => Selection::Window(index),
            "read" => Selection::Read(index),
            "lost" => Selection::Lost(index),
            "op" => Selection::Op(index),
            _ => return None,
        })
    }
}

/// Which x axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Axis {
    /// Simulated milliseconds (TTLs and delays read true).
    #[default]
    Time,
    /// One column per operation, in the order they took effect (races read
    /// clearly even when everything happens within a millisecond).
    Steps,
}

impl Axis {
    /// Its name in links.
    pub fn name(self) -> &'static str {
        match self {
            Axis::Time => "time",
            Axis::Steps => "steps",
        }
    }

    /// From its name (anything else is the default).
    pub fn from_name(name: &str) -> Axis {
        if name == "steps" {
            Axis::Steps
        } else {
            Axis::Time
        }
    }
}

/// Where an axis from `lo` to `hi` has its ticks: at most `at_most` of
/// them, at round values (a step of 1, 2 or 5 times a power of ten, and at
/// least `min_step`: 1 for milliseconds, steps and counts, which are whole).
pub fn round_ticks(lo: f64, hi: f64, at_most: usize, min_step: f64) -> Vec<f64> {
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 || at_most < 2 {
        return vec![lo];
    }
    // The smallest round step that needs no more than `at_most` ticks.
    let power = 10f64.powf((span / at_most as f64).log10().floor() - 1.0);
    let ticks = |step: f64| {
        let first = (lo / step - 1e-9).ceil();
        let last = (hi / step + 1e-9).floor();
        (first, (last - first + 1.0).max(0.0) as usize)
    };
    let step = [1.0, 10.0, 100.0]
        .into_iter()
        .flat_map(|p| [1.0, 2.0, 5.0].map(|m| (m * p * power).max(min_step)))
        .find(|step| ticks(*step).1 <= at_most)
        .unwrap_or(span);
    let (first, count) = ticks(step);
    (0..count).map(|i| (first + i as f64) * step).collect()
}

#[cfg(test)]
mod round_ticks_tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_values_within_the_axis() {
        assert_eq!(
            round_ticks(0.0, 41.0, 6, 1.0),
            [0.0, 10.0, 20.0, 30.0, 40.0]
        );
        assert_eq!(
            round_ticks(0.0, 5053.0, 6, 1.0),
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
        );
        assert_eq!(round_ticks(12.0, 19.0, 6, 1.0), [12.0, 14.0, 16.0, 18.0]);
        // Counts are whole: never 0.28 / 0.55 / 0.83.
        assert_eq!(round_ticks(0.0, 1.0, 5, 1.0), [0.0, 1.0]);
        assert_eq!(round_ticks(0.0, 12.0, 5, 1.0), [0.0, 5.0, 10.0]);
        assert_eq!(round_ticks(0.0, 1.0, 5, 0.0), [0.0, 0.5, 1.0]);
        assert_eq!(round_ticks(3.0, 3.0, 5, 1.0), [3.0]);
        for (lo, hi, n) in [(0.0, 7.0, 6), (0.0, 99_999.0, 6), (250.0, 1_250.0, 4)] {
            let ticks = round_ticks(lo, hi, n, 1.0);
            assert!(ticks.len() <= n && ticks.len() >= 2, "{ticks:?}");
            assert!(ticks.iter().all(|t| (lo..=hi).contains(t)), "{ticks:?}");
        }
    }
}
