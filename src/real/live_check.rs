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
use crate::sim::engine::DivergenceKind;
use crate::sim::engine::{BusEvent, Mirror};
use crate::sim::ops::{KeyId, Op, Reply, Resource, Stamp, Versioned};
use crate::sim::scenario::{Fault, FaultKind, Millis, ScheduleEntry};
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
    all.sort_by(|a, b| a.from_ms.total_cmp(&b.from_ms));
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
    /// Whether the first difference is a cache operation Redis ran within
    /// a model millisecond of its key's entry or lock expiring: Redis
    /// orders the two on its own millisecond clock (finer than the model's
    /// at any scale above 1), the model's whole milliseconds cannot, so
    /// such a run is a tie, not a disagreement.
    pub tie_at_expiry: bool,
    /// The model's anomalies over the replay.
    pub stale_reads: u64,
    pub windows: Vec<LiveWindow>,
}

impl Replay {
    /// Whether the model gave every reply the servers gave and found the
    /// same anomalies as the servers' records.
    pub fn agrees_with(&self, verdicts: &Verdicts) -> bool {
        // Each key's windows in order of opening; keys in name order.
        let sorted = |windows: &[LiveWindow]| {
            let mut windows = windows.to_vec();
            windows.sort_by(|a, b| a.key.cmp(&b.key).then(a.from_ms.total_cmp(&b.from_ms)));
            windows
        };
        let (model, servers) = (sorted(&self.windows), sorted(&verdicts.windows));
        self.first_difference.is_none()
            && self.stale_reads == verdicts.stale_reads.len() as u64
            && model.len() == servers.len()
            && model.iter().zip(&servers).all(|(m, s)| {
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
    /// Per actor: each operation, its reply and its effect's instant.
    expected: BTreeMap<String, VecDeque<(String, String, f64)>>,
    first_difference: Option<Difference>,
    /// The live instant of the operation first differing.
    first_difference_live_ms: Option<f64>,
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
        let expected = self
            .expected
            .get_mut(&actor.to_string())
            .and_then(VecDeque::pop_front);
        if self.first_difference.is_some() {
            return;
        }
        match expected {
            None => self.differ(now, actor, op, model, "nothing more done".into()),
            Some((real_op, _, at)) if real_op != op => {
                self.differ(now, actor, op.clone(), op, real_op);
                self.first_difference_live_ms = Some(at);
            }
            Some((_, real, at)) if real != model => {
                self.differ(now, actor, op, model, real);
                self.first_difference_live_ms = Some(at);
            }
            Some(_) => {}
        }
    }
}

impl Mirror for History {
    fn effect(&mut self, actor: Actor, op: &Op, now: Millis, simulated: Reply) -> Reply {
        self.compare(&actor, op_meaning(op), now, reply_meaning(&simulated));
        simulated
    }

    fn snapshot(
        &mut self,
        actor: Actor,
        key: KeyId,
        now: Millis,
        simulated: Versioned,
    ) -> Versioned {
        let (op, row) = (Op::DbRead { key }, Reply::DbRead(simulated.clone()));
        self.compare(&actor, op_meaning(&op), now, reply_meaning(&row));
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
    // The schedule names the faults, at their instants.
    let scenario = Scenario {
        schedule: Some(Vec::new()),
        faults: Vec::new(),
        ..run.scenario.clone()
    };
    let sim = Simulation::new(&scenario).map_err(|e| e.to_string())?;
    // Each operation is named when it took effect, a DB read when its
    // answer arrived: the model takes the read's snapshot when the read
    // is issued, as PostgreSQL took it when the statement started.
    let mut order: Vec<(f64, &super::live::Performed)> = run
        .performed
        .iter()
        .map(|p| match p.resource {
            Resource::DbRead => (p.answered_ms, p),
            _ => (p.effect_ms, p),
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Each actor's replies as the model will meet them: in that order,
    // under the name the model's mirror gives (every partition's consumer
    // is `consumer` to it).
    let mut expected: BTreeMap<String, VecDeque<(String, String, f64)>> = BTreeMap::new();
    for (_, p) in &order {
        let actor = match Actor::parse(&p.actor) {
            Actor::Consumer(Some(_)) => Actor::Consumer(None),
            actor => actor,
        };
        expected.entry(actor.to_string()).or_default().push_back((
            p.op.clone(),
            p.reply.clone(),
            p.effect_ms,
        ));
    }
    let history = Rc::new(RefCell::new(History {
        expected,
        first_difference: None,
        first_difference_live_ms: None,
    }));
    let mut sim = sim.with_snapshots_at_issue();
    sim.set_mirror(history.clone());
    // A consumer's crash happened at its instant, before any effect of the
    // same instant. (An app's pause shows in the order itself: its
    // requests did nothing meanwhile.)
    let crash = |f: &Fault| match f.kind {
        FaultKind::ConsumerCrash { .. } => Some((f.at_ms? as f64, ScheduleEntry::Fault(f.kind))),
        _ => None,
    };
    let mut steps: Vec<(f64, Option<&super::live::Performed>, ScheduleEntry)> = run
        .scenario
        .faults
        .iter()
        .filter_map(crash)
        .map(|(at, entry)| (at, None, entry))
        .collect();
    steps.extend(
        order
            .iter()
            .map(|(at, p)| (*at, Some(*p), ScheduleEntry::Actor(p.actor.clone()))),
    );
    steps.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.is_some().cmp(&b.1.is_some())));
    let mut schedule = Vec::new();
    for (position, (at, performed, entry)) in steps.into_iter().enumerate() {
        let at = at.max(0.0).floor() as Millis;
        if at > sim.now_ms() {
            let wait = ScheduleEntry::Wait(at - sim.now_ms());
            sim.apply_entry(&wait, position)
                .map_err(|e| e.to_string())?;
            schedule.push(wait);
        }
        if let Err(error) = sim.apply_entry(&entry, position) {
            let (actor, op) = match performed {
                Some(p) => (Actor::parse(&p.actor), p.op.clone()),
                None => (Actor::Fault, format!("{entry:?}")),
            };
            let now = sim.now_ms();
            history.borrow_mut().differ(
                now,
                &actor,
                op.clone(),
                format!("cannot follow: {}", error.message),
                op,
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
    let first_difference = history.first_difference.take();
    let tie_at_expiry = match (&first_difference, history.first_difference_live_ms) {
        (Some(difference), Some(at)) if difference.op.starts_with("cache.") => {
            let key = run
                .requests
                .iter()
                .find(|r| r.id == difference.actor)
                .map(|r| r.key.as_str());
            let entries = run
                .cache_changes
                .iter()
                .filter_map(|c| Some((&c.key, c.at_ms + c.stored?.1)));
            let locks = run.lock_expiries.iter().map(|(k, when)| (k, *when));
            entries.chain(locks).any(|(expiring, when)| {
                Some(expiring.as_str()) == key && (when - at).abs() < BOUND_TOLERANCE_MS
            })
        }
        _ => false,
    };
    Ok(Replay {
        schedule,
        first_difference,
        tie_at_expiry,
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

/// A live run as `cachescope real --live` prints it.
#[derive(Serialize)]
pub struct LiveReport<'a> {
    pub name: &'a str,
    pub redis: &'a str,
    pub postgres: &'a str,
    /// Real ms per model ms.
    pub scale: u32,
    /// Every operation in the order of its effect by the servers' record.
    pub performed: &'a [super::live::Performed],
    /// What the servers' records say.
    pub verdicts: Verdicts,
    /// Whether the model's replay gave every reply and anomaly the servers
    /// gave.
    pub agree: bool,
    pub replay: Replay,
}

impl<'a> LiveReport<'a> {
    /// The report of `run` on servers of these versions.
    pub fn of(run: &'a LiveRun, redis: &'a str, postgres: &'a str) -> Result<Self, String> {
        let verdicts = judge(run);
        let replay = replay(run)?;
        Ok(LiveReport {
            name: &run.scenario.name,
            redis,
            postgres,
            scale: run.scale,
            performed: &run.performed,
            agree: replay.agrees_with(&verdicts),
            verdicts,
            replay,
        })
    }
}
