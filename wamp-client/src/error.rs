//! Errors of the client, one type per operation.
//!
//! Every variant is something a caller can act on: the router or a peer refused
//! ([`CallError::Application`] carries the WAMP error URI, args and kwargs), the session is gone
//! ([`SessionError::Lost`]), the router broke the protocol, a value could not be (de)serialized,
//! a message is too large, or the session had not joined yet.

use wamp_core::session::CloseDetails;
use wamp_core::uri::InvalidUri;
use wamp_core::value::ValueError;
use wamp_core::WampError;

pub use crate::transport::{ConfigError, ConnectError, TransportError};

/// Failures shared by every operation on a session.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    /// The session is not joined (not yet, or not any more).
    #[error("session is not joined")]
    NotJoined,
    /// The session ended before the operation completed: the transport dropped, the router
    /// said GOODBYE or ABORT, or the session left.
    #[error("session lost: {}{}", .0.reason, .0.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Lost(CloseDetails),
    /// The message is larger than the transport allows.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message could not be encoded by the serializer.
    #[error("cannot encode message: {0}")]
    Encode(String),
}

impl SessionError {
    /// Whether the session ended with a protocol violation (by the router, or detected by us).
    pub fn is_protocol_violation(&self) -> bool {
        matches!(self, SessionError::Lost(d) if d.reason == wamp_core::uri::error_uri::PROTOCOL_VIOLATION)
    }
}

macro_rules! op_error {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident($ty:ty) = $msg:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, thiserror::Error)]
        pub enum $name {
            /// The router or the peer answered with an ERROR.
            #[error("{0}")]
            Application(WampError),
            /// The session could not carry the operation.
            #[error(transparent)]
            Session(#[from] SessionError),
            /// A URI given by the caller is invalid.
            #[error(transparent)]
            InvalidUri(#[from] InvalidUri),
            $($(#[$vdoc])* #[error($msg)] $variant($ty),)*
        }

        impl $name {
            /// The WAMP error URI, for [`Self::Application`] errors.
            pub fn uri(&self) -> Option<&str> {
                match self {
                    $name::Application(e) => Some(&e.uri),
                    _ => None,
                }
            }
        }
    };
}

op_error!(
    /// Why a call failed.
    CallError {
        /// The arguments could not be serialized.
        Serialize(ValueError) = "cannot serialize the arguments: {0}",
        /// The result could not be deserialized into the requested type.
        Deserialize(ValueError) = "cannot deserialize the result: {0}",
    }
);

op_error!(
    /// Why a registration (or unregistration) failed.
    RegisterError {}
);

op_error!(
    /// Why a subscription (or unsubscription) failed.
    SubscribeError {}
);

op_error!(
    /// Why a publication failed.
    PublishError {
        /// The arguments could not be serialized.
        Serialize(ValueError) = "cannot serialize the arguments: {0}",
    }
);

/// Why joining a realm failed.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The transport could not be connected.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The realm is not a valid realm name.
    #[error(transparent)]
    InvalidRealm(InvalidUri),
    /// The router refused the session (ABORT), e.g. `wamp.error.no_such_realm` or
    /// `wamp.error.not_authorized`.
    #[error("router refused to join: {}{}", .0.reason, .0.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Refused(CloseDetails),
    /// Authentication failed: the router refused our credentials (ABORT with
    /// `wamp.error.authentication_failed`, `not_authorized`, `no_such_role`, ...), challenged
    /// for a method we did not offer, or could not prove that it knows our password (SCRAM).
    #[error("{method} authentication failed: {reason}{}", .message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Authentication {
        /// The method the router challenged for, or the methods offered when it refused at
        /// once (`ticket, wampcra`).
        method: String,
        /// The router's reason (an error URI), or ours.
        reason: String,
        /// The router's message, or why we refused.
        message: Option<String>,
    },
    /// The transport closed or the router broke the protocol during the handshake.
    #[error(transparent)]
    Session(SessionError),
    /// The router did not answer HELLO in time.
    #[error("no WELCOME within {0:?}")]
    Timeout(std::time::Duration),
}

impl JoinError {
    /// Whether trying again later may succeed (connection refused, transport lost), as
    /// opposed to a configuration or permission problem.
    pub fn is_retryable(&self) -> bool {
        match self {
            JoinError::Connect(e) => e.is_retryable(),
            JoinError::InvalidRealm(_) | JoinError::Authentication { .. } => false,
            JoinError::Refused(d) => !matches!(
                d.reason.as_str(),
                "wamp.error.no_such_realm"
                    | "wamp.error.not_authorized"
                    | "wamp.error.authentication_failed"
                    | "wamp.error.no_such_role"
                    | "wamp.error.no_such_principal"
                    | "wamp.error.authentication_denied"
            ),
            JoinError::Session(_) | JoinError::Timeout(_) => true,
        }
    }
}
