//! Client-side authentication: the answers to a router's CHALLENGE, as pure functions.
//!
//! The router answers HELLO (`authmethods`, `authid`, `authextra`) with
//! `[CHALLENGE, method, extra]`; the client replies `[AUTHENTICATE, signature, extra]` and the
//! router then sends WELCOME or ABORT.
//!
//! | method | module | HELLO `authextra` | secret |
//! |---|---|---|---|
//! | `wampcra` | [`wampcra`] | none | a shared secret |
//! | `cryptosign` | [`cryptosign`] | [`cryptosign::SigningKey::hello_extra`] | an Ed25519 key |
//! | `scram` | [`scram`] | [`scram::ScramClient::hello_extra`] | a password |
//!
//! Like the rest of the crate, nothing here does IO, reads a clock or draws random numbers: the
//! caller passes the CHALLENGE's `extra` and, for SCRAM, 16 random bytes for the nonce. Whatever a
//! router sends, these functions return an [`AuthError`] rather than panic, and the work a router
//! can ask for (key derivation rounds, memory) is bounded by documented limits.
//!
//! ```
//! use wamp_core::auth::wampcra;
//! use wamp_core::{Dict, Value};
//!
//! let extra = Dict::from([("challenge", Value::from("[1, 2, 3]"))]);
//! let signature = wampcra::answer("L3L1YUE8Txlw", &extra).unwrap();
//! assert_eq!(signature, "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=");
//! ```

pub mod cryptosign;
mod error;
pub mod scram;
pub mod server;
pub mod wampcra;

pub use error::AuthError;

use crate::value::{Dict, Value};

/// `HMAC-SHA256(key, message)`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::Mac as _;
    // HMAC accepts keys of any length (long keys are hashed), so this never fails.
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Lowercase hex of `bytes`.
fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Decodes hex (either case) into `out`, which must be exactly half as long as `text`.
///
/// Returns `false` (with `out` partly written) when the length or a digit is wrong.
fn hex_decode_into(text: &str, out: &mut [u8]) -> bool {
    let text = text.as_bytes();
    if text.len() != out.len() * 2 {
        return false;
    }
    for (pair, byte) in text.chunks_exact(2).zip(out.iter_mut()) {
        match (hex_digit(pair[0]), hex_digit(pair[1])) {
            (Some(hi), Some(lo)) => *byte = hi << 4 | lo,
            _ => return false,
        }
    }
    true
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The string `field` of `extra`: absent or `null` is [`AuthError::MissingField`].
fn required_str<'a>(
    method: &'static str,
    extra: &'a Dict,
    field: &'static str,
) -> Result<&'a str, AuthError> {
    match extra.get(field) {
        None | Some(Value::Null) => Err(AuthError::MissingField { method, field }),
        Some(v) => v.as_str().ok_or(AuthError::InvalidField {
            method,
            field,
            expected: "a string",
        }),
    }
}

/// The integer `field` of `extra` as `u64`; `None` when absent or `null`.
fn optional_u64(
    method: &'static str,
    extra: &Dict,
    field: &'static str,
) -> Result<Option<u64>, AuthError> {
    match extra.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or(AuthError::InvalidField {
            method,
            field,
            expected: "a non-negative integer",
        }),
    }
}

/// `value` when it is in `1..=max`, else the matching error.
fn bounded(
    method: &'static str,
    field: &'static str,
    value: u64,
    max: u32,
) -> Result<u32, AuthError> {
    if value == 0 {
        return Err(AuthError::InvalidField {
            method,
            field,
            expected: "a positive integer",
        });
    }
    match u32::try_from(value) {
        Ok(v) if v <= max => Ok(v),
        _ => Err(AuthError::LimitExceeded {
            method,
            field,
            found: value,
            max: u64::from(max),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_bad_digits_and_lengths() {
        let bytes = [0x00, 0x1a, 0xff, 0x7e];
        let text = hex_encode(&bytes);
        assert_eq!(text, "001aff7e");
        let mut out = [0u8; 4];
        assert!(hex_decode_into("001AFF7e", &mut out));
        assert_eq!(out, bytes);
        assert!(!hex_decode_into("001aff7", &mut out));
        assert!(!hex_decode_into("001aff7g", &mut out));
        assert!(!hex_decode_into("001aff7e00", &mut out));
        // A multi-byte character never splits into a "digit".
        assert!(!hex_decode_into("001aff\u{e9}", &mut out));
    }

    #[test]
    fn bounded_rejects_zero_and_values_above_the_limit() {
        assert_eq!(bounded("m", "f", 5, 10), Ok(5));
        assert_eq!(bounded("m", "f", 10, 10), Ok(10));
        assert!(matches!(
            bounded("m", "f", 0, 10),
            Err(AuthError::InvalidField { .. })
        ));
        assert!(matches!(
            bounded("m", "f", 11, 10),
            Err(AuthError::LimitExceeded {
                found: 11,
                max: 10,
                ..
            })
        ));
        assert!(matches!(
            bounded("m", "f", u64::MAX, 10),
            Err(AuthError::LimitExceeded { .. })
        ));
    }
}
