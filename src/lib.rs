//! cachescope: a deterministic simulation of caches drifting from their
//! database under concurrency, with a browser playground on top.
//!
//! Module map (ARCHITECTURE.md has the whole of it):
//! - [`sim`]: the simulation core. Sans-IO, no browser dependency; the same
//!   code runs in native tests, the command line and the browser.
//! - [`lessons`]: the built-in lessons, each its scenario, text and
//!   narration.
//! - [`model`]: everything the page shows, computed natively from a run:
//!   timeline, explanations, inspector, strip, charts, knobs, links, and
//!   the page's state and reducer.
//! - `cli` (native only): the `cachescope` command line.
//! - `real` (native only): the same strategy code on a real Redis and
//!   PostgreSQL, compared with the model.
//! - `web` (wasm only): the Yew playground, rendering [`model`].

pub mod lessons;
pub mod model;
pub mod sim;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(not(target_arch = "wasm32"))]
pub mod real;

#[cfg(target_arch = "wasm32")]
pub mod web;
