//! The `stampede-xfetch` lesson: its scenario, its text and its narration.

use super::Cue::*;
use super::{Beat, Lesson};
use crate::sim::trace::OpName;

pub const LESSON: Lesson = Lesson {
    name: "stampede-xfetch",
    heading: "XFetch",
    title: "XFetch: early recomputation, so the key does not expire under load",
    text: "Probabilistic early expiration (Vattani et al. 2015, beta 2): a hit \
          recomputes in the background with a probability that rises as expiry \
          nears. An early reader starts a refresh well before 300 ms; the new \
          value is cached before the old one expires, and the burst hits.",
    scenario_json: include_str!("stampede-xfetch.json"),
    questions: &[],
    narration: beats![
        (
            Start,
            "XFetch: a hit may recompute early, more likely the nearer the expiry."
        ),
        (
            Did("refresher", OpName::DbRead),
            "An early hit started a background refresh, well before 300 ms."
        ),
        (
            Did("refresher", OpName::CacheSet),
            "The new value is cached before the old one expires."
        ),
        (
            End,
            "The burst at 300 ms all hit: the key did not expire in this run."
        ),
    ],
};
