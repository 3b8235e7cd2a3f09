//! [`Invocation`]: a call of one of our procedures, with its explicit context.

use wamp_core::value::{Dict, Value};
use wamp_core::Id;

use super::extract::Progress;
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
