//! Router-chosen ids that collide in an unkeyed hash table: [`colliding_ids`].

use std::hash::{BuildHasher, BuildHasherDefault};

use wamp_core::id::{is_valid_id, IdHasher};
use wamp_core::Id;

/// `IdHasher`'s multiplier.
const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
/// The low 20 and top 7 bits every colliding hash has.
const LOW_BITS: u64 = 0x5_a5a5;
const TOP_BITS: u64 = 0x55 << 57;

/// Up to `count` valid ids (in `1..=2^53`, increasing order of their hashes) whose hashes under
/// the unkeyed [`IdHasher`] share their low 20 bits and their top 7 bits: what std's hash
/// tables use for the bucket and the tag, so that in any table of up to 2^20 buckets they all
/// start in one bucket with one tag. A hostile router would give invocations such ids to slow
/// down a client whose tables hash them without a key.
///
/// The ids are found by inverting the hash: `IdHasher` maps an id `n` to `h ^ (h >> 29)` with
/// `h = n * C` (wrapping, `C` odd), and both steps are bijections of `u64`. Fewer than `count`
/// come back only if `IdHasher` has changed to something else (each id is checked against it).
///
/// ```
/// use std::hash::{BuildHasher, BuildHasherDefault};
/// use wamp_client::testing::colliding_ids;
/// use wamp_core::id::IdHasher;
///
/// let ids = colliding_ids(100);
/// assert_eq!(ids.len(), 100);
/// let hash = |id| BuildHasherDefault::<IdHasher>::default().hash_one(id);
/// let mask = 0xFE00_0000_000F_FFFFu64; // top 7 and low 20 bits
/// assert!(ids.iter().all(|&id| hash(id) & mask == hash(ids[0]) & mask));
/// ```
pub fn colliding_ids(count: usize) -> Vec<Id> {
    // Newton's iteration for the inverse modulo 2^64: correct low bits double each step.
    let mut inverse = MULTIPLIER;
    for _ in 0..5 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(MULTIPLIER.wrapping_mul(inverse)));
    }
    let old_hash = |id: Id| BuildHasherDefault::<IdHasher>::default().hash_one(id);
    let mut ids = Vec::with_capacity(count);
    // 2^37 hash values of that shape; about one in 2^11 gives a valid id.
    for middle in 0..1u64 << 37 {
        if ids.len() == count {
            break;
        }
        let hash = TOP_BITS | middle << 20 | LOW_BITS;
        let id = (hash ^ (hash >> 29) ^ (hash >> 58)).wrapping_mul(inverse);
        if !is_valid_id(id) {
            continue;
        }
        if old_hash(id) != hash {
            break; // IdHasher is no longer the multiply-xorshift inverted here
        }
        ids.push(id);
    }
    ids
}
