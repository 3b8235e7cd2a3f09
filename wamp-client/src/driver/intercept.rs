//! How the driver runs the interceptor chain over one direction of messages: one message at a
//! time, in order. Hooks that decide at once cost no allocation; one that decides later
//! ([`Verdict::later`](crate::intercept::Verdict::later)) parks the direction until its
//! future is done or its deadline passes.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use wamp_core::message::{Message, RequestType};
use wamp_core::uri::error_uri;
use wamp_core::{Id, WampError};

use crate::intercept::{Decision, Direction, Interceptors, Verdict};

/// What a message is to the session: what dropping or failing it must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Out: a request a waiter waits for (or an unacknowledged publication).
    Request(Id),
    /// Out: a YIELD.
    Yield(Id),
    /// Out: HELLO.
    Hello,
    /// Out: AUTHENTICATE; in: WELCOME, CHALLENGE.
    Join,
    /// In: an answer to one of our requests.
    Answer(Id),
    /// In: an INVOCATION.
    Invocation(Id),
    /// In: an answer that changes what the session holds (SUBSCRIBED, ...).
    State,
    /// Anything else.
    Other,
}

impl Role {
    fn of(direction: Direction, message: &Message) -> Role {
        match (direction, message) {
            (
                Direction::Outgoing,
                Message::Call { request, .. }
                | Message::Register { request, .. }
                | Message::Unregister { request, .. }
                | Message::Subscribe { request, .. }
                | Message::Unsubscribe { request, .. }
                | Message::Publish { request, .. },
            ) => Role::Request(*request),
            (Direction::Outgoing, Message::Yield { request, .. }) => Role::Yield(*request),
            (Direction::Outgoing, Message::Hello { .. }) => Role::Hello,
            (Direction::Outgoing, Message::Authenticate { .. }) => Role::Join,
            (Direction::Incoming, Message::Welcome { .. } | Message::Challenge { .. }) => {
                Role::Join
            }
            (
                Direction::Incoming,
                Message::Result { request, .. } | Message::Published { request, .. },
            ) => Role::Answer(*request),
            (
                Direction::Incoming,
                Message::Error {
                    request_type,
                    request,
                    ..
                },
            ) if *request_type != RequestType::Invocation => Role::Answer(*request),
            (Direction::Incoming, Message::Invocation { request, .. }) => {
                Role::Invocation(*request)
            }
            (
                Direction::Incoming,
                Message::Subscribed { .. }
                | Message::Registered { .. }
                | Message::Unsubscribed { .. }
                | Message::Unregistered { .. },
            ) => Role::State,
            _ => Role::Other,
        }
    }
}

/// What the chain decided about one message. A refusal is boxed: passing is the common case,
/// and the outcome moves by value.
pub(super) enum Outcome {
    Pass(Message),
    Refused(Box<Refusal>),
}

/// A message dropped or failed: `error` is the hook's, or `wamp.error.canceled` for a drop.
pub(super) struct Refusal {
    pub(super) role: Role,
    /// The message's name, for the log.
    pub(super) name: &'static str,
    pub(super) dropped: bool,
    pub(super) error: WampError,
    /// What a `State` message was, to handle it as received.
    pub(super) original: Option<Message>,
}

type Decide = Pin<Box<dyn Future<Output = Verdict> + Send + 'static>>;

/// A message whose hook decides later.
struct Parked {
    role: Role,
    name: &'static str,
    original: Option<Message>,
    /// The hook after the one deciding.
    next: usize,
    decide: Decide,
    deadline: Instant,
}

/// One direction's run of the chain.
pub(super) struct Pipeline {
    chain: Interceptors,
    direction: Direction,
    parked: Option<Parked>,
}

impl Pipeline {
    pub(super) fn new(chain: Interceptors, direction: Direction) -> Pipeline {
        Pipeline {
            chain,
            direction,
            parked: None,
        }
    }

    /// Whether messages pass straight through (no interceptor).
    pub(super) fn is_empty(&self) -> bool {
        self.chain.is_empty()
    }

    /// Whether a message waits for a hook: the ones behind it must wait too.
    pub(super) fn busy(&self) -> bool {
        self.parked.is_some()
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        self.parked.as_ref().map(|p| p.deadline)
    }

    /// Runs `message` through the chain: the outcome, or `None` when a hook decides later
    /// (then [`poll`](Self::poll) gives it).
    pub(super) fn run(&mut self, message: Message) -> Option<Outcome> {
        debug_assert!(self.parked.is_none());
        let role = Role::of(self.direction, &message);
        let name = message.name();
        // A message whose refusal is not allowed is kept, to be handled as received.
        let original = (role == Role::State).then(|| message.clone());
        self.advance(role, name, original, 0, Verdict::pass(message))
    }

    /// The outcome of the parked message, once its hook has decided.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        let Some(parked) = self.parked.as_mut() else {
            return Poll::Pending;
        };
        let verdict = match catch_unwind(AssertUnwindSafe(|| parked.decide.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(v)) => v,
            Err(_) => panicked(parked.name),
        };
        let Parked {
            role,
            name,
            original,
            next,
            ..
        } = self.parked.take().expect("parked above");
        match self.advance(role, name, original, next, verdict) {
            Some(outcome) => Poll::Ready(outcome),
            // Parked again: polled at once, so that its wake-up is registered.
            None => self.poll(cx),
        }
    }

    /// The parked message's outcome if its deadline has passed.
    pub(super) fn expire(&mut self, now: Instant) -> Option<Outcome> {
        if self.parked.as_ref()?.deadline > now {
            return None;
        }
        let p = self.parked.take()?;
        tracing::warn!(
            message = p.name,
            timeout = ?self.chain.timeout,
            "an interceptor did not decide in time; the message fails"
        );
        let error = WampError::with_message(
            error_uri::TIMEOUT,
            format!(
                "an interceptor did not decide within {:?}",
                self.chain.timeout
            ),
        );
        Some(refused(p.role, p.name, p.original, Decision::Fail(error)))
    }

    fn advance(
        &mut self,
        role: Role,
        name: &'static str,
        original: Option<Message>,
        mut next: usize,
        mut verdict: Verdict,
    ) -> Option<Outcome> {
        loop {
            match verdict.0 {
                Decision::Pass(message) => {
                    let Some(hook) = self.chain.chain.get(next) else {
                        return Some(Outcome::Pass(message));
                    };
                    next += 1;
                    let direction = self.direction;
                    verdict = catch_unwind(AssertUnwindSafe(|| match direction {
                        Direction::Outgoing => hook.outgoing(message),
                        Direction::Incoming => hook.incoming(message),
                    }))
                    .unwrap_or_else(|_| panicked(name));
                }
                Decision::Later(decide) => {
                    self.parked = Some(Parked {
                        role,
                        name,
                        original,
                        next,
                        decide,
                        deadline: super::now() + self.chain.timeout,
                    });
                    return None;
                }
                refusal => return Some(refused(role, name, original, refusal)),
            }
        }
    }
}

fn panicked(name: &'static str) -> Verdict {
    tracing::error!(message = name, "an interceptor panicked; the message fails");
    Verdict::fail(WampError::with_message(
        error_uri::RUNTIME_ERROR,
        "an interceptor panicked",
    ))
}

fn refused(
    role: Role,
    name: &'static str,
    original: Option<Message>,
    decision: Decision,
) -> Outcome {
    let (dropped, error) = match decision {
        Decision::Fail(e) => (false, e),
        _ => (
            true,
            WampError::with_message(error_uri::CANCELED, "dropped by an interceptor"),
        ),
    };
    Outcome::Refused(Box::new(Refusal {
        role,
        name,
        dropped,
        error,
        original,
    }))
}
