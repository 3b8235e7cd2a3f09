//! Random WAMP ids: session, registration, subscription and publication ids, drawn from the
//! core's seeded generator so that tests are deterministic.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wamp_core::id::{Id, MAX_ID};

/// The core's source of random ids, uniform in `1..=2^53` (the spec's range for ids chosen by
/// the router).
#[derive(Debug)]
pub(crate) struct IdSource {
    rng: StdRng,
}

impl IdSource {
    /// A source seeded with `seed`: the same seed gives the same ids.
    pub(crate) fn new(seed: u64) -> Self {
        IdSource {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// A random id in `1..=2^53`.
    pub(crate) fn random(&mut self) -> Id {
        self.rng.random_range(1..=MAX_ID)
    }

    /// A random id for which `taken` is false (a collision among 2^53 values is rare, so this
    /// almost never draws twice).
    pub(crate) fn unique(&mut self, taken: impl Fn(Id) -> bool) -> Id {
        loop {
            let id = self.random();
            if !taken(id) {
                return id;
            }
        }
    }

    /// A random index below `n` (`n > 0`), for the `random` invocation policy.
    pub(crate) fn index(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// `n` random bytes for authentication challenges and nonces.
    pub(crate) fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        self.rng.fill(&mut b);
        b
    }
}

/// Per-session sequential ids (INVOCATION request ids towards one callee): 1, 2, 3, ... wrapping
/// after 2^53. Ids are in the callee's scope, so they need only be unique among that callee's
/// invocations in flight, which a counter that wraps after 2^53 guarantees.
pub(crate) type SequentialIds = wamp_core::IdGenerator;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_within_the_range_the_spec_allows() {
        let mut ids = IdSource::new(7);
        for _ in 0..10_000 {
            let id = ids.random();
            assert!((1..=MAX_ID).contains(&id));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_ids() {
        let mut a = IdSource::new(42);
        let mut b = IdSource::new(42);
        for _ in 0..100 {
            assert_eq!(a.random(), b.random());
        }
    }

    #[test]
    fn a_unique_id_skips_taken_ones() {
        let mut probe = IdSource::new(3);
        let first = probe.random();
        let mut ids = IdSource::new(3);
        let id = ids.unique(|id| id == first);
        assert_ne!(id, first);
    }
}
