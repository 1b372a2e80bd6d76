//! Anomalies that explain themselves: for a stale divergence window or a
//! stale read, the operations that caused it, in order, and one sentence
//! ("R read v1 at 11 ms; W committed v2 at 25 ms and deleted at 26 ms; R set
//! v1 at 26 ms, so the cache is stale until the entry expires"). A pure
//! function of the trace (its `fact`s), so the page only highlights the
//! steps and shows the sentence.

use crate::model::timeline::{answering_entry, next_cache_crash};
use crate::sim::ops::Version;
use crate::sim::report::RequestReport;
use crate::sim::scenario::Millis;
use crate::sim::strategy::Source;
use crate::sim::trace::{Actor, Fact, OpName, TraceEvent};

/// Why an anomaly happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The trace entries involved, in order.
    pub steps: Vec<usize>,
    /// The story in one sentence.
    pub sentence: String,
}

fn on_key<'a>(
    trace: &'a [TraceEvent],
    key: &'a str,
) -> impl Iterator<Item = (usize, &'a TraceEvent)> {
    trace
        .iter()
        .enumerate()
        .filter(move |(_, e)| e.key.as_deref() == Some(key))
}

/// The latest commit of `key` among `trace[..before]` newer than `than`.
fn newer_commit(trace: &[TraceEvent], key: &str, before: usize, than: Version) -> Option<usize> {
    on_key(&trace[..before], key)
        .filter(|(_, e)| matches!(e.fact, Fact::Committed { version } if version > than))
        .map(|(i, _)| i)
        .last()
}

fn committed_version(event: &TraceEvent) -> Version {
    match event.fact {
        Fact::Committed { version } => version,
        other => unreachable!("a commit's fact, not {other:?}"),
    }
}

fn until(to_ms: Option<Millis>) -> String {
    match to_ms {
        Some(to) => format!("until {to} ms"),
        None => "until the entry expires".to_string(),
    }
}

/// Explains a stale divergence window of `key` that opened at `from_ms`
/// (closing at `to_ms`, or open). `None` if the trace does not show how it
/// opened (e.g. it was recorded without a trace).
pub fn stale_window(
    trace: &[TraceEvent],
    key: &str,
    from_ms: Millis,
    to_ms: Option<Millis>,
) -> Option<Explanation> {
    let opening: Vec<usize> = on_key(trace, key)
        .filter(|(_, e)| e.end_ms == from_ms)
        .filter(|(_, e)| matches!(e.fact, Fact::Stored { .. } | Fact::Committed { .. }))
        .map(|(i, _)| i)
        .collect();
    // A set of an old value (the classic race), or else a commit that left
    // an old cached copy in place.
    let set = opening.iter().rev().find_map(|&i| match trace[i].fact {
        Fact::Stored {
            version: Some(version),
        } => Some((i, version)),
        _ => None,
    });
    if let Some((set, old)) = set {
        return Some(stale_set(trace, key, set, old, to_ms));
    }
    let commit = *opening
        .iter()
        .rev()
        .find(|&&i| matches!(trace[i].fact, Fact::Committed { .. }))?;
    Some(stale_commit(trace, key, commit, to_ms))
}

/// The replica's application of a version newer than `old` of `key` that
/// came after `read` was issued (the reason a replica read returned
/// `old`): that version and when it was applied.
fn replica_behind(
    trace: &[TraceEvent],
    key: &str,
    read: &TraceEvent,
    old: Version,
) -> Option<(Version, Millis)> {
    on_key(trace, key).find_map(|(_, e)| match e.fact {
        Fact::Replicated { version } if version > old && e.end_ms > read.start_ms => {
            Some((version, e.end_ms))
        }
        _ => None,
    })
}

/// The consumer crash before `trace[set]` that made a consumer apply an
/// event setting `old` a second time, if that is what happened.
fn replayed_by_crash(trace: &[TraceEvent], key: &str, set: usize, old: Version) -> Option<usize> {
    if !matches!(trace[set].actor, Actor::Consumer(_)) {
        return None;
    }
    let crash = trace[..set]
        .iter()
        .rposition(|e| e.op == OpName::ConsumerCrash)?;
    let applied_before = on_key(&trace[..crash], key).any(|(_, e)| {
        matches!(e.actor, Actor::Consumer(_))
            && matches!(e.fact, Fact::Stored { version: Some(v) } if v == old)
    });
    applied_before.then_some(crash)
}

/// The window opened when `trace[set]` stored version `old`, older than a
/// commit before it.
fn stale_set(
    trace: &[TraceEvent],
    key: &str,
    set: usize,
    old: Version,
    to_ms: Option<Millis>,
) -> Explanation {
    let setter = &trace[set];
    let mut steps = Vec::new();
    let mut parts = Vec::new();
    // Where the setter got the old value: its own DB read or commit, or
    // (a consumer applying an update event) the commit that made it.
    let made_old = |e: &TraceEvent| matches!(e.fact, Fact::Read { version } | Fact::Committed { version } if version == old);
    let source = on_key(&trace[..set], key)
        .filter(|(_, e)| e.actor == setter.actor && made_old(e))
        .map(|(i, _)| i)
        .last()
        .or_else(|| {
            on_key(&trace[..set], key)
                .filter(|(_, e)| matches!(e.fact, Fact::Committed { version } if version == old))
                .map(|(i, _)| i)
                .last()
        });
    let newer = newer_commit(trace, key, set, old);
    if let Some(source) = source {
        let event = &trace[source];
        steps.push(source);
        // The read was issued before the commit and returned after it.
        let snapshot_predates_commit = matches!(event.fact, Fact::Read { .. })
            && newer.is_some_and(|commit| commit < source && event.start_ms < trace[commit].end_ms);
        parts.push(match event.fact {
            // A DB read sees the row as of its issue: a commit landing
            // while it runs is not in what it returns.
            Fact::Read { .. } if snapshot_predates_commit => format!(
                "{}'s DB read, issued at {} ms, returned v{old} at {} ms (its snapshot predates the commit)",
                event.actor, event.start_ms, event.end_ms
            ),
            Fact::Read { .. } => match replica_behind(trace, key, event, old) {
                // The read went to a replica that had not applied the
                // newer commit yet.
                Some((newer, applied_ms)) => format!(
                    "{} read v{old} from the replica at {} ms (it applied v{newer} only at {applied_ms} ms)",
                    event.actor, event.end_ms
                ),
                None => format!("{} read v{old} at {} ms", event.actor, event.end_ms),
            },
            _ => format!("{} committed v{old} at {} ms", event.actor, event.end_ms),
        });
    }
    if let Some(commit) = newer {
        let writer = &trace[commit];
        steps.push(commit);
        let mut part = format!(
            "{} committed v{} at {} ms",
            writer.actor,
            committed_version(writer),
            writer.end_ms
        );
        // The deletes between the commit and the set did not help: the set
        // came after them.
        for (delete, event) in on_key(&trace[commit + 1..set], key)
            .map(|(i, e)| (commit + 1 + i, e))
            .filter(|(_, e)| e.fact == Fact::Deleted)
        {
            steps.push(delete);
            if event.actor == writer.actor {
                part.push_str(&format!(" and deleted at {} ms", event.end_ms));
            } else {
                part.push_str(&format!("; {} deleted at {} ms", event.actor, event.end_ms));
            }
        }
        parts.push(part);
    }
    steps.push(set);
    if let Some(crash) = replayed_by_crash(trace, key, set, old) {
        parts.push(format!(
            "the consumer crashed at {} ms before committing its offset and applied this \
             event again: it set v{old} at {} ms, so the cache went back and is stale {}",
            trace[crash].end_ms,
            setter.end_ms,
            until(to_ms)
        ));
    } else {
        parts.push(format!(
            "{} set v{old} at {} ms, so the cache is stale {}",
            setter.actor,
            setter.end_ms,
            until(to_ms)
        ));
    }
    steps.sort_unstable();
    Explanation {
        steps,
        sentence: parts.join("; "),
    }
}

/// The window opened when `trace[commit]` committed while an older copy
/// stayed cached.
fn stale_commit(
    trace: &[TraceEvent],
    key: &str,
    commit: usize,
    to_ms: Option<Millis>,
) -> Explanation {
    let writer = &trace[commit];
    let new = committed_version(writer);
    let mut steps = Vec::new();
    // Who put the copy there: the last store before the commit, or (none in
    // the trace) the prewarmed initial value.
    let cached = on_key(&trace[..commit], key)
        .filter(|(_, e)| matches!(e.fact, Fact::Stored { .. }))
        .last();
    let held = match cached {
        Some((index, event)) => {
            steps.push(index);
            match event.fact {
                Fact::Stored {
                    version: Some(version),
                } => format!("{} cached v{version} at {} ms", event.actor, event.end_ms),
                // Its own write, cached before its commit (cache-then-db).
                _ => {
                    let own_commit = on_key(&trace[index + 1..commit], key)
                        .map(|(i, e)| (index + 1 + i, e))
                        .find(|(_, e)| {
                            e.actor == event.actor && matches!(e.fact, Fact::Committed { .. })
                        });
                    match own_commit {
                        Some((at, own)) => {
                            steps.push(at);
                            format!(
                                "{} cached its write at {} ms and committed it as v{} at {} ms",
                                event.actor,
                                event.end_ms,
                                committed_version(own),
                                own.end_ms
                            )
                        }
                        None => format!(
                            "{} cached its write (not yet committed) at {} ms",
                            event.actor, event.end_ms
                        ),
                    }
                }
            }
        }
        None => "the cache held the prewarmed v1".to_string(),
    };
    steps.push(commit);
    let mut sentence = format!(
        "{held}; {} committed v{new} at {} ms and the cached copy stayed, so the cache is stale",
        writer.actor, writer.end_ms
    );
    let closer = to_ms.and_then(|to| {
        on_key(&trace[commit + 1..], key)
            .map(|(i, e)| (commit + 1 + i, e))
            .find(|(_, e)| e.end_ms == to && matches!(e.fact, Fact::Deleted | Fact::Stored { .. }))
    });
    match (closer, to_ms) {
        (Some((index, event)), _) => {
            steps.push(index);
            let what = match event.fact {
                Fact::Deleted => "deleted it",
                _ => "replaced it",
            };
            sentence.push_str(&format!(
                " until {} {what} at {} ms",
                event.actor, event.end_ms
            ));
        }
        (None, Some(to)) => sentence.push_str(&format!(" until it expired at {to} ms")),
        (None, None) => sentence.push_str(" until the entry expires"),
    }
    Explanation { steps, sentence }
}

/// Explains a stale read: which commit it missed, and how it got the old
/// value. `None` if the read was not stale or the trace does not show it.
pub fn stale_read(trace: &[TraceEvent], request: &RequestReport) -> Option<Explanation> {
    if request.stale != Some(true) {
        return None;
    }
    let (start, end, old) = (request.start_ms?, request.end_ms?, request.version?);
    let answered = answering_entry(trace, &request.id, end)?;
    let commit = on_key(trace, &request.key)
        .filter(|(_, e)| e.end_ms < start)
        .filter(|(_, e)| matches!(e.fact, Fact::Committed { version } if version > old))
        .map(|(i, _)| i)
        .last()?;
    let writer = &trace[commit];
    let from = match request.source {
        Some(Source::Cache) => "from the cache",
        _ => "from the DB",
    };
    let mut steps = vec![commit, answered];
    steps.sort_unstable();
    Some(Explanation {
        steps,
        sentence: format!(
            "{} started at {start} ms, after {} committed v{} at {} ms, and got v{old} {from} at \
             {end} ms",
            request.id,
            writer.actor,
            committed_version(writer),
            writer.end_ms
        ),
    })
}

/// Explains a fallback read: how long it was refused a lease or lock,
/// and that it then read the DB itself without filling the cache. `None`
/// if the read did not fall back or the trace does not show it.
pub fn fallback_read(trace: &[TraceEvent], request: &RequestReport) -> Option<Explanation> {
    if !request.fallback {
        return None;
    }
    let end = request.end_ms?;
    let answered = answering_entry(trace, &request.id, end)?;
    let actor = &trace[answered].actor;
    let refusals: Vec<usize> = trace[..answered]
        .iter()
        .enumerate()
        .filter(|(_, e)| &e.actor == actor)
        .filter(|(_, e)| matches!(e.fact, Fact::Refusal | Fact::LockRefused))
        .map(|(i, _)| i)
        .collect();
    let (&first, &last) = (refusals.first()?, refusals.last()?);
    let what = match trace[first].fact {
        Fact::LockRefused => "the lock",
        _ => "a lease token",
    };
    let mut steps = refusals.clone();
    steps.push(answered);
    Some(Explanation {
        steps,
        sentence: format!(
            "{} was refused {what} {} time(s) from {} ms to {} ms; its wait ran out, so it read v{} \
             from the DB itself at {end} ms without filling the cache (a fallback read: one more DB \
             read, no protection for the next reader)",
            request.id,
            refusals.len(),
            trace[first].end_ms,
            trace[last].end_ms,
            request.version?,
        ),
    })
}

/// The last store of a value not yet committed on `key` among
/// `trace[..before]` that ended at or before `at_ms`.
fn uncommitted_store(
    trace: &[TraceEvent],
    key: &str,
    before: usize,
    at_ms: Millis,
) -> Option<usize> {
    on_key(&trace[..before], key)
        .filter(|(_, e)| e.end_ms <= at_ms && e.fact == Fact::Stored { version: None })
        .map(|(i, _)| i)
        .last()
}

/// How a write's cached value waits for the database: its own commit
/// (cache-then-db) or the flusher (write-behind).
fn awaiting(event: &TraceEvent) -> &'static str {
    if event.op == OpName::CacheSetDirty {
        "before the flusher wrote it to the database"
    } else {
        "before committing it"
    }
}

/// Explains an ahead window of `key` from `from_ms` (to `to_ms`, or open):
/// which write cached its value before the database had it, and what ended
/// it (a commit, a delete, a crash).
pub fn ahead_window(
    trace: &[TraceEvent],
    key: &str,
    from_ms: Millis,
    to_ms: Option<Millis>,
) -> Option<Explanation> {
    let store = uncommitted_store(trace, key, trace.len(), from_ms)
        .filter(|&i| trace[i].end_ms == from_ms)?;
    let writer = &trace[store];
    let mut steps = vec![store];
    let mut sentence = format!(
        "{} cached its value at {} ms {}, so the cache was ahead of the database",
        writer.actor,
        writer.end_ms,
        awaiting(writer)
    );
    let Some(to) = to_ms else {
        sentence.push_str(" and still is");
        return Some(Explanation { steps, sentence });
    };
    let closer = trace[store + 1..]
        .iter()
        .enumerate()
        .map(|(i, e)| (store + 1 + i, e))
        .find(|(_, e)| {
            e.end_ms == to
                && (e.key.as_deref() == Some(key)
                    || (e.actor == Actor::Fault && e.op == OpName::CacheCrash))
        });
    match closer {
        Some((index, event)) => {
            steps.push(index);
            let what = match event.fact {
                Fact::Committed { version } => format!("{} committed v{version}", event.actor),
                Fact::Deleted => format!("{} deleted it", event.actor),
                Fact::Stored { .. } => format!("{} replaced it", event.actor),
                _ if event.actor == Actor::Fault => "the cache crashed".to_string(),
                _ => format!("{} {}", event.actor, event.op),
            };
            sentence.push_str(&format!(" until {what} at {to} ms"));
        }
        None => sentence.push_str(&format!(" until {to} ms")),
    }
    Some(Explanation { steps, sentence })
}

/// Explains a phantom read: the read returned a write's value from the
/// cache before the database had it, and a crash then lost that write, so
/// the value never existed in the database.
pub fn phantom_read(trace: &[TraceEvent], request: &RequestReport) -> Option<Explanation> {
    if request.phantom != Some(true) {
        return None;
    }
    let end = request.end_ms?;
    let answered = answering_entry(trace, &request.id, end)?;
    let store = uncommitted_store(trace, &request.key, answered, end)?;
    let crash = next_cache_crash(trace, answered)?;
    let (writer, crashed) = (&trace[store], &trace[crash]);
    Some(Explanation {
        steps: vec![store, answered, crash],
        sentence: format!(
            "{} cached its value at {} ms {}; {} read it from the cache at {end} ms; {} at {} ms \
             lost it, so {} read a value the database never had",
            writer.actor,
            writer.end_ms,
            awaiting(writer),
            request.id,
            crashed.op,
            crashed.end_ms,
            request.id
        ),
    })
}

/// Explains lost writes: the acknowledged write-behind writes still
/// unflushed when a crash hit. `step` is the crash, or a lost write's
/// answer (then the first crash after it is explained).
pub fn lost_writes(trace: &[TraceEvent], step: usize) -> Option<Explanation> {
    let crash = next_cache_crash(trace, step)?;
    let crashed = &trace[crash];
    // The dirty sets since the key's last flush (or ever): acknowledged,
    // and only in the cache.
    let mut steps: Vec<usize> = Vec::new();
    for (i, event) in trace[..crash].iter().enumerate() {
        if event.op == OpName::Flush && matches!(event.fact, Fact::Committed { .. }) {
            steps.retain(|&s| trace[s].key != event.key);
        } else if event.actor == Actor::Fault && event.op == OpName::CacheCrash {
            steps.clear();
        } else if event.op == OpName::CacheSetDirty {
            steps.push(i);
        }
    }
    if steps.is_empty() {
        return None;
    }
    let writes: Vec<String> = steps.iter().map(|&s| describe(&trace[s])).collect();
    steps.push(crash);
    let them = if writes.len() == 1 {
        "it is"
    } else {
        "all are"
    };
    Some(Explanation {
        steps,
        sentence: format!(
            "{} acknowledged once the cache held the value (dirty, not yet flushed); {} at {} ms \
             came before the flush, so {them} lost",
            writes.join(" and "),
            crashed.op,
            crashed.end_ms
        ),
    })
}

/// `W1 at 1 ms`.
fn describe(event: &TraceEvent) -> String {
    format!("{} at {} ms", event.actor, event.end_ms)
}

/// One operation, explained: who did what, when, and what it returned:
/// `W (app 0) db.write user:123: issued at 5 ms, took effect at 25 ms:
/// committed @2`.
pub fn operation(event: &TraceEvent) -> String {
    let (who, what) = (event.who(), event.what());
    let sentence = if event.start_ms == event.end_ms {
        format!("{who} {what} at {} ms: {}", event.end_ms, event.result)
    } else {
        format!(
            "{who} {what}: issued at {} ms, took effect at {} ms: {}",
            event.start_ms, event.end_ms, event.result
        )
    };
    match event.fact {
        Fact::DeletedAnothersLock => {
            sentence
                + ". Its own lock had expired while it worked, and the plain delete removed the next \
               holder's lock, so a third reader can take it; compare-and-delete would have left it"
        }
        _ => sentence,
    }
}
