//! Seeded randomness. One seed drives a run; every subsystem derives its own stream from it, so
//! that adding draws in one subsystem never shifts another's. Nothing here reads the OS.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// SplitMix64 finaliser: a cheap, well-mixed pure function of its input.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives the seed of a named sub-stream of `seed`.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    mix64(seed ^ mix64(stream.wrapping_mul(0xA24B_AED4_963E_E407)))
}

/// Well-known sub-stream numbers.
pub mod stream {
    /// Network latency, drops, duplication.
    pub const NETWORK: u64 = 1;
    /// Per-node tick phase offsets.
    pub const PHASE: u64 = 2;
    /// Election timeouts.
    pub const ELECTION: u64 = 3;
    /// Random nemesis schedule.
    pub const NEMESIS: u64 = 4;
    /// Client workload.
    pub const WORKLOAD: u64 = 5;
}

/// A seeded random stream (ChaCha8), identical on every platform.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A named sub-stream of `seed`.
    pub fn sub(seed: u64, stream: u64) -> Self {
        Self::new(derive_seed(seed, stream))
    }

    /// Next raw 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[lo, hi]` (inclusive); `lo` if `hi <= lo`.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo + 1;
        lo + self.next_u64() % span
    }

    /// Uniform in `[0, n)`; 0 if `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        // 53 random bits as a fraction in [0, 1): exact and platform-independent.
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }
}

/// The randomized election timeout of `node` in `term`, in ticks, in `[min, max)`.
///
/// raft-rs draws this from `thread_rng` inside `Raft::reset`; the simulator overwrites it after
/// every call into a node with this pure function of (seed, node, term), so the OS never decides
/// who wins an election (docs/architecture.md, "Determinism").
pub fn election_timeout(seed: u64, node: u64, term: u64, min: usize, max: usize) -> usize {
    if max <= min + 1 {
        return min;
    }
    let h = mix64(derive_seed(seed, stream::ELECTION) ^ mix64(node) ^ mix64(term << 8));
    min + (h % (max - min) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| SimRng::sub(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(SimRng::sub(7, 1).next_u64(), SimRng::sub(7, 2).next_u64());
        assert_ne!(SimRng::sub(7, 1).next_u64(), SimRng::sub(8, 1).next_u64());
    }

    #[test]
    fn election_timeout_stays_in_range_and_varies() {
        let mut seen = std::collections::BTreeSet::new();
        for node in 1..=5 {
            for term in 0..20 {
                let t = election_timeout(42, node, term, 10, 20);
                assert!((10..20).contains(&t));
                seen.insert(t);
            }
        }
        assert!(seen.len() > 5, "timeouts should spread: {seen:?}");
    }

    #[test]
    fn range_and_chance_bounds() {
        let mut r = SimRng::new(1);
        for _ in 0..1000 {
            let v = r.range_inclusive(3, 5);
            assert!((3..=5).contains(&v));
        }
        assert!(!r.chance(0.0));
        assert!(r.chance(1.0));
        let hits = (0..10_000).filter(|_| r.chance(0.25)).count();
        assert!((2000..3000).contains(&hits), "{hits}");
    }
}
