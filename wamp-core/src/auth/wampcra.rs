//! WAMP-CRA (`wampcra`): an HMAC-SHA256 of the router's challenge under a shared secret.
//!
//! 1. `CHALLENGE.extra.challenge` is a string (JSON text with the session's authid, nonce,
//!    timestamp, ...). It is signed as the UTF-8 bytes received, never re-serialized.
//! 2. Unsalted, the key is the secret's UTF-8 bytes.
//! 3. Salted (the extra also holds `salt`, `iterations`, `keylen`), the key is the base64
//!    **text** of `PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)`: not the raw derived
//!    bytes, and the salt is used as UTF-8 text, not decoded (Autobahn's `derive_key`, which
//!    Crossbar.io uses on its side).
//! 4. The AUTHENTICATE signature is `base64(HMAC-SHA256(key, challenge))`, with an empty extra.
//!
//! A router picks `iterations` and `keylen`, so [`answer`] refuses more than
//! [`MAX_ITERATIONS`] rounds and keys longer than [`MAX_KEYLEN`] bytes.
//!
//! ```
//! use wamp_core::auth::wampcra;
//! use wamp_core::{Dict, Value};
//!
//! let extra = Dict::from([
//!     ("challenge", Value::from("[1, 2, 3]")),
//!     ("salt", Value::from("salt123")),
//!     ("iterations", Value::from(1000)),
//!     ("keylen", Value::from(32)),
//! ]);
//! let key = wampcra::derive_key("L3L1YUE8Txlw", "salt123", 1000, 32);
//! assert_eq!(
//!     wampcra::answer("L3L1YUE8Txlw", &extra).unwrap(),
//!     wampcra::sign(key.as_bytes(), "[1, 2, 3]"),
//! );
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{bounded, hmac_sha256, optional_u64, required_str, AuthError};
use crate::value::{Dict, Value};

/// The method name in `HELLO.authmethods` and `CHALLENGE`.
pub const METHOD: &str = "wampcra";

/// The PBKDF2 rounds used when the challenge has a `salt` but no `iterations` (Autobahn's).
pub const DEFAULT_ITERATIONS: u32 = 1000;

/// The derived key length in bytes when the challenge has a `salt` but no `keylen` (Autobahn's).
pub const DEFAULT_KEYLEN: usize = 32;

/// The most PBKDF2 rounds [`answer`] computes: one million, about 0.15 s of one core per 32 bytes
/// of key in a release build (Crossbar's examples use 100 to 1000; OWASP's 2023 advice for
/// PBKDF2-HMAC-SHA256 is 600 000).
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// The longest derived key [`answer`] computes, in bytes: 64. PBKDF2's cost grows with each
/// 32-byte block of output, so this also bounds the work to twice [`MAX_ITERATIONS`].
pub const MAX_KEYLEN: usize = 64;

/// The signature of `challenge` under `key`: `base64(HMAC-SHA256(key, challenge))`.
///
/// `key` is the secret's UTF-8 bytes, or the bytes of the text [`derive_key`] returns for a
/// salted secret.
///
/// ```
/// use wamp_core::auth::wampcra;
///
/// assert_eq!(
///     wampcra::sign(b"L3L1YUE8Txlw", "[1, 2, 3]"),
///     "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=",
/// );
/// ```
pub fn sign(key: &[u8], challenge: &str) -> String {
    STANDARD.encode(hmac_sha256(key, challenge.as_bytes()))
}

/// The signing key of a salted secret: the base64 text of
/// `PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)`, with the salt's UTF-8 bytes as salt.
///
/// The caller chooses the cost here (0 iterations count as 1); [`answer`] bounds what a router
/// may ask for.
///
/// ```
/// use wamp_core::auth::wampcra;
///
/// assert_eq!(
///     wampcra::derive_key("L3L1YUE8Txlw", "salt123", 1000, 32),
///     "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=",
/// );
/// ```
pub fn derive_key(secret: &str, salt: &str, iterations: u32, keylen: usize) -> String {
    let mut dk = Zeroizing::new(vec![0u8; keylen]);
    pbkdf2::pbkdf2_hmac::<Sha256>(
        secret.as_bytes(),
        salt.as_bytes(),
        iterations.max(1),
        &mut dk,
    );
    STANDARD.encode(&*dk)
}

/// The AUTHENTICATE signature for a `wampcra` CHALLENGE with this `extra`.
///
/// Reads `challenge` (a string), and when `salt` is present, `iterations` (default
/// [`DEFAULT_ITERATIONS`], at most [`MAX_ITERATIONS`]) and `keylen` (default [`DEFAULT_KEYLEN`],
/// at most [`MAX_KEYLEN`]). The AUTHENTICATE extra is empty.
///
/// ```
/// use wamp_core::auth::wampcra;
/// use wamp_core::{Dict, Value};
///
/// let extra = Dict::from([("challenge", Value::from("[1, 2, 3]"))]);
/// assert_eq!(
///     wampcra::answer("L3L1YUE8Txlw", &extra).unwrap(),
///     "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=",
/// );
///
/// let hostile = Dict::from([
///     ("challenge", Value::from("{}")),
///     ("salt", Value::from("s")),
///     ("iterations", Value::from(4_000_000_000u64)),
/// ]);
/// assert!(wampcra::answer("secret", &hostile).is_err());
/// ```
pub fn answer(secret: &str, extra: &Dict) -> Result<String, AuthError> {
    let challenge = required_str(METHOD, extra, "challenge")?;
    let salt = match extra.get("salt") {
        None | Some(Value::Null) => return Ok(sign(secret.as_bytes(), challenge)),
        Some(v) => v.as_str().ok_or(AuthError::InvalidField {
            method: METHOD,
            field: "salt",
            expected: "a string",
        })?,
    };
    let iterations = match optional_u64(METHOD, extra, "iterations")? {
        None => DEFAULT_ITERATIONS,
        Some(n) => bounded(METHOD, "iterations", n, MAX_ITERATIONS)?,
    };
    let keylen = match optional_u64(METHOD, extra, "keylen")? {
        None => DEFAULT_KEYLEN,
        // MAX_KEYLEN fits in u32, so the bounded value fits in usize.
        Some(n) => bounded(METHOD, "keylen", n, MAX_KEYLEN as u32)? as usize,
    };
    let key = Zeroizing::new(derive_key(secret, salt, iterations, keylen));
    Ok(sign(key.as_bytes(), challenge))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's example challenge (`authentication_wampcra.md`).
    const SPEC_CHALLENGE: &str = r#"{"nonce": "LHRTC9zeOIrt_9U3", "authprovider": "userdb", "authid": "peter", "timestamp": "2014-06-22T16:36:25.448Z", "authrole": "user", "authmethod": "wampcra", "session": 3251278072152162}"#;

    fn challenge(text: &str) -> Dict {
        Dict::from([("challenge", Value::from(text))])
    }

    #[test]
    fn sign_matches_autobahns_compute_wcs_vector() {
        assert_eq!(
            sign(b"L3L1YUE8Txlw", "[1, 2, 3]"),
            "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0="
        );
    }

    #[test]
    fn derive_key_matches_autobahns_derive_key_vector() {
        assert_eq!(
            derive_key("L3L1YUE8Txlw", "salt123", 1000, 32),
            "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y="
        );
    }

    #[test]
    fn unsalted_answer_signs_the_spec_challenge_with_the_secret() {
        assert_eq!(
            answer("secret123", &challenge(SPEC_CHALLENGE)).unwrap(),
            "oV95jyPM/GWJyAuKBOSsdFkUkSboj5T4NmC3bdefPuY="
        );
    }

    #[test]
    fn salted_answer_signs_the_spec_challenge_with_the_derived_key_text() {
        assert_eq!(
            derive_key("secret123", "salt123", 1000, 32),
            "Eu7CQLfR+/Ffb+275A4s9/6H/RGKYxM4s6IMrsNKzC8="
        );
        let mut extra = challenge(SPEC_CHALLENGE);
        extra.insert("salt".into(), Value::from("salt123"));
        extra.insert("iterations".into(), Value::from(1000));
        extra.insert("keylen".into(), Value::from(32));
        assert_eq!(
            answer("secret123", &extra).unwrap(),
            "GyMkfiASBnhHaSle2CWSCDji2nyPuyJDxEQDEDraOGY="
        );
    }

    #[test]
    fn salted_answer_defaults_to_1000_iterations_and_32_bytes() {
        let mut extra = challenge(SPEC_CHALLENGE);
        extra.insert("salt".into(), Value::from("salt123"));
        assert_eq!(
            answer("secret123", &extra).unwrap(),
            "GyMkfiASBnhHaSle2CWSCDji2nyPuyJDxEQDEDraOGY="
        );
        assert_eq!((DEFAULT_ITERATIONS, DEFAULT_KEYLEN), (1000, 32));
    }

    #[test]
    fn a_null_salt_means_unsalted() {
        let mut extra = challenge(SPEC_CHALLENGE);
        extra.insert("salt".into(), Value::Null);
        assert_eq!(
            answer("secret123", &extra).unwrap(),
            "oV95jyPM/GWJyAuKBOSsdFkUkSboj5T4NmC3bdefPuY="
        );
    }

    #[test]
    fn the_challenge_is_signed_byte_for_byte_as_received() {
        // Same JSON, different spacing: a different signature.
        let compact = SPEC_CHALLENGE.replace(": ", ":");
        assert_ne!(
            answer("secret123", &challenge(&compact)).unwrap(),
            answer("secret123", &challenge(SPEC_CHALLENGE)).unwrap()
        );
        // Non-ASCII text is signed as its UTF-8 bytes.
        assert_eq!(sign(b"k", "\u{e9}"), sign(b"k", "\u{e9}"));
    }

    #[test]
    fn a_missing_or_non_string_challenge_is_an_error() {
        assert_eq!(
            answer("s", &Dict::new()),
            Err(AuthError::MissingField {
                method: "wampcra",
                field: "challenge"
            })
        );
        let extra = Dict::from([("challenge", Value::from(7))]);
        assert_eq!(
            answer("s", &extra),
            Err(AuthError::InvalidField {
                method: "wampcra",
                field: "challenge",
                expected: "a string"
            })
        );
    }

    #[test]
    fn hostile_kdf_parameters_are_refused_before_any_work() {
        let salted = |field: &str, v: Value| {
            let mut extra = challenge("{}");
            extra.insert("salt".into(), Value::from("s"));
            extra.insert(field.into(), v);
            answer("secret", &extra)
        };
        assert!(matches!(
            salted("iterations", Value::from(MAX_ITERATIONS as u64 + 1)),
            Err(AuthError::LimitExceeded {
                field: "iterations",
                ..
            })
        ));
        assert!(matches!(
            salted("iterations", Value::from(u64::MAX)),
            Err(AuthError::LimitExceeded {
                field: "iterations",
                ..
            })
        ));
        assert!(matches!(
            salted("keylen", Value::from(1u64 << 40)),
            Err(AuthError::LimitExceeded {
                field: "keylen",
                max: 64,
                ..
            })
        ));
        assert!(matches!(
            salted("keylen", Value::from(0)),
            Err(AuthError::InvalidField {
                field: "keylen",
                ..
            })
        ));
        assert!(matches!(
            salted("iterations", Value::from(-5)),
            Err(AuthError::InvalidField {
                field: "iterations",
                ..
            })
        ));
        assert!(matches!(
            salted("iterations", Value::from(1000.5)),
            Err(AuthError::InvalidField {
                field: "iterations",
                ..
            })
        ));
        let mut extra = challenge("{}");
        extra.insert("salt".into(), Value::from(3));
        assert!(matches!(
            answer("secret", &extra),
            Err(AuthError::InvalidField { field: "salt", .. })
        ));
    }

    #[test]
    fn the_limits_are_pinned() {
        assert_eq!(MAX_ITERATIONS, 1_000_000);
        assert_eq!(MAX_KEYLEN, 64);
    }

    #[test]
    fn errors_never_contain_the_secret() {
        let mut extra = challenge("{}");
        extra.insert("salt".into(), Value::from("s"));
        extra.insert("iterations".into(), Value::from(u64::MAX));
        let err = answer("hunter2-secret", &extra).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        assert_eq!(
            err.to_string(),
            format!(
                "wampcra: `iterations` is {}, above the limit of 1000000",
                u64::MAX
            )
        );
    }
}
