//! The sampler (`explore --sample`): its estimates held to the exact
//! probabilities the explorer computes on every lesson small enough to
//! count, its examples replayed through `run`, an answer for the
//! stampedes the explorer cannot count, and runs on seeds where orders
//! cannot be varied.

use cachescope::lessons::{self, LESSONS};
use cachescope::sim::explore::{self, Anomaly, ExploreError, Limits};
use cachescope::sim::sample::{self, Share, Z_95};
use cachescope::sim::{Report, Simulation};

const SAMPLES: usize = 2_000;

/// The two-sided 99.9% normal quantile.
const Z_999: f64 = 3.290_526_731_491_926;

/// Every explorable lesson: for each anomaly, the sampled share's 95%
/// interval misses the exact probability about 5% of the time (so no more
/// misses than a Binomial(pairs, 5%) gives 99 times in 100), and its 99.9%
/// interval covers it every time; an anomaly that cannot happen is never
/// seen, and one that always happens always is. (The exact probability is
/// the random scheduler's, not the share of orders: on the outbox lesson
/// 47% against 6%, so a sampler of the wrong distribution fails here.)
#[test]
fn sampled_shares_hold_the_exact_probabilities_within_their_intervals() {
    let mut pairs = 0;
    let mut outside_95 = Vec::new();
    let mut checked_between = 0;
    for lesson in lessons::explorable() {
        let scenario = lesson.scenario();
        let exploration = explore::explore(&scenario, Limits::default(), &mut |_| {})
            .unwrap_or_else(|e| panic!("{} explores: {e}", lesson.name));
        let (summary, _) = sample::sample(&scenario, SAMPLES, 7, &mut |_| {})
            .unwrap_or_else(|e| panic!("{} samples: {e}", lesson.name));
        assert_eq!(summary.samples, SAMPLES);
        for anomaly in Anomaly::ALL {
            let exact = exploration.random_order_probability(anomaly);
            let share = summary.share(anomaly);
            pairs += 1;
            if exact == 0.0 {
                assert_eq!(
                    share.count,
                    0,
                    "{} {}: impossible, yet seen",
                    lesson.name,
                    anomaly.name()
                );
                continue;
            }
            if exact == 1.0 {
                assert_eq!(share.count, SAMPLES, "{} {}", lesson.name, anomaly.name());
                continue;
            }
            checked_between += 1;
            if !share.covers(exact) {
                outside_95.push(format!(
                    "{} {}: exact {exact:.4}, {share:?}",
                    lesson.name,
                    anomaly.name()
                ));
            }
            let wide = Share::of(share.count, SAMPLES, Z_999);
            assert!(
                wide.covers(exact),
                "{} {}: exact {exact:.4} outside the 99.9% interval {wide:?}",
                lesson.name,
                anomaly.name()
            );
        }
    }
    assert!(
        checked_between >= 10,
        "only {checked_between} shares strictly between 0 and 1"
    );
    let bound = binomial_quantile(checked_between, 0.05, 0.99);
    assert!(
        outside_95.len() <= bound,
        "{} of {checked_between} outside their 95% interval (at most {bound} expected \
         99 times in 100): {outside_95:#?}",
        outside_95.len()
    );
    assert_eq!(pairs, lessons::explorable().count() * 3);
}

/// Knuth's estimate of the number of orders is unbiased: on lessons with
/// a few hundred orders, a thousand samples land within a quarter of the
/// exact count.
#[test]
fn the_estimated_number_of_orders_is_near_the_exact_count() {
    for name in [
        "read-write-race",
        "update-on-write-race",
        "delete-first",
        "invalidate-on-write",
    ] {
        let scenario = lesson_scenario(name);
        let exact = explore::explore(&scenario, Limits::default(), &mut |_| {})
            .expect("explorable")
            .schedules() as f64;
        let (summary, _) = sample::sample(&scenario, SAMPLES, 7, &mut |_| {}).expect("samples");
        let ratio = summary.orders_estimate.unwrap() / exact;
        assert!(
            (0.75..1.33).contains(&ratio),
            "{name}: estimated {} of {exact}",
            summary.orders_estimate.unwrap()
        );
    }
}

/// The sampled example of an anomaly, pasted into the scenario, shows it
/// through `run`; the same seed draws the same orders.
#[test]
fn examples_replay_and_a_seed_decides_the_orders() {
    let scenario = lesson_scenario("update-on-write-race");
    let (summary, sampler) = sample::sample(&scenario, 300, 3, &mut |_| {}).expect("samples");
    assert!(
        summary.stale.count > 0 && summary.divergent_at_end.count > 0,
        "{summary:?}"
    );
    for (name, example) in &summary.examples {
        let mut sim =
            Simulation::new(&sampler.scenario_with(example.schedule.clone())).expect("valid");
        sim.run();
        let report = Report::of(&sim, false);
        match name.as_str() {
            "stale" => assert!(report.stale_reads > 0),
            "divergent_at_end" => assert!(report.divergence.iter().any(|w| w.to_ms.is_none())),
            "lost_writes" => assert!(report.lost_writes > 0),
            other => panic!("unexpected example {other}"),
        }
    }
    let again = sample::sample(&scenario, 300, 3, &mut |_| {})
        .expect("samples")
        .0;
    assert_eq!(again, summary);
    let other = sample::sample(&scenario, 300, 4, &mut |_| {})
        .expect("samples")
        .0;
    assert_ne!(other.stale.count, 0);
}

/// The six stampede lessons have more orders than can be counted; sampled,
/// each gets an answer: no anomaly (they only read), and the stampede's
/// size in DB reads per order, 1 with a lock or a lease whatever the order.
#[test]
fn the_stampedes_are_answered_by_sampling() {
    for lesson in LESSONS.iter().filter(|l| l.name.starts_with("stampede")) {
        let scenario = lesson.scenario();
        let refused = explore::explore(&scenario, Limits::default(), &mut |_| {}).unwrap_err();
        assert!(refused.sampling_helps(), "{}: {refused}", lesson.name);
        assert!(matches!(
            refused,
            ExploreError::TooManyRequests { requests: 16, .. }
        ));
        let (summary, _) = sample::sample(&scenario, 500, 1, &mut |_| {}).expect("samples");
        assert!(
            summary.orders_estimate.unwrap() > 1e12,
            "{}: {}",
            lesson.name,
            summary.orders_estimate.unwrap()
        );
        for anomaly in Anomaly::ALL {
            let share = summary.share(anomaly);
            assert_eq!(share.count, 0, "{} {}", lesson.name, anomaly.name());
            assert!(share.high > 0.0 && share.high < Share::of(0, 500, Z_95).high + 1e-12);
        }
        let reads = summary.db_reads;
        match lesson.name {
            "stampede-lock" | "stampede-lease" | "stampede-swr" => {
                assert_eq!((reads.min, reads.max), (1, 1), "{}", lesson.name)
            }
            "stampede" => assert_eq!(reads.max, 16, "every reader may miss before any fill"),
            _ => assert!(reads.max > 1, "{}: {reads:?}", lesson.name),
        }
    }
}

fn lesson_scenario(name: &str) -> cachescope::sim::Scenario {
    LESSONS
        .iter()
        .find(|lesson| lesson.name == name)
        .unwrap_or_else(|| panic!("no lesson {name}"))
        .scenario()
}

/// The smallest m with P(X <= m) >= q for X ~ Binomial(n, p).
fn binomial_quantile(n: usize, p: f64, q: f64) -> usize {
    let mut term = (1.0 - p).powi(n as i32);
    let mut cumulative = term;
    let mut m = 0;
    while cumulative < q {
        term *= (n - m) as f64 / (m + 1) as f64 * p / (1.0 - p);
        m += 1;
        cumulative += term;
    }
    m
}

#[test]
fn binomial_quantiles_match_worked_values() {
    // Binomial(30, 0.05): P(X <= 4) = 0.984, P(X <= 5) = 0.997.
    assert_eq!(binomial_quantile(30, 0.05, 0.99), 5);
    assert_eq!(binomial_quantile(30, 0.05, 0.95), 4);
}

/// Where orders cannot be varied (a generated workload; a pause spanning
/// time), the scenario runs as timed on consecutive seeds: each share is
/// the count of seeds whose own run (as `run` runs it) shows the anomaly;
/// the example is the first such seed; the same call gives the same
/// answer; and a scenario that draws nothing says every seed gave the same
/// run, while one with jitter does not.
#[test]
fn where_orders_cannot_vary_the_seeds_are_sampled() {
    use cachescope::sim::sample::{SEEDS_METHOD, only_seeds_vary};
    let workload = lessons::lesson("lease-hot-key").unwrap().scenario();
    assert!(only_seeds_vary(&workload));
    assert!(explore::explore(&workload, Limits::default(), &mut |_| {}).is_err());
    let (summary, sampler) = sample::sample(&workload, 40, 5, &mut |_| {}).expect("samples");
    assert_eq!(summary.method, SEEDS_METHOD);
    assert_eq!((summary.samples, summary.seed), (40, 5));
    assert_eq!(summary.orders_estimate, None);
    assert_eq!(summary.identical_runs, Some(false));
    let reports: Vec<Report> = (5..45)
        .map(|seed| {
            let mut sim = Simulation::new(&cachescope::sim::Scenario {
                seed,
                ..workload.clone()
            })
            .unwrap();
            sim.run();
            Report::of(&sim, false)
        })
        .collect();
    let stale: Vec<u64> = (5..45)
        .zip(&reports)
        .filter(|(_, r)| r.stale_reads > 0)
        .map(|(seed, _)| seed)
        .collect();
    assert_eq!(summary.stale.count, stale.len());
    assert!(
        !stale.is_empty() && stale.len() < 40,
        "leases under writes: stale on some seeds only"
    );
    assert_eq!(summary.lost_writes.count, 0);
    let reads: Vec<u64> = reports.iter().map(|r| r.db.reads).collect();
    assert_eq!(summary.db_reads.min, *reads.iter().min().unwrap());
    assert_eq!(summary.db_reads.max, *reads.iter().max().unwrap());
    assert_eq!(summary.example_seeds.get("stale"), stale.first());
    let example = sampler
        .example(&summary, Anomaly::Stale)
        .expect("an example");
    assert_eq!(example.seed, stale[0]);
    assert_eq!(
        sample::sample(&workload, 40, 5, &mut |_| {}).unwrap().0,
        summary
    );

    // The figures docs/COMMAND-LINE.md quotes: 200 seeds from 1.
    let (readme, _) = sample::sample(&workload, 200, 1, &mut |_| {}).expect("samples");
    assert_eq!(readme.stale.count, 139);
    assert_eq!((readme.db_reads.min, readme.db_reads.max), (132, 722));
    assert!((readme.stale.low - 0.63).abs() < 0.005 && (readme.stale.high - 0.75).abs() < 0.005);

    let paused = lessons::lesson("lock-expiry").unwrap().scenario();
    assert!(only_seeds_vary(&paused));
    let (summary, _) = sample::sample(&paused, 20, 1, &mut |_| {}).expect("samples");
    assert_eq!(summary.identical_runs, Some(true), "no jitter: one run");
    let mut jittered = paused.clone();
    jittered.latency_ms.jitter_ms = 30;
    let (summary, _) = sample::sample(&jittered, 20, 1, &mut |_| {}).expect("samples");
    assert_eq!(summary.identical_runs, Some(false));
}
