//! Everything the page shows, computed natively from a run: plain data and
//! pure functions, no browser. The page ([`crate::web`]) only renders these
//! models and turns input into [`playground::Action`]s; so every view and
//! every action is tested natively.
//!
//! - [`playground`]: the page's whole state and its reducer (the clock
//!   passed in, never read from the browser).
//! - [`timeline`]: the timeline's lanes, spans and marks.
//! - [`explain`]: which operations caused a stale window or read, in one
//!   sentence.
//! - [`view`]: plain-data rows the inspector and lists render.
//! - [`architecture`]: the architecture strip: its nodes and the operations
//!   moving between them.
//! - [`narration`]: when each part of a lesson's narration is reached.
//! - [`playback`]: playing a run at a speed, against a wall clock.
//! - [`knobs`]: every setting a person can tune, as data, set through the
//!   scenario's validator.
//! - [`compare`]: whole runs without their trace, in slices (large
//!   workloads, comparisons), and the variants of a one-click comparison.
//! - [`charts`]: the charts' lines from a run's series.
//! - [`link`]: the whole state on screen in a link, and back.
//! - [`embed`]: the embed dialog's options, address and snippet.

pub mod architecture;
pub mod charts;
pub mod compare;
pub mod embed;
pub mod explain;
pub mod knobs;
pub mod link;
pub mod narration;
pub mod playback;
pub mod playground;
pub mod timeline;
pub mod view;
