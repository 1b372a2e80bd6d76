//! Singleflight: on each app instance, the first miss of a key reads the
//! database and the others on that instance wait for its row.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use crate::sim::ops::{KeyId, Reply, Versioned};

/// One singleflight DB read: its leader and the actors sharing its result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Flight {
    leader: usize,
    followers: Vec<usize>,
}

/// The DB read in flight per (app instance, key), with the actors waiting
/// for its result.
#[derive(Clone, Debug, Default)]
pub(super) struct Flights(BTreeMap<(u32, KeyId), Flight>);

impl Flights {
    /// What decides how flights go on: all of them.
    pub(super) fn hash_state<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }

    /// `actor` needs `key`'s row on app instance `app`: it joins the read
    /// in flight (`false`: it issues nothing), or leads a new one (`true`).
    pub(super) fn join_or_lead(&mut self, app: u32, key: KeyId, actor: usize) -> bool {
        if let Some(flight) = self.0.get_mut(&(app, key)) {
            flight.followers.push(actor);
            return false;
        }
        self.0.insert(
            (app, key),
            Flight {
                leader: actor,
                followers: Vec::new(),
            },
        );
        true
    }

    /// `actor`'s DB read of `key` on `app` returned `row`: the reply it
    /// gets, and the replies of the followers of its flight if it led one.
    pub(super) fn land(
        &mut self,
        app: u32,
        key: KeyId,
        actor: usize,
        row: Versioned,
    ) -> (Reply, Vec<(usize, Reply)>) {
        match self.0.remove(&(app, key)) {
            Some(flight) if flight.leader == actor => {
                let shared = Reply::SharedRead {
                    row: row.clone(),
                    leader: false,
                };
                let sharers = flight
                    .followers
                    .into_iter()
                    .map(|f| (f, shared.clone()))
                    .collect();
                (Reply::SharedRead { row, leader: true }, sharers)
            }
            Some(other) => {
                // Another actor's flight on the same key: leave it be.
                self.0.insert((app, key), other);
                (Reply::DbRead(row), Vec::new())
            }
            None => (Reply::DbRead(row), Vec::new()),
        }
    }

    /// An app crash stopped `actor`: it waits for no flight any more.
    pub(super) fn forget(&mut self, actor: usize) {
        for flight in self.0.values_mut() {
            flight.followers.retain(|&f| f != actor);
        }
    }
}
