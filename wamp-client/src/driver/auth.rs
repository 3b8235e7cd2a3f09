//! The join's authentication: answering CHALLENGE, checking the router's side in WELCOME, and
//! the one list of the refusals that no retry can fix.

use std::sync::Arc;
use std::task::{Context, Poll};

use wamp_core::session::{CloseDetails, CloseInitiator, SessionDetails};
use wamp_core::uri::error_uri;
use wamp_core::value::{Dict, Value};
use wamp_core::WampError;

use crate::auth::{AuthFuture, Authenticator};

/// ABORT reasons during the join that refuse our credentials: the join fails with an
/// authentication error naming the method.
const AUTHENTICATION_REFUSALS: &[&str] = &[
    error_uri::AUTHENTICATION_FAILED,
    error_uri::AUTHENTICATION_DENIED,
    error_uri::AUTHENTICATION_REQUIRED,
    error_uri::NOT_AUTHORIZED,
    error_uri::NO_SUCH_ROLE,
    error_uri::NO_SUCH_PRINCIPAL,
    error_uri::NO_AUTH_METHOD,
    error_uri::NO_MATCHING_AUTH_METHOD,
    error_uri::AUTHORIZATION_FAILED,
];

/// Other ABORT reasons during the join that trying again will not fix.
const OTHER_FATAL_REFUSALS: &[&str] = &[error_uri::NO_SUCH_REALM];

/// Whether an ABORT during the join refuses our credentials (rather than, say, the realm).
pub(crate) fn is_authentication_refusal(reason: &str) -> bool {
    AUTHENTICATION_REFUSALS.contains(&reason)
}

/// Whether a join refused with `reason` is not worth retrying: a refusal of our credentials
/// or of the realm, as opposed to a router shutting down or breaking the protocol.
pub(crate) fn join_refusal_is_fatal(reason: &str) -> bool {
    is_authentication_refusal(reason) || OTHER_FATAL_REFUSALS.contains(&reason)
}

/// How the join ended, as the authentication sees it.
#[derive(Debug)]
pub(crate) enum JoinOutcome {
    /// The router refused our credentials, or we refused its answer or its proof.
    Authentication {
        method: String,
        reason: String,
        message: Option<String>,
    },
    /// The router refused the session for another reason (ABORT).
    Refused(CloseDetails),
    /// No WELCOME in time.
    Timeout,
    /// The session ended otherwise (the transport closed, the protocol was broken).
    Lost(CloseDetails),
}

/// The authentication state of one join.
pub(crate) struct JoinAuth {
    authenticator: Option<Arc<dyn Authenticator>>,
    /// The methods offered in HELLO, for error messages.
    offered: String,
    /// The method of the router's CHALLENGE, if it sent one.
    challenged: Option<String>,
    /// The authenticator's answer to the last CHALLENGE, until it comes.
    pending: Option<AuthFuture>,
}

impl JoinAuth {
    pub(crate) fn new(authenticator: Option<Arc<dyn Authenticator>>, offered: &[String]) -> Self {
        JoinAuth {
            authenticator,
            offered: offered.join(", "),
            challenged: None,
            pending: None,
        }
    }

    /// The method an authentication failure is about: the one the router challenged for,
    /// else the methods offered (`anonymous` when none were).
    fn method(&self) -> String {
        match (&self.challenged, self.offered.as_str()) {
            (Some(challenged), _) => challenged.clone(),
            (None, "") => "anonymous".into(),
            (None, offered) => offered.into(),
        }
    }

    fn refusal(&self, reason: String, message: Option<String>) -> JoinOutcome {
        JoinOutcome::Authentication {
            method: self.method(),
            reason,
            message,
        }
    }

    /// Our refusal (`e` from the authenticator).
    fn ours(&self, e: &WampError) -> JoinOutcome {
        let message = e.args.first().and_then(Value::as_str).map(str::to_owned);
        self.refusal(e.uri.clone(), message)
    }

    /// Takes a CHALLENGE: the authenticator's answer is then awaited with
    /// [`poll_answer`](Self::poll_answer) (a CHALLENGE that comes before the last one is
    /// answered replaces it).
    pub(crate) fn challenge(&mut self, method: &str, extra: &Dict) {
        self.challenged = Some(method.to_owned());
        self.pending = Some(match &self.authenticator {
            Some(a) => a.authenticate_async(method, extra),
            None => Box::pin(std::future::ready(Err(WampError::with_message(
                error_uri::CANNOT_AUTHENTICATE,
                format!("no authenticator for {method}"),
            )))),
        });
    }

    /// The answer to the CHALLENGE taken, once the authenticator has given it: the signature
    /// and extra for AUTHENTICATE, or why we refuse. Pending while there is none to give.
    pub(crate) fn poll_answer(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(String, Dict), JoinOutcome>> {
        let Some(pending) = self.pending.as_mut() else {
            return Poll::Pending;
        };
        let answer = std::task::ready!(pending.as_mut().poll(cx));
        self.pending = None;
        let method = self.method();
        Poll::Ready(answer.map_err(|e| {
            tracing::error!(method, error = %e, "cannot answer the challenge");
            self.ours(&e)
        }))
    }

    /// Forgets an answer still awaited (the join is over).
    pub(crate) fn forget(&mut self) {
        self.pending = None;
    }

    /// Checks the router's side of the authentication in WELCOME (SCRAM's signature).
    pub(crate) fn verify(&self, details: &SessionDetails) -> Result<(), JoinOutcome> {
        match &self.authenticator {
            Some(a) => a.verify_welcome(details).map_err(|e| {
                tracing::error!(error = %e, "the router's authentication is not valid; leaving");
                self.ours(&e)
            }),
            None => Ok(()),
        }
    }

    /// How a session that ended during the join failed.
    pub(crate) fn ended(&self, details: CloseDetails) -> JoinOutcome {
        match details.initiator {
            CloseInitiator::RouterAbort if is_authentication_refusal(&details.reason) => {
                self.refusal(details.reason, details.message)
            }
            CloseInitiator::RouterAbort => JoinOutcome::Refused(details),
            CloseInitiator::Timeout => JoinOutcome::Timeout,
            _ => JoinOutcome::Lost(details),
        }
    }
}
