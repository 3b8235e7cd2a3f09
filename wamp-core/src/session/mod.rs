//! The client session state machine, with no IO and no clock of its own.
//!
//! [`ClientSession`] is fed the messages the router sends ([`ClientSession::handle_message`]),
//! the passing of time ([`ClientSession::handle_timeout`]), bytes arriving
//! ([`ClientSession::handle_activity`]) and the loss of the transport
//! ([`ClientSession::handle_transport_closed`]); the user's commands
//! ([`ClientSession::call`], [`ClientSession::register`], ...) return request ids and queue
//! messages. Messages to send come out of [`ClientSession::poll_transmit`], transport pings out
//! of [`ClientSession::poll_ping`], everything the user must hear about out of
//! [`ClientSession::poll_event`], and the next instant at which
//! [`ClientSession::handle_timeout`] must be called out of [`ClientSession::poll_timeout`].
//!
//! The session owns every deadline: the join (no WELCOME in time), the leave (no GOODBYE reply
//! in time), liveness (a probe when the router has been silent, and the session is lost when
//! the probe goes unanswered), each call's timeout (the `timeout` option of CALL, enforced here
//! whatever the router does) and each invocation's timeout (`INVOCATION.Details.timeout`).
//! Time is an argument: the session never reads a clock, so all of this is tested with
//! made-up instants.
//!
//! Each request carries a *waiter* chosen by the driver: `C` for calls, `A` for the other
//! requests (typically oneshot senders of the two reply types). The session keeps it in its one
//! table of pending requests and hands it back with the answer, so there is exactly one table.
//! When the session ends for any reason every waiter comes back with
//! [`CallFailure::Lost`] or [`Failure::Lost`]: no request is ever forgotten.
//!
//! Call order: [`ClientSession::new`], [`ClientSession::hello`], then any number of
//! `handle_*` inputs and commands, each followed by draining `poll_transmit`, `poll_ping` and
//! `poll_event`, then arming a timer for `poll_timeout`.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use wamp_core::session::{CallFailure, ClientSession, HelloConfig, SessionConfig, SessionEvent};
//! use wamp_core::message::Message;
//! use wamp_core::Dict;
//!
//! let start = Instant::now();
//! let mut s: ClientSession<&str, &str> =
//!     ClientSession::new(HelloConfig::new("realm1"), SessionConfig::default());
//! s.hello(start);
//! assert!(matches!(s.poll_transmit(), Some(Message::Hello { .. })));
//! s.handle_message(start, Message::Welcome { session: 7, details: Dict::new() }).unwrap();
//! assert!(matches!(s.poll_event(), Some(SessionEvent::Joined(d)) if d.session == 7));
//!
//! // A call with a 2 s timeout, which the router never answers.
//! let mut options = Dict::new();
//! options.insert("timeout".into(), 2000.into());
//! let request = s.call(start, "com.example.add2", options, vec![2.into(), 3.into()], Dict::new(), "waiter").unwrap();
//! let _call = s.poll_transmit().unwrap();
//! assert_eq!(s.poll_timeout(), Some(start + Duration::from_secs(2)));
//! s.handle_timeout(start + Duration::from_secs(2));
//! match s.poll_event() {
//!     Some(SessionEvent::CallFailed { request: r, failure: CallFailure::Timeout(t), .. }) => {
//!         assert_eq!((r, t), (request, Duration::from_secs(2)));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::{ProtocolError, WampError};
use crate::id::{Id, PeerIdMap, PeerIdSet};
use crate::message::Message;
use crate::uri::{close_uri, error_uri};
use crate::value::{Dict, Str, Value};

mod details;
mod requests;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod time_tests;

pub use details::{
    default_roles, CloseDetails, CloseInitiator, HelloConfig, SessionDetails, CALLEE_FEATURES,
    CALLER_FEATURES, PUBLISHER_FEATURES, SUBSCRIBER_FEATURES,
};
pub use requests::{Waiter, MAX_ABANDONED};

use requests::{Deadline, DeadlineHeap, Kind, Requests, Slot};

/// The procedure a liveness probe calls (with our own session id): answered by routers that
/// have the session meta API, and refused with an ERROR by the others, which proves them
/// alive just as well.
pub const PROBE_PROCEDURE: &str = "wamp.session.get";

/// The session's deadlines. The defaults: 10 s for WELCOME, 5 s for the router's GOODBYE, no
/// liveness checks (the client turns them on per transport).
///
/// ```
/// use std::time::Duration;
/// use wamp_core::session::SessionConfig;
///
/// let c = SessionConfig::default();
/// assert_eq!(c.join_timeout, Duration::from_secs(10));
/// assert_eq!(c.leave_timeout, Duration::from_secs(5));
/// assert!(c.liveness.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// How long after HELLO the router has to send WELCOME (or finish authenticating).
    pub join_timeout: Duration,
    /// How long after our GOODBYE the router has to answer; the session then ends anyway.
    pub leave_timeout: Duration,
    /// How the session notices a router that went silent, if at all.
    pub liveness: Option<Liveness>,
}

impl SessionConfig {
    /// The default join timeout: 10 s.
    pub const DEFAULT_JOIN_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default leave timeout: 5 s.
    pub const DEFAULT_LEAVE_TIMEOUT: Duration = Duration::from_secs(5);

    /// Sets the join timeout.
    pub fn join_timeout(mut self, timeout: Duration) -> Self {
        self.join_timeout = timeout;
        self
    }

    /// Sets the leave timeout.
    pub fn leave_timeout(mut self, timeout: Duration) -> Self {
        self.leave_timeout = timeout;
        self
    }

    /// Sets the liveness checks.
    pub fn liveness(mut self, liveness: Option<Liveness>) -> Self {
        self.liveness = liveness;
        self
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            join_timeout: Self::DEFAULT_JOIN_TIMEOUT,
            leave_timeout: Self::DEFAULT_LEAVE_TIMEOUT,
            liveness: None,
        }
    }
}

/// Liveness checks: after `interval` with nothing from the router, a probe goes out; when
/// nothing at all arrives within `timeout` of it, the router is taken for gone and the session
/// ends with `wamp.close.transport_lost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    /// How long the router may be silent before it is probed.
    pub interval: Duration,
    /// How long a probe may go unanswered.
    pub timeout: Duration,
    /// How to probe.
    pub probe: Probe,
}

/// How a liveness probe is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// A transport-level ping (WebSocket): [`ClientSession::poll_ping`] says when.
    Ping,
    /// A WAMP request any router answers ([`PROBE_PROCEDURE`]): for transports whose routers
    /// do not answer pings (RawSocket on Crossbar.io).
    Call,
}

/// How the router should cancel a call (`CANCEL.Options.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CancelMode {
    /// Answer the caller at once and let the callee finish unaware.
    Skip,
    /// Interrupt the callee and pass on its answer.
    Kill,
    /// Interrupt the callee and answer the caller at once.
    #[default]
    KillNoWait,
}

impl CancelMode {
    /// The mode as written in CANCEL: `skip`, `kill`, `killnowait`.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelMode::Skip => "skip",
            CancelMode::Kill => "kill",
            CancelMode::KillNoWait => "killnowait",
        }
    }
}

/// Why a request other than a call got no acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The router answered with ERROR.
    Error(WampError),
    /// The session ended before the answer came.
    Lost(CloseDetails),
}

/// Why a call got no result.
#[derive(Debug, Clone, PartialEq)]
pub enum CallFailure {
    /// The router or the callee answered with ERROR.
    Error(WampError),
    /// The session ended before the answer came.
    Lost(CloseDetails),
    /// The call's timeout passed first; CANCEL was sent if the router can cancel.
    Timeout(Duration),
    /// The call was canceled without waiting for the callee (`skip`, `killnowait`, or a
    /// router that cannot cancel).
    Canceled,
}

/// Something the user of the session must hear about.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionEvent<C, A> {
    /// WELCOME arrived: the session is established.
    Joined(SessionDetails),
    /// The router asks us to authenticate; answer with [`ClientSession::authenticate`] or
    /// [`ClientSession::abort`].
    Challenge {
        /// The authentication method.
        method: String,
        /// Its data.
        extra: Dict,
    },
    /// The final RESULT of a call.
    Result {
        /// The call's request id.
        request: Id,
        /// The waiter given with the call.
        waiter: C,
        /// RESULT.Details
        details: Dict,
        /// Positional results.
        args: Vec<Value>,
        /// Keyword results.
        kwargs: Dict,
    },
    /// A progressive result of a pending call; the waiter stays in the table (see
    /// [`ClientSession::call_waiter_mut`]).
    Progress {
        /// The call's request id.
        request: Id,
        /// RESULT.Details
        details: Dict,
        /// Positional results.
        args: Vec<Value>,
        /// Keyword results.
        kwargs: Dict,
    },
    /// REGISTERED, UNREGISTERED, SUBSCRIBED, UNSUBSCRIBED or PUBLISHED.
    Acknowledged {
        /// The request's id.
        request: Id,
        /// The waiter given with the request.
        waiter: A,
        /// The registration or subscription made or removed, or the publication.
        id: Id,
    },
    /// A call failed.
    CallFailed {
        /// The call's request id.
        request: Id,
        /// The waiter given with the call.
        waiter: C,
        /// Why.
        failure: CallFailure,
    },
    /// A request other than a call failed.
    Failed {
        /// The request's id.
        request: Id,
        /// The waiter given with the request.
        waiter: A,
        /// Why.
        failure: Failure,
    },
    /// The router invokes one of our procedures; answer with [`ClientSession::yield_result`]
    /// or [`ClientSession::yield_error`].
    Invocation {
        /// The invocation's request id.
        request: Id,
        /// The registration it is for.
        registration: Id,
        /// INVOCATION.Details
        details: Dict,
        /// Positional arguments.
        args: Vec<Value>,
        /// Keyword arguments.
        kwargs: Dict,
    },
    /// The invocation must stop: the router sent INTERRUPT, or its `timeout` passed (then
    /// `options.reason` is `wamp.error.timeout`). Answer it with an error.
    Interrupt {
        /// The invocation's request id.
        request: Id,
        /// INTERRUPT.Options (`mode`, `reason`).
        options: Dict,
    },
    /// An event for one of our subscriptions.
    Event {
        /// The subscription.
        subscription: Id,
        /// The publication id.
        publication: Id,
        /// EVENT.Details
        details: Dict,
        /// Positional arguments.
        args: Vec<Value>,
        /// Keyword arguments.
        kwargs: Dict,
    },
    /// The router revoked a registration (UNREGISTERED with request 0).
    RegistrationRevoked {
        /// The registration.
        registration: Id,
        /// The revocation details (`reason`).
        details: Dict,
    },
    /// The router revoked a subscription (UNSUBSCRIBED with request 0).
    SubscriptionRevoked {
        /// The subscription.
        subscription: Id,
        /// The revocation details (`reason`).
        details: Dict,
    },
    /// The session is over; every pending request has failed (`Lost`).
    Left(CloseDetails),
}

/// The phase of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not started, or over.
    Closed,
    /// HELLO sent, waiting for WELCOME / CHALLENGE / ABORT.
    Establishing,
    /// CHALLENGE answered, waiting for WELCOME / ABORT / another CHALLENGE.
    Challenging,
    /// Joined.
    Established,
    /// GOODBYE sent, waiting for the router's GOODBYE.
    ShuttingDown,
}

/// A command could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The session is not established.
    #[error("session is not joined (phase {0:?})")]
    NotJoined(Phase),
    /// The invocation is not (or no longer) pending: interrupted, answered, or from an older
    /// session.
    #[error("no pending invocation {0}")]
    NoSuchInvocation(Id),
    /// `cancel` for a call that is not pending.
    #[error("no pending call {0}")]
    NoSuchCall(Id),
}

/// A request the session refused, with its waiter handed back.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused<W> {
    /// Why.
    pub error: CommandError,
    /// The waiter given with the request.
    pub waiter: W,
}

/// A pending invocation: its deadline, if its caller gave one.
#[derive(Debug, Clone, Copy)]
struct Running {
    deadline: Option<Instant>,
}

/// The client side of one WAMP session. See the [module docs](self).
#[derive(Debug)]
pub struct ClientSession<C, A> {
    hello: HelloConfig,
    config: SessionConfig,
    phase: Phase,
    session_id: Option<Id>,
    /// Whether the dealer announced `call_canceling` (CANCEL is sent only then).
    router_cancels: bool,
    requests: Requests<C, A>,
    /// Tables keyed by ids the router chooses are keyed-hashed: a router cannot make their
    /// lookups collide.
    registrations: PeerIdSet,
    subscriptions: PeerIdSet,
    invocations: PeerIdMap<Running>,
    invocation_deadlines: DeadlineHeap,
    transmit: VecDeque<Message>,
    events: VecDeque<SessionEvent<C, A>>,
    join_deadline: Option<Instant>,
    leave_deadline: Option<Instant>,
    /// When something last arrived from the router (while established).
    last_activity: Option<Instant>,
    /// When the unanswered liveness probe went out.
    probe_sent: Option<Instant>,
    ping_due: bool,
}

impl<C, A> ClientSession<C, A> {
    /// A closed session that will join with `hello`, keeping the deadlines of `config`.
    pub fn new(hello: HelloConfig, config: SessionConfig) -> Self {
        ClientSession {
            hello,
            config,
            phase: Phase::Closed,
            session_id: None,
            router_cancels: false,
            requests: Requests::default(),
            registrations: PeerIdSet::default(),
            subscriptions: PeerIdSet::default(),
            invocations: PeerIdMap::default(),
            invocation_deadlines: DeadlineHeap::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            join_deadline: None,
            leave_deadline: None,
            last_activity: None,
            probe_sent: None,
            ping_due: false,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The session id, once joined.
    pub fn session_id(&self) -> Option<Id> {
        self.session_id
    }

    /// The deadlines the session keeps.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// How many requests wait for a reply (liveness probes and abandoned requests not
    /// counted).
    pub fn pending_requests(&self) -> usize {
        self.requests.live()
    }

    /// How many given-up requests are remembered until the router's late answer.
    pub fn abandoned_requests(&self) -> usize {
        self.requests.abandoned()
    }

    /// How many invocations wait for our YIELD or ERROR.
    pub fn pending_invocations(&self) -> usize {
        self.invocations.len()
    }

    /// Sends HELLO, and starts the join timeout. Only valid on a closed session; a session
    /// object is used for one join.
    pub fn hello(&mut self, now: Instant) {
        if self.phase != Phase::Closed {
            return;
        }
        self.phase = Phase::Establishing;
        self.join_deadline = Some(now + self.config.join_timeout);
        self.transmit.push_back(Message::Hello {
            realm: Str::new(&self.hello.realm),
            details: self.hello.details(),
        });
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Message> {
        self.transmit.pop_front()
    }

    /// Whether a transport ping is due (liveness with [`Probe::Ping`]); true once per probe.
    pub fn poll_ping(&mut self) -> bool {
        std::mem::take(&mut self.ping_due)
    }

    /// The next event for the user.
    pub fn poll_event(&mut self) -> Option<SessionEvent<C, A>> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next, if ever.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        match self.phase {
            Phase::Closed => None,
            Phase::Establishing | Phase::Challenging => self.join_deadline,
            Phase::ShuttingDown => self.leave_deadline,
            Phase::Established => {
                let invocations = &self.invocations;
                let candidates = [
                    self.liveness_deadline(),
                    self.requests.next_deadline(),
                    self.invocation_deadlines.next(
                        |at, id| matches!(invocations.get(&id), Some(r) if r.deadline == Some(at)),
                    ),
                ];
                candidates.into_iter().flatten().min()
            }
        }
    }

    fn liveness_deadline(&self) -> Option<Instant> {
        let liveness = self.config.liveness?;
        match self.probe_sent {
            Some(sent) => Some(sent + liveness.timeout),
            None => self.last_activity.map(|t| t + liveness.interval),
        }
    }

    /// Time has passed: deadlines at or before `now` take effect (a join or leave that took
    /// too long ends the session, calls past their timeout fail, invocations past theirs are
    /// interrupted, a silent router is probed, an unanswered probe ends the session).
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Closed => {}
            Phase::Establishing | Phase::Challenging => {
                if self.join_deadline.is_some_and(|d| now >= d) {
                    self.join_timed_out();
                }
            }
            Phase::ShuttingDown => {
                if self.leave_deadline.is_some_and(|d| now >= d) {
                    self.close(CloseDetails {
                        reason: close_uri::TRANSPORT_LOST.to_owned(),
                        message: Some(format!(
                            "no GOODBYE reply within {:?}",
                            self.config.leave_timeout
                        )),
                        initiator: CloseInitiator::Transport,
                    });
                }
            }
            Phase::Established => {
                while let Some((request, waiter, timeout)) = self.requests.pop_expired(now) {
                    self.send_cancel(request, CancelMode::KillNoWait);
                    self.events.push_back(SessionEvent::CallFailed {
                        request,
                        waiter,
                        failure: CallFailure::Timeout(timeout),
                    });
                }
                self.expire_invocations(now);
                self.check_liveness(now);
            }
        }
    }

    fn join_timed_out(&mut self) {
        let message = format!("no WELCOME within {:?}", self.config.join_timeout);
        let mut details = Dict::new();
        details.insert("message".into(), Value::from(message.as_str()));
        self.transmit.push_back(Message::Abort {
            details,
            reason: Str::from_static(error_uri::TIMEOUT),
        });
        self.close(CloseDetails {
            reason: error_uri::TIMEOUT.to_owned(),
            message: Some(message),
            initiator: CloseInitiator::Timeout,
        });
    }

    fn expire_invocations(&mut self, now: Instant) {
        loop {
            let invocations = &self.invocations;
            let due = self.invocation_deadlines.pop_due(
                now,
                |at, id| matches!(invocations.get(&id), Some(r) if r.deadline == Some(at)),
            );
            let Some((_, request)) = due else { break };
            if let Some(r) = self.invocations.get_mut(&request) {
                r.deadline = None;
            }
            let mut options = Dict::new();
            options.insert("mode".into(), CancelMode::KillNoWait.as_str().into());
            options.insert("reason".into(), error_uri::TIMEOUT.into());
            self.events
                .push_back(SessionEvent::Interrupt { request, options });
        }
    }

    fn check_liveness(&mut self, now: Instant) {
        let Some(liveness) = self.config.liveness else {
            return;
        };
        if let Some(sent) = self.probe_sent {
            if now >= sent + liveness.timeout {
                self.close(CloseDetails {
                    reason: close_uri::TRANSPORT_LOST.to_owned(),
                    message: Some(format!(
                        "no answer to a keepalive probe within {:?}",
                        liveness.timeout
                    )),
                    initiator: CloseInitiator::Transport,
                });
            }
            return;
        }
        let idle_since = *self.last_activity.get_or_insert(now);
        if now < idle_since + liveness.interval {
            return;
        }
        self.probe_sent = Some(now);
        match liveness.probe {
            Probe::Ping => self.ping_due = true,
            Probe::Call => {
                let request = self.requests.insert(Slot::Probe);
                let session = self.session_id.unwrap_or_default();
                self.transmit.push_back(Message::Call {
                    request,
                    options: Dict::new(),
                    procedure: Str::from_static(PROBE_PROCEDURE),
                    args: vec![Value::from(session)],
                    kwargs: Dict::new(),
                });
            }
        }
    }

    /// Something arrived from the router (any bytes, a pong): it is alive.
    pub fn handle_activity(&mut self, now: Instant) {
        self.last_activity = Some(now);
        self.probe_sent = None;
    }

    /// The waiter of a pending call, e.g. to deliver progressive results.
    pub fn call_waiter_mut(&mut self, request: Id) -> Option<&mut C> {
        self.requests.call_waiter_mut(request)
    }

    fn ensure_joined(&self) -> Result<(), CommandError> {
        if self.phase == Phase::Established {
            Ok(())
        } else {
            Err(CommandError::NotJoined(self.phase))
        }
    }

    fn check_joined<T>(&self, waiter: T) -> Result<T, Refused<T>> {
        match self.ensure_joined() {
            Ok(()) => Ok(waiter),
            Err(error) => Err(Refused { error, waiter }),
        }
    }

    /// Removes a pending request without an answer and hands back its waiter (e.g. when its
    /// message could not be sent).
    pub fn discard_request(&mut self, request: Id) -> Option<Waiter<C, A>> {
        match self.requests.remove(request)? {
            Slot::Call { waiter, .. } => Some(Waiter::Call(waiter)),
            Slot::Ack { waiter, .. } => Some(Waiter::Ack(waiter)),
            Slot::Probe | Slot::Abandoned { .. } => None,
        }
    }

    /// Fails pending request `request` with `error`, as if the router had answered it with
    /// ERROR: for what stands between this session and the wire (a client's message
    /// interceptors refusing a request on its way out, or its answer on its way in). With
    /// `sent`, the router knows the request: it is remembered (like a cancelled call), so
    /// that what the router still sends for it is ignored. False when no such request waits
    /// (a publication without acknowledgement, an answer already given).
    pub fn fail_request(&mut self, request: Id, error: WampError, sent: bool) -> bool {
        let waiter = if sent {
            if !matches!(
                self.requests.get(request),
                Some(Slot::Call { .. } | Slot::Ack { .. })
            ) {
                return false;
            }
            self.requests.abandon(request)
        } else {
            self.discard_request(request)
        };
        match waiter {
            Some(Waiter::Call(waiter)) => self.events.push_back(SessionEvent::CallFailed {
                request,
                waiter,
                failure: CallFailure::Error(error),
            }),
            Some(Waiter::Ack(waiter)) => self.events.push_back(SessionEvent::Failed {
                request,
                waiter,
                failure: Failure::Error(error),
            }),
            None => return false,
        }
        true
    }

    /// The YIELD or ERROR answering invocation `request` could not be sent (too large, not
    /// encodable): sends `error` in its place.
    pub fn replace_invocation_answer(&mut self, request: Id, error: WampError) {
        if self.phase != Phase::Established {
            return;
        }
        self.transmit
            .push_back(Message::invocation_error(request, error));
    }

    /// Sends CALL. The waiter comes back with [`SessionEvent::Result`] or
    /// [`SessionEvent::CallFailed`]; progressive results come as [`SessionEvent::Progress`].
    ///
    /// A `timeout` option (integer milliseconds, above zero) is sent to the router as the
    /// spec says, and enforced here too: the call fails with [`CallFailure::Timeout`] once
    /// it passes, whatever the router does, and CANCEL `killnowait` goes out if the router can
    /// cancel. Each progressive result restarts the timer.
    pub fn call(
        &mut self,
        now: Instant,
        procedure: impl Into<Str>,
        options: Dict,
        args: Vec<Value>,
        kwargs: Dict,
        waiter: C,
    ) -> Result<Id, Refused<C>> {
        let waiter = self.check_joined(waiter)?;
        let deadline = options
            .get("timeout")
            .and_then(Value::as_u64)
            .filter(|ms| *ms > 0)
            .map(|ms| {
                let timeout = Duration::from_millis(ms);
                Deadline {
                    at: now + timeout,
                    timeout,
                }
            });
        let request = self.requests.insert(Slot::Call { waiter, deadline });
        self.transmit.push_back(Message::Call {
            request,
            options,
            procedure: procedure.into(),
            args,
            kwargs,
        });
        Ok(request)
    }

    /// Cancels a pending call: CANCEL with `mode` goes to the router (if it can cancel).
    ///
    /// With [`CancelMode::Kill`] the call's waiter still gets the final answer (the callee's
    /// result, or usually ERROR `wamp.error.canceled`). With `skip` and `killnowait`, which do
    /// not wait for the callee, the call fails here at once with [`CallFailure::Canceled`]
    /// and the router's answer is dropped when it comes (Crossbar.io 26.10.1 never answers a
    /// `skip`). When the router cannot cancel (no `call_canceling` in WELCOME), the call is
    /// given up here in every mode.
    pub fn cancel(&mut self, request: Id, mode: CancelMode) -> Result<(), CommandError> {
        self.ensure_joined()?;
        if !matches!(self.requests.get(request), Some(Slot::Call { .. })) {
            return Err(CommandError::NoSuchCall(request));
        }
        self.send_cancel(request, mode);
        if mode != CancelMode::Kill || !self.router_cancels {
            if let Some(Waiter::Call(waiter)) = self.requests.abandon(request) {
                self.events.push_back(SessionEvent::CallFailed {
                    request,
                    waiter,
                    failure: CallFailure::Canceled,
                });
            }
        }
        Ok(())
    }

    /// Gives up a pending call whose caller went away: its waiter is handed back (and never
    /// answered), CANCEL with `mode` goes to the router if it can cancel, and the router's
    /// late answer will be dropped.
    pub fn abandon_call(&mut self, request: Id, mode: CancelMode) -> Option<C> {
        if !matches!(self.requests.get(request), Some(Slot::Call { .. })) {
            return None;
        }
        let waiter = match self.requests.abandon(request) {
            Some(Waiter::Call(w)) => Some(w),
            _ => None,
        };
        self.send_cancel(request, mode);
        waiter
    }

    fn send_cancel(&mut self, request: Id, mode: CancelMode) {
        if self.phase == Phase::Established && self.router_cancels {
            let mut options = Dict::new();
            options.insert("mode".into(), mode.as_str().into());
            self.transmit
                .push_back(Message::Cancel { request, options });
        }
    }

    fn ack_request(&mut self, kind: Kind, waiter: A) -> Result<Id, Refused<A>> {
        let waiter = self.check_joined(waiter)?;
        Ok(self.requests.insert(Slot::Ack { kind, waiter }))
    }

    /// Sends REGISTER. The waiter comes back with [`SessionEvent::Acknowledged`] carrying the
    /// registration id, or [`SessionEvent::Failed`].
    pub fn register(
        &mut self,
        procedure: impl Into<Str>,
        options: Dict,
        waiter: A,
    ) -> Result<Id, Refused<A>> {
        let request = self.ack_request(Kind::Register, waiter)?;
        self.transmit.push_back(Message::Register {
            request,
            options,
            procedure: procedure.into(),
        });
        Ok(request)
    }

    /// Sends UNREGISTER. The waiter comes back with [`SessionEvent::Acknowledged`] (the id is
    /// the registration removed).
    pub fn unregister(&mut self, registration: Id, waiter: A) -> Result<Id, Refused<A>> {
        let request = self.ack_request(Kind::Unregister(registration), waiter)?;
        self.transmit.push_back(Message::Unregister {
            request,
            registration,
        });
        Ok(request)
    }

    /// Sends SUBSCRIBE. The waiter comes back with [`SessionEvent::Acknowledged`] carrying the
    /// subscription id (the router returns the same id for a repeated subscription to the same
    /// topic).
    pub fn subscribe(
        &mut self,
        topic: impl Into<Str>,
        options: Dict,
        waiter: A,
    ) -> Result<Id, Refused<A>> {
        let request = self.ack_request(Kind::Subscribe, waiter)?;
        self.transmit.push_back(Message::Subscribe {
            request,
            options,
            topic: topic.into(),
        });
        Ok(request)
    }

    /// Sends UNSUBSCRIBE. The waiter comes back with [`SessionEvent::Acknowledged`] (the id is
    /// the subscription removed).
    pub fn unsubscribe(&mut self, subscription: Id, waiter: A) -> Result<Id, Refused<A>> {
        let request = self.ack_request(Kind::Unsubscribe(subscription), waiter)?;
        self.transmit.push_back(Message::Unsubscribe {
            request,
            subscription,
        });
        Ok(request)
    }

    /// Sends PUBLISH. With `waiter` the publication is acknowledged (`acknowledge: true` is
    /// set) and the waiter comes back with the publication id or the error; without, nothing
    /// comes back.
    pub fn publish(
        &mut self,
        topic: impl Into<Str>,
        mut options: Dict,
        args: Vec<Value>,
        kwargs: Dict,
        waiter: Option<A>,
    ) -> Result<Id, Refused<Option<A>>> {
        let waiter = self.check_joined(waiter)?;
        let request = match waiter {
            Some(waiter) => {
                options.insert("acknowledge".into(), Value::Bool(true));
                self.requests.insert(Slot::Ack {
                    kind: Kind::Publish,
                    waiter,
                })
            }
            None => {
                options.remove("acknowledge");
                self.requests.next_id()
            }
        };
        self.transmit.push_back(Message::Publish {
            request,
            options,
            topic: topic.into(),
            args,
            kwargs,
        });
        Ok(request)
    }

    /// Answers an invocation with YIELD. With `options.progress = true` the invocation stays
    /// pending (a progressive result).
    pub fn yield_result(
        &mut self,
        request: Id,
        options: Dict,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Result<(), CommandError> {
        self.ensure_joined()?;
        let progress = options.get("progress").and_then(Value::as_bool) == Some(true);
        let live = if progress {
            self.invocations.contains_key(&request)
        } else {
            self.invocations.remove(&request).is_some()
        };
        if !live {
            return Err(CommandError::NoSuchInvocation(request));
        }
        self.transmit.push_back(Message::Yield {
            request,
            options,
            args,
            kwargs,
        });
        Ok(())
    }

    /// Answers an invocation with ERROR.
    pub fn yield_error(&mut self, request: Id, error: WampError) -> Result<(), CommandError> {
        self.ensure_joined()?;
        if self.invocations.remove(&request).is_none() {
            return Err(CommandError::NoSuchInvocation(request));
        }
        self.transmit
            .push_back(Message::invocation_error(request, error));
        Ok(())
    }

    /// Answers a CHALLENGE.
    pub fn authenticate(&mut self, signature: String, extra: Dict) -> Result<(), CommandError> {
        match self.phase {
            Phase::Establishing | Phase::Challenging => {
                self.phase = Phase::Challenging;
                self.transmit.push_back(Message::Authenticate {
                    signature: signature.into(),
                    extra,
                });
                Ok(())
            }
            p => Err(CommandError::NotJoined(p)),
        }
    }

    /// Sends GOODBYE `reason` (normally `wamp.close.normal`); the session ends when the
    /// router answers, the transport closes, or the leave timeout passes.
    pub fn leave(
        &mut self,
        now: Instant,
        reason: &str,
        message: Option<&str>,
    ) -> Result<(), CommandError> {
        self.ensure_joined()?;
        let mut details = Dict::new();
        if let Some(m) = message {
            details.insert("message".into(), Value::from(m));
        }
        self.phase = Phase::ShuttingDown;
        self.leave_deadline = Some(now + self.config.leave_timeout);
        self.transmit.push_back(Message::Goodbye {
            details,
            reason: Str::new(reason),
        });
        Ok(())
    }

    /// Sends ABORT and ends the session at once (e.g. when we cannot answer a challenge).
    pub fn abort(&mut self, reason: &str, message: Option<&str>) {
        if self.phase == Phase::Closed {
            return;
        }
        let mut details = Dict::new();
        if let Some(m) = message {
            details.insert("message".into(), Value::from(m));
        }
        self.transmit.push_back(Message::Abort {
            details,
            reason: Str::new(reason),
        });
        self.close(CloseDetails {
            reason: reason.to_owned(),
            message: message.map(str::to_owned),
            initiator: CloseInitiator::ClientAbort,
        });
    }

    /// The transport is gone: the session ends with `wamp.close.transport_lost` (unless it
    /// had already ended) and every pending request fails.
    pub fn handle_transport_closed(&mut self, message: Option<String>) {
        if self.phase == Phase::Closed {
            return;
        }
        self.close(CloseDetails {
            reason: close_uri::TRANSPORT_LOST.to_owned(),
            message,
            initiator: CloseInitiator::Transport,
        });
    }

    /// A message that could not be decoded arrived: that is a protocol violation.
    pub fn handle_decode_error(&mut self, error: &ProtocolError) {
        self.violation(error);
    }

    fn violation(&mut self, error: &ProtocolError) {
        if self.phase == Phase::Closed {
            return;
        }
        let text = error.to_string();
        let mut details = Dict::new();
        details.insert("message".into(), Value::from(text.as_str()));
        self.transmit.push_back(Message::Abort {
            details,
            reason: Str::from_static(error_uri::PROTOCOL_VIOLATION),
        });
        self.close(CloseDetails {
            reason: error_uri::PROTOCOL_VIOLATION.to_owned(),
            message: Some(text),
            initiator: CloseInitiator::ProtocolViolation,
        });
    }

    fn close(&mut self, details: CloseDetails) {
        self.phase = Phase::Closed;
        self.join_deadline = None;
        self.leave_deadline = None;
        self.probe_sent = None;
        self.ping_due = false;
        self.registrations.clear();
        self.subscriptions.clear();
        self.invocations.clear();
        self.invocation_deadlines.clear();
        for (request, waiter) in self.requests.drain_waiters() {
            let lost = details.clone();
            self.events.push_back(match waiter {
                Waiter::Call(waiter) => SessionEvent::CallFailed {
                    request,
                    waiter,
                    failure: CallFailure::Lost(lost),
                },
                Waiter::Ack(waiter) => SessionEvent::Failed {
                    request,
                    waiter,
                    failure: Failure::Lost(lost),
                },
            });
        }
        self.events.push_back(SessionEvent::Left(details));
    }

    /// Feeds one message from the router, received at `now`. A message the protocol does not
    /// allow here is a violation: ABORT `wamp.error.protocol_violation` is queued, the session
    /// ends, and the error is returned so the driver can close the transport.
    pub fn handle_message(&mut self, now: Instant, msg: Message) -> Result<(), ProtocolError> {
        if self.phase == Phase::Established {
            self.handle_activity(now);
        }
        let result = self.dispatch(now, msg);
        if let Err(e) = &result {
            self.violation(e);
        }
        result
    }

    fn dispatch(&mut self, now: Instant, msg: Message) -> Result<(), ProtocolError> {
        match self.phase {
            Phase::Closed => Ok(()), // nothing is expected; ignore what trails a closed session
            Phase::Establishing | Phase::Challenging => self.dispatch_establishing(now, msg),
            Phase::ShuttingDown => {
                if let Message::Goodbye { details, reason } = msg {
                    self.close(CloseDetails {
                        reason: reason.into_string(),
                        message: message_of(&details),
                        initiator: CloseInitiator::Client,
                    });
                } else if let Message::Abort { details, reason } = msg {
                    self.close(CloseDetails {
                        reason: reason.into_string(),
                        message: message_of(&details),
                        initiator: CloseInitiator::RouterAbort,
                    });
                }
                Ok(())
            }
            Phase::Established => self.dispatch_established(now, msg),
        }
    }

    fn dispatch_establishing(&mut self, now: Instant, msg: Message) -> Result<(), ProtocolError> {
        match msg {
            Message::Welcome { session, details } => {
                self.phase = Phase::Established;
                self.session_id = Some(session);
                self.join_deadline = None;
                self.last_activity = Some(now);
                let d = SessionDetails::from_welcome(session, &self.hello.realm, details);
                self.router_cancels = d.router_has_feature("dealer", "call_canceling");
                self.events.push_back(SessionEvent::Joined(d));
                Ok(())
            }
            Message::Challenge { method, extra } => {
                self.phase = Phase::Challenging;
                self.events.push_back(SessionEvent::Challenge {
                    method: method.into_string(),
                    extra,
                });
                Ok(())
            }
            Message::Abort { details, reason } => {
                self.close(CloseDetails {
                    reason: reason.into_string(),
                    message: message_of(&details),
                    initiator: CloseInitiator::RouterAbort,
                });
                Ok(())
            }
            other => Err(ProtocolError::Unexpected {
                message: other.name(),
                state: "before WELCOME",
            }),
        }
    }

    /// Removes pending request `request` if `accepts` takes its kind; anything else is a
    /// reply to an unknown request (the request then stays: the session is about to end with
    /// a protocol violation, which answers every waiter).
    fn take(
        &mut self,
        message: &'static str,
        request: Id,
        accepts: impl Fn(Kind) -> bool,
    ) -> Result<Slot<C, A>, ProtocolError> {
        let unknown = || ProtocolError::UnknownRequest { message, request };
        match self.requests.get(request) {
            Some(slot) if accepts(slot.kind()) => self.requests.remove(request).ok_or_else(unknown),
            _ => Err(unknown()),
        }
    }

    /// An acknowledgement: its waiter hears about it (nothing for a request given up).
    fn acknowledged(&mut self, request: Id, slot: Slot<C, A>, id: Id) {
        if let Slot::Ack { waiter, .. } = slot {
            self.events.push_back(SessionEvent::Acknowledged {
                request,
                waiter,
                id,
            });
        }
    }

    fn dispatch_established(&mut self, now: Instant, msg: Message) -> Result<(), ProtocolError> {
        match msg {
            Message::Result {
                request,
                details,
                args,
                kwargs,
            } => {
                let is_call = |k| matches!(k, Kind::Call | Kind::Probe);
                let progress = details.get("progress").and_then(Value::as_bool) == Some(true);
                if progress {
                    match self.requests.get(request) {
                        Some(Slot::Call { .. }) => {
                            self.requests.restart_deadline(request, now);
                            self.events.push_back(SessionEvent::Progress {
                                request,
                                details,
                                args,
                                kwargs,
                            });
                        }
                        Some(slot) if is_call(slot.kind()) => {} // given up, or a probe
                        _ => {
                            return Err(ProtocolError::UnknownRequest {
                                message: "RESULT",
                                request,
                            })
                        }
                    }
                } else if let Slot::Call { waiter, .. } = self.take("RESULT", request, is_call)? {
                    self.events.push_back(SessionEvent::Result {
                        request,
                        waiter,
                        details,
                        args,
                        kwargs,
                    });
                }
            }
            Message::Registered {
                request,
                registration,
            } => {
                let slot = self.take("REGISTERED", request, |k| k == Kind::Register)?;
                self.registrations.insert(registration);
                self.acknowledged(request, slot, registration);
            }
            Message::Unregistered {
                request: 0,
                details,
            } => {
                let (registration, details) = revoked(details, "UNREGISTERED", "registration")?;
                self.registrations.remove(&registration);
                self.events.push_back(SessionEvent::RegistrationRevoked {
                    registration,
                    details,
                });
            }
            Message::Unregistered { request, .. } => {
                let slot = self.take("UNREGISTERED", request, |k| {
                    matches!(k, Kind::Unregister(_))
                })?;
                let Kind::Unregister(registration) = slot.kind() else {
                    return Ok(());
                };
                self.registrations.remove(&registration);
                self.acknowledged(request, slot, registration);
            }
            Message::Subscribed {
                request,
                subscription,
            } => {
                let slot = self.take("SUBSCRIBED", request, |k| k == Kind::Subscribe)?;
                self.subscriptions.insert(subscription);
                self.acknowledged(request, slot, subscription);
            }
            Message::Unsubscribed {
                request: 0,
                details,
            } => {
                let (subscription, details) = revoked(details, "UNSUBSCRIBED", "subscription")?;
                self.subscriptions.remove(&subscription);
                self.events.push_back(SessionEvent::SubscriptionRevoked {
                    subscription,
                    details,
                });
            }
            Message::Unsubscribed { request, .. } => {
                let slot = self.take("UNSUBSCRIBED", request, |k| {
                    matches!(k, Kind::Unsubscribe(_))
                })?;
                let Kind::Unsubscribe(subscription) = slot.kind() else {
                    return Ok(());
                };
                self.subscriptions.remove(&subscription);
                self.acknowledged(request, slot, subscription);
            }
            Message::Published {
                request,
                publication,
            } => {
                let slot = self.take("PUBLISHED", request, |k| k == Kind::Publish)?;
                self.acknowledged(request, slot, publication);
            }
            Message::Error {
                request_type,
                request,
                details: _,
                error,
                args,
                kwargs,
            } => {
                let slot = self.take("ERROR", request, |k| k.request_type() == request_type)?;
                let error = WampError {
                    uri: error.into_string(),
                    args,
                    kwargs,
                };
                match slot {
                    Slot::Call { waiter, deadline } => {
                        // The router's own timeout answer, read when ours is due (it enforces
                        // the same timeout): the call timed out, whichever came first.
                        let failure = match deadline {
                            Some(d)
                                if now >= d.at
                                    && matches!(
                                        error.uri.as_str(),
                                        error_uri::CANCELED | error_uri::TIMEOUT
                                    ) =>
                            {
                                CallFailure::Timeout(d.timeout)
                            }
                            _ => CallFailure::Error(error),
                        };
                        self.events.push_back(SessionEvent::CallFailed {
                            request,
                            waiter,
                            failure,
                        })
                    }
                    Slot::Ack { waiter, .. } => self.events.push_back(SessionEvent::Failed {
                        request,
                        waiter,
                        failure: Failure::Error(error),
                    }),
                    Slot::Probe | Slot::Abandoned { .. } => {}
                }
            }
            Message::Invocation {
                request,
                registration,
                details,
                args,
                kwargs,
            } => {
                if !self.registrations.contains(&registration) {
                    return Err(ProtocolError::Other(format!(
                        "INVOCATION for unknown registration {registration}"
                    )));
                }
                if self.invocations.contains_key(&request) {
                    return Err(ProtocolError::Other(format!(
                        "INVOCATION reuses pending request id {request}"
                    )));
                }
                let deadline = details
                    .get("timeout")
                    .and_then(Value::as_u64)
                    .filter(|ms| *ms > 0)
                    .map(|ms| now + Duration::from_millis(ms));
                if let Some(at) = deadline {
                    self.invocation_deadlines.push(at, request);
                    if self.invocation_deadlines.len() > 2 * self.invocations.len() + 64 {
                        let live = self
                            .invocations
                            .iter()
                            .filter_map(|(id, r)| r.deadline.map(|at| (at, *id)));
                        self.invocation_deadlines.rebuild(live);
                    }
                }
                self.invocations.insert(request, Running { deadline });
                self.events.push_back(SessionEvent::Invocation {
                    request,
                    registration,
                    details,
                    args,
                    kwargs,
                });
            }
            Message::Interrupt { request, options } => {
                // An INTERRUPT for an invocation we already answered is harmless (a race).
                if let Some(r) = self.invocations.get_mut(&request) {
                    r.deadline = None;
                    self.events
                        .push_back(SessionEvent::Interrupt { request, options });
                }
            }
            Message::Event {
                subscription,
                publication,
                details,
                args,
                kwargs,
            } => {
                if !self.subscriptions.contains(&subscription) {
                    return Err(ProtocolError::Other(format!(
                        "EVENT for unknown subscription {subscription}"
                    )));
                }
                self.events.push_back(SessionEvent::Event {
                    subscription,
                    publication,
                    details,
                    args,
                    kwargs,
                });
            }
            Message::Goodbye { details, reason } => {
                self.transmit.push_back(Message::Goodbye {
                    details: Dict::new(),
                    reason: Str::from_static(close_uri::GOODBYE_AND_OUT),
                });
                self.close(CloseDetails {
                    reason: reason.into_string(),
                    message: message_of(&details),
                    initiator: CloseInitiator::Router,
                });
            }
            Message::Abort { details, reason } => {
                self.close(CloseDetails {
                    reason: reason.into_string(),
                    message: message_of(&details),
                    initiator: CloseInitiator::RouterAbort,
                });
            }
            other => {
                return Err(ProtocolError::Unexpected {
                    message: other.name(),
                    state: "while established",
                })
            }
        }
        Ok(())
    }
}

/// The id named in a revocation's details (`[67, 0, {"registration": id}]`).
fn revoked(
    details: Option<Dict>,
    message: &'static str,
    key: &'static str,
) -> Result<(Id, Dict), ProtocolError> {
    let details = details.unwrap_or_default();
    let id = details
        .get(key)
        .and_then(Value::as_u64)
        .ok_or(ProtocolError::WrongType {
            message,
            field: "Details",
            expected: "a dict naming the revoked id",
        })?;
    Ok((id, details))
}

fn message_of(details: &Dict) -> Option<String> {
    details
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
}
