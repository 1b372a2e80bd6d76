//! Generated workloads: arrival streams of reads and writes over keys of
//! a given popularity, and what the generated requests did, kept as counts
//! and histograms so memory does not grow with the number of requests.

use std::rc::Rc;

use super::Simulation;
use super::actors::{ActorKind, ActorRun, request_code};
use super::queue::Event;
use crate::sim::ops::{Value, WriteId};
use crate::sim::rng::SimRng;
use crate::sim::scenario::{Millis, RequestOp, Scenario};
use crate::sim::workload::{ArrivalStream, Histogram, KeyPicker};

/// What generated requests did, kept as counts and histograms so memory
/// does not grow with the number of requests.
#[derive(Clone, Debug, Default)]
pub struct GeneratedStats {
    /// Reads generated.
    pub reads: u64,
    /// Writes generated.
    pub writes: u64,
    /// Latencies of finished reads.
    pub read_latency: Histogram,
    /// Latencies of finished writes.
    pub write_latency: Histogram,
    /// Requests an app crash stopped before they answered.
    pub aborted: u64,
    /// Reads that returned stale values.
    pub stale_reads: u64,
    /// Reads that returned uncommitted values, by the write that made them
    /// (whether each is a phantom is known only at the end).
    pub uncommitted_reads: std::collections::BTreeMap<WriteId, u64>,
}

/// A workload's arrival streams and what its requests did.
#[derive(Clone, Debug, Default)]
pub(super) struct Generator {
    /// The arrival streams (reads, writes).
    streams: Vec<ArrivalStream>,
    key_picker: Option<Rc<KeyPicker>>,
    pub(super) stats: GeneratedStats,
}

impl Generator {
    /// The scenario's workload, if it has one, and the first arrival of
    /// each of its streams (to be scheduled as `Event::Generate(stream)`).
    pub(super) fn new(scenario: &Scenario, keys: usize, rng: &mut SimRng) -> (Self, Vec<Millis>) {
        let mut generator = Generator::default();
        let mut first_arrivals = Vec::new();
        if let Some(workload) = &scenario.workload {
            let keys = workload.keys.unwrap_or(keys);
            generator.key_picker = Some(Rc::new(KeyPicker::new(keys, workload.zipf_s)));
            let kinds = [
                (RequestOp::Read, workload.reads_per_s),
                (RequestOp::Write, workload.writes_per_s),
            ];
            for (op, per_s) in kinds {
                if let Some(stream) = ArrivalStream::new(op, per_s, workload, rng) {
                    first_arrivals.push(stream.next_ms());
                    generator.streams.push(stream);
                }
            }
        }
        (generator, first_arrivals)
    }
}

impl Simulation {
    /// Starts the request stream `stream` generates now, and schedules its
    /// next arrival.
    pub(super) fn generate(&mut self, stream: usize) {
        let op = self.generator.streams[stream].op;
        let stats = &mut self.generator.stats;
        let n = stats.reads + stats.writes;
        match op {
            RequestOp::Read => stats.reads += 1,
            RequestOp::Write => stats.writes += 1,
        }
        let picker = self.generator.key_picker.as_ref();
        let key = picker
            .expect("a workload has a key picker")
            .pick(&mut self.random.workload);
        let app = (n % u64::from(self.scenario.apps)) as u32;
        let write = WriteId(u32::try_from(n).expect("workloads are bounded far below u32"));
        let value = || Value::from(format!("w{n}"));
        let strategy = self.scenario.strategy;
        let coroutine = request_code(&mut self.frames, strategy, op, write, key, value);
        let run = ActorRun::new(
            ActorKind::Generated { op, n },
            Some(app),
            key,
            Some(self.now),
        );
        self.start_actor(run, coroutine, self.now);
        let next = &mut self.generator.streams[stream];
        if next.advance(&mut self.random.workload) {
            let at = next.next_ms();
            self.queue.push(at, Event::Generate(stream));
        }
    }
}
