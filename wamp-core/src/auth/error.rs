//! [`AuthError`]: why a CHALLENGE could not be answered or a WELCOME is not trusted.

/// Why a CHALLENGE could not be answered, or why a WELCOME does not prove the router's identity.
///
/// Each variant names the authentication method (`wampcra`, `cryptosign`, `scram`) and the field
/// at fault. Messages never include a secret, a key or a signature.
///
/// ```
/// use wamp_core::auth::{wampcra, AuthError};
/// use wamp_core::Dict;
///
/// let err = wampcra::answer("secret", &Dict::new()).unwrap_err();
/// assert_eq!(err, AuthError::MissingField { method: "wampcra", field: "challenge" });
/// assert_eq!(err.to_string(), "wampcra: the router's message has no `challenge`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A field the method needs is absent (or `null`).
    #[error("{method}: the router's message has no `{field}`")]
    MissingField {
        /// The authentication method.
        method: &'static str,
        /// The field name.
        field: &'static str,
    },
    /// A field has the wrong type or an invalid value.
    #[error("{method}: `{field}` is not {expected}")]
    InvalidField {
        /// The authentication method.
        method: &'static str,
        /// The field name.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// A cost parameter is above the limit this crate accepts (a router must not make the
    /// client compute for minutes or allocate gigabytes).
    #[error("{method}: `{field}` is {found}, above the limit of {max}")]
    LimitExceeded {
        /// The authentication method.
        method: &'static str,
        /// The field name.
        field: &'static str,
        /// The value the router sent.
        found: u64,
        /// The largest value accepted.
        max: u64,
    },
    /// The router asked for a key derivation function this crate does not implement.
    #[error("{method}: unsupported key derivation function `{kdf}`")]
    UnsupportedKdf {
        /// The authentication method.
        method: &'static str,
        /// The name the router sent (at most 64 characters of it).
        kdf: String,
    },
    /// The channel binding the router echoes is not the one the client asked for.
    #[error("{method}: the router's channel binding does not match the one we asked for")]
    ChannelBindingMismatch {
        /// The authentication method.
        method: &'static str,
    },
    /// The router's nonce does not start with the client's nonce.
    #[error("{method}: the router's nonce does not extend our nonce")]
    NonceMismatch {
        /// The authentication method.
        method: &'static str,
    },
    /// The authid cannot be used with the method.
    #[error("{method}: the authid {problem}")]
    InvalidAuthid {
        /// The authentication method.
        method: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A WELCOME was checked before any CHALLENGE was answered.
    #[error("{method}: WELCOME arrived before we answered a CHALLENGE")]
    NotAnswered {
        /// The authentication method.
        method: &'static str,
    },
    /// The router's proof of knowing the password (or key) is wrong: it is not the router we
    /// share the secret with.
    #[error("{method}: the router's signature is wrong: it does not know our credentials")]
    ServerSignatureMismatch {
        /// The authentication method.
        method: &'static str,
    },
}

impl AuthError {
    /// The authentication method the error belongs to (`wampcra`, `cryptosign`, `scram`).
    pub fn method(&self) -> &'static str {
        match self {
            AuthError::MissingField { method, .. }
            | AuthError::InvalidField { method, .. }
            | AuthError::LimitExceeded { method, .. }
            | AuthError::UnsupportedKdf { method, .. }
            | AuthError::ChannelBindingMismatch { method }
            | AuthError::NonceMismatch { method }
            | AuthError::InvalidAuthid { method, .. }
            | AuthError::NotAnswered { method }
            | AuthError::ServerSignatureMismatch { method } => method,
        }
    }
}
