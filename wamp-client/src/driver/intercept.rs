//! How the driver runs the interceptor chain over one direction of messages: one message at a
//! time, in order. Hooks that decide at once cost no allocation; one that decides later
//! ([`Verdict::later`](crate::intercept::Verdict::later)) parks the direction until its
//! future is done or its deadline passes.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll};
use std::time::Instant;

use wamp_core::message::{Message, RequestType};
use wamp_core::uri::error_uri;
use wamp_core::{Id, WampError};

use crate::intercept::{DecideFuture, Decided, Decision, Direction, Interceptors};

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

/// A message whose hook decides later.
struct Parked {
    key: Key,
    /// The hook after the one deciding.
    next: usize,
    decide: DecideFuture,
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
        self.advance(None, 0, message)
    }

    /// The outcome of the parked message, once its hook has decided.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        let Some(parked) = self.parked.as_mut() else {
            return Poll::Pending;
        };
        let decided = match catch_unwind(AssertUnwindSafe(|| parked.decide.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(decided)) => decided,
            Err(_) => Decided::Fail(panicked(parked.key.name)),
        };
        let Parked { key, next, .. } = self.parked.take().expect("parked above");
        let message = match decided {
            Decided::Pass(message) => message,
            Decided::Discard => return Poll::Ready(refused(key, None)),
            Decided::Fail(e) => return Poll::Ready(refused(key, Some(e))),
        };
        match self.advance(Some(key), next, message) {
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
            message = p.key.name,
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
        Some(refused(p.key, Some(error)))
    }

    /// Runs the hooks from `next` on over `message`, which each sees in place.
    /// Runs the hooks from `next` on over `message`, which each sees in place. `key` is the
    /// message's description when it was taken before (by a hook that decided later); else
    /// it is made only if the message is refused.
    fn advance(&mut self, key: Option<Key>, next: usize, mut message: Message) -> Option<Outcome> {
        let direction = self.direction;
        for (i, hook) in self.chain.chain.iter().enumerate().skip(next) {
            let verdict = catch_unwind(AssertUnwindSafe(|| match direction {
                Direction::Outgoing => hook.outgoing(&mut message),
                Direction::Incoming => hook.incoming(&mut message),
            }));
            let error = match verdict.map(|v| v.0) {
                Ok(Decision::Pass) => continue,
                Ok(Decision::Drop) => None,
                Ok(Decision::Fail(e)) => Some(e),
                Ok(Decision::Later(decide)) => {
                    let key = key.unwrap_or_else(|| Key::of(direction, &message));
                    let decide = match catch_unwind(AssertUnwindSafe(|| decide(message))) {
                        Ok(decide) => decide,
                        Err(_) => {
                            let error = panicked(key.name);
                            return Some(refused(key, Some(error)));
                        }
                    };
                    self.parked = Some(Parked {
                        key,
                        next: i + 1,
                        decide,
                        deadline: tokio::time::Instant::now().into_std() + self.chain.timeout,
                    });
                    return None;
                }
                Err(_) => Some(panicked(message.name())),
            };
            let key = key.unwrap_or_else(|| Key::of(direction, &message));
            return Some(refused(key, error));
        }
        Some(Outcome::Pass(message))
    }
}

/// What a refusal needs to know of its message.
struct Key {
    role: Role,
    /// The message's name, for the log.
    name: &'static str,
    /// A message whose refusal is not allowed, kept to be handled as received.
    original: Option<Message>,
}

impl Key {
    /// The key of `message` (refusals are rare: a message that cannot be refused is copied).
    fn of(direction: Direction, message: &Message) -> Key {
        let role = Role::of(direction, message);
        Key {
            role,
            name: message.name(),
            original: (role == Role::State).then(|| message.clone()),
        }
    }
}

fn panicked(name: &'static str) -> WampError {
    tracing::error!(message = name, "an interceptor panicked; the message fails");
    WampError::with_message(error_uri::RUNTIME_ERROR, "an interceptor panicked")
}

/// A refusal: failed with `error`, or dropped (`None`).
fn refused(key: Key, error: Option<WampError>) -> Outcome {
    let Key {
        role,
        name,
        original,
    } = key;
    let (dropped, error) = match error {
        Some(e) => (false, e),
        None => (
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
