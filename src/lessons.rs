//! Built-in lessons: a named scenario and the text that explains it. The
//! scenarios are JSON files under `lessons/`, compiled in, so the command line
//! and the page offer exactly the same ones and each is a file a person can
//! read, copy and edit.

use crate::sim::{Report, Scenario, Simulation};

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
pub const LESSONS: &[Lesson] = &[
    Lesson {
        name: "cache-aside-basics",
        title: "Cache-aside: miss, read the database, fill the cache, hit",
        text: "R1 finds the cache empty (a miss), reads user:123 from the database \
               and stores it in the cache. R2 arrives later and is served from the \
               cache without touching the database.",
        scenario_json: include_str!("../lessons/cache-aside-basics.json"),
    },
    Lesson {
        name: "update-on-write-race",
        title: "Update-on-write: two writers commit in one order and set the cache in the other",
        text: "W1 commits A, then W2 commits B: the database ends with B. But W2 sets \
               the cache first and W1 second, so the cache ends with A. Nothing \
               corrects it until the TTL: R, arriving later, reads A although B was \
               committed before it started, a stale read.",
        scenario_json: include_str!("../lessons/update-on-write-race.json"),
    },
    Lesson {
        name: "invalidate-on-write",
        title: "Invalidate-on-write: commit, then delete, and the next read refills",
        text: "W commits v2 and then deletes the cached v1. For the one cache \
               operation between commit and delete the cache still serves v1 (a short \
               divergence window); after the delete the next read misses and fills \
               the cache with v2. In this timing it works; the read-write-race \
               lesson shows a timing where it does not.",
        scenario_json: include_str!("../lessons/invalidate-on-write.json"),
    },
    Lesson {
        name: "read-write-race",
        title: "Invalidate-on-write is not always consistent: a slow reader refills the old value",
        text: "R misses and reads v1 from the database. Before R stores it, W commits \
               v2 and deletes the key. Then R's cache set lands, after the delete, and \
               puts v1 back. The cache now holds v1 until the TTL, and R2 reads it: \
               stale. Deleting instead of updating does not prevent this; leases do.",
        scenario_json: include_str!("../lessons/read-write-race.json"),
    },
    Lesson {
        name: "leases",
        title: "Leases: the delete invalidates the slow reader's lease, so its old value is refused",
        text: "The same race as read-write-race, with memcache leases. R's miss \
               hands it lease #1; it reads v1. W commits v2 and deletes the key, \
               which invalidates lease #1. R's set of v1 arrives with that lease and \
               is rejected, so the cache stays empty and R2 fetches v2. No stale \
               window at all.",
        scenario_json: include_str!("../lessons/leases.json"),
    },
    Lesson {
        name: "delayed-double-delete",
        title: "Delayed double delete: the second delete bounds the stale window",
        text: "The read-write race again, but W deletes the key a second time 50 ms \
               after its commit. R's late set still puts v1 back, so the cache is \
               stale from that set until the second delete lands (commit + 50 ms + \
               one cache operation), not until the TTL. W's client was answered after \
               the first delete. If a reader is slower than the delay, the window \
               reopens: the delay is a guess.",
        scenario_json: include_str!("../lessons/delayed-double-delete.json"),
    },
    Lesson {
        name: "versioned-sets",
        title: "Versioned sets do not fix the read-write race: the delete left nothing to compare",
        text: "Every set carries the DB version it was read at, and the cache refuses a \
               set older than the entry it holds. That stops the update-on-write race \
               (the older writer's set is refused). But here W deleted the key: when \
               R's set of v1@1 arrives the cache holds nothing, so it is accepted and \
               the cache is stale until the TTL, exactly as without versioning.",
        scenario_json: include_str!("../lessons/versioned-sets.json"),
    },
    Lesson {
        name: "delete-first",
        title: "Delete-first: a read between the delete and the commit refills the old value",
        text: "W deletes the cached v1 first and then commits v2, which takes 20 ms. \
               R misses in between, reads v1 from the database (not yet changed) and \
               stores it. When W's commit lands the cache holds v1 and stays stale \
               until the TTL; R2 reads it.",
        scenario_json: include_str!("../lessons/delete-first.json"),
    },
    Lesson {
        name: "write-through",
        title: "Write-through: the cache leads the database, and two writers can still cross",
        text: "Each writer sets the cache first and commits second. W1 caches A, W2 \
               caches B; R0 reads B before anything is committed (an uncommitted \
               read). Then W2 commits B and W1 commits A: the database ends with A, \
               the cache with B. The cache was ahead of the database, then stale; \
               R reads B after A was committed.",
        scenario_json: include_str!("../lessons/write-through.json"),
    },
    Lesson {
        name: "write-behind-crash",
        title: "Write-behind: acknowledged writes live only in the cache until the flush",
        text: "W1 and W2 are acknowledged as soon as the cache holds their values \
               (dirty). The flusher would write the latest one to the database 1 s \
               after the key became dirty, but the cache crashes at 500 ms: both \
               acknowledged writes are lost, R's read of B was a phantom (B never \
               reaches the database), and R2 reads the old v1 from the database.",
        scenario_json: include_str!("../lessons/write-behind-crash.json"),
    },
    Lesson {
        name: "ttl-only",
        title: "TTL only: the cache is wrong from the commit until the entry expires",
        text: "W commits v2 and does nothing to the cache. The cached v1 (TTL 1 s, \
               cached at 0) is served until it expires at 1000 ms: the stale window \
               is expiry minus commit. R reads v1 (stale); R2, after the expiry, \
               misses and reads v2.",
        scenario_json: include_str!("../lessons/ttl-only.json"),
    },
    Lesson {
        name: "event-invalidation",
        title: "Event-driven invalidation: stale for as long as the event takes",
        text: "W commits v2 at 20 ms and publishes an invalidation event; the bus \
               delivers it 50 ms later and the consumer deletes the key at 72 ms. \
               Until then the cache serves v1: R1, arriving after the commit, reads \
               it (stale). The window is the bus delay plus the publish and delete \
               operations: eventual consistency, measured.",
        scenario_json: include_str!("../lessons/event-invalidation.json"),
    },
    Lesson {
        name: "event-loss",
        title: "A lost event: the cache stays stale until the TTL",
        text: "The same write, but the bus loses the invalidation event. Nothing \
               else removes v1, so it is served until its TTL expires at 1000 ms: a \
               980 ms stale window instead of 52 ms. R1 reads v1 at 500 ms; only \
               R2, after the expiry, gets v2. A TTL is the backstop for lost events.",
        scenario_json: include_str!("../lessons/event-loss.json"),
    },
    Lesson {
        name: "kafka-partitions",
        title: "Update events on different partitions arrive out of order",
        text: "Update-on-write over an unkeyed bus: events go round-robin to two \
               partitions, and partition 0 lags 100 ms. W1's event (A) lands on the \
               slow partition, W2's (B) on the fast one, so the consumer sets B and \
               then A: the database holds B, the cache A, until the TTL. A keyed \
               bus (all of a key's events on one partition) keeps them in order.",
        scenario_json: include_str!("../lessons/kafka-partitions.json"),
    },
    Lesson {
        name: "outbox",
        title: "Transactional outbox: the event cannot be lost, but may come twice",
        text: "W commits v2 and an outbox row in one transaction, so no crash can \
               separate them (unlike publishing after the commit). The relay polls \
               every 100 ms, publishes the row at 111 ms, and crashes at 120 ms, \
               before marking it sent. Restarted, it publishes the row again: the \
               consumer deletes the key twice. At least once, never zero times; \
               the stale window is the poll interval plus the bus delay.",
        scenario_json: include_str!("../lessons/outbox.json"),
    },
    Lesson {
        name: "stampede",
        title: "Cache stampede: when a hot key expires, every concurrent miss reads the database",
        text: "The hot key is cached until 300 ms. E1-E4 hit before that. R1-R12 \
               arrive at 300-311 ms, just after the expiry, over four app instances. \
               The first refill takes 121 ms, so all twelve miss and all twelve read \
               the database at once: twelve concurrent DB reads for one value.",
        scenario_json: include_str!("../lessons/stampede.json"),
    },
    Lesson {
        name: "stampede-lock",
        title: "Stampede with a lock: one reader refills, the others poll the cache",
        text: "The same burst, but a miss first adds the key's lock entry. R1 gets \
               it, reads the database once and refills; the others find the lock \
               held, wait 10 ms and look again, until the refilled value is there. \
               One DB read instead of twelve; the price is the waiters' latency and \
               their repeated cache gets.",
        scenario_json: include_str!("../lessons/stampede-lock.json"),
    },
    Lesson {
        name: "stampede-singleflight",
        title: "Stampede with singleflight: one DB read per app instance",
        text: "The misses of the key inside one app instance share one DB read \
               (Go's singleflight), so twelve misses on four instances make four DB \
               reads. The instances do not coordinate: with more instances there \
               are more reads.",
        scenario_json: include_str!("../lessons/stampede-singleflight.json"),
    },
    Lesson {
        name: "stampede-lease",
        title: "Stampede with leases: the lease holder refills, the others wait",
        text: "memcache leases: R1's miss gets the lease and reads the database; the \
               others' lease gets say another reader holds it, and they retry every \
               10 ms until the value is cached. One DB read, at a single cache \
               server's say-so.",
        scenario_json: include_str!("../lessons/stampede-lease.json"),
    },
    Lesson {
        name: "stampede-xfetch",
        title: "XFetch: early recomputation, so the key never expires under load",
        text: "Probabilistic early expiration (Vattani et al. 2015, beta 2): a hit \
               recomputes in the background with a probability that rises as expiry \
               nears. An early reader starts a refresh well before 300 ms; the new \
               value is cached before the old one expires, and the burst hits.",
        scenario_json: include_str!("../lessons/stampede-xfetch.json"),
    },
    Lesson {
        name: "stampede-swr",
        title: "Stale-while-revalidate: serve the expired value, refresh it once",
        text: "After the expiry the entry is still served for swr_ms (1 s here). R1's \
               hit on the expired entry starts one background refresh; everyone, R1 \
               included, gets the old value at once. No reader waits and the \
               database is read once; the price is serving a value past its TTL.",
        scenario_json: include_str!("../lessons/stampede-swr.json"),
    },
];

/// The lesson called `name`.
pub fn lesson(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}

/// Every lesson's full report (with trace), as one pretty JSON object keyed
/// by lesson name. The golden file `tests/golden/lessons.json` holds the
/// native result; the wasm build must produce the same bytes.
pub fn all_reports_json() -> String {
    let reports: serde_json::Map<String, serde_json::Value> = LESSONS
        .iter()
        .map(|lesson| {
            let mut sim = Simulation::new(&lesson.scenario())
                .unwrap_or_else(|e| panic!("built-in lesson {} is invalid: {e}", lesson.name));
            sim.run();
            let report = serde_json::to_value(Report::of(&sim, true)).expect("serialisable");
            (lesson.name.to_string(), report)
        })
        .collect();
    serde_json::to_string_pretty(&reports).expect("serialisable") + "\n"
}

/// The lessons `cachescope explore` takes on: all but the stampede lessons,
/// which have more requests than it follows.
pub fn explorable() -> impl Iterator<Item = &'static Lesson> {
    LESSONS
        .iter()
        .filter(|lesson| lesson.scenario().requests.len() <= crate::sim::explore::MAX_REQUESTS)
}

/// What `cachescope explore` says of every explorable lesson, as one pretty
/// JSON object keyed by lesson name. The golden file
/// `tests/golden/explore.json` holds the native result; the wasm build must
/// produce the same bytes.
pub fn all_explorations_json() -> String {
    use crate::sim::explore::{self, Limits};
    explorations_json(
        explorable()
            .map(|lesson| {
                let exploration =
                    explore::explore(&lesson.scenario(), Limits::default(), &mut |_| {})
                        .unwrap_or_else(|e| panic!("lesson {} does not explore: {e}", lesson.name));
                (lesson.name, exploration.summary())
            })
            .collect(),
    )
}

/// The golden file's format for explorations by lesson name.
pub fn explorations_json(
    explorations: std::collections::BTreeMap<&str, crate::sim::explore::Summary>,
) -> String {
    serde_json::to_string_pretty(&explorations).expect("serialisable") + "\n"
}
