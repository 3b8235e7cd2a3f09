//! WAMP-SCRAM as Crossbar.io (our reference router, 26.10.1) and Autobahn implement it: a
//! salted challenge-response over a password, in which the router proves it knows the password
//! too.
//!
//! The exchange, as Crossbar's `crossbar/router/auth/scram.py` expects it:
//!
//! 1. HELLO: `authmethods: ["scram"]`, `authid` (required; the SCRAM username) and
//!    `authextra: {"nonce": base64(16 random bytes)}` ([`ScramClient::hello_extra`]). Crossbar
//!    reads nothing else from the authextra; channel binding is not implemented there.
//! 2. CHALLENGE `scram` with `extra` = `{nonce, salt, kdf, iterations, memory}`:
//!    - `nonce`: base64 of the client nonce's 16 bytes followed by 16 router bytes;
//!    - `salt`: base64 of the salt bytes (Crossbar's config holds them in hex);
//!    - `kdf`: `argon2id-13` or `pbkdf2`, the only names Crossbar's config accepts;
//!    - `iterations` and `memory` (KiB), both always present (`memory` only matters to argon2).
//! 3. The client derives the salted password `SP`:
//!    - `argon2id-13`: Argon2id v1.3 (t = iterations, m = memory, p = 1, 32 bytes) over the
//!      password's UTF-8 bytes (no SASLprep) and the decoded salt, and then **the unpadded base64
//!      text of that hash** is `SP` (Autobahn takes it from argon2's encoded-hash string);
//!    - `pbkdf2`: PBKDF2-HMAC-SHA256 (32 bytes) over the password and the decoded salt; `SP` is
//!      the raw output (see "PBKDF2" below).
//! 4. `ClientKey = HMAC(SP, "Client Key")`, `StoredKey = SHA256(ClientKey)`,
//!    `ServerKey = HMAC(SP, "Server Key")` (all HMAC-SHA256). Crossbar stores only
//!    `StoredKey` and `ServerKey` ([`derive_credential`] computes them).
//! 5. `AuthMessage = "n={authid},r={client nonce},r={nonce},s={salt},i={iterations},c=,r={nonce}"`,
//!    with the base64 texts as sent and `authid` as is (Crossbar applies SASLprep, which leaves
//!    printable ASCII unchanged, and encodes the message as ASCII: so the authid must be
//!    printable ASCII).
//! 6. AUTHENTICATE: signature `base64(ClientKey XOR HMAC(StoredKey, AuthMessage))`, extra `{}`.
//! 7. WELCOME: `authextra.scram_server_signature` =
//!    `base64(HMAC(ServerKey, AuthMessage))`, which [`ScramClient::verify_welcome`] checks: a
//!    router that does not know the password is rejected.
//!
//! # Differences from the WAMP spec's `wamp-scram`
//!
//! The spec (RFC 5802/7677 with SHA-256) names the method `wamp-scram` and the kdf `argon2id13`,
//! uses the raw KDF output as `SP`, puts `c=biws` (base64 of the GS2 header `n,,`) and an
//! escaped authid in AuthMessage, sends `{nonce, channel_binding, cbind_data}` in the
//! AUTHENTICATE extra and reads the router's proof from WELCOME's `authextra.verifier`. Crossbar
//! (and Autobahn, its client) does none of that, and this module follows Crossbar; the spec's
//! RFC 7677 vector tests the primitives both forms share. `argon2id13` is accepted as another
//! name of `argon2id-13`.
//!
//! # PBKDF2
//!
//! Crossbar accepts `"kdf": "pbkdf2"` principals and never runs the KDF itself (it only keeps
//! `stored-key` and `server-key`), but nothing in Crossbar or Autobahn can produce such a
//! credential or log in with it: Autobahn's client passes the salt's base64 *text* to its
//! `pbkdf2()`, which raises on a `str` salt. This module uses the spec's form (decoded salt, raw
//! 32-byte output as `SP`), which is what Autobahn's `_hash_pbkdf2_secret` test expects; a
//! Crossbar principal made with [`derive_credential`] and [`Credential::to_crossbar_principal`]
//! then accepts it.
//!
//! # Limits
//!
//! The router picks the KDF cost. [`ScramClient::answer`] refuses PBKDF2 above
//! [`MAX_PBKDF2_ITERATIONS`] and Argon2 above [`MAX_ARGON2_MEMORY`] KiB,
//! [`MAX_ARGON2_ITERATIONS`] passes or [`MAX_ARGON2_WORK`] (passes × KiB).
//!
//! ```
//! use wamp_core::auth::scram::{self, Kdf, ScramClient};
//! use wamp_core::{Dict, Value};
//!
//! // The router's side, from a principal made with derive_credential.
//! let kdf = Kdf::Argon2id13 { iterations: 2, memory: 64 };
//! let salt = [9u8; 16];
//! let principal = scram::derive_credential("secret", &salt, kdf).unwrap();
//!
//! let mut client = ScramClient::new("alice", "secret", &scram::client_nonce([1u8; 16]));
//! let hello_extra = client.hello_extra();
//! assert_eq!(hello_extra.get("nonce").and_then(Value::as_str), Some(client.nonce()));
//!
//! // Crossbar's CHALLENGE: our nonce's bytes followed by its own, base64.
//! let mut nonce = [1u8; 32];
//! nonce[16..].fill(2);
//! let extra = principal.challenge_extra(&nonce);
//! let (signature, authenticate_extra) = client.answer(&extra).unwrap();
//! assert!(authenticate_extra.is_empty());
//!
//! // Crossbar checks the proof against the stored key and sends its own signature.
//! let auth_message = client.auth_message().unwrap().to_owned();
//! assert!(principal.verify_proof(&auth_message, &signature));
//! let welcome = Dict::from([(
//!     "scram_server_signature",
//!     Value::from(principal.server_signature(&auth_message)),
//! )]);
//! assert!(client.verify_welcome(&welcome).is_ok());
//! assert!(client.verify_welcome(&Dict::new()).is_err());
//! ```

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use super::{bounded, hex_encode, hmac_sha256, optional_u64, required_str, AuthError};
use crate::value::{Dict, Value};

/// The method name in `HELLO.authmethods` and `CHALLENGE`, as Crossbar.io and Autobahn use it
/// (the spec says `wamp-scram`).
pub const METHOD: &str = "scram";

/// The most PBKDF2 rounds [`ScramClient::answer`] computes: one million, about 0.15 s of one core
/// in a release build (OWASP's 2023 advice for PBKDF2-HMAC-SHA256 is 600 000).
pub const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;

/// The most Argon2 memory [`ScramClient::answer`] allocates, in KiB: 65 536 (64 MiB, the
/// memory of RFC 9106's second recommended setting). Crossbar's and Autobahn's credentials use
/// 512.
pub const MAX_ARGON2_MEMORY: u32 = 64 * 1024;

/// The most Argon2 passes [`ScramClient::answer`] runs: 65 536 (Crossbar's credentials use
/// 4096).
pub const MAX_ARGON2_ITERATIONS: u32 = 65_536;

/// The most Argon2 work [`ScramClient::answer`] does, as passes × memory in KiB: 2^22, twice
/// Crossbar's default credential (4096 passes over 512 KiB, about 0.8 s of one core in a release
/// build), so a router can ask for about two seconds; a debug build is about 40 times slower.
pub const MAX_ARGON2_WORK: u64 = 1 << 22;

/// The smallest salt Argon2 takes, in bytes.
const MIN_ARGON2_SALT: usize = 8;

/// The smallest Argon2 memory for one lane, in KiB.
const MIN_ARGON2_MEMORY: u32 = 8;

/// The key derivation function that salts the password, with its cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// Argon2id version 1.3 (`0x13`), one lane, 32-byte output.
    Argon2id13 {
        /// Passes over the memory (argon2's `t`).
        iterations: u32,
        /// Memory in KiB (argon2's `m`).
        memory: u32,
    },
    /// PBKDF2-HMAC-SHA256, 32-byte output.
    Pbkdf2 {
        /// Rounds.
        iterations: u32,
    },
}

impl Kdf {
    /// The name in CHALLENGE's `kdf` and Crossbar's principal config: `argon2id-13` or
    /// `pbkdf2`.
    ///
    /// ```
    /// use wamp_core::auth::scram::Kdf;
    ///
    /// assert_eq!(Kdf::Pbkdf2 { iterations: 4096 }.name(), "pbkdf2");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Kdf::Argon2id13 { .. } => "argon2id-13",
            Kdf::Pbkdf2 { .. } => "pbkdf2",
        }
    }

    pub(crate) fn iterations(&self) -> u32 {
        match *self {
            Kdf::Argon2id13 { iterations, .. } | Kdf::Pbkdf2 { iterations } => iterations,
        }
    }

    /// Checks the cost against this module's limits and the KDF's own minimums.
    pub(crate) fn check(&self, salt_len: usize) -> Result<(), AuthError> {
        match *self {
            Kdf::Pbkdf2 { iterations } => {
                bounded(
                    METHOD,
                    "iterations",
                    u64::from(iterations),
                    MAX_PBKDF2_ITERATIONS,
                )?;
            }
            Kdf::Argon2id13 { iterations, memory } => {
                bounded(
                    METHOD,
                    "iterations",
                    u64::from(iterations),
                    MAX_ARGON2_ITERATIONS,
                )?;
                bounded(METHOD, "memory", u64::from(memory), MAX_ARGON2_MEMORY)?;
                if memory < MIN_ARGON2_MEMORY {
                    return Err(AuthError::InvalidField {
                        method: METHOD,
                        field: "memory",
                        expected: "at least 8 (KiB)",
                    });
                }
                let work = u64::from(iterations) * u64::from(memory);
                if work > MAX_ARGON2_WORK {
                    return Err(AuthError::LimitExceeded {
                        method: METHOD,
                        field: "iterations",
                        found: u64::from(iterations),
                        max: MAX_ARGON2_WORK / u64::from(memory),
                    });
                }
                if salt_len < MIN_ARGON2_SALT {
                    return Err(AuthError::InvalidField {
                        method: METHOD,
                        field: "salt",
                        expected: "base64 of at least 8 bytes",
                    });
                }
            }
        }
        Ok(())
    }

    /// The salted password `SP`, the HMAC key of the client and server keys.
    fn salted_password(
        &self,
        password: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AuthError> {
        self.check(salt.len())?;
        let mut raw = Zeroizing::new([0u8; 32]);
        match *self {
            Kdf::Pbkdf2 { iterations } => {
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut *raw);
                Ok(Zeroizing::new(raw.to_vec()))
            }
            Kdf::Argon2id13 { iterations, memory } => {
                let params =
                    argon2::Params::new(memory, iterations, 1, Some(32)).map_err(|_| {
                        AuthError::InvalidField {
                            method: METHOD,
                            field: "memory",
                            expected: "a valid argon2 cost",
                        }
                    })?;
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                    .hash_password_into(password, salt, &mut *raw)
                    .map_err(|_| AuthError::InvalidField {
                        method: METHOD,
                        field: "salt",
                        expected: "a valid argon2 salt",
                    })?;
                // Crossbar's quirk: the key is the hash as argon2's encoded form writes it.
                Ok(Zeroizing::new(
                    STANDARD_NO_PAD.encode(raw.as_slice()).into_bytes(),
                ))
            }
        }
    }
}

/// The SCRAM keys of one salted password.
struct Keys {
    client_key: Zeroizing<[u8; 32]>,
    stored_key: [u8; 32],
    server_key: Zeroizing<[u8; 32]>,
}

impl Keys {
    fn new(salted_password: &[u8]) -> Self {
        let client_key = Zeroizing::new(hmac_sha256(salted_password, b"Client Key"));
        Keys {
            stored_key: Sha256::digest(client_key.as_slice()).into(),
            client_key,
            server_key: Zeroizing::new(hmac_sha256(salted_password, b"Server Key")),
        }
    }

    /// `ClientKey XOR HMAC(StoredKey, AuthMessage)`.
    fn client_proof(&self, auth_message: &str) -> [u8; 32] {
        let mut proof = hmac_sha256(&self.stored_key, auth_message.as_bytes());
        for (p, k) in proof.iter_mut().zip(self.client_key.iter()) {
            *p ^= k;
        }
        proof
    }

    /// `HMAC(ServerKey, AuthMessage)`.
    fn server_signature(&self, auth_message: &str) -> [u8; 32] {
        hmac_sha256(&*self.server_key, auth_message.as_bytes())
    }
}

/// The AuthMessage; `cbind` is what follows `c=` (Crossbar: empty; the spec: `biws`).
pub(crate) fn auth_message(
    authid: &str,
    client_nonce: &str,
    nonce: &str,
    salt: &str,
    iterations: u32,
    cbind: &str,
) -> String {
    format!("n={authid},r={client_nonce},r={nonce},s={salt},i={iterations},c={cbind},r={nonce}")
}

/// The base64 text of a client nonce made of 16 random bytes, as HELLO's `authextra.nonce`
/// carries it. The caller draws the bytes (this crate has no randomness of its own).
///
/// ```
/// use wamp_core::auth::scram;
///
/// assert_eq!(scram::client_nonce([0u8; 16]), "AAAAAAAAAAAAAAAAAAAAAA==");
/// ```
pub fn client_nonce(random: [u8; 16]) -> String {
    STANDARD.encode(random)
}

/// A router's record of a SCRAM principal: what Crossbar.io keeps in its config, never the
/// password itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The key derivation function and its cost.
    pub kdf: Kdf,
    /// The salt.
    pub salt: Vec<u8>,
    /// `SHA256(HMAC(SP, "Client Key"))`.
    pub stored_key: [u8; 32],
    /// `HMAC(SP, "Server Key")`.
    pub server_key: [u8; 32],
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("kdf", &self.kdf)
            .field("salt", &hex_encode(&self.salt))
            .finish_non_exhaustive()
    }
}

/// The credential a router stores for `password` with this salt and KDF (the counterpart of
/// Autobahn's `derive_scram_credential`, which fixes argon2id-13, 4096 passes and 512 KiB).
///
/// The cost must be within the limits [`ScramClient::answer`] accepts, since a client could not
/// log in with a more expensive one.
///
/// ```
/// use wamp_core::auth::scram::{self, Kdf};
///
/// let cred = scram::derive_credential("pencil", b"some salt", Kdf::Pbkdf2 { iterations: 4096 })
///     .unwrap();
/// let principal = cred.to_crossbar_principal();
/// assert_eq!(principal.get("kdf").and_then(|v| v.as_str()), Some("pbkdf2"));
/// ```
pub fn derive_credential(password: &str, salt: &[u8], kdf: Kdf) -> Result<Credential, AuthError> {
    let keys = Keys::new(&kdf.salted_password(password.as_bytes(), salt)?);
    Ok(Credential {
        kdf,
        salt: salt.to_vec(),
        stored_key: keys.stored_key,
        server_key: *keys.server_key,
    })
}

impl Credential {
    /// The principal entry of Crossbar.io's static SCRAM config:
    /// `{kdf, iterations, memory, salt, stored-key, server-key}`, the salt and keys in hex
    /// (`memory` is 0 for PBKDF2; Crossbar requires the field).
    ///
    /// ```
    /// use wamp_core::auth::scram::{self, Kdf};
    ///
    /// let kdf = Kdf::Argon2id13 { iterations: 1, memory: 8 };
    /// let p = scram::derive_credential("pw", &[0; 8], kdf).unwrap().to_crossbar_principal();
    /// assert_eq!(p.keys().collect::<Vec<_>>(), [
    ///     "iterations", "kdf", "memory", "salt", "server-key", "stored-key",
    /// ]);
    /// ```
    pub fn to_crossbar_principal(&self) -> Dict {
        let memory = match self.kdf {
            Kdf::Argon2id13 { memory, .. } => memory,
            Kdf::Pbkdf2 { .. } => 0,
        };
        Dict::from([
            ("kdf", Value::from(self.kdf.name())),
            ("iterations", Value::from(self.kdf.iterations())),
            ("memory", Value::from(memory)),
            ("salt", Value::from(hex_encode(&self.salt))),
            ("stored-key", Value::from(hex_encode(&self.stored_key))),
            ("server-key", Value::from(hex_encode(&self.server_key))),
        ])
    }

    /// The CHALLENGE extra Crossbar.io sends for this principal, given its `nonce` (the
    /// client's 16 nonce bytes followed by the router's). For tests and routers.
    pub fn challenge_extra(&self, nonce: &[u8]) -> Dict {
        let memory = match self.kdf {
            Kdf::Argon2id13 { memory, .. } => memory,
            Kdf::Pbkdf2 { .. } => 0,
        };
        Dict::from([
            ("nonce", Value::from(STANDARD.encode(nonce))),
            ("kdf", Value::from(self.kdf.name())),
            ("salt", Value::from(STANDARD.encode(&self.salt))),
            ("iterations", Value::from(self.kdf.iterations())),
            ("memory", Value::from(memory)),
        ])
    }

    /// Whether `proof` (AUTHENTICATE's base64 signature) proves knowledge of the password for
    /// this AuthMessage, as Crossbar.io checks it: `SHA256(proof XOR HMAC(StoredKey,
    /// AuthMessage)) == StoredKey`, compared in constant time. For tests and routers.
    pub fn verify_proof(&self, auth_message: &str, proof: &str) -> bool {
        let Ok(proof) = STANDARD.decode(proof) else {
            return false;
        };
        let Ok(proof) = <[u8; 32]>::try_from(proof.as_slice()) else {
            return false;
        };
        let mut client_key = Zeroizing::new(hmac_sha256(&self.stored_key, auth_message.as_bytes()));
        for (k, p) in client_key.iter_mut().zip(proof) {
            *k ^= p;
        }
        let stored: [u8; 32] = Sha256::digest(client_key.as_slice()).into();
        stored.ct_eq(&self.stored_key).into()
    }

    /// WELCOME's `scram_server_signature` for this AuthMessage: `base64(HMAC(ServerKey,
    /// AuthMessage))`. For tests and routers.
    pub fn server_signature(&self, auth_message: &str) -> String {
        STANDARD.encode(hmac_sha256(&self.server_key, auth_message.as_bytes()))
    }
}

/// The client side of one WAMP-SCRAM authentication (one session).
///
/// Call order: [`hello_extra`](Self::hello_extra) for HELLO, [`answer`](Self::answer) for the
/// CHALLENGE, then [`verify_welcome`](Self::verify_welcome) with WELCOME's `authextra`. The
/// password is zeroized on drop and `Debug` does not show it.
///
/// See the [module docs](self) for the whole exchange and an example.
pub struct ScramClient {
    authid: String,
    password: Zeroizing<String>,
    /// The bytes the nonce encodes, when it is base64.
    nonce_bytes: Option<Vec<u8>>,
    nonce: String,
    /// AuthMessage and `HMAC(ServerKey, AuthMessage)`, once a CHALLENGE is answered.
    answered: Option<(String, [u8; 32])>,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClient")
            .field("authid", &self.authid)
            .field("password", &"<redacted>")
            .field("nonce", &self.nonce)
            .field("answered", &self.answered.is_some())
            .finish()
    }
}

impl ScramClient {
    /// A client for `authid` (the SCRAM username, sent as HELLO's `authid`) and `password`, with
    /// the client nonce from [`client_nonce`] (16 random bytes from the caller's secure random
    /// source, in base64).
    ///
    /// The authid must be non-empty printable ASCII, since Crossbar.io builds the AuthMessage as
    /// ASCII after SASLprep (which leaves printable ASCII as it is); [`answer`](Self::answer)
    /// reports another authid as [`AuthError::InvalidAuthid`].
    ///
    /// ```
    /// use wamp_core::auth::scram::{self, ScramClient};
    ///
    /// let nonce = scram::client_nonce([7; 16]); // use a secure random source
    /// let client = ScramClient::new("alice", "pw", &nonce);
    /// assert_eq!(client.nonce(), nonce);
    /// ```
    pub fn new(authid: &str, password: &str, client_nonce: &str) -> Self {
        ScramClient {
            authid: authid.to_owned(),
            password: Zeroizing::new(password.to_owned()),
            nonce_bytes: STANDARD.decode(client_nonce).ok(),
            nonce: client_nonce.to_owned(),
            answered: None,
        }
    }

    /// Checks that Crossbar.io can use the authid (see [`ScramClient::new`]).
    fn check_authid(&self) -> Result<(), AuthError> {
        let problem = if self.authid.is_empty() {
            "is empty"
        } else if !self.authid.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            "is not printable ASCII (Crossbar.io encodes the SCRAM message as ASCII)"
        } else {
            return Ok(());
        };
        Err(AuthError::InvalidAuthid {
            method: METHOD,
            problem,
        })
    }

    /// The authid.
    pub fn authid(&self) -> &str {
        &self.authid
    }

    /// The client nonce (base64 of the 16 random bytes).
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// HELLO's `authextra`: `{"nonce": <client nonce>}`, as Autobahn sends it.
    ///
    /// ```
    /// use wamp_core::auth::scram::ScramClient;
    /// use wamp_core::Value;
    ///
    /// let client = ScramClient::new("alice", "pw", "AAAAAAAAAAAAAAAAAAAAAA==");
    /// let extra = client.hello_extra();
    /// assert_eq!(extra.get("nonce"), Some(&Value::from("AAAAAAAAAAAAAAAAAAAAAA==")));
    /// assert_eq!(extra.len(), 1);
    /// ```
    pub fn hello_extra(&self) -> Dict {
        Dict::from([("nonce", Value::from(self.nonce.as_str()))])
    }

    /// The AuthMessage of the answered CHALLENGE (what both sides sign), if any.
    pub fn auth_message(&self) -> Option<&str> {
        self.answered.as_ref().map(|(m, _)| m.as_str())
    }

    /// Answers a `scram` CHALLENGE: the AUTHENTICATE signature (base64 ClientProof) and extra
    /// (empty, as Crossbar.io expects), keeping the server signature WELCOME must carry.
    ///
    /// Refuses a nonce that does not extend ours (as text, the spec's form, or as the bytes it
    /// encodes, Crossbar's), an unknown `kdf`, a cost above this module's limits, and a channel
    /// binding (Crossbar implements none).
    ///
    /// ```
    /// use wamp_core::auth::scram::ScramClient;
    /// use wamp_core::auth::AuthError;
    /// use wamp_core::{Dict, Value};
    ///
    /// let mut client = ScramClient::new("alice", "pw", "AAAAAAAAAAAAAAAAAAAAAA==");
    /// let extra = Dict::from([
    ///     ("nonce", Value::from("someone else's nonce")),
    ///     ("kdf", Value::from("pbkdf2")),
    ///     ("salt", Value::from("c2FsdA==")),
    ///     ("iterations", Value::from(1000)),
    /// ]);
    /// assert_eq!(client.answer(&extra), Err(AuthError::NonceMismatch { method: "scram" }));
    /// ```
    pub fn answer(&mut self, extra: &Dict) -> Result<(String, Dict), AuthError> {
        self.check_authid()?;
        let nonce = required_str(METHOD, extra, "nonce")?;
        if !self.is_our_nonce(nonce) {
            return Err(AuthError::NonceMismatch { method: METHOD });
        }
        let salt_text = required_str(METHOD, extra, "salt")?;
        let salt = STANDARD
            .decode(salt_text)
            .map_err(|_| AuthError::InvalidField {
                method: METHOD,
                field: "salt",
                expected: "base64",
            })?;
        let kdf = kdf_of(extra)?;
        match extra.get("channel_binding") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(_) => return Err(AuthError::ChannelBindingMismatch { method: METHOD }),
        }

        let salted = kdf.salted_password(self.password.as_bytes(), &salt)?;
        let keys = Keys::new(&salted);
        let message = auth_message(
            &self.authid,
            &self.nonce,
            nonce,
            salt_text,
            kdf.iterations(),
            "",
        );
        let proof = keys.client_proof(&message);
        let server_signature = keys.server_signature(&message);
        self.answered = Some((message, server_signature));
        Ok((STANDARD.encode(proof), Dict::new()))
    }

    /// Checks WELCOME's `authextra.scram_server_signature` against the one the password gives,
    /// in constant time. A missing or wrong signature is an error: the router does not know
    /// the password, and the session must be closed.
    pub fn verify_welcome(&self, welcome_authextra: &Dict) -> Result<(), AuthError> {
        let (_, expected) = self
            .answered
            .as_ref()
            .ok_or(AuthError::NotAnswered { method: METHOD })?;
        let text = required_str(METHOD, welcome_authextra, "scram_server_signature")?;
        let ok = STANDARD
            .decode(text)
            .map(|got| bool::from(got.as_slice().ct_eq(expected.as_slice())))
            .unwrap_or(false);
        if ok {
            Ok(())
        } else {
            Err(AuthError::ServerSignatureMismatch { method: METHOD })
        }
    }

    /// Whether the router's nonce extends ours, as text or as decoded bytes.
    fn is_our_nonce(&self, nonce: &str) -> bool {
        if !self.nonce.is_empty()
            && nonce.len() > self.nonce.len()
            && nonce.starts_with(&self.nonce)
        {
            return true;
        }
        match (&self.nonce_bytes, STANDARD.decode(nonce)) {
            (Some(ours), Ok(bytes)) => {
                !ours.is_empty() && bytes.len() > ours.len() && bytes.starts_with(ours)
            }
            _ => false,
        }
    }
}

/// The KDF and its cost from a CHALLENGE extra.
fn kdf_of(extra: &Dict) -> Result<Kdf, AuthError> {
    let name = required_str(METHOD, extra, "kdf")?;
    let iterations = optional_u64(METHOD, extra, "iterations")?.ok_or(AuthError::MissingField {
        method: METHOD,
        field: "iterations",
    })?;
    match name {
        "argon2id-13" | "argon2id13" => {
            let memory = optional_u64(METHOD, extra, "memory")?.ok_or(AuthError::MissingField {
                method: METHOD,
                field: "memory",
            })?;
            Ok(Kdf::Argon2id13 {
                iterations: bounded(METHOD, "iterations", iterations, MAX_ARGON2_ITERATIONS)?,
                memory: bounded(METHOD, "memory", memory, MAX_ARGON2_MEMORY)?,
            })
        }
        "pbkdf2" => Ok(Kdf::Pbkdf2 {
            iterations: bounded(METHOD, "iterations", iterations, MAX_PBKDF2_ITERATIONS)?,
        }),
        other => Err(AuthError::UnsupportedKdf {
            method: METHOD,
            kdf: other.chars().take(64).collect(),
        }),
    }
}

#[cfg(test)]
mod tests;
