//! WAMP IDs: integers in `1..=2^53`, and hash tables keyed by them.
//!
//! Two kinds of table, by who chooses the ids:
//!
//! - ids this side chooses (our own sequential request ids): [`IdMap`] and [`IdSet`], with
//!   the fast unkeyed [`IdHasher`];
//! - ids the peer chooses (the router's registration, subscription and INVOCATION request
//!   ids): [`PeerIdMap`] and [`PeerIdSet`], with a hash keyed at random per table
//!   ([`PeerIdState`]), so that a hostile router cannot pick ids that all collide (with the
//!   unkeyed hash, 60,000 such ids make each operation walk all the others).

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// A WAMP ID (session, request, subscription, registration, publication).
pub type Id = u64;

/// The largest valid ID, 2^53.
pub const MAX_ID: Id = 1 << 53;

/// Whether `id` is in the valid range `1..=2^53`.
pub fn is_valid_id(id: u64) -> bool {
    (1..=MAX_ID).contains(&id)
}

/// Generates per-session request IDs: 1, 2, 3, ... wrapping back to 1 after 2^53.
///
/// ```
/// let mut ids = wamp_core::IdGenerator::default();
/// assert_eq!(ids.next_id(), 1);
/// assert_eq!(ids.next_id(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct IdGenerator {
    last: Id,
}

impl IdGenerator {
    /// The next ID.
    pub fn next_id(&mut self) -> Id {
        self.last = if self.last >= MAX_ID {
            1
        } else {
            self.last + 1
        };
        self.last
    }

    /// A generator whose next ID is `last + 1` (for tests of the wrap-around).
    pub fn starting_after(last: Id) -> Self {
        IdGenerator { last }
    }
}

/// A fast, unkeyed hasher for [`Id`] keys that this side chooses: one multiply instead of
/// SipHash.
///
/// Use it (through [`IdMap`] and [`IdSet`]) only for ids the peer cannot choose, such as our own
/// sequential request ids. Anyone can compute it, so a peer choosing the keys can pick ids that
/// all land in the same buckets and make every operation on the table walk all of them; tables
/// keyed by ids the router chooses (registrations, subscriptions, INVOCATION requests) take
/// [`PeerIdMap`] and [`PeerIdSet`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` keyed by [`Id`]s this side chooses (our own request ids), with the fast,
/// unkeyed [`IdHasher`]. For ids the peer chooses, use [`PeerIdMap`].
pub type IdMap<V> = HashMap<Id, V, BuildHasherDefault<IdHasher>>;

/// A `HashSet` of [`Id`]s this side chooses, with [`IdHasher`]. For ids the peer chooses, use
/// [`PeerIdSet`].
pub type IdSet = HashSet<Id, BuildHasherDefault<IdHasher>>;

/// A `HashMap` keyed by [`Id`]s the peer chooses (registration, subscription and INVOCATION
/// request ids come from the router), with a hash keyed at random per table
/// ([`PeerIdState`]): no peer can pick ids that collide, and it stays as fast as [`IdMap`].
///
/// ```
/// use wamp_core::id::PeerIdMap;
///
/// let mut registrations = PeerIdMap::default();
/// registrations.insert(4_503_599_627_370_496, "com.example.add2");
/// assert_eq!(registrations.get(&4_503_599_627_370_496), Some(&"com.example.add2"));
/// ```
pub type PeerIdMap<V> = HashMap<Id, V, PeerIdState>;

/// A `HashSet` of [`Id`]s the peer chooses, hashed as [`PeerIdMap`] is.
///
/// ```
/// use wamp_core::id::PeerIdSet;
///
/// let mut invocations = PeerIdSet::default();
/// assert!(invocations.insert(7));
/// assert!(invocations.contains(&7));
/// ```
pub type PeerIdSet = HashSet<Id, PeerIdState>;

/// The hasher factory of [`PeerIdMap`] and [`PeerIdSet`]: two random 64-bit keys, drawn anew
/// for each table.
///
/// The keys come from std's `RandomState` (seeded from the operating system once per thread),
/// so no dependency is needed. Each table gets its own keys rather than one pair per process:
/// it costs a few dozen nanoseconds per table, keys learnt by timing one table tell nothing
/// about another, and two tables never share an iteration order (copying a big table into
/// another that hashes the same way is slow for open-addressing tables such as std's).
/// A clone keeps its keys, as it must. `Debug` does not show the keys.
#[derive(Clone)]
pub struct PeerIdState {
    /// The hasher's starting state.
    seed: u64,
    /// The multiplier; odd, so never zero.
    key: u64,
}

impl PeerIdState {
    /// Fresh random keys.
    ///
    /// ```
    /// use std::hash::BuildHasher;
    /// use wamp_core::id::{PeerIdMap, PeerIdState};
    ///
    /// let state = PeerIdState::new();
    /// assert_eq!(state.hash_one(42u64), state.clone().hash_one(42u64));
    /// let table: PeerIdMap<&str> = PeerIdMap::with_capacity_and_hasher(100, state);
    /// assert!(table.capacity() >= 100);
    /// ```
    pub fn new() -> Self {
        // Each `RandomState` has keys of its own (std varies them per instance), and SipHash
        // under them turns two constants into two unrelated random words.
        let random = RandomState::new();
        PeerIdState {
            seed: random.hash_one(0_u64),
            key: random.hash_one(1_u64) | 1,
        }
    }
}

impl Default for PeerIdState {
    /// Fresh random keys, as [`PeerIdState::new`].
    fn default() -> Self {
        PeerIdState::new()
    }
}

impl std::fmt::Debug for PeerIdState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerIdState").finish_non_exhaustive()
    }
}

impl BuildHasher for PeerIdState {
    type Hasher = PeerIdHasher;

    fn build_hasher(&self) -> PeerIdHasher {
        PeerIdHasher {
            state: self.seed,
            key: self.key,
        }
    }
}

/// The hasher of [`PeerIdMap`] and [`PeerIdSet`], made by [`PeerIdState`]: a folded multiply
/// with random keys.
///
/// Each 64-bit word `n` becomes `fold((state ^ n) * key)`, where the 128-bit product is folded
/// by XOR of its two halves: every bit of the result depends on every bit of `n` and of both
/// keys, so neither the low bits (the bucket) nor the top 7 bits (std's tag) can be predicted
/// without the keys. Meant for integer keys; byte strings are read 8 bytes at a time.
#[derive(Clone)]
pub struct PeerIdHasher {
    state: u64,
    key: u64,
}

impl std::fmt::Debug for PeerIdHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerIdHasher").finish_non_exhaustive()
    }
}

/// The 128-bit product of `a` and `b`, its halves XORed together.
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

impl Hasher for PeerIdHasher {
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.state = folded_multiply(self.state ^ n, self.key);
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.write_u64(n.into());
    }

    #[inline]
    fn write_u16(&mut self, n: u16) {
        self.write_u64(n.into());
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n.into());
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        // Zero padding must not make "ab" and "ab\0" equal.
        self.write_usize(bytes.len());
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_wrap_back_to_one_after_two_to_the_53() {
        let mut ids = IdGenerator::starting_after(MAX_ID - 1);
        assert_eq!(ids.next_id(), MAX_ID);
        assert_eq!(ids.next_id(), 1);
    }

    #[test]
    fn zero_and_values_above_two_to_the_53_are_not_ids() {
        assert!(!is_valid_id(0));
        assert!(is_valid_id(1));
        assert!(is_valid_id(MAX_ID));
        assert!(!is_valid_id(MAX_ID + 1));
    }

    /// The old hash of `id`, as an `IdMap` computes it.
    fn old_hash(id: Id) -> u64 {
        BuildHasherDefault::<IdHasher>::default().hash_one(id)
    }

    /// `count` valid ids whose [`IdHasher`] hashes share their low 20 bits and their top 7
    /// bits (so std's tables put them in one bucket with one tag, up to 2^20 buckets).
    ///
    /// The old hash is a bijection (a multiply by an odd constant, then `h ^ (h >> 29)`), so
    /// hashes of that shape are chosen and inverted; about one preimage in 2^11 is a valid id.
    fn old_colliding_ids(count: usize) -> Vec<Id> {
        const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
        // The inverse of the multiplier modulo 2^64 (Newton's iteration doubles the correct
        // low bits each step, from 3).
        let mut inverse = MULTIPLIER;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(MULTIPLIER.wrapping_mul(inverse)));
        }
        assert_eq!(MULTIPLIER.wrapping_mul(inverse), 1);
        let (low, top) = (0x5_a5a5, 0x55u64 << 57);
        let mut ids = Vec::with_capacity(count);
        for middle in 0..1u64 << 37 {
            let hash = top | middle << 20 | low;
            // Undo the xorshift, then the multiply.
            let h = hash ^ (hash >> 29) ^ (hash >> 58);
            let id = h.wrapping_mul(inverse);
            if is_valid_id(id) {
                assert_eq!(old_hash(id), hash);
                ids.push(id);
                if ids.len() == count {
                    break;
                }
            }
        }
        ids
    }

    #[test]
    fn peer_tables_work_as_maps_and_sets() {
        let mut map = PeerIdMap::default();
        let mut set = PeerIdSet::default();
        for id in (1..=1000).map(|i| i * 7919) {
            assert_eq!(map.insert(id, id + 1), None);
            assert!(set.insert(id));
        }
        assert_eq!(map.insert(7919, 0), Some(7920));
        assert!(!set.insert(7919));
        assert_eq!(map.len(), 1000);
        assert_eq!(map.get(&(2 * 7919)), Some(&(2 * 7919 + 1)));
        assert_eq!(map.remove(&(2 * 7919)), Some(2 * 7919 + 1));
        assert!(set.remove(&(2 * 7919)));
        assert_eq!(map.get(&(2 * 7919)), None);
        assert!(!set.contains(&(2 * 7919)));
        let copy = map.clone();
        assert_eq!(copy, map);
    }

    #[test]
    fn each_peer_table_draws_its_own_keys_and_a_clone_keeps_them() {
        let (a, b) = (PeerIdState::new(), PeerIdState::default());
        let ids = [1, 2, 42, MAX_ID];
        let hashes = |s: &PeerIdState| ids.map(|id| s.hash_one(id));
        assert_ne!(hashes(&a), hashes(&b));
        assert_eq!(hashes(&a), hashes(&a.clone()));
        assert_eq!(format!("{a:?}"), "PeerIdState { .. }");
        assert_eq!(format!("{:?}", a.build_hasher()), "PeerIdHasher { .. }");
    }

    #[test]
    fn byte_strings_that_differ_only_by_trailing_zeros_hash_apart() {
        let state = PeerIdState::new();
        let hash = |bytes: &[u8]| {
            let mut h = state.build_hasher();
            h.write(bytes);
            h.finish()
        };
        assert_ne!(hash(b"ab"), hash(b"ab\0"));
        assert_ne!(hash(b""), hash(b"\0"));
    }

    #[test]
    fn ids_that_all_collide_under_the_old_hasher_spread_over_a_peer_tables_buckets() {
        let ids = old_colliding_ids(4096);
        assert_eq!(ids.len(), 4096);
        let buckets = |hash: &dyn Fn(Id) -> u64| {
            let mut seen: Vec<u64> = ids.iter().map(|&id| hash(id) & 0xffff).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len()
        };
        let tags = |hash: &dyn Fn(Id) -> u64| {
            let mut seen: Vec<u64> = ids.iter().map(|&id| hash(id) >> 57).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len()
        };
        assert_eq!(buckets(&old_hash), 1);
        assert_eq!(tags(&old_hash), 1);
        let state = PeerIdState::new();
        let new_hash = |id: Id| state.hash_one(id);
        // 4096 ids thrown at random into 2^16 buckets fill about 3970 of them.
        let spread = buckets(&new_hash);
        assert!(spread > 3800, "{spread} buckets of 4096 ids");
        assert_eq!(tags(&new_hash), 128);
    }
}
