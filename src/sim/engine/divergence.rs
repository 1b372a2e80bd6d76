//! Divergence windows: the maximal intervals during which the cache held a
//! live entry for a key whose version differs from the database's. Opened
//! and closed after every effect on a key (and after a cache crash).

use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::sim::ops::KeyId;
use crate::sim::scenario::Millis;
use crate::sim::world::World;

/// What kind of disagreement a divergence window is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum DivergenceKind {
    /// The cache holds an older committed version than the database.
    Stale,
    /// The cache holds a value not yet committed (cache-then-db before its
    /// commit, write-behind before its flush).
    Ahead,
}

/// A maximal interval during which the cache held a live entry for a key
/// whose version differs from the database's current one. (In JSON — only
/// between the page and its worker — a list of its fields in order: a
/// long run has thousands.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "WindowFields", into = "WindowFields")]
pub struct DivergenceWindow {
    /// The key.
    pub key: KeyId,
    /// Stale or ahead.
    pub kind: DivergenceKind,
    /// When it opened.
    pub from_ms: Millis,
    /// When it closed; `None` while open. An open window may still close by
    /// expiry: see [`super::Simulation::divergence`].
    pub to_ms: Option<Millis>,
    /// The trace entry whose effect opened it (with the trace recorded;
    /// several entries may share its instant).
    pub opened_by: usize,
}

/// A [`DivergenceWindow`]'s fields in their order.
#[derive(Serialize, Deserialize)]
struct WindowFields(KeyId, DivergenceKind, Millis, Option<Millis>, usize);

impl From<DivergenceWindow> for WindowFields {
    fn from(w: DivergenceWindow) -> WindowFields {
        WindowFields(w.key, w.kind, w.from_ms, w.to_ms, w.opened_by)
    }
}

impl From<WindowFields> for DivergenceWindow {
    fn from(WindowFields(key, kind, from_ms, to_ms, opened_by): WindowFields) -> DivergenceWindow {
        DivergenceWindow {
            key,
            kind,
            from_ms,
            to_ms,
            opened_by,
        }
    }
}

/// The window currently open for a key, and when its entry expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OpenWindow {
    index: usize,
    kind: DivergenceKind,
    expires_ms: Millis,
}

/// Every window so far, and the one open per key.
#[derive(Clone, Debug, Default)]
pub(super) struct Divergence {
    windows: Vec<DivergenceWindow>,
    open: Vec<Option<OpenWindow>>,
}

impl Divergence {
    pub(super) fn new(keys: usize) -> Self {
        Divergence {
            windows: Vec::new(),
            open: vec![None; keys],
        }
    }

    /// Every window so far, in the order they opened, as of `now`: an open
    /// window whose entry has expired is closed at its expiry.
    pub(super) fn as_of(&self, now: Millis) -> Vec<DivergenceWindow> {
        let mut windows = self.windows.clone();
        for open in self.open.iter().flatten() {
            if open.expires_ms <= now {
                windows[open.index].to_ms = Some(open.expires_ms);
            }
        }
        windows
    }

    /// What decides how windows go on: the kind and expiry of each open
    /// one (closed windows are history).
    pub(super) fn hash_state<H: Hasher>(&self, state: &mut H) {
        for window in &self.open {
            window.map(|w| (w.kind, w.expires_ms)).hash(state);
        }
    }

    /// Opens or closes `key`'s window after an effect on it at `now`; the
    /// effect will be trace entry `entry`.
    pub(super) fn track(&mut self, world: &World, key: KeyId, now: Millis, entry: usize) {
        let row_version = world.db.row(key).version;
        let diverged = world.cache.live(key, now).and_then(|entry| {
            // A dirty entry never expires while dirty; under
            // stale-while-revalidate an entry is served (live) for the grace
            // period past its expiry.
            let expires_ms = if entry.dirty {
                Millis::MAX
            } else {
                entry.expires_ms + world.cache.grace_ms
            };
            match world.db.resolve(entry.value.stamp) {
                Some(version) if version == row_version => None,
                Some(_) => Some((DivergenceKind::Stale, expires_ms)),
                None => Some((DivergenceKind::Ahead, expires_ms)),
            }
        });
        let slot = &mut self.open[key.0 as usize];
        // A window whose entry expired before now ended at the expiry, unless
        // a new diverged entry of the same kind took over at that very
        // instant (then the interval is still one maximal window).
        if let Some(open) = *slot
            && (open.expires_ms < now
                || (open.expires_ms == now && diverged.is_none_or(|(kind, _)| kind != open.kind)))
        {
            self.windows[open.index].to_ms = Some(open.expires_ms);
            *slot = None;
        }
        // A change of kind (ahead, then stale) ends one window and opens
        // another.
        if let (Some(open), Some((kind, _))) = (*slot, diverged)
            && open.kind != kind
        {
            self.windows[open.index].to_ms = Some(now);
            *slot = None;
        }
        match (diverged, *slot) {
            (Some((kind, expires_ms)), None) => {
                *slot = Some(OpenWindow {
                    index: self.windows.len(),
                    kind,
                    expires_ms,
                });
                self.windows.push(DivergenceWindow {
                    key,
                    kind,
                    from_ms: now,
                    to_ms: None,
                    opened_by: entry,
                });
            }
            (Some((_, expires_ms)), Some(open)) => {
                *slot = Some(OpenWindow { expires_ms, ..open });
            }
            (None, Some(open)) => {
                self.windows[open.index].to_ms = Some(now);
                *slot = None;
            }
            (None, None) => {}
        }
    }
}
