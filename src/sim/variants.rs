//! The catalogue: every write strategy, channel, stampede protection and
//! fault kind, each stating in one entry what it needs of the rest of cachescope (the
//! settings it reads, the cache rules, background actors, what the real
//! servers must do, how the page names it, the lesson that shows it).
//! Every consumer asks the entry (validation, the engine, the real backend,
//! the page's knobs and diagram) rather than matching on the variant, so a
//! new variant is its enum case, its entry here, and its strategy code.

use serde::{Deserialize, Serialize};

use super::vocabulary::Millis;

/// How a write request runs (`strategy.write`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteStrategy {
    /// DB write, then delete the key from the cache.
    #[default]
    Invalidate,
    /// DB write, then set the key in the cache to the written value.
    Update,
    /// Delete the key from the cache, then DB write.
    DeleteFirst,
    /// DB write only; the cache is corrected by its TTL alone.
    TtlOnly,
    /// Through the cache tier: holding the key's per-key lock, the tier
    /// commits and then updates its entry; acknowledged after both. Read
    /// misses fill through the same lock (read-through).
    WriteThrough,
    /// An app-orchestrated dual write: cache set, then DB write;
    /// acknowledged after the DB write.
    CacheThenDb,
    /// Cache set (dirty), acknowledged at once; the flusher commits it
    /// `write_behind_ms` after the key first became dirty.
    WriteBehind,
}

/// What a write strategy needs.
#[derive(Debug)]
pub struct WriteEntry {
    /// Its name in scenario files.
    pub name: &'static str,
    /// The `strategy` settings it reads besides the TTL (the page dims the
    /// others).
    pub settings: &'static [&'static str],
    /// Its cache change (invalidate or update) goes through
    /// `strategy.channel`.
    pub uses_channel: bool,
    /// A write-behind flusher commits its dirty entries in the background.
    pub flusher: bool,
    /// It goes through the cache tier's per-key lock, which Redis lacks (the
    /// real backend keeps it, and no other stampede protection combines
    /// with it: the tier's lock already lets one miss fill at a time).
    pub cache_tier: bool,
    /// The lesson that shows it.
    pub lesson: &'static str,
}

impl WriteStrategy {
    /// Every write strategy, in docs/SCENARIO.md's order.
    pub const ALL: [WriteStrategy; 7] = [
        WriteStrategy::Invalidate,
        WriteStrategy::Update,
        WriteStrategy::DeleteFirst,
        WriteStrategy::TtlOnly,
        WriteStrategy::WriteThrough,
        WriteStrategy::CacheThenDb,
        WriteStrategy::WriteBehind,
    ];
    /// Their names in scenario files, in the same order.
    pub const NAMES: [&'static str; 7] = names!(WRITES);

    /// What it needs.
    pub const fn entry(self) -> &'static WriteEntry {
        &WRITES[self as usize]
    }

    /// Its name in scenario files.
    pub fn name(self) -> &'static str {
        self.entry().name
    }
}

/// The write strategies' entries, in [`WriteStrategy::ALL`]'s order.
const WRITES: [WriteEntry; 7] = [
    WriteEntry {
        name: "invalidate",
        settings: &["channel", "double_delete_ms"],
        uses_channel: true,
        flusher: false,
        cache_tier: false,
        lesson: "invalidate-on-write",
    },
    WriteEntry {
        name: "update",
        settings: &["channel"],
        uses_channel: true,
        flusher: false,
        cache_tier: false,
        lesson: "update-on-write-race",
    },
    WriteEntry {
        name: "delete_first",
        settings: &["double_delete_ms"],
        uses_channel: false,
        flusher: false,
        cache_tier: false,
        lesson: "delete-first",
    },
    WriteEntry {
        name: "ttl_only",
        settings: &[],
        uses_channel: false,
        flusher: false,
        cache_tier: false,
        lesson: "ttl-only",
    },
    WriteEntry {
        name: "write_through",
        settings: &[],
        uses_channel: false,
        flusher: false,
        cache_tier: true,
        lesson: "write-through",
    },
    WriteEntry {
        name: "cache_then_db",
        settings: &[],
        uses_channel: false,
        flusher: false,
        cache_tier: false,
        lesson: "cache-then-db",
    },
    WriteEntry {
        name: "write_behind",
        settings: &["write_behind_ms"],
        uses_channel: false,
        flusher: true,
        cache_tier: false,
        lesson: "write-behind-crash",
    },
];

/// How `invalidate` / `update` reach the cache (`strategy.channel`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The app instance deletes or sets the key itself.
    #[default]
    Inline,
    /// The app publishes an event on the bus after the commit (a dual
    /// write); the consumer applies it.
    Event,
    /// The database's commit log emits the event; no app involvement.
    Cdc,
    /// The app inserts an outbox row in the write's transaction; the relay
    /// polls, publishes and marks rows sent (at least once).
    Outbox,
}

/// What a channel needs.
#[derive(Debug)]
pub struct ChannelEntry {
    /// Its name in scenario files.
    pub name: &'static str,
    /// The `strategy` settings it reads (the page dims the others).
    pub settings: &'static [&'static str],
    /// Events travel on the bus to its consumer (the `bus` settings and
    /// the bus faults apply).
    pub on_the_bus: bool,
    /// A publish the bus does not acknowledge is retried until it is (CDC
    /// connectors and outbox relays), rather than lost (an app's
    /// fire-and-forget publish).
    pub at_least_once: bool,
    /// An outbox relay polls the table and publishes in the background.
    pub relay: bool,
    /// The lesson that shows it.
    pub lesson: &'static str,
}

impl Channel {
    /// Every channel, in docs/SCENARIO.md's order.
    pub const ALL: [Channel; 4] = [
        Channel::Inline,
        Channel::Event,
        Channel::Cdc,
        Channel::Outbox,
    ];
    /// Their names in scenario files, in the same order.
    pub const NAMES: [&'static str; 4] = names!(CHANNELS);

    /// What it needs.
    pub const fn entry(self) -> &'static ChannelEntry {
        &CHANNELS[self as usize]
    }

    /// Its name in scenario files.
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// See [`ChannelEntry::at_least_once`].
    pub fn at_least_once(self) -> bool {
        self.entry().at_least_once
    }
}

/// The channels' entries, in [`Channel::ALL`]'s order.
const CHANNELS: [ChannelEntry; 4] = [
    ChannelEntry {
        name: "inline",
        settings: &[],
        on_the_bus: false,
        at_least_once: false,
        relay: false,
        lesson: "invalidate-on-write",
    },
    ChannelEntry {
        name: "event",
        settings: &[],
        on_the_bus: true,
        at_least_once: false,
        relay: false,
        lesson: "event-invalidation",
    },
    ChannelEntry {
        name: "cdc",
        // An unacknowledged publish goes again after `retry_ms`.
        settings: &["retry_ms"],
        on_the_bus: true,
        at_least_once: true,
        relay: false,
        lesson: "cdc-invalidation",
    },
    ChannelEntry {
        name: "outbox",
        settings: &["outbox_poll_ms"],
        on_the_bus: true,
        at_least_once: true,
        relay: true,
        lesson: "outbox",
    },
];

/// What a read does on a miss, or near expiry (`strategy.stampede`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stampede {
    /// Every miss reads the DB and sets the cache.
    #[default]
    None,
    /// A lock entry per key: its holder fills the key, others retry.
    Lock,
    /// Concurrent misses inside one app instance share one DB read.
    Singleflight,
    /// memcache leases: one reader per key fills it; deletes invalidate.
    Lease,
    /// XFetch (the paper's): a reader that draws an early expiry recomputes
    /// the value itself; nothing coordinates readers.
    Xfetch,
    /// Stale-while-revalidate: serve the expired entry for `swr_ms` while
    /// one background refresh runs.
    Swr,
    /// Jittered early recompute: a reader that finds the entry within a
    /// random part of `early_ms` of its expiry recomputes it itself.
    EarlyJitter,
}

/// What a stampede protection needs.
#[derive(Debug)]
pub struct ProtectionEntry {
    /// Its name in scenario files.
    pub name: &'static str,
    /// The `strategy` settings it reads (the page dims the others).
    pub settings: &'static [&'static str],
    /// Readers wait for another's fill (a lease or a lock): a retry and a
    /// hold of at least 1 ms, or a waiting reader would spin forever or the
    /// protection would not protect.
    pub waits_for_a_fill: bool,
    /// The cache serves an entry `swr_ms` past its TTL.
    pub serves_expired: bool,
    /// A delete keeps the deleted value as stale for `lease_stale_ms`.
    pub keeps_deleted: bool,
    /// Refreshers read and fill keys in the background.
    pub refreshers: bool,
    /// Misses on one app instance share one DB read (state inside the app,
    /// not on any server).
    pub shares_reads: bool,
    /// Readers draw from the early-recompute stream (the app's own
    /// randomness).
    pub draws: bool,
    /// The cache rule Redis runs as a script porting the model's, if Redis
    /// has no command for it: a short name and the sentence the real
    /// check's report gives.
    pub redis_script: Option<(&'static str, &'static str)>,
    /// The lesson that shows it (`None`: the stampede lesson's comparison
    /// of every protection shows it).
    pub lesson: Option<&'static str>,
}

impl Stampede {
    /// Every stampede protection, in docs/SCENARIO.md's order.
    pub const ALL: [Stampede; 7] = [
        Stampede::None,
        Stampede::Lock,
        Stampede::Singleflight,
        Stampede::Lease,
        Stampede::Xfetch,
        Stampede::Swr,
        Stampede::EarlyJitter,
    ];
    /// Their names in scenario files, in the same order.
    pub const NAMES: [&'static str; 7] = names!(PROTECTIONS);

    /// What it needs.
    pub const fn entry(self) -> &'static ProtectionEntry {
        &PROTECTIONS[self as usize]
    }

    /// Its name in scenario files.
    pub fn name(self) -> &'static str {
        self.entry().name
    }
}

/// The stampede protections' entries, in [`Stampede::ALL`]'s order.
const PROTECTIONS: [ProtectionEntry; 7] = [
    ProtectionEntry {
        name: "none",
        ..PLAIN
    },
    ProtectionEntry {
        name: "lock",
        settings: &["lock_ttl_ms", "retry_ms", "wait_max_ms", "unsafe_unlock"],
        waits_for_a_fill: true,
        redis_script: Some((
            "the lock rules (Lua that ports the model's)",
            "the token lock: Lua scripts on Redis that follow the model's rules, given the model's clock",
        )),
        lesson: Some("stampede-lock"),
        ..PLAIN
    },
    ProtectionEntry {
        name: "singleflight",
        shares_reads: true,
        lesson: Some("stampede-singleflight"),
        ..PLAIN
    },
    ProtectionEntry {
        name: "lease",
        settings: &[
            "lock_ttl_ms",
            "retry_ms",
            "wait_max_ms",
            "lease_token_interval_ms",
            "lease_stale_ms",
            "accept_stale",
        ],
        waits_for_a_fill: true,
        keeps_deleted: true,
        redis_script: Some((
            "the lease rules (Lua that ports the model's)",
            "memcache leases: Lua scripts on Redis that follow the model's rules, given the model's clock",
        )),
        lesson: Some("stampede-lease"),
        ..PLAIN
    },
    ProtectionEntry {
        name: "xfetch",
        settings: &["xfetch_beta"],
        draws: true,
        lesson: Some("stampede-xfetch"),
        ..PLAIN
    },
    ProtectionEntry {
        name: "swr",
        settings: &["swr_ms"],
        serves_expired: true,
        refreshers: true,
        lesson: Some("stampede-swr"),
        ..PLAIN
    },
    ProtectionEntry {
        name: "early_jitter",
        settings: &["early_ms"],
        draws: true,
        lesson: None,
        ..PLAIN
    },
];

/// A protection that needs nothing (every field but the name).
const PLAIN: ProtectionEntry = ProtectionEntry {
    name: "",
    settings: &[],
    waits_for_a_fill: false,
    serves_expired: false,
    keeps_deleted: false,
    refreshers: false,
    shares_reads: false,
    draws: false,
    redis_script: None,
    lesson: Some("stampede"),
};

/// A kind of fault (`faults`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// The cache loses every entry; dirty write-behind entries become lost
    /// writes.
    CacheCrash,
    /// The next `count` events published on the bus are lost.
    BusDrop {
        /// How many.
        #[serde(default = "one")]
        count: u64,
    },
    /// The consumer applies nothing between these instants; deliveries wait
    /// until it resumes (timed mode only).
    ConsumerPause {
        /// From.
        from_ms: Millis,
        /// Until.
        to_ms: Millis,
    },
    /// An app instance crashes and restarts at once: its in-flight requests
    /// stop after their current step (outcome `aborted`).
    AppCrash {
        /// Which instance.
        app: u32,
    },
    /// The database is `factor` times slower for operations issued between
    /// these instants (timed mode only).
    DbSlow {
        /// From.
        from_ms: Millis,
        /// Until.
        to_ms: Millis,
        /// Latency multiplier.
        factor: u32,
    },
    /// The outbox relay crashes and restarts: rows it published but had not
    /// marked sent are published again.
    RelayCrash,
    /// A stop-the-world pause of an app instance (a long GC): it issues
    /// nothing and sees no reply between these instants; operations it had
    /// sent take effect and their replies wait (timed mode only).
    AppPause {
        /// From.
        from_ms: Millis,
        /// Until.
        to_ms: Millis,
        /// Which instance.
        app: u32,
    },
    /// A partition's consumer (every partition's, with `null`) crashes and
    /// restarts from its last committed offset: the events it applied
    /// since are applied again.
    ConsumerCrash {
        /// Which partition's consumer.
        #[serde(default)]
        partition: Option<u32>,
    },
}

fn one() -> u64 {
    1
}

impl FaultKind {
    /// The span of a fault that lasts a while, as (from, to).
    pub fn span(mut self) -> Option<(Millis, Millis)> {
        self.span_mut().map(|(from, to)| (*from, *to))
    }

    /// The ends of a fault that lasts a while, to move it.
    pub fn span_mut(&mut self) -> Option<(&mut Millis, &mut Millis)> {
        match self {
            FaultKind::ConsumerPause { from_ms, to_ms }
            | FaultKind::DbSlow { from_ms, to_ms, .. }
            | FaultKind::AppPause { from_ms, to_ms, .. } => Some((from_ms, to_ms)),
            _ => None,
        }
    }

    /// Whether it lasts a while (timed runs only: a schedule orders
    /// operations, not time).
    pub fn spans_time(self) -> bool {
        self.span().is_some()
    }
}

/// What a fault kind needs.
#[derive(Debug)]
pub struct FaultEntry {
    /// Its `kind` in scenario files.
    pub name: &'static str,
    /// How the faults panel names it.
    pub label: &'static str,
    /// It lasts from `from_ms` to `to_ms` (timed runs only: a schedule
    /// orders operations, not time) rather than happening at `at_ms`.
    pub lasting: bool,
    /// One with the usual settings (instance 0, one event, every
    /// partition, 10x slower) at `at_ms`, lasting `span_ms` if it lasts.
    pub example: fn(at_ms: Millis, span_ms: Millis) -> FaultKind,
}

impl FaultKind {
    /// Every fault kind's entry, in docs/SCENARIO.md's order.
    pub const ENTRIES: &'static [FaultEntry] = &FAULTS;

    /// What it needs.
    pub fn entry(&self) -> &'static FaultEntry {
        &FAULTS[match self {
            FaultKind::CacheCrash => 0,
            FaultKind::AppCrash { .. } => 1,
            FaultKind::AppPause { .. } => 2,
            FaultKind::BusDrop { .. } => 3,
            FaultKind::ConsumerPause { .. } => 4,
            FaultKind::ConsumerCrash { .. } => 5,
            FaultKind::DbSlow { .. } => 6,
            FaultKind::RelayCrash => 7,
        }]
    }
}

/// The fault kinds' entries.
const FAULTS: [FaultEntry; 8] = [
    FaultEntry {
        name: "cache_crash",
        label: "cache crash",
        lasting: false,
        example: |_, _| FaultKind::CacheCrash,
    },
    FaultEntry {
        name: "app_crash",
        label: "app crash",
        lasting: false,
        example: |_, _| FaultKind::AppCrash { app: 0 },
    },
    FaultEntry {
        name: "app_pause",
        label: "app paused",
        lasting: true,
        example: |at_ms, span_ms| FaultKind::AppPause {
            from_ms: at_ms,
            to_ms: at_ms.saturating_add(span_ms),
            app: 0,
        },
    },
    FaultEntry {
        name: "bus_drop",
        label: "event dropped",
        lasting: false,
        example: |_, _| FaultKind::BusDrop { count: 1 },
    },
    FaultEntry {
        name: "consumer_pause",
        label: "consumer paused",
        lasting: true,
        example: |at_ms, span_ms| FaultKind::ConsumerPause {
            from_ms: at_ms,
            to_ms: at_ms.saturating_add(span_ms),
        },
    },
    FaultEntry {
        name: "consumer_crash",
        label: "consumer crash",
        lasting: false,
        example: |_, _| FaultKind::ConsumerCrash { partition: None },
    },
    FaultEntry {
        name: "db_slow",
        label: "slow database",
        lasting: true,
        example: |at_ms, span_ms| FaultKind::DbSlow {
            from_ms: at_ms,
            to_ms: at_ms.saturating_add(span_ms),
            factor: 10,
        },
    },
    FaultEntry {
        name: "relay_crash",
        label: "relay crash",
        lasting: false,
        example: |_, _| FaultKind::RelayCrash,
    },
];

/// The names of a catalogue's entries, in order, as a constant (the page's
/// choice controls hold them).
macro_rules! names {
    ($entries:expr) => {{
        let mut names = [""; $entries.len()];
        let mut i = 0;
        while i < names.len() {
            names[i] = $entries[i].name;
            i += 1;
        }
        names
    }};
}
use names;
