//! Generated workloads: arrival streams of reads and writes over keys of
//! a given popularity, and what the generated requests did, kept as counts
//! and histograms so memory does not grow with the number of requests.

use std::rc::Rc;

use crate::sim::ops::{KeyId, WriteId};
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

/// A generated request arriving: what it is and where it goes.
pub(super) struct Arrival {
    /// Read or write.
    pub(super) op: RequestOp,
    /// Its number among the workload's requests (`r17`, `w3`).
    pub(super) n: u64,
    /// The key it reads or writes.
    pub(super) key: KeyId,
    /// The app instance serving it (round-robin).
    pub(super) app: u32,
    /// When its stream's next request arrives, if the stream goes on.
    pub(super) next_ms: Option<Millis>,
}

impl Generator {
    /// The request stream `stream` sends now (counted), and when its next
    /// one arrives.
    pub(super) fn arrive(&mut self, stream: usize, apps: u32, rng: &mut SimRng) -> Arrival {
        let op = self.streams[stream].op;
        let stats = &mut self.stats;
        let n = stats.reads + stats.writes;
        match op {
            RequestOp::Read => stats.reads += 1,
            RequestOp::Write => stats.writes += 1,
        }
        let picker = self.key_picker.as_ref();
        let key = picker.expect("a workload has a key picker").pick(rng);
        let next = &mut self.streams[stream];
        let next_ms = next.advance(rng).then(|| next.next_ms());
        Arrival {
            op,
            n,
            key,
            app: (n % u64::from(apps)) as u32,
            next_ms,
        }
    }
}
