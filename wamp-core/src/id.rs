//! WAMP IDs: integers in `1..=2^53`.

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

/// A fast hasher for [`Id`] keys: one multiply instead of SipHash. IDs are sequential or
/// random integers chosen by the session or the router, so a keyed hash buys nothing here.
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

/// A `HashMap` keyed by [`Id`], with [`IdHasher`].
pub type IdMap<V> = std::collections::HashMap<Id, V, std::hash::BuildHasherDefault<IdHasher>>;

/// A `HashSet` of [`Id`]s, with [`IdHasher`].
pub type IdSet = std::collections::HashSet<Id, std::hash::BuildHasherDefault<IdHasher>>;

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
}
