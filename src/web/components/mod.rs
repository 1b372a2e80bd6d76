//! The page's components, one a file, each rendering a model from
//! [`crate::model`] and reporting input through callbacks.

pub mod aggregated;
pub mod challenge;
pub mod charts;
pub mod compare;
pub mod course;
pub mod explorer;
pub mod faults;
pub mod inspector;
pub mod knobs;
pub mod lesson_picker;
pub mod loader;
pub mod narration;
pub mod scheduler;
pub mod sharing;
pub mod steps;
pub mod strip;
pub mod timeline;
