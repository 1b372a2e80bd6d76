//! The simulation's randomness: one seeded stream per purpose.
//!
//! ChaCha8 is specified independently of any crate version, so a seed gives
//! the same stream on every platform and forever. The distributions are
//! written here (rather than taken from `rand`) for the same reason: their
//! exact arithmetic is part of the reproducibility contract.
//!
//! Each purpose (the workload, latency jitter, the bus, early recomputes,
//! TTL jitter) draws from a stream of its own, derived from the seed and the
//! purpose alone: ChaCha's stream number is the purpose. A setting that makes one
//! purpose draw more or fewer numbers (a jitter, a loss rate, a beta, a
//! strategy that performs more operations) therefore never moves another
//! purpose's draws, so two scenarios that differ only in such settings send
//! exactly the same requests: a comparison on one seed is paired.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// The simulation's seeded random number generator.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// The stream for `purpose`, determined by `seed` and `purpose` alone.
    pub fn for_purpose(seed: u64, purpose: Purpose) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(purpose as u64);
        SimRng(rng)
    }

    /// How far into its stream the generator is (with the seed, its whole
    /// state).
    pub fn position(&self) -> u128 {
        self.0.get_word_pos()
    }

    /// A uniformly distributed integer in `0..=max`, without modulo bias.
    pub fn up_to(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        if max == u64::MAX {
            return self.0.next_u64();
        }
        let span = max + 1;
        // Lemire's multiply-and-reject: the high word of x * span is uniform
        // in 0..span once the few biased low words are rejected.
        let threshold = span.wrapping_neg() % span;
        loop {
            let wide = u128::from(self.0.next_u64()) * u128::from(span);
            if (wide as u64) >= threshold {
                return (wide >> 64) as u64;
            }
        }
    }

    /// A uniformly distributed float in `(0, 1]` (never zero, so `ln` of it
    /// is finite).
    pub fn unit_open_closed(&mut self) -> f64 {
        self.unit_draw().value()
    }

    /// The same draw as [`SimRng::unit_open_closed`], kept exact: it is a
    /// coroutine's input, which must compare and hash.
    pub fn unit_draw(&mut self) -> UnitDraw {
        UnitDraw((self.0.next_u64() >> 11) + 1) // 53 random bits, plus one
    }
}

/// A draw uniform in `(0, 1]`, as the whole number of 2^-53 steps it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnitDraw(u64);

impl UnitDraw {
    /// The draw as a float in `(0, 1]`.
    pub fn value(self) -> f64 {
        self.0 as f64 / (1u64 << 53) as f64
    }
}

/// What a stream of random numbers is for (its ChaCha stream number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Arrival times, keys and kinds of a generated workload's requests.
    Workload = 1,
    /// The jitter added to every operation's latency.
    Latency = 2,
    /// The bus: loss, duplication and delivery jitter.
    Bus = 3,
    /// The draws of the early recomputes (XFetch's, the jittered one's):
    /// the app's own randomness, asked for by the strategy code.
    EarlyRecompute = 4,
    /// The jitter added to every cache set's TTL.
    TtlJitter = 5,
}

/// A simulation's random streams, one per [`Purpose`].
#[derive(Clone, Debug)]
pub struct RandomStreams {
    /// See [`Purpose::Workload`].
    pub workload: SimRng,
    /// See [`Purpose::Latency`].
    pub latency: SimRng,
    /// See [`Purpose::Bus`].
    pub bus: SimRng,
    /// See [`Purpose::EarlyRecompute`].
    pub early_recompute: SimRng,
    /// See [`Purpose::TtlJitter`].
    pub ttl_jitter: SimRng,
}

impl RandomStreams {
    /// Every stream of the simulation seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        RandomStreams {
            workload: SimRng::for_purpose(seed, Purpose::Workload),
            latency: SimRng::for_purpose(seed, Purpose::Latency),
            bus: SimRng::for_purpose(seed, Purpose::Bus),
            early_recompute: SimRng::for_purpose(seed, Purpose::EarlyRecompute),
            ttl_jitter: SimRng::for_purpose(seed, Purpose::TtlJitter),
        }
    }

    /// How far into its stream each generator is (with the seed, the
    /// streams' whole state).
    pub fn positions(&self) -> [u128; 5] {
        [
            self.workload.position(),
            self.latency.position(),
            self.bus.position(),
            self.early_recompute.position(),
            self.ttl_jitter.position(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_stream() {
        let mut a = SimRng::new(7);
        let mut b = SimRng::new(7);
        let xs: Vec<u64> = (0..32).map(|_| a.up_to(1000)).collect();
        let ys: Vec<u64> = (0..32).map(|_| b.up_to(1000)).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn each_purpose_has_its_own_stream() {
        let mut streams = RandomStreams::new(7);
        let draw = |rng: &mut SimRng| (0..8).map(|_| rng.up_to(1 << 40)).collect::<Vec<_>>();
        let workload = draw(&mut streams.workload);
        assert_ne!(workload, draw(&mut streams.latency));
        assert_ne!(workload, draw(&mut streams.bus));
        // Drawing from other streams leaves the workload's untouched.
        let mut fresh = RandomStreams::new(7);
        for _ in 0..100 {
            fresh.latency.up_to(10);
            fresh.early_recompute.unit_open_closed();
        }
        assert_eq!(workload, draw(&mut fresh.workload));
    }

    #[test]
    fn up_to_stays_in_range_and_covers_it() {
        let mut rng = SimRng::new(1);
        let mut seen = [false; 4];
        for _ in 0..200 {
            let x = rng.up_to(3);
            assert!(x <= 3);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|s| *s), "all of 0..=3 drawn: {seen:?}");
        assert_eq!(rng.up_to(0), 0);
    }

    #[test]
    fn unit_open_closed_never_returns_zero() {
        let mut rng = SimRng::new(3);
        for _ in 0..10_000 {
            let u = rng.unit_open_closed();
            assert!(u > 0.0 && u <= 1.0);
        }
    }
}
