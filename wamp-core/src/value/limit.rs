//! How much memory the values of one message may take once decoded: [`decode_limit`].

use std::cell::Cell;
use std::mem::size_of;

use crate::error::ProtocolError;

/// Bytes of decoded values a message may take per byte of its own length (see
/// [`decode_limit`]).
pub const DECODE_LIMIT_FACTOR: usize = 8;

/// Bytes of decoded values any message may take, however short (64 MiB; see [`decode_limit`]).
pub const DECODE_LIMIT_FLOOR: usize = 64 << 20;

/// The most memory, in bytes, the values of a message of `message_len` bytes may take once
/// decoded: [`DECODE_LIMIT_FACTOR`] times its length, and never less than
/// [`DECODE_LIMIT_FLOOR`].
///
/// A message's bytes are cheap to send and its values are not: a MessagePack list of one-byte
/// integers takes 1 byte per element on the wire and `size_of::<Value>()` (32 bytes) once
/// decoded. Every serializer therefore decodes a message under this budget, and charges it as
/// it allocates:
///
/// - a list buffer: `size_of::<Value>()` per slot, a dict buffer: `size_of::<(Str, Value)>()`
///   per slot, for the capacity reserved (a declared length is reserved up front, at most one
///   slot per byte of the message; a list without one, as in JSON, grows by doubling);
/// - a string, a dict key or a binary value: its length in bytes.
///
/// Scalars live in their container's slot and cost nothing more. A message whose values would
/// take more is refused with [`ProtocolError::DecodeLimit`] before the allocation that would
/// exceed the limit, which a session answers with ABORT `wamp.error.protocol_violation`. The
/// peak memory of a decode is then about the limit plus the message at most (sorting a large
/// dict that arrived out of key order borrows scratch space of half its size for a moment).
///
/// Small messages are never limited in practice (a list of two million integers always
/// decodes); a message near the default 16 MiB message limit may decode to at most 128 MiB of
/// values, where 16 MiB of one-byte integers would take 512 MiB.
///
/// ```
/// use wamp_core::value::{decode_limit, DECODE_LIMIT_FLOOR};
///
/// assert_eq!(decode_limit(100), DECODE_LIMIT_FLOOR);
/// assert_eq!(decode_limit(16 << 20), 128 << 20);
/// ```
pub fn decode_limit(message_len: usize) -> usize {
    message_len
        .saturating_mul(DECODE_LIMIT_FACTOR)
        .max(DECODE_LIMIT_FLOOR)
}

/// What a decode may still allocate: [`decode_limit`] of the message, charged as values are
/// allocated.
#[derive(Debug)]
pub(crate) struct DecodeBudget {
    /// The message length (for the error).
    size: usize,
    /// The whole budget (for the error).
    limit: usize,
    /// What is left of it.
    remaining: Cell<usize>,
}

impl DecodeBudget {
    /// The budget of a message of `message_len` bytes.
    pub(crate) fn for_message(message_len: usize) -> Self {
        let limit = decode_limit(message_len);
        DecodeBudget {
            size: message_len,
            limit,
            remaining: Cell::new(limit),
        }
    }

    /// No limit (values read by serde outside of a message decode).
    pub(crate) fn unlimited() -> Self {
        DecodeBudget {
            size: 0,
            limit: usize::MAX,
            remaining: Cell::new(usize::MAX),
        }
    }

    /// Takes `bytes` from the budget, or fails when that would exceed it.
    #[inline]
    pub(crate) fn charge(&self, bytes: usize) -> Result<(), ProtocolError> {
        match self.remaining.get().checked_sub(bytes) {
            Some(left) => {
                self.remaining.set(left);
                Ok(())
            }
            None => Err(self.exceeded()),
        }
    }

    /// The error of a charge beyond the budget.
    #[cold]
    fn exceeded(&self) -> ProtocolError {
        ProtocolError::DecodeLimit {
            size: self.size,
            limit: self.limit,
        }
    }

    /// Takes `slots` of `T`'s size from the budget.
    #[inline]
    pub(crate) fn charge_slots<T>(&self, slots: usize) -> Result<(), ProtocolError> {
        self.charge(slots.saturating_mul(size_of::<T>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Str, Value};

    #[test]
    fn the_limit_is_eight_times_the_message_and_at_least_64_mib() {
        assert_eq!(decode_limit(0), 64 << 20);
        assert_eq!(decode_limit(8 << 20), 64 << 20);
        assert_eq!(decode_limit((8 << 20) + 1), (64 << 20) + 8);
        assert_eq!(decode_limit(16 << 20), 128 << 20);
        assert_eq!(decode_limit(usize::MAX), usize::MAX);
    }

    #[test]
    fn a_budget_refuses_the_charge_that_would_exceed_it_and_keeps_the_rest() {
        let budget = DecodeBudget::for_message(16 << 20);
        assert_eq!(budget.charge(100 << 20), Ok(()));
        assert_eq!(
            budget.charge(29 << 20),
            Err(ProtocolError::DecodeLimit {
                size: 16 << 20,
                limit: 128 << 20
            })
        );
        assert_eq!(budget.charge(28 << 20), Ok(()));
        assert!(budget.charge_slots::<Value>(1).is_err());
        assert!(DecodeBudget::unlimited().charge(usize::MAX).is_ok());
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_value_takes_32_bytes_and_a_dict_entry_56() {
        // The charges are these sizes. `Value` cannot shrink to 24 bytes without changing its
        // variants: `Str`, `Vec<u8>`, `Vec<Value>` and `Dict` take 24 bytes each, and a `Vec`
        // leaves no byte free for the discriminant.
        assert_eq!(size_of::<Value>(), 32);
        assert_eq!(size_of::<(Str, Value)>(), 56);
    }
}
