//! cachescope: a deterministic simulation of caches drifting from their
//! database under concurrency, with a browser playground on top.
//!
//! Module map:
//! - [`sim`]: the simulation core. Sans-IO, no browser dependency; the same
//!   code runs in native tests, the command line and the browser.
//! - [`compare`]: whole runs without their trace, in slices (large
//!   workloads, comparisons), and the variants of a one-click comparison.
//! - [`charts`]: the charts' data (lines per metric) from a run's series.
//! - [`explain`]: which operations caused a stale window or read, in one
//!   sentence (a pure function of the trace).
//! - [`knobs`]: every setting the page lets a person tune, as data; set
//!   through the scenario's JSON and validator.
//! - [`lessons`]: built-in scenarios the playground and command line offer.
//! - [`view`]: plain-data rows the page renders, a pure function of a run.
//! - [`timeline`]: the timeline's lanes, spans and marks, a pure function of
//!   a report.
//! - `cli` (native only): the `cachescope` command line.
//! - `web` (wasm only): the Yew playground, a thin layer over [`sim`].

pub mod lessons;
pub mod model;
pub mod sim;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod web;
