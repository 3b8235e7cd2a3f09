//! Errors of the client, one type per operation.
//!
//! Every variant is something a caller can act on: the router or a peer refused
//! ([`CallError::Application`] carries the WAMP error URI, args and kwargs), the call timed out
//! ([`CallError::Timeout`]), the session is gone ([`SessionError::Lost`]), the router broke the
//! protocol, a value could not be (de)serialized, a message is too large, or the session had
//! not joined yet.

use std::time::Duration;

use wamp_core::session::{CloseDetails, Failure};
use wamp_core::uri::InvalidUri;
use wamp_core::value::ValueError;
use wamp_core::WampError;

use crate::driver::auth::join_refusal_is_fatal;
pub use crate::transport::{ConfigError, ConnectError, TransportError};

/// Failures shared by every operation on a session.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session is not joined (not yet, or not any more).
    #[error("session is not joined")]
    NotJoined,
    /// The session ended before the operation completed: the transport dropped, the router
    /// said GOODBYE or ABORT, the router stopped answering, or the session left.
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
    /// A URI given by the caller (e.g. a leave reason) is invalid.
    #[error(transparent)]
    InvalidUri(#[from] InvalidUri),
}

impl SessionError {
    /// Whether the session ended with a protocol violation (by the router, or detected by us).
    pub fn is_protocol_violation(&self) -> bool {
        matches!(self, SessionError::Lost(d) if d.reason == wamp_core::uri::error_uri::PROTOCOL_VIOLATION)
    }
}

/// How a request other than a call failed, before it is given its operation's error type.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The router answered with ERROR.
    Application(WampError),
    /// The session could not carry the request.
    Session(SessionError),
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Error(e) => Refusal::Application(e),
            Failure::Lost(d) => Refusal::Session(SessionError::Lost(d)),
        }
    }
}

impl From<SessionError> for Refusal {
    fn from(e: SessionError) -> Self {
        Refusal::Session(e)
    }
}

macro_rules! op_error {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident $(($ty:ty))? = $msg:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, thiserror::Error)]
        #[non_exhaustive]
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
            $($(#[$vdoc])* #[error($msg)] $variant $(($ty))?,)*
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

        impl From<Refusal> for $name {
            fn from(r: Refusal) -> Self {
                match r {
                    Refusal::Application(e) => $name::Application(e),
                    Refusal::Session(e) => $name::Session(e),
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
        /// The call's timeout ([`CallOptions::timeout`](crate::CallOptions::timeout), or the
        /// session's default) passed before the result came; CANCEL was sent to the router.
        Timeout(Duration) = "wamp.error.timeout: no result within {0:?}",
        /// The call was canceled here (the router could not cancel it).
        Canceled = "wamp.error.canceled: call canceled",
        /// A conversion in the caller's own code failed: what `?` makes of a [`ValueError`]
        /// (building a [`Payload`](crate::Payload), reading a result with
        /// [`CallResult::kwargs_as`](crate::CallResult::kwargs_as), ...). The call's own
        /// conversions fail with [`Serialize`](Self::Serialize) and
        /// [`Deserialize`](Self::Deserialize).
        Value(ValueError) = "invalid value: {0}",
    }
);

/// `?` on a [`ValueError`] in a function that returns [`CallError`]: [`CallError::Value`].
///
/// ```no_run
/// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
/// #[derive(serde::Deserialize)]
/// struct Totals {
///     count: u64,
/// }
/// let result = session.call("com.example.stats", ()).raw().await?;
/// let totals: Totals = result.kwargs_as()?;
/// # Ok(()) }
/// ```
impl From<ValueError> for CallError {
    fn from(e: ValueError) -> Self {
        CallError::Value(e)
    }
}

op_error!(
    /// Why a registration (or unregistration) failed.
    RegisterError {
        /// The handler cannot run as given (e.g. its `State<T>` parameter has no state).
        InvalidHandler(String) = "invalid handler: {0}",
    }
);

op_error!(
    /// Why a subscription (or unsubscription) failed.
    SubscribeError {
        /// The handler cannot run as given (e.g. its `State<T>` parameter has no state).
        InvalidHandler(String) = "invalid handler: {0}",
    }
);

op_error!(
    /// Why a publication failed.
    PublishError {
        /// The arguments could not be serialized.
        Serialize(ValueError) = "cannot serialize the arguments: {0}",
    }
);

/// `?` on a [`ValueError`] in a function that returns [`PublishError`] (building a
/// [`Payload`](crate::Payload) to publish): [`PublishError::Serialize`].
///
/// ```no_run
/// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::PublishError> {
/// use wamp_client::{Payload, PublishOptions};
/// let payload = Payload::args(&("hello",))?;
/// session.publish_with("com.example.topic", payload, PublishOptions::default()).await?;
/// # Ok(()) }
/// ```
impl From<ValueError> for PublishError {
    fn from(e: ValueError) -> Self {
        PublishError::Serialize(e)
    }
}

/// Why joining a realm failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The transport could not be connected.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The realm is not a valid realm name.
    #[error(transparent)]
    InvalidRealm(InvalidUri),
    /// The router refused the session (ABORT), e.g. `wamp.error.no_such_realm`.
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
            JoinError::Refused(d) => !join_refusal_is_fatal(&d.reason),
            JoinError::Session(_) | JoinError::Timeout(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_errors_say_their_uri() {
        let application = CallError::Application(WampError::new("com.example.error.refused"));
        let lost = CallError::Session(SessionError::Lost(CloseDetails {
            reason: "wamp.close.transport_lost".into(),
            message: None,
            initiator: wamp_core::session::CloseInitiator::Transport,
        }));
        for (e, uri) in [
            (application, "com.example.error.refused"),
            (
                CallError::Timeout(Duration::from_secs(1)),
                "wamp.error.timeout",
            ),
            (CallError::Canceled, "wamp.error.canceled"),
            (lost, "wamp.close.transport_lost"),
        ] {
            assert!(e.to_string().contains(uri), "{e}");
        }
    }
}
