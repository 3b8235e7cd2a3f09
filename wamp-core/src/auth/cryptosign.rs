//! WAMP-Cryptosign (`cryptosign`): an Ed25519 signature of the router's random challenge.
//!
//! 1. HELLO carries `authextra.pubkey`, the client's public key in hex
//!    ([`SigningKey::hello_extra`]), and optionally `channel_binding: "tls-unique"`.
//! 2. `CHALLENGE.extra.challenge` is 32 random bytes in hex (64 characters); `channel_binding`
//!    echoes the binding asked for, or is `null`.
//! 3. The signed message is the challenge, XORed with the 32-byte TLS channel id when bound.
//! 4. The AUTHENTICATE signature is `hex(signature ‖ message)`: 96 bytes, 192 hex characters,
//!    with an empty extra.
//!
//! Keys load from a 32-byte seed, its hex text, or a file holding either the hex seed or an
//! unencrypted OpenSSH Ed25519 private key (`ssh-keygen -t ed25519 -N ''`). The seed is wiped
//! from memory when the [`SigningKey`] is dropped, and neither `Debug` nor any error message
//! shows it.
//!
//! ```
//! use wamp_core::auth::cryptosign::SigningKey;
//! use wamp_core::{Dict, Value};
//!
//! let key = SigningKey::from_hex(
//!     "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
//! )
//! .unwrap();
//! assert_eq!(
//!     key.public_key_hex(),
//!     "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d",
//! );
//! let extra = Dict::from([("challenge", Value::from("ff".repeat(32))), ("channel_binding", Value::Null)]);
//! let signature = key.answer(&extra, None).unwrap();
//! assert!(signature.starts_with("b32675b221f08593"));
//! assert!(signature.ends_with(&"ff".repeat(32)));
//! ```

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use zeroize::Zeroizing;

use super::{hex_decode_into, hex_encode, required_str, AuthError};
use crate::value::{Dict, Value};

/// The method name in `HELLO.authmethods` and `CHALLENGE`.
pub const METHOD: &str = "cryptosign";

const OPENSSH_BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const OPENSSH_END: &str = "-----END OPENSSH PRIVATE KEY-----";
const OPENSSH_MAGIC: &[u8] = b"openssh-key-v1\0";
const SSH_ED25519: &[u8] = b"ssh-ed25519";

/// Why a key could not be loaded. Messages never include key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The seed does not have the length of an Ed25519 seed.
    #[error("cryptosign key: expected {expected} {unit}, found {found}")]
    WrongLength {
        /// The length needed: 32 bytes or 64 hex characters.
        expected: usize,
        /// The length found.
        found: usize,
        /// `bytes` or `hex characters`.
        unit: &'static str,
    },
    /// The seed has the right length but a character that is not a hex digit.
    #[error("cryptosign key: the seed is not valid hex")]
    InvalidHex,
    /// The text is neither a hex seed nor an OpenSSH private key.
    #[error(
        "cryptosign key: unsupported key file format (expected 64 hex characters or an OpenSSH private key)"
    )]
    UnsupportedFormat,
    /// The OpenSSH private key is cut short or inconsistent.
    #[error("cryptosign key: malformed OpenSSH private key: {0}")]
    MalformedOpenSsh(&'static str),
    /// The OpenSSH private key is protected by a passphrase.
    #[error(
        "cryptosign key: the OpenSSH private key is encrypted; remove its passphrase (`ssh-keygen -p -N ''`)"
    )]
    EncryptedOpenSsh,
    /// The OpenSSH private key is not an Ed25519 key.
    #[error("cryptosign key: not an ed25519 key (the file holds a {key_type:?} key)")]
    NotEd25519 {
        /// The key type named in the file (at most 64 characters of it).
        key_type: String,
    },
    /// The public key stored in the file is not the one of its private key.
    #[error("cryptosign key: the public key in the file does not match its private key")]
    PublicKeyMismatch,
}

/// An Ed25519 signing key for WAMP-Cryptosign.
///
/// Its seed is zeroized on drop. `Debug` shows only the public key; nothing gives the seed back.
///
/// ```
/// use wamp_core::auth::cryptosign::SigningKey;
///
/// let key = SigningKey::from_seed(&[7u8; 32]).unwrap();
/// let shown = format!("{key:?}");
/// assert!(shown.contains(&key.public_key_hex()));
/// assert!(!shown.contains("0707070707"));
/// ```
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key of a 32-byte seed.
    ///
    /// ```
    /// use wamp_core::auth::cryptosign::{KeyError, SigningKey};
    ///
    /// assert!(SigningKey::from_seed(&[1u8; 32]).is_ok());
    /// assert_eq!(
    ///     SigningKey::from_seed(&[1u8; 31]).unwrap_err(),
    ///     KeyError::WrongLength { expected: 32, found: 31, unit: "bytes" },
    /// );
    /// ```
    pub fn from_seed(bytes: &[u8]) -> Result<Self, KeyError> {
        let seed: &[u8; 32] = bytes.try_into().map_err(|_| KeyError::WrongLength {
            expected: 32,
            found: bytes.len(),
            unit: "bytes",
        })?;
        Ok(SigningKey(ed25519_dalek::SigningKey::from_bytes(seed)))
    }

    /// The key of a seed in hex: 64 hex digits of either case, surrounding whitespace allowed.
    ///
    /// ```
    /// use wamp_core::auth::cryptosign::SigningKey;
    ///
    /// let key = SigningKey::from_hex(
    ///     " 4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510\n",
    /// )
    /// .unwrap();
    /// assert_eq!(&key.public_key_hex()[..8], "1adfc8bf");
    /// ```
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let found = text.chars().count();
        if found != 64 {
            return Err(KeyError::WrongLength {
                expected: 64,
                found,
                unit: "hex characters",
            });
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        if !hex_decode_into(text, &mut *seed) {
            return Err(KeyError::InvalidHex);
        }
        Self::from_seed(&*seed)
    }

    /// The key in the contents of a key file: a hex seed (see [`SigningKey::from_hex`]) or an
    /// unencrypted OpenSSH Ed25519 private key (`ssh-keygen -t ed25519 -N ''`).
    ///
    /// An encrypted OpenSSH key, another key type or another format is a [`KeyError`] that says
    /// which.
    ///
    /// ```
    /// use wamp_core::auth::cryptosign::{KeyError, SigningKey};
    ///
    /// let text = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510\n";
    /// assert!(SigningKey::from_file_contents(text).is_ok());
    /// assert_eq!(
    ///     SigningKey::from_file_contents("-----BEGIN PRIVATE KEY-----\n...").unwrap_err(),
    ///     KeyError::UnsupportedFormat,
    /// );
    /// ```
    pub fn from_file_contents(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.starts_with(OPENSSH_BEGIN) {
            parse_openssh(text)
        } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Self::from_hex(text)
        } else {
            Err(KeyError::UnsupportedFormat)
        }
    }

    /// The public key in lowercase hex (64 characters), as HELLO's `authextra.pubkey` carries
    /// it and a router's `authorized_keys` lists it.
    ///
    /// ```
    /// use wamp_core::auth::cryptosign::SigningKey;
    ///
    /// let key = SigningKey::from_seed(&[0u8; 32]).unwrap();
    /// assert_eq!(key.public_key_hex().len(), 64);
    /// ```
    pub fn public_key_hex(&self) -> String {
        hex_encode(self.0.verifying_key().as_bytes())
    }

    /// HELLO's `authextra` for this key: `pubkey`, and `channel_binding` when one is asked for
    /// (Crossbar.io knows `tls-unique`).
    ///
    /// ```
    /// use wamp_core::auth::cryptosign::SigningKey;
    /// use wamp_core::Value;
    ///
    /// let key = SigningKey::from_seed(&[0u8; 32]).unwrap();
    /// let extra = key.hello_extra(Some("tls-unique"));
    /// assert_eq!(extra.get("pubkey"), Some(&Value::from(key.public_key_hex())));
    /// assert_eq!(extra.get("channel_binding"), Some(&Value::from("tls-unique")));
    /// assert_eq!(key.hello_extra(None).len(), 1);
    /// ```
    pub fn hello_extra(&self, channel_binding: Option<&str>) -> Dict {
        let mut extra = Dict::from([("pubkey", Value::from(self.public_key_hex()))]);
        if let Some(binding) = channel_binding {
            extra.insert("channel_binding".into(), Value::from(binding));
        }
        extra
    }

    /// Signs a router's challenge (exactly 64 hex characters): the message is the challenge's
    /// 32 bytes, XORed with `channel_id` when given. Returns `hex(signature ‖ message)`,
    /// 192 hex characters.
    ///
    /// ```
    /// use wamp_core::auth::cryptosign::SigningKey;
    ///
    /// let key = SigningKey::from_seed(&[3u8; 32]).unwrap();
    /// let challenge = "ab".repeat(32);
    /// let signed = key.sign_challenge(&challenge, None).unwrap();
    /// assert_eq!(signed.len(), 192);
    /// assert!(signed.ends_with(&challenge));
    ///
    /// let bound = key.sign_challenge(&challenge, Some(&[0xff; 32])).unwrap();
    /// assert!(bound.ends_with(&"54".repeat(32))); // 0xab ^ 0xff
    /// assert!(key.sign_challenge("abcd", None).is_err());
    /// ```
    pub fn sign_challenge(
        &self,
        challenge_hex: &str,
        channel_id: Option<&[u8; 32]>,
    ) -> Result<String, AuthError> {
        let mut message = [0u8; 32];
        if !hex_decode_into(challenge_hex, &mut message) {
            return Err(AuthError::InvalidField {
                method: METHOD,
                field: "challenge",
                expected: "64 hex characters",
            });
        }
        if let Some(id) = channel_id {
            for (m, c) in message.iter_mut().zip(id) {
                *m ^= c;
            }
        }
        let signature = self.0.sign(&message);
        let mut out = [0u8; 96];
        out[..64].copy_from_slice(&signature.to_bytes());
        out[64..].copy_from_slice(&message);
        Ok(hex_encode(&out))
    }

    /// The AUTHENTICATE signature for a `cryptosign` CHALLENGE with this `extra` (the
    /// AUTHENTICATE extra is empty).
    ///
    /// `channel_id` is the TLS channel id when HELLO asked for a channel binding, `None`
    /// otherwise. The `channel_binding` the router echoes must agree: a string when bound,
    /// absent or `null` when not; else [`AuthError::ChannelBindingMismatch`].
    ///
    /// ```
    /// use wamp_core::auth::cryptosign::SigningKey;
    /// use wamp_core::auth::AuthError;
    /// use wamp_core::{Dict, Value};
    ///
    /// let key = SigningKey::from_seed(&[3u8; 32]).unwrap();
    /// let extra = Dict::from([
    ///     ("challenge", Value::from("00".repeat(32))),
    ///     ("channel_binding", Value::from("tls-unique")),
    /// ]);
    /// assert!(key.answer(&extra, Some(&[1; 32])).is_ok());
    /// assert_eq!(
    ///     key.answer(&extra, None),
    ///     Err(AuthError::ChannelBindingMismatch { method: "cryptosign" }),
    /// );
    /// ```
    pub fn answer(&self, extra: &Dict, channel_id: Option<&[u8; 32]>) -> Result<String, AuthError> {
        let challenge = required_str(METHOD, extra, "challenge")?;
        let router_binds = match extra.get("channel_binding") {
            None | Some(Value::Null) => false,
            Some(Value::String(_)) => true,
            Some(_) => {
                return Err(AuthError::InvalidField {
                    method: METHOD,
                    field: "channel_binding",
                    expected: "a string or null",
                })
            }
        };
        if router_binds != channel_id.is_some() {
            return Err(AuthError::ChannelBindingMismatch { method: METHOD });
        }
        self.sign_challenge(challenge, channel_id)
    }
}

/// Parses an unencrypted OpenSSH private key file holding one Ed25519 key.
///
/// The format (OpenSSH's `PROTOCOL.key`): base64 of `"openssh-key-v1\0"`, then the strings
/// cipher name, kdf name, kdf options, a u32 key count, the public key blobs, and the private
/// section: two equal check integers, then per key its type, public key, private key (seed ‖
/// public key for Ed25519) and comment, then padding.
fn parse_openssh(text: &str) -> Result<SigningKey, KeyError> {
    let body = text
        .strip_prefix(OPENSSH_BEGIN)
        .and_then(|rest| rest.strip_suffix(OPENSSH_END))
        .ok_or(KeyError::MalformedOpenSsh("no END line after the key"))?;
    let body: Zeroizing<String> =
        Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    let blob = Zeroizing::new(
        STANDARD
            .decode(body.as_bytes())
            .map_err(|_| KeyError::MalformedOpenSsh("the body is not base64"))?,
    );
    let mut r = Reader(
        blob.strip_prefix(OPENSSH_MAGIC)
            .ok_or(KeyError::MalformedOpenSsh("no openssh-key-v1 header"))?,
    );
    let cipher = r.string()?;
    let kdf = r.string()?;
    let _kdf_options = r.string()?;
    if cipher != b"none" || kdf != b"none" {
        return Err(KeyError::EncryptedOpenSsh);
    }
    if r.u32()? != 1 {
        return Err(KeyError::MalformedOpenSsh(
            "only files with exactly one key are supported",
        ));
    }
    let mut public = Reader(r.string()?);
    let key_type = public.string()?;
    if key_type != SSH_ED25519 {
        let name: String = String::from_utf8_lossy(key_type).chars().take(64).collect();
        return Err(KeyError::NotEd25519 { key_type: name });
    }
    let public_key = public.string()?;

    let mut private = Reader(r.string()?);
    if private.u32()? != private.u32()? {
        return Err(KeyError::MalformedOpenSsh("the check integers differ"));
    }
    if private.string()? != SSH_ED25519 {
        return Err(KeyError::MalformedOpenSsh(
            "the private key's type is not ssh-ed25519",
        ));
    }
    let private_public = private.string()?;
    let pair = private.string()?;
    if pair.len() != 64 {
        return Err(KeyError::MalformedOpenSsh(
            "the ed25519 private key is not 64 bytes",
        ));
    }
    let (seed, pair_public) = pair.split_at(32);
    let key = SigningKey::from_seed(seed)?;
    let derived = key.0.verifying_key();
    let derived = derived.as_bytes().as_slice();
    if public_key != derived || private_public != derived || pair_public != derived {
        return Err(KeyError::PublicKeyMismatch);
    }
    Ok(key)
}

/// Reads SSH wire-format integers and strings, failing on truncation.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Result<u32, KeyError> {
        match self.0.split_first_chunk::<4>() {
            Some((n, rest)) => {
                self.0 = rest;
                Ok(u32::from_be_bytes(*n))
            }
            None => Err(KeyError::MalformedOpenSsh("the key data is cut short")),
        }
    }

    fn string(&mut self) -> Result<&'a [u8], KeyError> {
        let len = self.u32()?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.0.len() {
            return Err(KeyError::MalformedOpenSsh("the key data is cut short"));
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_1: &str = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510";
    const SEED_2: &str = "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd";
    const SEED_3: &str = "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b";
    const CHALLENGE_1: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    const CHALLENGE_2: &str = "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d";
    const CHALLENGE_3: &str = "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2";
    const CHANNEL_ID: &str = "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff";

    /// `ssh-keygen -t ed25519 -N '' -C 'wamp-rs test key'`: a key made for these tests only.
    const OPENSSH_ED25519: &str = include_str!("testdata/openssh_ed25519");
    /// Its seed and public key (checked with Autobahn's `_read_ssh_ed25519_privkey`).
    const OPENSSH_ED25519_SEED: &str =
        "414815a4bbc64704d367bd9aba338321fdc5cda4dec4f52aef4d05d038930092";
    const OPENSSH_ED25519_PUB: &str =
        "be971946db2a4a0875628e495bc94e117909889f0e5362cd052150964b20e426";
    /// The same key with the passphrase `pass`.
    const OPENSSH_ED25519_ENCRYPTED: &str = include_str!("testdata/openssh_ed25519_encrypted");
    /// `ssh-keygen -t ecdsa -N ''`.
    const OPENSSH_ECDSA: &str = include_str!("testdata/openssh_ecdsa");

    fn channel_id() -> [u8; 32] {
        let mut id = [0u8; 32];
        assert!(hex_decode_into(CHANNEL_ID, &mut id));
        id
    }

    fn key(seed: &str) -> SigningKey {
        SigningKey::from_hex(seed).unwrap()
    }

    #[test]
    fn seed_1_has_the_spec_public_key() {
        assert_eq!(
            key(SEED_1).public_key_hex(),
            "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d"
        );
    }

    #[test]
    fn signatures_match_the_six_spec_vectors() {
        let id = channel_id();
        // (seed, challenge, bound to CHANNEL_ID, signature, signed message)
        let vectors: [(&str, &str, bool, &str, &str); 6] = [
            (SEED_1, CHALLENGE_1, false, "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03", CHALLENGE_1),
            (SEED_2, CHALLENGE_2, false, "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660f", CHALLENGE_2),
            (SEED_3, CHALLENGE_3, false, "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30b", CHALLENGE_3),
            (SEED_1, CHALLENGE_1, true, "9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f", "9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00"),
            (SEED_2, CHALLENGE_2, true, "305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01", "d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282"),
            (SEED_3, CHALLENGE_3, true, "ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608", "d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d"),
        ];
        for (i, (seed, challenge, bound, signature, message)) in vectors.into_iter().enumerate() {
            let signed = key(seed)
                .sign_challenge(challenge, bound.then_some(&id))
                .unwrap();
            assert_eq!(signed, format!("{signature}{message}"), "vector {}", i + 1);
        }
    }

    #[test]
    fn answer_reads_the_challenge_and_checks_the_echoed_binding() {
        let k = key(SEED_1);
        let unbound = Dict::from([
            ("challenge", Value::from(CHALLENGE_1)),
            ("channel_binding", Value::Null),
        ]);
        assert_eq!(
            k.answer(&unbound, None).unwrap(),
            k.sign_challenge(CHALLENGE_1, None).unwrap()
        );
        let absent = Dict::from([("challenge", Value::from(CHALLENGE_1))]);
        assert!(k.answer(&absent, None).is_ok());
        assert_eq!(
            k.answer(&unbound, Some(&channel_id())),
            Err(AuthError::ChannelBindingMismatch {
                method: "cryptosign"
            })
        );
        let bound = Dict::from([
            ("challenge", Value::from(CHALLENGE_1)),
            ("channel_binding", Value::from("tls-unique")),
        ]);
        assert!(k
            .answer(&bound, Some(&channel_id()))
            .unwrap()
            .ends_with("9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00"));
        let odd = Dict::from([
            ("challenge", Value::from(CHALLENGE_1)),
            ("channel_binding", Value::from(1)),
        ]);
        assert!(matches!(
            k.answer(&odd, None),
            Err(AuthError::InvalidField {
                field: "channel_binding",
                ..
            })
        ));
    }

    #[test]
    fn challenges_that_are_not_64_hex_characters_are_refused() {
        let k = key(SEED_1);
        for bad in [
            "",
            "ff",
            &"f".repeat(63),
            &"f".repeat(65),
            &"g".repeat(64),
            &"é".repeat(32),
        ] {
            assert_eq!(
                k.sign_challenge(bad, None),
                Err(AuthError::InvalidField {
                    method: "cryptosign",
                    field: "challenge",
                    expected: "64 hex characters"
                }),
                "{bad:?}"
            );
        }
        assert!(k.sign_challenge(&"FF".repeat(32), None).is_ok());
        assert_eq!(
            k.answer(&Dict::new(), None),
            Err(AuthError::MissingField {
                method: "cryptosign",
                field: "challenge"
            })
        );
        let not_text = Dict::from([("challenge", Value::Bytes(vec![0xff; 32]))]);
        assert!(k.answer(&not_text, None).is_err());
    }

    #[test]
    fn seeds_of_the_wrong_length_say_the_length_found() {
        assert_eq!(
            SigningKey::from_seed(&[0; 33]).unwrap_err(),
            KeyError::WrongLength {
                expected: 32,
                found: 33,
                unit: "bytes"
            }
        );
        let err = SigningKey::from_hex(&SEED_1[..62]).unwrap_err();
        assert_eq!(
            err,
            KeyError::WrongLength {
                expected: 64,
                found: 62,
                unit: "hex characters"
            }
        );
        assert_eq!(
            err.to_string(),
            "cryptosign key: expected 64 hex characters, found 62"
        );
        assert_eq!(
            SigningKey::from_hex(&"é".repeat(32)).unwrap_err(),
            KeyError::WrongLength {
                expected: 64,
                found: 32,
                unit: "hex characters"
            }
        );
        assert_eq!(
            SigningKey::from_hex(&SEED_1.replace('4', "x")).unwrap_err(),
            KeyError::InvalidHex
        );
    }

    #[test]
    fn a_hex_seed_file_loads_with_surrounding_whitespace() {
        let k =
            SigningKey::from_file_contents(&format!("\n  {}\r\n", SEED_1.to_uppercase())).unwrap();
        assert_eq!(k.public_key_hex(), key(SEED_1).public_key_hex());
        assert_eq!(
            SigningKey::from_file_contents("abc").unwrap_err(),
            KeyError::WrongLength {
                expected: 64,
                found: 3,
                unit: "hex characters"
            }
        );
    }

    #[test]
    fn an_openssh_ed25519_key_loads_and_signs_like_autobahn() {
        let k = SigningKey::from_file_contents(OPENSSH_ED25519).unwrap();
        assert_eq!(k.public_key_hex(), OPENSSH_ED25519_PUB);
        assert_eq!(
            k.public_key_hex(),
            key(OPENSSH_ED25519_SEED).public_key_hex()
        );
        // Autobahn's CryptosignKey.from_ssh_bytes(...).sign_challenge gives the same answer.
        assert_eq!(
            k.sign_challenge(&"00112233445566778899aabbccddeeff".repeat(2), None)
                .unwrap(),
            "73b0beb029f1f43b774820735b45cce309939ba7ce4c519798d8778b04b8d0ac\
             11599cbc12fef9e24ea13a6930027a65e6a1d047774acf5e93d250104b00740c\
             00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
        );
        // CRLF line endings and no trailing newline are fine too.
        let crlf = OPENSSH_ED25519.trim().replace('\n', "\r\n");
        assert!(SigningKey::from_file_contents(&crlf).is_ok());
    }

    #[test]
    fn an_encrypted_openssh_key_is_refused_with_advice() {
        let err = SigningKey::from_file_contents(OPENSSH_ED25519_ENCRYPTED).unwrap_err();
        assert_eq!(err, KeyError::EncryptedOpenSsh);
        assert!(err.to_string().contains("passphrase"));
    }

    #[test]
    fn an_openssh_key_of_another_type_is_refused_naming_the_type() {
        let err = SigningKey::from_file_contents(OPENSSH_ECDSA).unwrap_err();
        assert_eq!(
            err,
            KeyError::NotEd25519 {
                key_type: "ecdsa-sha2-nistp256".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "cryptosign key: not an ed25519 key (the file holds a \"ecdsa-sha2-nistp256\" key)"
        );
    }

    /// The test key's decoded blob, for building broken variants of it.
    fn test_key_blob() -> Vec<u8> {
        let body: String = OPENSSH_ED25519
            .trim()
            .strip_prefix(OPENSSH_BEGIN)
            .and_then(|b| b.strip_suffix(OPENSSH_END))
            .unwrap()
            .split_whitespace()
            .collect();
        STANDARD.decode(body).unwrap()
    }

    fn armor(blob: &[u8]) -> String {
        format!(
            "{OPENSSH_BEGIN}\n{}\n{OPENSSH_END}\n",
            STANDARD.encode(blob)
        )
    }

    #[test]
    fn an_openssh_key_whose_public_key_does_not_match_is_refused() {
        let blob = test_key_blob();
        let public = {
            let mut p = [0u8; 32];
            assert!(hex_decode_into(OPENSSH_ED25519_PUB, &mut p));
            p
        };
        // The public key appears three times: the outer blob, the private section, and the
        // tail of seed ‖ public. Corrupting any one of them is detected.
        let places: Vec<usize> = blob
            .windows(32)
            .enumerate()
            .filter(|(_, w)| *w == public)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(places.len(), 3);
        for at in places {
            let mut broken = blob.clone();
            broken[at] ^= 1;
            assert_eq!(
                SigningKey::from_file_contents(&armor(&broken)).unwrap_err(),
                KeyError::PublicKeyMismatch
            );
        }
        // A flipped seed byte makes the stored public keys wrong.
        let seed_at = blob.windows(4).position(|w| w == [0, 0, 0, 64]).unwrap() + 4;
        let mut broken = blob.clone();
        broken[seed_at] ^= 1;
        assert_eq!(
            SigningKey::from_file_contents(&armor(&broken)).unwrap_err(),
            KeyError::PublicKeyMismatch
        );
    }

    #[test]
    fn truncated_or_garbled_openssh_keys_are_errors_never_panics() {
        let blob = test_key_blob();
        assert!(SigningKey::from_file_contents(&armor(&blob)).is_ok());
        for len in 0..blob.len() {
            let result = SigningKey::from_file_contents(&armor(&blob[..len]));
            assert!(result.is_err(), "truncated to {len}");
        }
        for at in 0..blob.len() {
            let mut broken = blob.clone();
            broken[at] = broken[at].wrapping_add(0x80);
            // Flipping padding or comment bytes still yields the key; anything else is an error.
            let _ = SigningKey::from_file_contents(&armor(&broken));
        }
        // Different check integers.
        let check_at = blob.windows(4).position(|w| w == [0, 0, 0, 0x98]).unwrap() + 4;
        let mut broken = blob.clone();
        broken[check_at] ^= 1;
        assert_eq!(
            SigningKey::from_file_contents(&armor(&broken)).unwrap_err(),
            KeyError::MalformedOpenSsh("the check integers differ")
        );
        assert_eq!(
            SigningKey::from_file_contents(&format!("{OPENSSH_BEGIN}\nAAAA")).unwrap_err(),
            KeyError::MalformedOpenSsh("no END line after the key")
        );
        assert_eq!(
            SigningKey::from_file_contents(&format!("{OPENSSH_BEGIN}\n!!\n{OPENSSH_END}"))
                .unwrap_err(),
            KeyError::MalformedOpenSsh("the body is not base64")
        );
        assert_eq!(
            SigningKey::from_file_contents("not a key").unwrap_err(),
            KeyError::UnsupportedFormat
        );
        assert_eq!(
            SigningKey::from_file_contents("").unwrap_err(),
            KeyError::UnsupportedFormat
        );
    }

    #[test]
    fn key_errors_and_debug_never_show_key_material() {
        let k = SigningKey::from_file_contents(OPENSSH_ED25519).unwrap();
        let shown = format!("{k:?}");
        assert_eq!(
            shown,
            format!("SigningKey {{ public_key: \"{OPENSSH_ED25519_PUB}\", .. }}")
        );
        assert!(!shown.contains(OPENSSH_ED25519_SEED));
        let bad_hex = format!("{}zz", &OPENSSH_ED25519_SEED[..62]);
        let err = SigningKey::from_hex(&bad_hex).unwrap_err().to_string();
        assert!(!err.contains(&OPENSSH_ED25519_SEED[..8]), "{err}");
    }
}
