//! The steps of a component's life ([`LifecycleEvent`]), what listeners may return, and what
//! a ready session has set up ([`ReadyDetails`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use wamp_core::session::CloseDetails;

use super::error::Failure;
use crate::link::BoxFuture;
use crate::revocation::Revocation;
use crate::session::registration::{Registration, Subscription};
use crate::session::Session;

/// A step in a component's life, as seen by listeners and [`ComponentHandle::events`](super::ComponentHandle::events).
///
/// For each session the order is `Connect`, `Join`, `Ready`, `Leave`, `Disconnect` (with
/// `Revoked` and `Reestablished` between `Ready` and `Leave` when the router revokes a
/// procedure or subscription); a
/// transport that cannot be connected gives `ConnectFailure`; a join that fails after the
/// connection was made gives `Disconnect` without `Join`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LifecycleEvent {
    /// The transport is connected; the join starts.
    Connect {
        /// The transport's URL.
        url: String,
    },
    /// The session joined.
    Join {
        /// The new session.
        session: Session,
    },
    /// Every procedure and subscription is live on the session.
    Ready {
        /// The session.
        session: Session,
        /// The registrations and subscriptions made.
        details: ReadyDetails,
    },
    /// The session ended.
    Leave {
        /// The session that ended.
        session: Session,
        /// Why.
        details: CloseDetails,
    },
    /// The transport closed.
    Disconnect {
        /// The transport's URL.
        url: String,
        /// Whether the session ended with a clean leave.
        was_clean: bool,
    },
    /// The next attempt on a transport waits `delay` first (the first attempt, and the first
    /// after a lost session, wait for nothing and give no such event). Not passed to listeners.
    Retry {
        /// The transport's URL.
        url: String,
        /// Attempts on it since its last successful join, this one included.
        attempt: u64,
        /// The wait.
        delay: Duration,
    },
    /// The router revoked one of the component's procedures or subscriptions (another
    /// session's `force_reregister`, `wamp.registration.remove_callee`,
    /// `wamp.subscription.remove_subscriber`). The component is not ready until it has
    /// re-established it ([`Reestablished`](Self::Reestablished)), which it tries with
    /// backoff while the session lives. Not passed to listeners.
    Revoked {
        /// The session.
        session: Session,
        /// What was revoked, and why.
        revocation: Revocation,
    },
    /// A revoked procedure or subscription is registered or subscribed again. Not passed to
    /// listeners.
    Reestablished {
        /// The session.
        session: Session,
        /// What had been revoked.
        revocation: Revocation,
        /// The attempts it took (the first right after the revocation).
        attempts: u32,
        /// The new registration or subscription id.
        id: wamp_core::Id,
    },
    /// An attempt failed before a session was established.
    ConnectFailure {
        /// The transport's URL.
        url: String,
        /// Why.
        failure: Arc<Failure>,
    },
}

impl LifecycleEvent {
    /// The event's name, as in logs: `connect`, `join`, `ready`, `leave`, `disconnect`,
    /// `retry`, `revoked`, `reestablished` or `connect_failure`.
    pub fn kind(&self) -> &'static str {
        match self {
            LifecycleEvent::Connect { .. } => "connect",
            LifecycleEvent::Join { .. } => "join",
            LifecycleEvent::Ready { .. } => "ready",
            LifecycleEvent::Leave { .. } => "leave",
            LifecycleEvent::Disconnect { .. } => "disconnect",
            LifecycleEvent::Retry { .. } => "retry",
            LifecycleEvent::Revoked { .. } => "revoked",
            LifecycleEvent::Reestablished { .. } => "reestablished",
            LifecycleEvent::ConnectFailure { .. } => "connect_failure",
        }
    }
}

/// What a component set up on a session before it became ready: the registration of each
/// procedure and the subscription of each event handler and durable stream (but those
/// whose stream was dropped), in the order they were declared.
///
/// ```no_run
/// use wamp_client::{on_ready, ReadyDetails, Session};
///
/// #[on_ready]
/// async fn ready(_session: Session, details: ReadyDetails) {
///     for r in &details.registrations {
///         println!("registered {} with id {}", r.procedure(), r.id());
///     }
/// }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReadyDetails {
    /// One per declared procedure.
    pub registrations: Vec<Registration>,
    /// One per declared subscription.
    pub subscriptions: Vec<Subscription>,
}

/// What a lifecycle listener may return: `()`, or a `Result` whose error is logged.
#[diagnostic::on_unimplemented(
    message = "a lifecycle listener cannot return `{Self}`",
    note = "a listener returns `()` or `Result<(), E>` with `E: Display` (the error is logged)"
)]
pub trait ListenerOutput: Send + 'static {
    /// The error to log, if any.
    fn into_error(self) -> Option<String>;
}

impl ListenerOutput for () {
    fn into_error(self) -> Option<String> {
        None
    }
}

impl<E: fmt::Display + Send + 'static> ListenerOutput for Result<(), E> {
    fn into_error(self) -> Option<String> {
        self.err().map(|e| e.to_string())
    }
}

/// The error a component's main function ends with (see
/// [`ComponentBuilder::main`](super::ComponentBuilder::main)).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a component's main function may return: `()`, or a `Result<(), E>` whose error
/// (anything that converts into a boxed error: an error type, a `String`, a `&str`) ends
/// the component with [`ComponentError::Main`](super::ComponentError::Main).
#[diagnostic::on_unimplemented(
    message = "a component's main function cannot return `{Self}`",
    note = "main returns `()` or `Result<(), E>` where `E` converts into `Box<dyn Error + Send + Sync>`"
)]
pub trait MainOutput: Send + 'static {
    /// The outcome, with the error boxed.
    fn into_result(self) -> Result<(), BoxError>;
}

impl MainOutput for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError> + Send + 'static> MainOutput for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

pub(crate) type Listener =
    Arc<dyn Fn(&LifecycleEvent) -> Option<BoxFuture<Option<String>>> + Send + Sync>;
