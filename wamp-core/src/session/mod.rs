//! The client session state machine, with no IO and no clock.
//!
//! [`ClientSession`] is fed the messages the router sends ([`ClientSession::handle_message`]) and
//! the loss of the transport ([`ClientSession::handle_transport_closed`]); the user's commands
//! ([`ClientSession::call`], [`ClientSession::register`], ...) return request ids and queue
//! messages. Messages to send come out of [`ClientSession::poll_transmit`], everything the user
//! must hear about comes out of [`ClientSession::poll_event`].
//!
//! Each request carries a *waiter* `W` chosen by the driver (typically a oneshot sender); the
//! session keeps it in its request table and hands it back with the reply, so there is exactly
//! one table of pending requests. When the session ends for any reason every waiter comes back
//! with [`Reply::Lost`]: no request is ever forgotten.
//!
//! Call order: [`ClientSession::new`], [`ClientSession::hello`], then any number of
//! `handle_*` inputs and commands, each followed by draining `poll_transmit` and `poll_event`.
//!
//! ```
//! use wamp_core::session::{ClientSession, HelloConfig, Event, Reply};
//! use wamp_core::message::Message;
//!
//! let mut s: ClientSession<&'static str> = ClientSession::new(HelloConfig::new("realm1"));
//! s.hello();
//! assert!(matches!(s.poll_transmit(), Some(Message::Hello { .. })));
//! s.handle_message(Message::Welcome { session: 7, details: Default::default() }).unwrap();
//! assert!(matches!(s.poll_event(), Some(Event::Joined(d)) if d.session == 7));
//!
//! let request = s.call("com.example.add2", Default::default(), vec![2.into(), 3.into()], Default::default(), "waiter").unwrap();
//! let _call = s.poll_transmit().unwrap();
//! s.handle_message(Message::Result { request, details: Default::default(), args: vec![5.into()], kwargs: Default::default() }).unwrap();
//! match s.poll_event() {
//!     Some(Event::Reply { waiter: "waiter", reply: Reply::Result { args, .. } }) => assert_eq!(args[0], 5.into()),
//!     other => panic!("{other:?}"),
//! }
//! ```

use std::collections::VecDeque;

use crate::error::{ProtocolError, WampError};
use crate::id::{Id, IdGenerator, IdMap, IdSet};
use crate::message::{Message, RequestType};
use crate::uri::close_uri;
use crate::value::{Args, Dict, Kwargs, Str, Value};

#[cfg(test)]
mod tests;

/// What the client says in HELLO.
#[derive(Debug, Clone, PartialEq)]
pub struct HelloConfig {
    /// The realm to join.
    pub realm: String,
    /// `authid`, if any.
    pub authid: Option<String>,
    /// `authrole`, if any.
    pub authrole: Option<String>,
    /// Authentication methods offered, in order (empty = anonymous).
    pub authmethods: Vec<String>,
    /// `authextra`, sent only when not empty.
    pub authextra: Dict,
    /// The `agent` string.
    pub agent: String,
    /// The roles and their features; [`HelloConfig::new`] fills in what this library implements.
    pub roles: Dict,
}

impl HelloConfig {
    /// A HELLO for `realm` with the four client roles and the features this library implements.
    pub fn new(realm: impl Into<String>) -> Self {
        HelloConfig {
            realm: realm.into(),
            authid: None,
            authrole: None,
            authmethods: Vec::new(),
            authextra: Dict::new(),
            agent: concat!("wamp-rs-", env!("CARGO_PKG_VERSION")).to_owned(),
            roles: default_roles(),
        }
    }

    fn details(&self) -> Dict {
        let mut d = Dict::new();
        d.insert("agent".into(), Value::from(self.agent.as_str()));
        d.insert("roles".into(), Value::Dict(self.roles.clone()));
        if !self.authmethods.is_empty() {
            d.insert(
                "authmethods".into(),
                Value::List(
                    self.authmethods
                        .iter()
                        .map(|m| Value::from(m.as_str()))
                        .collect(),
                ),
            );
        }
        if let Some(authid) = &self.authid {
            d.insert("authid".into(), Value::from(authid.as_str()));
        }
        if let Some(authrole) = &self.authrole {
            d.insert("authrole".into(), Value::from(authrole.as_str()));
        }
        if !self.authextra.is_empty() {
            d.insert("authextra".into(), Value::Dict(self.authextra.clone()));
        }
        d
    }
}

fn features(flags: &[&str]) -> Value {
    let f: Dict = flags
        .iter()
        .map(|f| ((*f).to_owned(), Value::Bool(true)))
        .collect();
    let mut role = Dict::new();
    role.insert("features".into(), Value::Dict(f));
    Value::Dict(role)
}

/// The roles and features this library implements, as announced in HELLO.
pub fn default_roles() -> Dict {
    let mut roles = Dict::new();
    // Progressive results and cancelling are in the state machine but not yet offered by the
    // client API, so the caller does not announce them.
    roles.insert("caller".into(), features(&["caller_identification"]));
    roles.insert(
        "callee".into(),
        features(&[
            "call_canceling",
            "caller_identification",
            "pattern_based_registration",
            "shared_registration",
            "registration_revocation",
        ]),
    );
    roles.insert(
        "publisher".into(),
        features(&[
            "publisher_exclusion",
            "publisher_identification",
            "subscriber_blackwhite_listing",
        ]),
    );
    roles.insert(
        "subscriber".into(),
        features(&[
            "pattern_based_subscription",
            "publisher_identification",
            "subscription_revocation",
        ]),
    );
    roles
}

/// What the router said in WELCOME.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDetails {
    /// The session id.
    pub session: Id,
    /// The realm actually joined.
    pub realm: String,
    /// The authenticated id, if the router said.
    pub authid: Option<String>,
    /// The role granted.
    pub authrole: Option<String>,
    /// The authentication method used.
    pub authmethod: Option<String>,
    /// The authentication provider.
    pub authprovider: Option<String>,
    /// Extra authentication data from the router.
    pub authextra: Dict,
    /// The router's roles and features (`broker`, `dealer`).
    pub router_roles: Dict,
    /// The router's agent string.
    pub router_agent: Option<String>,
    /// The whole WELCOME details dictionary.
    pub details: Dict,
}

impl SessionDetails {
    fn from_welcome(session: Id, realm: &str, details: Dict) -> Self {
        let text = |k: &str| details.get(k).and_then(Value::as_str).map(str::to_owned);
        let dict = |k: &str| {
            details
                .get(k)
                .and_then(Value::as_dict)
                .cloned()
                .unwrap_or_default()
        };
        SessionDetails {
            session,
            realm: text("realm").unwrap_or_else(|| realm.to_owned()),
            authid: text("authid"),
            authrole: text("authrole"),
            authmethod: text("authmethod"),
            authprovider: text("authprovider"),
            authextra: dict("authextra"),
            router_roles: dict("roles"),
            router_agent: text("agent"),
            details,
        }
    }

    /// Whether the router announced `feature` for `role` (`broker` or `dealer`).
    pub fn router_has_feature(&self, role: &str, feature: &str) -> bool {
        self.router_roles
            .get(role)
            .and_then(Value::as_dict)
            .and_then(|r| r.get("features"))
            .and_then(Value::as_dict)
            .and_then(|f| f.get(feature))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseDetails {
    /// The reason URI (`wamp.close.normal`, `wamp.error.not_authorized`, ...).
    pub reason: String,
    /// The human readable message, if any.
    pub message: Option<String>,
    /// Who ended it.
    pub initiator: CloseInitiator,
}

impl CloseDetails {
    /// Whether this is a clean end (GOODBYE with `wamp.close.normal` or
    /// `wamp.close.goodbye_and_out`, in either direction).
    pub fn is_clean(&self) -> bool {
        self.initiator != CloseInitiator::Transport
            && self.initiator != CloseInitiator::ProtocolViolation
            && (self.reason == close_uri::NORMAL || self.reason == close_uri::GOODBYE_AND_OUT)
    }
}

/// Who ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseInitiator {
    /// We sent GOODBYE and the router answered.
    Client,
    /// The router sent GOODBYE (and we answered).
    Router,
    /// The router sent ABORT.
    RouterAbort,
    /// We aborted (e.g. we could not authenticate).
    ClientAbort,
    /// Someone broke the protocol; ABORT `wamp.error.protocol_violation` was sent if the
    /// router was at fault.
    ProtocolViolation,
    /// The transport went away.
    Transport,
}

/// The reply to one request, handed back with its waiter.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The final RESULT of a call.
    Result {
        /// RESULT.Details
        details: Dict,
        /// Positional results.
        args: Args,
        /// Keyword results.
        kwargs: Kwargs,
    },
    /// REGISTERED.
    Registered(Id),
    /// UNREGISTERED.
    Unregistered,
    /// SUBSCRIBED.
    Subscribed(Id),
    /// UNSUBSCRIBED.
    Unsubscribed,
    /// PUBLISHED.
    Published(Id),
    /// An ERROR answering the request.
    Error(WampError),
    /// The session ended before the reply came.
    Lost(CloseDetails),
}

/// Something the user of the session must hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<W> {
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
    /// The reply to a request.
    Reply {
        /// The waiter given with the request.
        waiter: W,
        /// The reply.
        reply: Reply,
    },
    /// A progressive result of a pending call; the waiter stays in the table
    /// (see [`ClientSession::waiter_mut`]).
    Progress {
        /// The call's request id.
        request: Id,
        /// RESULT.Details
        details: Dict,
        /// Positional results.
        args: Args,
        /// Keyword results.
        kwargs: Kwargs,
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
        args: Args,
        /// Keyword arguments.
        kwargs: Kwargs,
    },
    /// The router asks to cancel an invocation.
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
        args: Args,
        /// Keyword arguments.
        kwargs: Kwargs,
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
    /// The session is over; every pending request has been answered with [`Reply::Lost`].
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
pub enum CommandError {
    /// The session is not established.
    #[error("session is not joined (phase {0:?})")]
    NotJoined(Phase),
    /// The invocation is not (or no longer) pending: interrupted, answered, or from an older
    /// session.
    #[error("no pending invocation {0}")]
    NoSuchInvocation(Id),
    /// `yield`/`cancel` for a call that is not pending.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call,
    Register,
    Unregister(Id),
    Subscribe,
    Unsubscribe(Id),
    Publish,
}

impl Kind {
    fn request_type(self) -> RequestType {
        match self {
            Kind::Call => RequestType::Call,
            Kind::Register => RequestType::Register,
            Kind::Unregister(_) => RequestType::Unregister,
            Kind::Subscribe => RequestType::Subscribe,
            Kind::Unsubscribe(_) => RequestType::Unsubscribe,
            Kind::Publish => RequestType::Publish,
        }
    }
}

/// The client side of one WAMP session. See the [module docs](self).
#[derive(Debug)]
pub struct ClientSession<W> {
    hello: HelloConfig,
    phase: Phase,
    session_id: Option<Id>,
    ids: IdGenerator,
    pending: IdMap<(Kind, W)>,
    registrations: IdSet,
    subscriptions: IdSet,
    invocations: IdSet,
    transmit: VecDeque<Message>,
    events: VecDeque<Event<W>>,
}

impl<W> ClientSession<W> {
    /// A closed session that will join with `hello`.
    pub fn new(hello: HelloConfig) -> Self {
        ClientSession {
            hello,
            phase: Phase::Closed,
            session_id: None,
            ids: IdGenerator::default(),
            pending: IdMap::default(),
            registrations: IdSet::default(),
            subscriptions: IdSet::default(),
            invocations: IdSet::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
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

    /// How many requests wait for a reply.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// How many invocations wait for our YIELD or ERROR.
    pub fn pending_invocations(&self) -> usize {
        self.invocations.len()
    }

    /// Sends HELLO. Only valid on a closed session; a session object is used for one join.
    pub fn hello(&mut self) {
        if self.phase != Phase::Closed {
            return;
        }
        self.phase = Phase::Establishing;
        self.transmit.push_back(Message::Hello {
            realm: Str::new(&self.hello.realm),
            details: self.hello.details(),
        });
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Message> {
        self.transmit.pop_front()
    }

    /// The next event for the user.
    pub fn poll_event(&mut self) -> Option<Event<W>> {
        self.events.pop_front()
    }

    /// The waiter of a pending call, e.g. to deliver progressive results.
    pub fn waiter_mut(&mut self, request: Id) -> Option<&mut W> {
        match self.pending.get_mut(&request) {
            Some((Kind::Call, w)) => Some(w),
            _ => None,
        }
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
    pub fn discard_request(&mut self, request: Id) -> Option<W> {
        self.pending.remove(&request).map(|(_, w)| w)
    }

    /// The YIELD or ERROR answering invocation `request` could not be sent (too large, not
    /// encodable): sends `error` in its place.
    pub fn replace_invocation_answer(&mut self, request: Id, error: WampError) {
        if self.phase != Phase::Established {
            return;
        }
        self.transmit.push_back(Message::Error {
            request_type: RequestType::Invocation,
            request,
            details: Dict::new(),
            error: error.uri.into(),
            args: error.args,
            kwargs: error.kwargs,
        });
    }

    fn request(&mut self, kind: Kind, waiter: W) -> Id {
        let mut id = self.ids.next_id();
        // After a wrap-around, skip ids still in use.
        while self.pending.contains_key(&id) {
            id = self.ids.next_id();
        }
        self.pending.insert(id, (kind, waiter));
        id
    }

    /// Sends CALL. The waiter gets [`Reply::Result`], [`Reply::Error`] or [`Reply::Lost`];
    /// progressive results come as [`Event::Progress`].
    pub fn call(
        &mut self,
        procedure: impl Into<Str>,
        options: Dict,
        args: Args,
        kwargs: Kwargs,
        waiter: W,
    ) -> Result<Id, Refused<W>> {
        let waiter = self.check_joined(waiter)?;
        let request = self.request(Kind::Call, waiter);
        self.transmit.push_back(Message::Call {
            request,
            options,
            procedure: procedure.into(),
            args,
            kwargs,
        });
        Ok(request)
    }

    /// Sends CANCEL for a pending call; the call's waiter still gets the final reply (usually
    /// ERROR `wamp.error.canceled`).
    pub fn cancel(&mut self, request: Id, options: Dict) -> Result<(), CommandError> {
        self.ensure_joined()?;
        match self.pending.get(&request) {
            Some((Kind::Call, _)) => {
                self.transmit
                    .push_back(Message::Cancel { request, options });
                Ok(())
            }
            _ => Err(CommandError::NoSuchCall(request)),
        }
    }

    /// Sends REGISTER. The waiter gets [`Reply::Registered`] with the registration id.
    pub fn register(
        &mut self,
        procedure: impl Into<Str>,
        options: Dict,
        waiter: W,
    ) -> Result<Id, Refused<W>> {
        let waiter = self.check_joined(waiter)?;
        let request = self.request(Kind::Register, waiter);
        self.transmit.push_back(Message::Register {
            request,
            options,
            procedure: procedure.into(),
        });
        Ok(request)
    }

    /// Sends UNREGISTER. The waiter gets [`Reply::Unregistered`].
    pub fn unregister(&mut self, registration: Id, waiter: W) -> Result<Id, Refused<W>> {
        let waiter = self.check_joined(waiter)?;
        let request = self.request(Kind::Unregister(registration), waiter);
        self.transmit.push_back(Message::Unregister {
            request,
            registration,
        });
        Ok(request)
    }

    /// Sends SUBSCRIBE. The waiter gets [`Reply::Subscribed`] with the subscription id (the
    /// router returns the same id for a repeated subscription to the same topic).
    pub fn subscribe(
        &mut self,
        topic: impl Into<Str>,
        options: Dict,
        waiter: W,
    ) -> Result<Id, Refused<W>> {
        let waiter = self.check_joined(waiter)?;
        let request = self.request(Kind::Subscribe, waiter);
        self.transmit.push_back(Message::Subscribe {
            request,
            options,
            topic: topic.into(),
        });
        Ok(request)
    }

    /// Sends UNSUBSCRIBE. The waiter gets [`Reply::Unsubscribed`].
    pub fn unsubscribe(&mut self, subscription: Id, waiter: W) -> Result<Id, Refused<W>> {
        let waiter = self.check_joined(waiter)?;
        let request = self.request(Kind::Unsubscribe(subscription), waiter);
        self.transmit.push_back(Message::Unsubscribe {
            request,
            subscription,
        });
        Ok(request)
    }

    /// Sends PUBLISH. With `waiter` the publication is acknowledged (`acknowledge: true` is
    /// set) and the waiter gets [`Reply::Published`] or [`Reply::Error`]; without, nothing
    /// comes back.
    pub fn publish(
        &mut self,
        topic: impl Into<Str>,
        mut options: Dict,
        args: Args,
        kwargs: Kwargs,
        waiter: Option<W>,
    ) -> Result<Id, Refused<Option<W>>> {
        let waiter = self.check_joined(waiter)?;
        let request = match waiter {
            Some(w) => {
                options.insert("acknowledge".into(), Value::Bool(true));
                self.request(Kind::Publish, w)
            }
            None => {
                options.remove("acknowledge");
                self.ids.next_id()
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
        args: Args,
        kwargs: Kwargs,
    ) -> Result<(), CommandError> {
        self.ensure_joined()?;
        let progress = options.get("progress").and_then(Value::as_bool) == Some(true);
        let live = if progress {
            self.invocations.contains(&request)
        } else {
            self.invocations.remove(&request)
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
        if !self.invocations.remove(&request) {
            return Err(CommandError::NoSuchInvocation(request));
        }
        self.transmit.push_back(Message::Error {
            request_type: RequestType::Invocation,
            request,
            details: Dict::new(),
            error: error.uri.into(),
            args: error.args,
            kwargs: error.kwargs,
        });
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
    /// router answers (or the transport closes).
    pub fn leave(&mut self, reason: &str, message: Option<&str>) -> Result<(), CommandError> {
        self.ensure_joined()?;
        let mut details = Dict::new();
        if let Some(m) = message {
            details.insert("message".into(), Value::from(m));
        }
        self.phase = Phase::ShuttingDown;
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
            reason: Str::from_static(crate::uri::error_uri::PROTOCOL_VIOLATION),
        });
        self.close(CloseDetails {
            reason: crate::uri::error_uri::PROTOCOL_VIOLATION.to_owned(),
            message: Some(text),
            initiator: CloseInitiator::ProtocolViolation,
        });
    }

    fn close(&mut self, details: CloseDetails) {
        self.phase = Phase::Closed;
        self.registrations.clear();
        self.subscriptions.clear();
        self.invocations.clear();
        let mut pending: Vec<(Id, (Kind, W))> = self.pending.drain().collect();
        pending.sort_unstable_by_key(|(id, _)| *id);
        for (_, (_, waiter)) in pending {
            self.events.push_back(Event::Reply {
                waiter,
                reply: Reply::Lost(details.clone()),
            });
        }
        self.events.push_back(Event::Left(details));
    }

    /// Removes pending request `request` if `select` accepts its kind, with what `select`
    /// extracts; anything else is a reply to an unknown request.
    fn take_as<T>(
        &mut self,
        message: &'static str,
        request: Id,
        select: impl Fn(Kind) -> Option<T>,
    ) -> Result<(T, W), ProtocolError> {
        let unknown = || ProtocolError::UnknownRequest { message, request };
        let (kind, waiter) = self.pending.remove(&request).ok_or_else(unknown)?;
        match select(kind) {
            Some(selected) => Ok((selected, waiter)),
            None => {
                // A reply of the wrong kind: the request stays pending (the session is about
                // to end with a protocol violation, which answers every waiter).
                self.pending.insert(request, (kind, waiter));
                Err(unknown())
            }
        }
    }

    fn take(&mut self, message: &'static str, request: Id, kind: Kind) -> Result<W, ProtocolError> {
        let same = std::mem::discriminant(&kind);
        self.take_as(message, request, |k| {
            (std::mem::discriminant(&k) == same).then_some(())
        })
        .map(|((), w)| w)
    }

    /// Feeds one message from the router. A message the protocol does not allow here is a
    /// violation: ABORT `wamp.error.protocol_violation` is queued, the session ends, and the
    /// error is returned so the driver can close the transport.
    pub fn handle_message(&mut self, msg: Message) -> Result<(), ProtocolError> {
        let result = self.dispatch(msg);
        if let Err(e) = &result {
            self.violation(e);
        }
        result
    }

    fn dispatch(&mut self, msg: Message) -> Result<(), ProtocolError> {
        match self.phase {
            Phase::Closed => Ok(()), // nothing is expected; ignore what trails a closed session
            Phase::Establishing | Phase::Challenging => self.dispatch_establishing(msg),
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
            Phase::Established => self.dispatch_established(msg),
        }
    }

    fn dispatch_establishing(&mut self, msg: Message) -> Result<(), ProtocolError> {
        match msg {
            Message::Welcome { session, details } => {
                self.phase = Phase::Established;
                self.session_id = Some(session);
                let d = SessionDetails::from_welcome(session, &self.hello.realm, details);
                self.events.push_back(Event::Joined(d));
                Ok(())
            }
            Message::Challenge { method, extra } => {
                self.phase = Phase::Challenging;
                self.events.push_back(Event::Challenge {
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

    fn dispatch_established(&mut self, msg: Message) -> Result<(), ProtocolError> {
        match msg {
            Message::Result {
                request,
                details,
                args,
                kwargs,
            } => {
                if details.get("progress").and_then(Value::as_bool) == Some(true) {
                    if self.waiter_mut(request).is_none() {
                        return Err(ProtocolError::UnknownRequest {
                            message: "RESULT",
                            request,
                        });
                    }
                    self.events.push_back(Event::Progress {
                        request,
                        details,
                        args,
                        kwargs,
                    });
                } else {
                    let waiter = self.take("RESULT", request, Kind::Call)?;
                    self.reply(
                        waiter,
                        Reply::Result {
                            details,
                            args,
                            kwargs,
                        },
                    );
                }
            }
            Message::Registered {
                request,
                registration,
            } => {
                let waiter = self.take("REGISTERED", request, Kind::Register)?;
                self.registrations.insert(registration);
                self.reply(waiter, Reply::Registered(registration));
            }
            Message::Unregistered {
                request: 0,
                details,
            } => {
                let (registration, details) = revoked(details, "UNREGISTERED", "registration")?;
                self.registrations.remove(&registration);
                self.events.push_back(Event::RegistrationRevoked {
                    registration,
                    details,
                });
            }
            Message::Unregistered { request, .. } => {
                let (registration, waiter) =
                    self.take_as("UNREGISTERED", request, |k| match k {
                        Kind::Unregister(id) => Some(id),
                        _ => None,
                    })?;
                self.registrations.remove(&registration);
                self.reply(waiter, Reply::Unregistered);
            }
            Message::Subscribed {
                request,
                subscription,
            } => {
                let waiter = self.take("SUBSCRIBED", request, Kind::Subscribe)?;
                self.subscriptions.insert(subscription);
                self.reply(waiter, Reply::Subscribed(subscription));
            }
            Message::Unsubscribed {
                request: 0,
                details,
            } => {
                let (subscription, details) = revoked(details, "UNSUBSCRIBED", "subscription")?;
                self.subscriptions.remove(&subscription);
                self.events.push_back(Event::SubscriptionRevoked {
                    subscription,
                    details,
                });
            }
            Message::Unsubscribed { request, .. } => {
                let (subscription, waiter) =
                    self.take_as("UNSUBSCRIBED", request, |k| match k {
                        Kind::Unsubscribe(id) => Some(id),
                        _ => None,
                    })?;
                self.subscriptions.remove(&subscription);
                self.reply(waiter, Reply::Unsubscribed);
            }
            Message::Published {
                request,
                publication,
            } => {
                let waiter = self.take("PUBLISHED", request, Kind::Publish)?;
                self.reply(waiter, Reply::Published(publication));
            }
            Message::Error {
                request_type,
                request,
                details: _,
                error,
                args,
                kwargs,
            } => {
                let ((), waiter) = self.take_as("ERROR", request, |k| {
                    (k.request_type() == request_type).then_some(())
                })?;
                self.reply(
                    waiter,
                    Reply::Error(WampError {
                        uri: error.into_string(),
                        args,
                        kwargs,
                    }),
                );
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
                if !self.invocations.insert(request) {
                    return Err(ProtocolError::Other(format!(
                        "INVOCATION reuses pending request id {request}"
                    )));
                }
                self.events.push_back(Event::Invocation {
                    request,
                    registration,
                    details,
                    args,
                    kwargs,
                });
            }
            Message::Interrupt { request, options } => {
                // An INTERRUPT for an invocation we already answered is harmless (a race).
                if self.invocations.contains(&request) {
                    self.events.push_back(Event::Interrupt { request, options });
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
                self.events.push_back(Event::Event {
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

    fn reply(&mut self, waiter: W, reply: Reply) {
        self.events.push_back(Event::Reply { waiter, reply });
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
