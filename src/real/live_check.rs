//! A live run judged from the servers' records alone, and explained by
//! the model.
//!
//! [`judge`] reads no simulation: stale reads from each read's start and
//! PostgreSQL's commit instants; divergence windows from Redis's command
//! log (each `SET` with its `PX`, each `DEL`) against the commits; DB reads
//! and their peak from the clients' history.
//!
//! [`replay`] turns the order of effects the records show into a schedule
//! (each effect at its instant: a wait brings the model's clock there) and
//! has the model follow it with a mirror that compares every reply the
//! model computes with the one the servers gave. The first that differs
//! makes the run a disagreement; the model's anomalies are set beside the
//! servers'.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use serde::Serialize;

use super::live::{LiveRun, op_meaning, reply_meaning};
use super::mirror::Difference;
use crate::sim::engine::{BusEvent, Mirror};
use crate::sim::ops::{KeyId, Op, Reply, Resource, Stamp, Versioned};
use crate::sim::engine::DivergenceKind;
use crate::sim::scenario::{FaultKind, Millis, ScheduleEntry};
use crate::sim::trace::Actor;
use crate::sim::{Report, Scenario, Simulation};

/// How far apart (model ms) a window's bounds may be in the servers'
/// record and in the model's replay: the model's clock is in whole
/// milliseconds, the servers' in microseconds.
const BOUND_TOLERANCE_MS: f64 = 1.0;

/// A divergence window by the servers' record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiveWindow {
    pub key: String,
    pub kind: DivergenceKind,
    pub from_ms: f64,
    /// `None` when still open at the run's end.
    pub to_ms: Option<f64>,
}

/// What the servers' records say happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdicts {
    /// The reads that returned a version older than one committed before
    /// they started, by request id.
    pub stale_reads: Vec<String>,
    pub windows: Vec<LiveWindow>,
    pub db_reads: u64,
    pub peak_db_reads: u64,
}

/// Judges a live run from its records, without the model.
pub fn judge(run: &LiveRun) -> Verdicts {
    let stale_reads = run
        .requests
        .iter()
        .filter(|request| match &request.read {
            Some((_, Stamp::Committed(version))) => run.commits.iter().any(|c| {
                c.key == request.key && c.at_ms < request.started_ms && c.version > *version
            }),
            _ => false,
        })
        .map(|request| request.id.clone())
        .collect();
    let reads: Vec<(f64, f64)> = run
        .performed
        .iter()
        .filter(|p| p.resource == Resource::DbRead)
        .map(|p| (p.sent_ms, p.answered_ms))
        .collect();
    let peak = reads
        .iter()
        .map(|(start, _)| {
            reads
                .iter()
                .filter(|(s, e)| s <= start && start < e)
                .count()
        })
        .max()
        .unwrap_or(0);
    Verdicts {
        stale_reads,
        windows: windows(run),
        db_reads: reads.len() as u64,
        peak_db_reads: peak as u64,
    }
}

/// The end of the run: its last effect.
fn end_of(run: &LiveRun) -> f64 {
    run.performed
        .iter()
        .map(|p| p.effect_ms)
        .fold(0.0, f64::max)
}

/// Each key's divergence windows: where Redis held an entry (set, not yet
/// deleted or past its `PX`) that is an older committed version than the
/// key's last commit (`stale`), or a value whose write had not committed
/// (`ahead`).
fn windows(run: &LiveRun) -> Vec<LiveWindow> {
    let end = end_of(run);
    let mut all = Vec::new();
    for key in run.scenario.keys.keys() {
        let changes: Vec<_> = run.cache_changes.iter().filter(|c| &c.key == key).collect();
        let commits: Vec<_> = run.commits.iter().filter(|c| &c.key == key).collect();
        let mut points: Vec<f64> = changes.iter().map(|c| c.at_ms).collect();
        points.extend(
            changes
                .iter()
                .filter_map(|c| c.stored.map(|(_, ttl)| c.at_ms + ttl)),
        );
        points.extend(commits.iter().map(|c| c.at_ms));
        points.retain(|p| *p <= end);
        points.sort_by(f64::total_cmp);
        points.dedup();
        let kind_at = |t: f64| -> Option<DivergenceKind> {
            let (stamp, _) = changes
                .iter()
                .rev()
                .find(|c| c.at_ms <= t)
                .and_then(|c| c.stored.filter(|(_, ttl)| t < c.at_ms + ttl))?;
            let committed = commits
                .iter()
                .filter(|c| c.at_ms <= t)
                .map(|c| c.version)
                .max()
                .unwrap_or(1);
            let version = match stamp {
                Stamp::Committed(version) => version,
                Stamp::Uncommitted(write) => {
                    match commits.iter().find(|c| c.write == write && c.at_ms <= t) {
                        Some(c) => c.version,
                        None => return Some(DivergenceKind::Ahead),
                    }
                }
            };
            (version < committed).then_some(DivergenceKind::Stale)
        };
        let mut open: Option<LiveWindow> = None;
        for t in points {
            let kind = kind_at(t);
            if open.as_ref().map(|w| w.kind) == kind {
                continue;
            }
            if let Some(mut window) = open.take() {
                window.to_ms = Some(t);
                all.push(window);
            }
            open = kind.map(|kind| LiveWindow {
                key: key.clone(),
                kind,
                from_ms: t,
                to_ms: None,
            });
        }
        all.extend(open);
    }
    all
}

/// The model's replay of a live run.
#[derive(Clone, Debug, Serialize)]
pub struct Replay {
    /// The order of effects the servers' records show, as a schedule.
    pub schedule: Vec<ScheduleEntry>,
    /// The first reply the model computed differently, or the first thing
    /// it could not follow.
    pub first_difference: Option<Difference>,
    /// The model's anomalies over the replay.
    pub stale_reads: u64,
    pub windows: Vec<LiveWindow>,
}

impl Replay {
    /// Whether the model gave every reply the servers gave and found the
    /// same anomalies as the servers' records.
    pub fn agrees_with(&self, verdicts: &Verdicts) -> bool {
        self.first_difference.is_none()
            && self.stale_reads == verdicts.stale_reads.len() as u64
            && self.windows.len() == verdicts.windows.len()
            && self.windows.iter().zip(&verdicts.windows).all(|(m, s)| {
                let near = |a: f64, b: f64| (a - b).abs() <= BOUND_TOLERANCE_MS;
                m.key == s.key
                    && m.kind == s.kind
                    && near(m.from_ms, s.from_ms)
                    && match (m.to_ms, s.to_ms) {
                        (Some(a), Some(b)) => near(a, b),
                        (a, b) => a.is_none() && b.is_none(),
                    }
            })
    }
}

/// The servers' replies, per actor, that the model's must match.
struct History {
    expected: BTreeMap<String, VecDeque<(String, String)>>,
    first_difference: Option<Difference>,
}

impl History {
    fn differ(&mut self, at_ms: Millis, actor: &Actor, op: String, model: String, real: String) {
        if self.first_difference.is_none() {
            self.first_difference = Some(Difference {
                at_ms,
                actor: actor.to_string(),
                op,
                key: None,
                model,
                real,
            });
        }
    }

    fn compare(&mut self, actor: &Actor, op: String, now: Millis, model: String) {
        match self.expected.get_mut(&actor.to_string()).and_then(VecDeque::pop_front) {
            None => self.differ(now, actor, op, model, "nothing more done".into()),
            Some((real_op, _)) if real_op != op => {
                self.differ(now, actor, op.clone(), op, real_op);
            }
            Some((_, real)) if real != model => self.differ(now, actor, op, model, real),
            Some(_) => {}
        }
    }
}

impl Mirror for History {
    fn effect(&mut self, actor: Actor, op: &Op, now: Millis, simulated: Reply) -> Reply {
        self.compare(&actor, op_meaning(op), now, reply_meaning(&simulated));
        simulated
    }

    fn snapshot(&mut self, _: Actor, _: KeyId, _: Millis, simulated: Versioned) -> Versioned {
        // A replay is scheduled: a DB read is issued and answered at its
        // step, and compared there as an effect.
        simulated
    }

    fn bus_put(&mut self, _: u32, _: &BusEvent, _: Millis) {}
    fn bus_take(&mut self, _: u32, _: &BusEvent, _: Millis) {}
    fn consumer_restart(&mut self, _: u32, _: usize, _: Millis) {}
    fn captured(&mut self, _: KeyId, _: u64, _: &BusEvent, _: Millis) {}
    fn fault(&mut self, _: FaultKind, _: Millis) {}
}

/// Has the model follow the order of effects of a live run.
pub fn replay(run: &LiveRun) -> Result<Replay, String> {
    let scenario = Scenario {
        schedule: Some(Vec::new()),
        ..run.scenario.clone()
    };
    let mut sim = Simulation::new(&scenario).map_err(|e| e.to_string())?;
    let mut expected: BTreeMap<String, VecDeque<(String, String)>> = BTreeMap::new();
    for (actor, ops) in super::live::by_actor(run) {
        expected.insert(
            actor.to_string(),
            ops.iter().map(|p| (p.op.clone(), p.reply.clone())).collect(),
        );
    }
    let history = Rc::new(RefCell::new(History {
        expected,
        first_difference: None,
    }));
    sim.set_mirror(history.clone());
    let mut schedule = Vec::new();
    for (position, p) in run.performed.iter().enumerate() {
        let at = p.effect_ms.max(0.0).floor() as Millis;
        if at > sim.now_ms() {
            let wait = ScheduleEntry::Wait(at - sim.now_ms());
            sim.apply_entry(&wait, position).map_err(|e| e.to_string())?;
            schedule.push(wait);
        }
        let entry = ScheduleEntry::Actor(p.actor.clone());
        if let Err(error) = sim.apply_entry(&entry, position) {
            let actor = Actor::parse(&p.actor);
            let now = sim.now_ms();
            history.borrow_mut().differ(
                now,
                &actor,
                p.op.clone(),
                format!("cannot follow: {}", error.message),
                p.op.clone(),
            );
            break;
        }
        schedule.push(entry);
    }
    let mut history = history.borrow_mut();
    for (run, spec) in sim.requests().iter().zip(&scenario.requests) {
        if run.finished.is_none() && history.first_difference.is_none() {
            let actor = Actor::Request(spec.id.clone());
            let now = sim.now_ms();
            history.differ(
                now,
                &actor,
                "the request's answer".into(),
                "still running".into(),
                "answered".into(),
            );
        }
    }
    let report = Report::of(&sim, false);
    Ok(Replay {
        schedule,
        first_difference: history.first_difference.take(),
        stale_reads: report.stale_reads,
        windows: report
            .divergence
            .iter()
            .map(|w| LiveWindow {
                key: w.key.clone(),
                kind: w.kind,
                from_ms: w.from_ms as f64,
                to_ms: w.to_ms.map(|t| t as f64),
            })
            .collect(),
    })
}
