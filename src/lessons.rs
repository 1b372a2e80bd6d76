//! Built-in lessons: a named scenario and the text that explains it. The
//! scenarios are JSON files under `lessons/`, compiled in, so the command line
//! and the page offer exactly the same ones and each is a file a person can
//! read, copy and edit.

use crate::sim::Scenario;

/// A built-in lesson.
#[derive(Clone, Copy, Debug)]
pub struct Lesson {
    /// Its preset name (spec section 6).
    pub name: &'static str,
    /// A one-line title.
    pub title: &'static str,
    /// What it shows and what to look for.
    pub text: &'static str,
    /// The scenario, as JSON.
    pub scenario_json: &'static str,
}

impl Lesson {
    /// The lesson's scenario, parsed and validated.
    pub fn scenario(&self) -> Scenario {
        Scenario::from_json(self.scenario_json)
            .unwrap_or_else(|e| panic!("built-in lesson {} is invalid: {e}", self.name))
    }
}

/// Every built-in lesson, in teaching order.
pub const LESSONS: &[Lesson] = &[Lesson {
    name: "cache-aside-basics",
    title: "Cache-aside: miss, read the database, fill the cache, hit",
    text: "R1 finds the cache empty (a miss), reads user:123 from the database \
           and stores it in the cache. R2 arrives later and is served from the \
           cache without touching the database.",
    scenario_json: include_str!("../lessons/cache-aside-basics.json"),
}];

/// The lesson called `name`.
pub fn lesson(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}
