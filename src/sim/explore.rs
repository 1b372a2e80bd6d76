//! The exhaustive interleaving explorer: every schedule of a scripted
//! scenario, counted exactly, with the shortest schedule behind each anomaly.
//!
//! A *schedule* is what `run` accepts as `schedule`: a sequence of actor
//! names (and fault entries), each making that actor's pending operation
//! take effect next. The explorer follows every choice at every point until
//! nothing is pending, on clones of one [`Simulation`] driven by
//! [`Simulation::apply_entry`], so each schedule is executed exactly as `run`
//! executes it.
//!
//! Counting does not enumerate schedules. Many prefixes lead to the same
//! state (same clock, cache, database, actors at the same point of their
//! code); the explorer identifies states by [`Simulation::hash_state`] and
//! computes, once per distinct state, how many ways it can be completed and
//! with which outcomes (dynamic programming over the state graph, which has
//! no cycles: every step moves some actor on). The work follows the number
//! of distinct states, not the number of schedules.
//!
//! Outcomes of a complete schedule: it contains a stale read, the cache
//! diverges from the database at its end, or it loses an acknowledged
//! write. Stale reads and lost writes happen at a step (and are noted on
//! that edge of the graph); divergence is a property of the final state.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::engine::Simulation;
use super::scenario::{FaultKind, Scenario, ScenarioError, ScheduleEntry};
use super::strategy::Served;

/// How many distinct states an exploration may visit by default (about
/// 300 MB at the most; the benchmark's 369,600 schedules need 65,209).
pub const DEFAULT_MAX_STATES: usize = 1_000_000;

/// The longest schedule the explorer follows. Every step moves an actor on
/// and retries are bounded by lease and lock lifetimes, so only a scenario
/// built to retry for very long reaches it.
pub const MAX_SCHEDULE_LENGTH: usize = 5_000;

/// The most scripted requests the explorer takes on. Schedules grow
/// factorially with the requests: ten readers of three steps each already
/// have 30!/(3!)^10, about 4 x 10^24, orders. Beyond this the answer is a
/// refusal at once rather than after filling the state limit.
pub const MAX_REQUESTS: usize = 10;

/// What can go wrong in a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anomaly {
    /// A read returned a stale value (as the report defines it).
    Stale,
    /// At the end, the cache holds a value that differs from the database.
    DivergentAtEnd,
    /// An acknowledged write was lost.
    LostWrite,
}

impl Anomaly {
    /// Every anomaly, in the order the output lists them.
    pub const ALL: [Anomaly; 3] = [Anomaly::Stale, Anomaly::DivergentAtEnd, Anomaly::LostWrite];

    /// Its name in `explore`'s output.
    pub fn name(self) -> &'static str {
        match self {
            Anomaly::Stale => "stale",
            Anomaly::DivergentAtEnd => "divergent_at_end",
            Anomaly::LostWrite => "lost_writes",
        }
    }

    /// The anomaly with this output name.
    pub fn named(name: &str) -> Option<Anomaly> {
        Anomaly::ALL.into_iter().find(|a| a.name() == name)
    }

    fn bit(self) -> u8 {
        match self {
            Anomaly::Stale => 1,
            Anomaly::DivergentAtEnd => 2,
            Anomaly::LostWrite => 4,
        }
    }

    /// Its slot in [`Node::shortest`] (slot 0 is "any complete schedule").
    fn slot(self) -> usize {
        match self {
            Anomaly::Stale => 1,
            Anomaly::DivergentAtEnd => 2,
            Anomaly::LostWrite => 3,
        }
    }
}

/// How far an exploration may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most distinct states to visit before refusing.
    pub max_states: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_states: DEFAULT_MAX_STATES,
        }
    }
}

/// How an exploration is getting on (for a progress line or bar).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Distinct states whose completions are counted.
    pub states: usize,
    /// Times a state was reached again and its counts reused.
    pub revisits: u64,
    /// Length of the schedule prefix being followed.
    pub depth: usize,
    /// An estimate of the share done, 0 to 1: the share of choices
    /// followed at each level of the prefix, as if every choice led to as
    /// much work (it never goes back, and is 1 at the end).
    pub fraction: f64,
}

/// Why an exploration did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExploreError {
    /// The scenario is invalid, or cannot be explored as given.
    Scenario(ScenarioError),
    /// More distinct states than the limit allows.
    TooManyStates {
        /// The limit.
        limit: usize,
    },
    /// A schedule longer than [`MAX_SCHEDULE_LENGTH`].
    TooLong,
    /// More schedules than 2^128 (the counts are exact or refused).
    TooManySchedules,
    /// More scripted requests than `limit` (the explorer's
    /// [`MAX_REQUESTS`], or the sampler's own limit).
    TooManyRequests {
        /// The scenario's scripted requests.
        requests: usize,
        /// The most taken on.
        limit: usize,
    },
}

impl ExploreError {
    /// Whether sampling orders ([`super::sample`]) answers where counting
    /// them could not: there are too many orders, not a scenario that
    /// cannot be scheduled.
    pub fn sampling_helps(&self) -> bool {
        matches!(
            self,
            ExploreError::TooManyStates { .. }
                | ExploreError::TooManySchedules
                | ExploreError::TooManyRequests {
                    limit: MAX_REQUESTS,
                    ..
                }
        )
    }
}

impl fmt::Display for ExploreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExploreError::Scenario(e) => e.fmt(f),
            ExploreError::TooManyStates { limit } => write!(
                f,
                "explore: more than {limit} distinct states; every schedule of this scenario \
                 cannot be followed within the limit (explore is for a few concurrent requests: \
                 use fewer requests, raise --max-states, or sample orders: --sample N)"
            ),
            ExploreError::TooLong => write!(
                f,
                "explore: a schedule is longer than {MAX_SCHEDULE_LENGTH} steps (requests that \
                 retry for very long); shorten lock_ttl_ms or lengthen retry_ms"
            ),
            ExploreError::TooManySchedules => write!(
                f,
                "explore: more than 2^128 schedules; the count would not be exact"
            ),
            ExploreError::TooManyRequests {
                requests,
                limit: MAX_REQUESTS,
            } => write!(
                f,
                "requests: explore follows at most {MAX_REQUESTS} concurrent requests, got \
                 {requests}: the schedules grow factorially with them (sample them instead: \
                 `explore --sample N`)"
            ),
            ExploreError::TooManyRequests { requests, limit } => write!(
                f,
                "requests: explore --sample follows at most {limit} concurrent requests, got \
                 {requests} (for a stampede this large, watch it with `run`)"
            ),
        }
    }
}

impl std::error::Error for ExploreError {}

impl From<ScenarioError> for ExploreError {
    fn from(e: ScenarioError) -> Self {
        ExploreError::Scenario(e)
    }
}

/// Counts of complete schedules, by the anomalies they contain (index: a
/// set of [`Anomaly::bit`]s).
type Counts = [u128; 8];

/// One distinct state.
#[derive(Clone, Debug)]
struct Node {
    /// Complete schedules from here, by the anomalies they contain from
    /// here on.
    counts: Counts,
    /// The choices from here.
    edges: Box<[Edge]>,
    /// Length of the shortest completion from here: of any (slot 0), and of
    /// one containing each anomaly ([`Anomaly::slot`]); `u32::MAX` if none.
    shortest: [u32; 4],
}

/// One choice out of a state.
#[derive(Clone, Copy, Debug)]
struct Edge {
    /// Index into [`Exploration::entries`].
    entry: u16,
    /// The state it leads to.
    child: u32,
    /// Anomalies that happened at this step.
    gained: u8,
}

/// The result of exploring a scenario: the state graph with its counts.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// The scenario explored, in scheduled form: what an example schedule
    /// is pasted into (faults moved into the schedule).
    scenario: Scenario,
    /// Every distinct schedule entry the explorer used.
    entries: Vec<ScheduleEntry>,
    nodes: Vec<Node>,
    root: u32,
    revisits: u64,
}

/// A state on the way down, whose children are still being counted.
struct Frame {
    sim: Option<Simulation>,
    /// Faults of the scenario already placed (bit i: fault choice i).
    placed: u32,
    key: u128,
    /// The anomalies its run has shown so far (a step's own are what it
    /// adds to these).
    marks: Marks,
    choices: Vec<Choice>,
    next: usize,
    edges: Vec<Edge>,
}

/// A schedule entry available at a state.
#[derive(Clone, Copy, Debug)]
struct Choice {
    entry: u16,
    /// For a fault choice, its bit in [`Frame::placed`].
    fault: Option<u32>,
}

/// Explores every schedule of `scenario`'s scripted requests and the
/// background actors they set to work. Faults of the scenario that happen at
/// an instant (cache crash, app crash, bus drop, relay crash) are placed at
/// every point of the schedule, once each. Calls `progress` every 4,096
/// steps and at the end.
pub fn explore(
    scenario: &Scenario,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Exploration, ExploreError> {
    let mut explorer = Explorer::new(scenario, limits)?;
    loop {
        let done = explorer.advance(4096)?;
        progress(explorer.progress());
        if done {
            return Ok(explorer.finish().expect("advance said it is done"));
        }
    }
}

/// An exploration in progress, advanced a slice at a time (so that a page
/// can draw a progress bar between slices, and cancel by dropping it).
pub struct Explorer {
    limits: Limits,
    /// The scenario in scheduled form (see [`Exploration::scenario_with`]).
    scenario: Scenario,
    /// The faults the explorer places, as choices `0..faults`.
    faults: usize,
    entries: Vec<ScheduleEntry>,
    entry_ids: HashMap<String, u16>,
    nodes: Vec<Node>,
    memo: HashMap<u128, u32, DigestIsHash>,
    revisits: u64,
    /// The states on the way down from the root.
    stack: Vec<Frame>,
    /// The root's node, once every state is counted.
    root: Option<u32>,
    /// Why it stopped, if it hit a limit (it stays stopped).
    failed: Option<ExploreError>,
}

impl Explorer {
    /// Starts exploring `scenario` (nothing is followed until
    /// [`Explorer::advance`]). Refuses a scenario that cannot be explored.
    pub fn new(scenario: &Scenario, limits: Limits) -> Result<Explorer, ExploreError> {
        let (scheduled, faults) = scheduled_form(scenario)?;
        let root = Simulation::new(&scheduled)?
            .without_trace()
            .without_series();
        let mut explorer = Explorer {
            limits,
            scenario: scheduled,
            faults: faults.len(),
            entries: faults.into_iter().map(ScheduleEntry::Fault).collect(),
            entry_ids: HashMap::new(),
            nodes: Vec::new(),
            memo: HashMap::default(),
            revisits: 0,
            stack: Vec::new(),
            root: None,
            failed: None,
        };
        explorer.push(root, 0, None);
        Ok(explorer)
    }

    /// How far it has got.
    pub fn progress(&self) -> Progress {
        let mut fraction = 0.0;
        let mut weight = 1.0;
        for (level, frame) in self.stack.iter().enumerate() {
            let choices = frame.choices.len().max(1) as f64;
            // Below the top, the last choice started is still being followed.
            let following_one = level + 1 < self.stack.len();
            let followed = frame.next - usize::from(following_one);
            fraction += weight * followed as f64 / choices;
            weight /= choices;
        }
        Progress {
            states: self.nodes.len(),
            revisits: self.revisits,
            depth: self.stack.len(),
            fraction: if self.root.is_some() { 1.0 } else { fraction },
        }
    }

    /// Follows up to `budget` more steps; returns whether every schedule
    /// has been counted. Once it has hit a limit it only repeats why.
    pub fn advance(&mut self, budget: usize) -> Result<bool, ExploreError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        for _ in 0..budget {
            if self.root.is_some() {
                break;
            }
            if let Err(error) = self.step() {
                self.failed = Some(error.clone());
                return Err(error);
            }
        }
        Ok(self.root.is_some())
    }

    /// The result, once [`Explorer::advance`] has returned `true`.
    pub fn finish(mut self) -> Option<Exploration> {
        self.take_result()
    }

    /// The result, once [`Explorer::advance`] has returned `true`, taken
    /// out of a shared explorer (which is left empty: `None` from then on).
    pub fn take_result(&mut self) -> Option<Exploration> {
        let root = self.root.take()?;
        self.memo.clear();
        Some(Exploration {
            root,
            scenario: self.scenario.clone(),
            entries: std::mem::take(&mut self.entries),
            nodes: std::mem::take(&mut self.nodes),
            revisits: self.revisits,
        })
    }

    /// Puts a newly reached state on the stack, with its choices.
    fn push(&mut self, sim: Simulation, placed: u32, key: Option<u128>) {
        let key = key.unwrap_or_else(|| state_key(&sim, placed));
        let marks = Marks::of(&sim);
        let mut choices: Vec<Choice> = Vec::new();
        for name in sim.schedulable() {
            let entries = &mut self.entries;
            let id = *self.entry_ids.entry(name.clone()).or_insert_with(|| {
                entries.push(ScheduleEntry::Actor(name));
                (entries.len() - 1) as u16
            });
            choices.push(Choice {
                entry: id,
                fault: None,
            });
        }
        for bit in 0..self.faults as u32 {
            if placed & (1 << bit) == 0 {
                choices.push(Choice {
                    entry: bit as u16,
                    fault: Some(bit),
                });
            }
        }
        self.stack.push(Frame {
            sim: Some(sim),
            placed,
            key,
            marks,
            choices,
            next: 0,
            edges: Vec::new(),
        });
    }

    /// Follows one choice of the state on top of the stack, or finishes
    /// that state once all its choices are followed.
    fn step(&mut self) -> Result<(), ExploreError> {
        let depth = self.stack.len();
        let frame = self
            .stack
            .last_mut()
            .expect("the stack holds the root until the end");
        if frame.next < frame.choices.len() {
            let choice = frame.choices[frame.next];
            frame.next += 1;
            let mut sim = if frame.next == frame.choices.len() {
                frame
                    .sim
                    .take()
                    .expect("a frame keeps its state until done")
            } else {
                frame
                    .sim
                    .clone()
                    .expect("a frame keeps its state until done")
            };
            let placed = frame.placed | choice.fault.map_or(0, |bit| 1 << bit);
            sim.apply_entry(&self.entries[choice.entry as usize], depth - 1)
                .expect("the explorer only chooses entries that are pending");
            let gained = Marks::of(&sim).gained_since(&frame.marks);
            let key = state_key(&sim, placed);
            if let Some(&child) = self.memo.get(&key) {
                self.revisits += 1;
                frame.edges.push(Edge {
                    entry: choice.entry,
                    child,
                    gained,
                });
                return Ok(());
            }
            // Every step moves an actor on, so no state repeats on a path;
            // were one to, the length limit would stop it.
            if depth >= MAX_SCHEDULE_LENGTH {
                return Err(ExploreError::TooLong);
            }
            if self.nodes.len() + depth >= self.limits.max_states {
                return Err(ExploreError::TooManyStates {
                    limit: self.limits.max_states,
                });
            }
            // The edge learns its child when the child is finished.
            frame.edges.push(Edge {
                entry: choice.entry,
                child: u32::MAX,
                gained,
            });
            self.push(sim, placed, Some(key));
            return Ok(());
        }
        // Every choice of this state is counted: finish its node.
        let frame = self.stack.pop().expect("just looked at it");
        let node = finish_node(&frame, &self.nodes)?;
        let index = self.nodes.len() as u32;
        self.nodes.push(node);
        self.memo.insert(frame.key, index);
        match self.stack.last_mut() {
            Some(parent) => {
                let edge = parent
                    .edges
                    .last_mut()
                    .expect("a child frame was pushed after its edge");
                edge.child = index;
            }
            None => self.root = Some(index),
        }
        Ok(())
    }
}

/// The node of a state whose choices have all been followed.
fn finish_node(frame: &Frame, nodes: &[Node]) -> Result<Node, ExploreError> {
    let mut counts: Counts = [0; 8];
    let mut shortest = [u32::MAX; 4];
    if frame.edges.is_empty() {
        // A complete schedule ends here.
        let sim = frame
            .sim
            .as_ref()
            .expect("a state without choices keeps its simulation");
        let divergent = divergent_at_end(sim);
        let mask = if divergent {
            Anomaly::DivergentAtEnd.bit()
        } else {
            0
        };
        counts[mask as usize] = 1;
        shortest[0] = 0;
        if divergent {
            shortest[Anomaly::DivergentAtEnd.slot()] = 0;
        }
    }
    for edge in &frame.edges {
        let child = &nodes[edge.child as usize];
        for (mask, &n) in child.counts.iter().enumerate() {
            let slot = &mut counts[mask | edge.gained as usize];
            *slot = slot.checked_add(n).ok_or(ExploreError::TooManySchedules)?;
        }
        shortest[0] = shortest[0].min(child.shortest[0].saturating_add(1));
        for anomaly in Anomaly::ALL {
            let rest = if edge.gained & anomaly.bit() != 0 {
                child.shortest[0]
            } else {
                child.shortest[anomaly.slot()]
            };
            let best = &mut shortest[anomaly.slot()];
            *best = (*best).min(rest.saturating_add(1));
        }
    }
    Ok(Node {
        counts,
        edges: frame.edges.clone().into_boxed_slice(),
        shortest,
    })
}

/// Whether a finished run leaves a key's cache diverging from the DB.
pub(crate) fn divergent_at_end(sim: &Simulation) -> bool {
    sim.divergence().iter().any(|w| w.to_ms.is_none())
}

/// The anomalies a finished run shows, in [`Anomaly::ALL`]'s order (what
/// the explorer counts it under).
pub fn anomalies_of(sim: &Simulation) -> Vec<Anomaly> {
    let marks = Marks::of(sim);
    Anomaly::ALL
        .into_iter()
        .filter(|anomaly| match anomaly {
            Anomaly::Stale => marks.stale_reads > 0,
            Anomaly::DivergentAtEnd => divergent_at_end(sim),
            Anomaly::LostWrite => marks.lost_writes > 0,
        })
        .collect()
}

/// What has happened so far in a run, to tell which anomalies a step added.
struct Marks {
    stale_reads: usize,
    lost_writes: usize,
}

impl Marks {
    fn of(sim: &Simulation) -> Marks {
        let db = &sim.world().db;
        let stale_reads = sim
            .requests()
            .iter()
            .filter(|run| match (run.started_ms, &run.finished) {
                (Some(start), Some((_, Served::Read { value, .. }))) => {
                    db.is_stale(run.key, start, value)
                }
                _ => false,
            })
            .count();
        Marks {
            stale_reads,
            lost_writes: sim.lost_writes().len(),
        }
    }

    fn gained_since(&self, before: &Marks) -> u8 {
        let mut gained = 0;
        if self.stale_reads > before.stale_reads {
            gained |= Anomaly::Stale.bit();
        }
        if self.lost_writes > before.lost_writes {
            gained |= Anomaly::LostWrite.bit();
        }
        gained
    }
}

/// A 128-bit digest of the state: two states with the same digest are
/// taken to be the same state. Two lanes of 64 bits, each mixing every word
/// with a folded 64x64->128-bit multiply under its own constant, then
/// finished with an avalanche; for the structured, non-adversarial data
/// fed here two distinct states collide with probability around 2^-128 per
/// pair, and the memo stays small (16 bytes a state).
fn state_key(sim: &Simulation, placed: u32) -> u128 {
    let mut digest = Digest128::default();
    placed.hash(&mut digest);
    sim.hash_state(&mut digest);
    digest.finish128()
}

/// Tables keyed by state digests use the digest itself as the hash: it is
/// already uniformly spread, so hashing it again would only cost time.
type DigestIsHash = std::hash::BuildHasherDefault<DigestHasher>;

/// See [`DigestIsHash`].
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only digests (u128) are hashed with it")
    }

    fn write_u128(&mut self, digest: u128) {
        self.0 = digest as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The streaming hasher behind [`state_key`].
struct Digest128 {
    lanes: [u64; 2],
    words: u64,
}

impl Default for Digest128 {
    fn default() -> Self {
        Digest128 {
            lanes: [0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344],
            words: 0,
        }
    }
}

/// The high and low halves of a 128-bit product, folded together.
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// splitmix64's finaliser: every input bit affects every output bit.
fn avalanche(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Digest128 {
    fn word(&mut self, word: u64) {
        self.words += 1;
        self.lanes[0] = folded_multiply(self.lanes[0] ^ word, 0x9e37_79b9_7f4a_7c15);
        self.lanes[1] = folded_multiply(
            self.lanes[1] ^ word.rotate_left(32) ^ self.words,
            0xd6e8_feb8_6659_fd93,
        );
    }

    fn finish128(&self) -> u128 {
        let high = avalanche(self.lanes[0] ^ self.words);
        let low = avalanche(self.lanes[1].wrapping_add(high));
        (u128::from(high) << 64) | u128::from(low)
    }
}

impl Hasher for Digest128 {
    fn write(&mut self, bytes: &[u8]) {
        // Length first, so chunks of different writes cannot run together.
        self.word(bytes.len() as u64);
        for chunk in bytes.chunks(8) {
            let mut padded = [0u8; 8];
            padded[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(padded));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.word(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.word(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.word(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.word(n as u64);
    }

    fn write_u128(&mut self, n: u128) {
        self.word(n as u64);
        self.word((n >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        (self.finish128() >> 64) as u64
    }
}

/// The scenario in scheduled form (an empty schedule the explorer fills,
/// or a person choosing who goes next), and the faults it places. Refuses
/// what cannot be explored.
pub fn scheduled_form(scenario: &Scenario) -> Result<(Scenario, Vec<FaultKind>), ExploreError> {
    scheduled_form_within(scenario, MAX_REQUESTS)
}

/// [`scheduled_form`], taking on up to `max_requests` scripted requests.
pub fn scheduled_form_within(
    scenario: &Scenario,
    max_requests: usize,
) -> Result<(Scenario, Vec<FaultKind>), ExploreError> {
    scenario.validate()?;
    let refuse =
        |path: &str, message: &str| ExploreError::Scenario(ScenarioError::at(path, message));
    if scenario.workload.is_some() || scenario.requests.is_empty() {
        return Err(refuse(
            "workload",
            "explore follows scripted requests; a generated workload has too many to explore",
        ));
    }
    if scenario.requests.len() > max_requests {
        return Err(ExploreError::TooManyRequests {
            requests: scenario.requests.len(),
            limit: max_requests,
        });
    }
    let mut faults = Vec::new();
    for (i, fault) in scenario.faults.iter().enumerate() {
        match fault.kind {
            kind if kind.spans_time() => {
                return Err(refuse(
                    &format!("faults[{i}]"),
                    "this fault spans time; explore varies the order of operations, not time, \
                     so it can only place faults that happen at an instant",
                ));
            }
            kind => faults.push(kind),
        }
    }
    if faults.len() > 16 {
        return Err(refuse("faults", "explore places at most 16 faults"));
    }
    let mut scheduled = scenario.clone();
    // Schedules order the faults; `until_ms` is for timed runs.
    scheduled.faults.clear();
    scheduled.until_ms = None;
    scheduled.schedule = Some(Vec::new());
    Ok((scheduled, faults))
}

impl Exploration {
    /// How many distinct complete schedules there are.
    pub fn schedules(&self) -> u128 {
        self.root().counts.iter().sum()
    }

    /// How many complete schedules contain `anomaly`.
    pub fn count(&self, anomaly: Anomaly) -> u128 {
        count_with(self.root(), anomaly)
    }

    /// How many distinct states the exploration visited.
    pub fn states(&self) -> usize {
        self.nodes.len()
    }

    /// How many times a state was reached again (and its counts reused).
    pub fn revisits(&self) -> u64 {
        self.revisits
    }

    /// The scenario an example schedule runs in: the explored one with the
    /// schedule set and its faults moved into the schedule.
    pub fn scenario_with(&self, schedule: Vec<ScheduleEntry>) -> Scenario {
        Scenario {
            schedule: Some(schedule),
            ..self.scenario.clone()
        }
    }

    /// The probability that a complete order drawn by the random scheduler
    /// (at every step each choice equally likely: what [`super::sample`]
    /// draws) contains `anomaly`; exact up to floating point, computed once
    /// per state over the graph (children are finished, and numbered,
    /// before their parents).
    pub fn random_order_probability(&self, anomaly: Anomaly) -> f64 {
        let mut probability = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let p = if node.edges.is_empty() {
                count_with(node, anomaly) as f64
            } else {
                let sum: f64 = node
                    .edges
                    .iter()
                    .map(|edge| {
                        if edge.gained & anomaly.bit() != 0 {
                            1.0
                        } else {
                            probability[edge.child as usize]
                        }
                    })
                    .sum();
                sum / node.edges.len() as f64
            };
            probability.push(p);
        }
        probability[self.root as usize]
    }

    fn root(&self) -> &Node {
        &self.nodes[self.root as usize]
    }

    /// The shortest complete schedule containing `anomaly` (the first in
    /// the order the explorer tries choices: requests in the scenario's
    /// order, then background actors, then faults), if there is one.
    pub fn shortest(&self, anomaly: Anomaly) -> Option<Vec<ScheduleEntry>> {
        let mut node = self.root();
        let mut slot = anomaly.slot();
        if node.shortest[slot] == u32::MAX {
            return None;
        }
        let mut schedule = Vec::new();
        while node.shortest[slot] > 0 {
            let edge = node
                .edges
                .iter()
                .find(|edge| {
                    let child = &self.nodes[edge.child as usize];
                    let rest = if slot != 0 && edge.gained & anomaly.bit() != 0 {
                        child.shortest[0]
                    } else {
                        child.shortest[slot]
                    };
                    rest.saturating_add(1) == node.shortest[slot]
                })
                .expect("a finite shortest length comes from one of the edges");
            schedule.push(self.entries[edge.entry as usize].clone());
            if edge.gained & anomaly.bit() != 0 {
                slot = 0;
            }
            node = &self.nodes[edge.child as usize];
        }
        Some(schedule)
    }

    /// Every complete schedule containing `anomaly` (or every schedule, with
    /// `None`), lazily, in the explorer's choice order.
    pub fn schedules_with(&self, anomaly: Option<Anomaly>) -> SchedulesWith<'_> {
        let wanted = |node: &Node| anomaly.is_none_or(|a| count_with(node, a) > 0);
        let mut stack = Vec::new();
        if wanted(self.root()) {
            stack.push((self.root, 0, anomaly));
        }
        SchedulesWith {
            exploration: self,
            stack,
            path: Vec::new(),
        }
    }

    /// The explorer's answer as pretty JSON (see [`Exploration::summary`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.summary()).expect("plain data serialises")
    }

    /// The explorer's answer (`cachescope explore`): the counts, then an example
    /// schedule for each anomaly that occurs.
    pub fn summary(&self) -> Summary {
        let examples = Anomaly::ALL
            .into_iter()
            .filter_map(|a| {
                let schedule = self.shortest(a)?;
                Some((a.name().to_string(), Example { schedule }))
            })
            .collect();
        Summary {
            schedules: self.schedules(),
            stale: self.count(Anomaly::Stale),
            divergent_at_end: self.count(Anomaly::DivergentAtEnd),
            lost_writes: self.count(Anomaly::LostWrite),
            states: self.states(),
            examples,
        }
    }
}

/// What `cachescope explore` prints (`states` is an
/// extension).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Distinct complete schedules.
    pub schedules: u128,
    /// Schedules with at least one stale read.
    pub stale: u128,
    /// Schedules that end with the cache diverging from the database.
    pub divergent_at_end: u128,
    /// Schedules that lose an acknowledged write.
    pub lost_writes: u128,
    /// Distinct states explored.
    pub states: usize,
    /// The shortest schedule showing each anomaly that occurs, by name.
    pub examples: std::collections::BTreeMap<String, Example>,
}

/// One example schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// Paste it into the scenario as `schedule`.
    pub schedule: Vec<ScheduleEntry>,
}

fn count_with(node: &Node, anomaly: Anomaly) -> u128 {
    node.counts
        .iter()
        .enumerate()
        .filter(|(mask, _)| *mask as u8 & anomaly.bit() != 0)
        .map(|(_, n)| n)
        .sum()
}

/// Iterator over complete schedules (see [`Exploration::schedules_with`]).
pub struct SchedulesWith<'a> {
    exploration: &'a Exploration,
    /// (node, next edge to try, anomaly still wanted below it).
    stack: Vec<(u32, usize, Option<Anomaly>)>,
    path: Vec<ScheduleEntry>,
}

impl Iterator for SchedulesWith<'_> {
    type Item = Vec<ScheduleEntry>;

    fn next(&mut self) -> Option<Vec<ScheduleEntry>> {
        let nodes = &self.exploration.nodes;
        loop {
            let (node, next, wanted) = *self.stack.last()?;
            let edges = &nodes[node as usize].edges;
            if edges.is_empty() {
                // A complete schedule (entered only if it has what is wanted).
                let found = self.path.clone();
                self.stack.pop();
                self.path.pop();
                return Some(found);
            }
            if next == edges.len() {
                self.stack.pop();
                self.path.pop();
                continue;
            }
            self.stack.last_mut().expect("just read").1 += 1;
            let edge = edges[next];
            let still_wanted = wanted.filter(|a| edge.gained & a.bit() == 0);
            let child = &nodes[edge.child as usize];
            if still_wanted.is_some_and(|a| count_with(child, a) == 0) {
                continue;
            }
            self.path
                .push(self.exploration.entries[edge.entry as usize].clone());
            self.stack.push((edge.child, 0, still_wanted));
        }
    }
}
