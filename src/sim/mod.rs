//! The simulation core: a deterministic discrete-event simulation of clients,
//! app instances, a cache, a database, an event bus and background actors.
//!
//! This module tree is sans-IO. It never touches the browser, a wall clock, a
//! file, a thread or an ambient random number generator, and knows nothing
//! of the layers above it: virtual time is a number the engine advances, and
//! all randomness comes from one RNG seeded by the scenario. The same code
//! runs natively (tests, command line) and in the browser (wasm).
//! `tests/architecture.rs` checks every file of it.
//!
//! - [`vocabulary`]: the words every part shares (`Millis`, `Actor`,
//!   `OpName`, `RequestOp`); it depends on nothing else of the core.
//! - [`scenario`]: the scenario file (docs/SCENARIO.md) and its validation.
//! - [`variants`]: the catalogue: what each write strategy, channel and
//!   stampede protection needs, in one entry each.
//! - [`ops`]: the closed set of operations an actor can perform, and replies.
//! - [`world`]: the state the operations act on (cache, database).
//! - [`coroutine`]: how strategy code written as plain `async fn`s yields
//!   operations to the engine and receives their results.
//! - [`strategy`]: the cache-aside read path and the write strategies, written
//!   the way a service author would write them.
//! - [`engine`]: the discrete-event engine that decides when each operation
//!   takes effect, in parts that own their state.
//! - [`trace`]: every operation as it took effect, typed: who, what, and
//!   what it did to its key's versions.
//! - [`explore`]: every schedule of a scripted scenario, counted exactly.
//! - [`sample`]: orders drawn by a random scheduler where there are too
//!   many to count, each anomaly's share with a 95% interval.
//! - [`recording`]: a finished run with checkpoints, to move through it
//!   both ways and fork it (the page's transport and be-the-scheduler).
//! - [`report`]: the run's outcome, computed from the run.
//! - [`consistency`]: the share of fresh reads in nines, and how long
//!   each commit took to become what the cache serves.
//! - [`series`]: metrics per bucket of time (the page's charts), kept by
//!   the engine whether or not it records the trace.
//! - [`rng`]: the seeded RNG and the few distributions the model draws from.
//! - [`workload`]: generated arrivals, key popularity, latency histograms.

pub mod consistency;
pub mod coroutine;
pub mod engine;
pub mod explore;
pub mod ops;
pub mod recording;
pub mod report;
pub mod rng;
pub mod sample;
pub mod scenario;
pub mod series;
pub mod strategy;
pub mod trace;
pub mod variants;
pub mod vocabulary;
pub mod workload;
pub mod world;

pub use engine::Simulation;
pub use report::Report;
pub use scenario::{Scenario, ScenarioError};
pub use trace::TraceEvent;
