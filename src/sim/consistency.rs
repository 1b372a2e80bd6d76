//! Consistency as operators of real caches measure it (docs/SCENARIO.md,
//! "Definitions the report uses"): the share of reads that were fresh,
//! written as whole nines, and how long after each commit the cache stopped
//! serving anything older than it.
//!
//! Pure arithmetic on what the run recorded (reads answered, commit
//! instants, stale divergence windows): whole numbers and one division, so
//! the figures are the same natively and in wasm.

use serde::{Deserialize, Serialize};

use super::vocabulary::Millis;
use super::workload::Histogram;

/// The report's `consistency` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyReport {
    /// Reads answered.
    pub reads: u64,
    /// Reads answered with neither a stale nor a phantom value.
    pub fresh_reads: u64,
    /// The most whole nines the fresh share reaches: the largest `k` with
    /// `not fresh × 10^k ≤ reads` (99.9% fresh is 3). With no read out of
    /// date it is as many as the number of reads can show (`⌊log10 reads⌋`),
    /// and `all_fresh` says so. `null` without reads.
    pub nines: Option<u32>,
    /// No read was stale or phantom (`nines` is then a lower bound).
    pub all_fresh: bool,
    /// Commits (writes that reached the database).
    pub writes: u64,
    /// Of those, how many the cache served (or stopped contradicting)
    /// before the run ended.
    pub visible_writes: u64,
    /// Commits after which the cache still served an older value when the
    /// run ended.
    pub never_visible: u64,
    /// Time from commit until visible: median, 99th percentile (nearest
    /// rank) and most, over the visible writes.
    pub visible_p50_ms: Option<Millis>,
    /// See `visible_p50_ms`.
    pub visible_p99_ms: Option<Millis>,
    /// See `visible_p50_ms`.
    pub visible_max_ms: Option<Millis>,
    /// The whole distribution (the page's chart of it).
    #[serde(skip)]
    pub visible_after: Histogram,
}

impl ConsistencyReport {
    /// The share of reads that were fresh, if there were reads.
    pub fn fresh_share(&self) -> Option<f64> {
        (self.reads > 0).then(|| self.fresh_reads as f64 / self.reads as f64)
    }

    /// "3 nines: 99.9% of 1000 reads fresh" for the page: with no read out
    /// of date, "all 12 reads fresh: at least 1 nine".
    pub fn nines_text(&self) -> String {
        let (Some(nines), Some(share)) = (self.nines, self.fresh_share()) else {
            return "no reads".to_string();
        };
        let unit = if nines == 1 { "nine" } else { "nines" };
        if self.all_fresh {
            format!("all {} reads fresh: at least {nines} {unit}", self.reads)
        } else {
            format!(
                "{nines} {unit}: {} of {} reads fresh",
                percent(share),
                self.reads
            )
        }
    }

    /// "p50 4 ms, p99 30 ms, max 30 ms; 1 never" for the page.
    pub fn visible_text(&self) -> String {
        let mut text = match (
            self.visible_p50_ms,
            self.visible_p99_ms,
            self.visible_max_ms,
        ) {
            (Some(p50), Some(p99), Some(max)) => {
                format!("p50 {p50} ms, p99 {p99} ms, max {max} ms")
            }
            _ if self.writes == 0 => return "no writes".to_string(),
            _ => "none visible".to_string(),
        };
        if self.never_visible > 0 {
            text.push_str(&format!("; {} never", self.never_visible));
        }
        text
    }
}

/// A share as a percentage with as many decimals as it needs to not read
/// as 100% when it is not (99.95% stays 99.95%, 12 of 12 is 100%).
fn percent(share: f64) -> String {
    if share >= 1.0 {
        return "100%".to_string();
    }
    let mut decimals = 0;
    while decimals < 6 && format!("{:.*}", decimals, share * 100.0) == "100" {
        decimals += 1;
    }
    format!("{:.*}%", decimals, share * 100.0)
}

/// The most whole nines `not_fresh` out of `reads` reaches.
fn nines(reads: u64, not_fresh: u64) -> u32 {
    let mut k = 0;
    let mut power: u128 = 10;
    while u128::from(not_fresh.max(1)) * power <= u128::from(reads) {
        k += 1;
        power *= 10;
    }
    k
}

/// One key's history: when each of its commits took effect, and the stale
/// windows the cache had for it (from, to; `None` while still open at the
/// run's end), in the order they opened.
pub struct KeyHistory<'a> {
    /// Commit instants, in order.
    pub commits: &'a [Millis],
    /// Stale windows, by opening.
    pub stale: Vec<(Millis, Option<Millis>)>,
}

/// When each commit became visible: the first instant from which, until the
/// key's next commit, the cache served nothing older than it. A commit
/// still contradicted when the next one lands becomes visible with that
/// one (the cache then serves something at least as new); `None` when the
/// cache still served an older value at the end of the run.
///
/// A key's windows never overlap and open in order, so their ends are in
/// order too: one pass over commits and windows together.
fn visible_at(history: &KeyHistory) -> Vec<Option<Millis>> {
    let (commits, stale) = (history.commits, &history.stale);
    // For each commit, the end of the last stale window overlapping
    // [commit, next commit): `None` if none does, `Some(None)` if it is
    // still open at the end.
    let mut last_overlap: Vec<Option<Option<Millis>>> = Vec::with_capacity(commits.len());
    let mut first = 0;
    for (i, &at) in commits.iter().enumerate() {
        let next = commits.get(i + 1).copied();
        while stale
            .get(first)
            .is_some_and(|&(_, to)| to.is_some_and(|to| to <= at))
        {
            first += 1;
        }
        let mut last = None;
        let mut k = first;
        while let Some(&(from, to)) = stale.get(k)
            && next.is_none_or(|next| from < next)
        {
            last = Some((k, to));
            k += 1;
        }
        // Windows before the last one end before it opens, before `next`.
        if let Some((k, _)) = last {
            first = k;
        }
        last_overlap.push(last.map(|(_, to)| to));
    }
    let mut visible = vec![None; commits.len()];
    let mut later: Option<Millis> = None;
    for i in (0..commits.len()).rev() {
        let next = commits.get(i + 1).copied();
        visible[i] = match last_overlap[i] {
            None => Some(commits[i]),
            Some(Some(end)) if next.is_none_or(|next| end < next) => Some(end),
            // Still stale when the next commit lands, or at the end.
            Some(_) => later,
        };
        later = visible[i];
    }
    visible
}

/// The consistency figures of a run.
pub fn consistency<'a>(
    reads: u64,
    not_fresh: u64,
    keys: impl IntoIterator<Item = KeyHistory<'a>>,
) -> ConsistencyReport {
    let mut visible_after = Histogram::default();
    let (mut writes, mut never) = (0, 0);
    for history in keys {
        for (commit, visible) in history.commits.iter().zip(visible_at(&history)) {
            writes += 1;
            match visible {
                Some(at) => visible_after.record(at - commit),
                None => never += 1,
            }
        }
    }
    let fresh_reads = reads - not_fresh.min(reads);
    ConsistencyReport {
        reads,
        fresh_reads,
        nines: (reads > 0).then(|| nines(reads, reads - fresh_reads)),
        all_fresh: fresh_reads == reads,
        writes,
        visible_writes: writes - never,
        never_visible: never,
        visible_p50_ms: visible_after.percentile(50),
        visible_p99_ms: visible_after.percentile(99),
        visible_max_ms: visible_after.max(),
        visible_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(commits: &[Millis], stale: &[(Millis, Option<Millis>)]) -> Vec<Option<Millis>> {
        visible_at(&KeyHistory {
            commits,
            stale: stale.to_vec(),
        })
    }

    #[test]
    fn nines_count_whole_nines() {
        assert_eq!(nines(1000, 1), 3);
        assert_eq!(nines(999, 1), 2);
        assert_eq!(nines(12, 1), 1);
        assert_eq!(nines(12, 2), 0);
        assert_eq!(nines(12, 0), 1);
        assert_eq!(nines(1, 0), 0);
        assert_eq!(nines(u64::MAX, 1), 19);
    }

    #[test]
    fn a_commit_is_visible_when_its_stale_window_closes() {
        // Invalidate-on-write: stale from the commit at 10 to the delete at 12.
        assert_eq!(times(&[10], &[(10, Some(12))]), [Some(12)]);
        // Write-through: never stale.
        assert_eq!(times(&[10], &[]), [Some(10)]);
        // A slow reader sets the old value again at 40 until it expires at 90:
        // visible only from 90.
        assert_eq!(times(&[10], &[(10, Some(12)), (40, Some(90))]), [Some(90)]);
        // Still stale at the end.
        assert_eq!(times(&[10], &[(10, None)]), [None]);
    }

    #[test]
    fn a_commit_contradicted_until_the_next_one_is_visible_with_it() {
        // Stale from 10 right through the commit at 20, which is visible at 25.
        assert_eq!(times(&[10, 20], &[(10, Some(25))]), [Some(25), Some(25)]);
        // A window opening after the next commit belongs to that one.
        assert_eq!(
            times(&[10, 20], &[(10, Some(12)), (20, None)]),
            [Some(12), None]
        );
        // Windows split at the next commit count the same as one.
        assert_eq!(
            times(&[10, 20], &[(10, Some(20)), (20, Some(30))]),
            [Some(30), Some(30)]
        );
    }

    #[test]
    fn figures_over_writes_and_reads() {
        let commits = [10, 20];
        let report = consistency(
            1000,
            1,
            [KeyHistory {
                commits: &commits,
                stale: vec![(10, Some(14)), (20, None)],
            }],
        );
        assert_eq!(report.nines, Some(3));
        assert!(!report.all_fresh);
        assert_eq!(
            (report.writes, report.visible_writes, report.never_visible),
            (2, 1, 1)
        );
        assert_eq!(report.visible_p50_ms, Some(4));
        assert_eq!(report.visible_max_ms, Some(4));
        assert_eq!(report.nines_text(), "3 nines: 99.9% of 1000 reads fresh");
        assert_eq!(
            report.visible_text(),
            "p50 4 ms, p99 4 ms, max 4 ms; 1 never"
        );
        let none = consistency(0, 0, []);
        assert_eq!(none.nines, None);
        assert_eq!(none.nines_text(), "no reads");
        assert_eq!(none.visible_text(), "no writes");
    }
}
