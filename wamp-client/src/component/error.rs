//! How a component fails: [`Failure`] of one attempt, [`ComponentError`] of the component.

use std::sync::Arc;

use wamp_core::session::CloseDetails;

use crate::error::{CallError, JoinError, RegisterError, SubscribeError};

/// Why an attempt on a transport, or a session on it, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// Connecting or joining failed (refused connection, handshake error or timeout, ABORT).
    #[error(transparent)]
    Join(JoinError),
    /// The session ended other than by a clean leave.
    #[error("session lost: {}{}", .0.reason, .0.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Lost(CloseDetails),
    /// The router refused to register one of the component's procedures.
    #[error("cannot register {procedure}: {error}")]
    Register {
        /// The procedure URI.
        procedure: String,
        /// The router's answer.
        error: RegisterError,
    },
    /// The credential provider failed to give credentials, or gave unusable ones (a bad
    /// key). Retried by default: the provider may recover.
    #[error("no credentials: {0}")]
    Credentials(String),
    /// The router refused to subscribe one of the component's subscriptions.
    #[error("cannot subscribe to {topic}: {error}")]
    Subscribe {
        /// The topic URI.
        topic: String,
        /// The router's answer.
        error: SubscribeError,
    },
    /// The router refused a testament of the component
    /// ([`ComponentBuilder::testament`](super::ComponentBuilder::testament)).
    #[error("cannot set the testament on {topic}: {error}")]
    Testament {
        /// The testament's topic.
        topic: String,
        /// The router's answer.
        error: CallError,
    },
    /// The router did not confirm every registration and subscription within the set-up
    /// timeout ([`ComponentBuilder::setup_timeout`](super::ComponentBuilder::setup_timeout)):
    /// the session is left and the transport retried.
    #[error("the router did not confirm the registrations and subscriptions within {0:?}")]
    SetupTimeout(std::time::Duration),
}

impl Failure {
    /// The default classification: fatal for configuration, authentication and realm
    /// problems and for refused procedures and subscriptions; retried for transport errors,
    /// handshake failures and timeouts and lost sessions.
    pub fn is_fatal_by_default(&self) -> bool {
        match self {
            Failure::Join(e) => !e.is_retryable(),
            Failure::Lost(_) | Failure::Credentials(_) | Failure::SetupTimeout(_) => false,
            Failure::Register { error, .. } => !matches!(error, RegisterError::Session(_)),
            Failure::Subscribe { error, .. } => !matches!(error, SubscribeError::Session(_)),
            Failure::Testament { error, .. } => {
                !matches!(error, CallError::Session(_) | CallError::Timeout(_))
            }
        }
    }

    /// Whether the router refused our credentials (or we refused the router's proof).
    pub fn is_authentication(&self) -> bool {
        matches!(self, Failure::Join(JoinError::Authentication { .. }))
    }
}

/// What happened to one transport by the time its component failed.
#[derive(Debug, Clone)]
pub struct TransportOutcome {
    /// The transport's URL.
    pub url: String,
    /// Attempts made since the last successful join.
    pub attempts: u64,
    /// Whether a failure was judged fatal (as opposed to retries used up).
    pub fatal: bool,
    /// The last failure, if there was an attempt.
    pub last_failure: Option<Arc<Failure>>,
}

/// Why a component ended with an error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    /// No transport may be tried any more: each either failed fatally or used up its retries.
    #[error("component {name}: every transport failed: {}", describe(.transports))]
    Exhausted {
        /// The component's name.
        name: String,
        /// Each transport's last failure, in the order they were given.
        transports: Vec<TransportOutcome>,
    },
    /// The component's main function returned an error (or panicked); the component left
    /// its session and ended. [`ComponentError::main_error`] gives the error, to downcast.
    #[error("component {name}: main failed: {error}")]
    Main {
        /// The component's name.
        name: String,
        /// What main returned.
        error: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// A lifecycle listener failed (returned an error or panicked) in a component built with
    /// [`fail_on_listener_error`](super::ComponentBuilder::fail_on_listener_error): the
    /// component stopped.
    #[error("component {name}: the {event} listener failed: {error}")]
    Listener {
        /// The component's name.
        name: String,
        /// The event the listener was run for (`join`, `ready`, `leave`, ...).
        event: &'static str,
        /// Its error, or the panic.
        error: String,
    },
    /// The component ended (stopped, or its session left cleanly) before it was ready.
    #[error("component {name} ended before it was ready")]
    Ended {
        /// The component's name.
        name: String,
    },
}

impl ComponentError {
    /// The error a main function returned, to downcast to its own type.
    ///
    /// ```
    /// use wamp_client::ComponentError;
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("out of stock")]
    /// struct OutOfStock;
    /// fn why(e: &ComponentError) -> Option<&OutOfStock> {
    ///     e.main_error()?.downcast_ref::<OutOfStock>()
    /// }
    /// ```
    pub fn main_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            ComponentError::Main { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }
}

fn describe(transports: &[TransportOutcome]) -> String {
    let parts: Vec<String> = transports
        .iter()
        .map(|t| {
            let what = t
                .last_failure
                .as_ref()
                .map_or_else(|| "not tried".to_owned(), |f| f.to_string());
            let how = if t.fatal {
                "fatal".to_owned()
            } else {
                format!("{} attempts", t.attempts)
            };
            format!("{} ({how}): {what}", t.url)
        })
        .collect();
    parts.join("; ")
}
