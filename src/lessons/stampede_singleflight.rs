//! The `stampede-singleflight` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};

pub const LESSON: Lesson = Lesson {
    name: "stampede-singleflight",
    heading: "Singleflight",
    title: "Stampede with singleflight: one DB read per app instance",
    text: "The misses of the key inside one app instance share one DB read \
          (Go's singleflight), so twelve misses on four instances make four DB \
          reads. The instances do not coordinate: with more instances there \
          are more reads.",
    scenario_json: include_str!("stampede-singleflight.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "The same burst; misses inside one app instance share one DB read."
        ),
        (
            DbReadsInFlight(4),
            "Four DB reads in flight: one per app instance, not one per reader."
        ),
        (
            End,
            "Four reads instead of twelve. The instances do not coordinate: more instances, more reads."
        ),
    ],
};
