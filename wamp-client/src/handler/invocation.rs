//! [`Invocation`]: a call of one of our procedures, with its explicit context: the session
//! and the [`Progress`] sender.

use serde::Serialize;
use wamp_core::value::{Dict, Value};
use wamp_core::Id;

use super::result::IntoPayload;
use crate::link::{ProgressSink, StartedInvocation};
use crate::payload::Payload;
use crate::session::Session;

/// A call of one of our procedures, as a procedure of one `Invocation` parameter receives it:
/// the arguments, INVOCATION.Details, and its context, the session it came through and the
/// sender of progressive results (no task-local state: everything is in the value).
///
/// ```
/// use wamp_client::{Invocation, Payload, WampError};
///
/// async fn echo(inv: Invocation) -> Result<Payload, WampError> {
///     if let Some(session) = inv.session() {
///         println!("called through session {}", session.id());
///     }
///     inv.progress().send("working");
///     Ok(inv.payload)
/// }
/// let p = wamp_client::handler::procedure(echo);
/// # drop(p);
/// ```
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The invocation's request id.
    pub request: Id,
    /// The registration it is for.
    pub registration: Id,
    /// The procedure URI called (for pattern-based registrations the concrete URI).
    pub procedure: String,
    /// The arguments.
    pub payload: Payload,
    /// INVOCATION.Details (`caller`, `caller_authid`, `timeout`, ...).
    pub details: Dict,
    pub(crate) session: Option<Session>,
    pub(crate) progress: Progress,
}

impl From<StartedInvocation> for Invocation {
    fn from(inv: StartedInvocation) -> Self {
        Invocation {
            request: inv.request,
            registration: inv.registration,
            procedure: inv.procedure,
            payload: inv.payload,
            details: inv.details,
            session: inv.session.map(Session::from_inner),
            progress: Progress { sink: inv.progress },
        }
    }
}

impl Invocation {
    /// The caller's session id, when the router disclosed it.
    pub fn caller(&self) -> Option<Id> {
        self.details.get("caller").and_then(Value::as_u64)
    }

    /// The session the call came through (`None` once every other handle of it is gone).
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Sends progressive results, when the caller asked for them.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }
}

/// Sends progressive results of the running call, when its caller asked for them
/// (`receive_progress`); otherwise sending does nothing.
///
/// ```
/// use wamp_client::handler::{procedure, Progress};
///
/// async fn longop(n: u64, progress: Progress) -> u64 {
///     for i in 0..n {
///         progress.send(i);
///     }
///     n
/// }
/// let p = procedure(longop);
/// # drop(p);
/// ```
#[derive(Clone, Default)]
pub struct Progress {
    pub(crate) sink: Option<ProgressSink>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("wanted", &self.is_wanted())
            .finish()
    }
}

impl Progress {
    /// Whether the caller asked for progressive results.
    pub fn is_wanted(&self) -> bool {
        self.sink.is_some()
    }

    /// Sends `value` as a progressive result (one positional result); false when the
    /// caller did not ask for progressive results, the call has ended, `value` does not
    /// serialize, or the session cannot send them as fast as they come (the result is then
    /// dropped and counted).
    pub fn send<T: Serialize>(&self, value: T) -> bool {
        match value.into_payload() {
            Ok(p) => self.send_payload(p),
            Err(_) => false,
        }
    }

    /// Sends a progressive result with several positional or keyword results.
    pub fn send_payload(&self, payload: Payload) -> bool {
        self.sink.as_ref().is_some_and(|s| s.send(payload))
    }
}
