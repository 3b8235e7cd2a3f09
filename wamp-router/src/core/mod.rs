//! The routing state with no IO: realms, sessions, broker, dealer and the meta API.
//!
//! [`Core`] holds every connection's session state machine and every realm. It never touches a
//! socket or reads a clock: the net layer tells it what happened ([`Core::open`],
//! [`Core::receive`], [`Core::closed`], [`Core::handle_timeout`]) with the current
//! [`Instant`], then drains what to do with [`Core::poll_output`] and sleeps until
//! [`Core::poll_timeout`]. Ids come from a random generator seeded in [`Core::new`], so a test
//! replays exactly.
//!
//! The shape follows gammazero/nexus: a realm (`realm.rs`) owns a broker (`broker.rs`) and a
//! dealer (`dealer.rs`), plain state with one method per message; the meta API (`meta.rs`)
//! answers `wamp.*` procedures beside them; the session state machine (`session.rs`),
//! authorization (`authorize.rs`) and URI pattern tables (`matching.rs`) are their own units.
//!
//! # What the router does (as Crossbar.io does, unless said otherwise)
//!
//! - **Handshake**: HELLO within [`CoreConfig::hello_timeout`] of the opening (else the
//!   connection is closed), authentication through [`wamp_core::auth::server`] (CHALLENGE /
//!   AUTHENTICATE, or [`Output::Authenticate`] for a dynamic authenticator), then WELCOME with
//!   the `broker` and `dealer` roles and the features below. Session ids are random in
//!   `1..=2^53` and unique. An unknown realm is ABORT `wamp.error.no_such_realm`, a role the
//!   realm lacks `wamp.error.no_such_role`, a HELLO beyond [`CoreConfig::max_sessions`]
//!   [`LIMIT_REACHED`]. A second HELLO, a message before WELCOME other than AUTHENTICATE or
//!   ABORT, a message only routers send, or an option of the wrong type is ABORT
//!   `wamp.error.protocol_violation`.
//! - **Leaving**: GOODBYE is answered with GOODBYE `wamp.close.goodbye_and_out`, then
//!   [`Output::Close`]. [`Core::shutdown`] and `wamp.session.kill*` send GOODBYE and close on the
//!   reply or after [`CoreConfig::goodbye_timeout`]. However a session ends, its testaments are
//!   published, its callers get ERROR `wamp.error.canceled`, its callees INTERRUPT
//!   (`killnowait`, if they announced `call_canceling`), and its registrations and
//!   subscriptions go.
//! - **Dealer** features: `caller_identification`, `pattern_based_registration` (precedence:
//!   exact, longest prefix, then the wildcard whose literal components come first),
//!   `shared_registration` (`single`, `first`, `last`, `roundrobin`, `random`),
//!   `progressive_call_results`, `call_timeout` (ERROR `wamp.error.canceled` "timeout reached"
//!   and INTERRUPT `killnowait`), `call_canceling` (`skip`, `kill`, `killnowait`, the default),
//!   `registration_meta_api`, `session_meta_api`, `testament_meta_api`,
//!   `registration_revocation` (`force_reregister` takes a procedure over; UNREGISTERED with
//!   `{registration, reason}` goes to the revoked callees that announced the feature).
//! - **Broker** features: `pattern_based_subscription` (every matching subscription gets the
//!   event, `topic` in details), `publisher_exclusion` (`exclude_me`, default true),
//!   `subscriber_blackwhite_listing` (`eligible`, `exclude`, and by authid and authrole),
//!   `publisher_identification`, `event_retention` (`retain`, `get_retained` on exact
//!   subscriptions), `subscription_meta_api`, `session_meta_api`, `subscription_revocation`
//!   (UNSUBSCRIBED with `{subscription, reason}`).
//! - **Authorization**: each realm's roles ([`RoleConfig`]); the most specific matching
//!   permission decides (exact, longest prefix, wildcard); anything not granted is ERROR
//!   `wamp.error.not_authorized`, meta procedures included. Invalid URIs are ERROR
//!   `wamp.error.invalid_uri`, as are REGISTER and PUBLISH in the reserved `wamp.` namespace.
//! - **Meta API**: `wamp.session.count|list|get|kill|kill_by_authid|kill_by_authrole|
//!   add_testament|flush_testaments`, `wamp.registration.list|lookup|match|get|list_callees|
//!   count_callees|remove_callee`, `wamp.subscription.list|lookup|match|get|list_subscribers|
//!   count_subscribers|remove_subscriber`, and the events `wamp.session.on_join|on_leave`,
//!   `wamp.registration.on_create|on_register|on_unregister|on_delete`,
//!   `wamp.subscription.on_create|on_subscribe|on_unsubscribe|on_delete`.
//! - **Bounds**: [`Limits`] caps calls in flight per caller and per callee, registrations,
//!   subscriptions and testaments per session, and retained events; beyond them a request gets
//!   ERROR [`LIMIT_REACHED`].
//!
//! Differences from Crossbar.io: a timed-out call is answered whether or not the caller
//! announced `call_canceling` (Crossbar.io answers only those that did); `disclose_me` and
//! `disclose_caller` are honoured besides the role's `disclose`; a wildcard permission never
//! overrides a matching prefix permission; CANCEL `skip` answers the caller at once;
//! revocations go only to sessions that announced `registration_revocation` /
//! `subscription_revocation` (Crossbar.io sends UNREGISTERED to every callee taken over by
//! `force_reregister`), and they publish the meta events `on_unregister` / `on_delete` (and
//! `on_unsubscribe` / `on_delete`), which Crossbar.io does not; `wamp.registration.remove_callee`
//! works (Crossbar.io 26.10.1 removes the callee, then fails with `wamp.error.runtime_error`
//! without telling it); `concurrency` is enforced for every invocation policy (Crossbar.io
//! 26.10.1 does not for `random`).
//!
//! ```
//! use std::time::Instant;
//! use wamp_core::{Dict, Message, Value};
//! use wamp_router::core::{ConnInfo, Core, CoreConfig, Output};
//!
//! let mut core = Core::new(CoreConfig::open_realms(["realm1"]), 1);
//! let now = Instant::now();
//! core.open(now, 7, ConnInfo::anonymous());
//! let roles = Dict::from([("caller", Value::Dict(Dict::new()))]);
//! let hello = Message::Hello {
//!     realm: "realm1".into(),
//!     details: Dict::from([("roles", Value::Dict(roles))]),
//! };
//! core.receive(now, 7, hello);
//! match core.poll_output() {
//!     Some(Output::Send { conn: 7, msg: Message::Welcome { .. } }) => {}
//!     other => panic!("expected WELCOME, got {other:?}"),
//! }
//! assert_eq!(core.session_count(), 1);
//! ```
//!
//! Call order: after each input, drain [`Core::poll_output`] completely (a `Send` goes to the
//! connection's bounded outgoing queue, in order; a full queue means the net layer closes the
//! connection and calls [`Core::closed`]); then wait for input or [`Core::poll_timeout`] and
//! call [`Core::handle_timeout`]. After an [`Output::Close`] the core has forgotten the
//! connection: the net layer closes it after sending what was queued before, and later input
//! for it is ignored.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use wamp_core::id::{Id, IdMap};
use wamp_core::{Dict, Message};

mod auth;
mod authorize;
mod broker;
mod config;
mod dealer;
mod ids;
mod matching;
mod meta;
mod options;
mod realm;
mod session;

#[cfg(test)]
mod tests;

pub use auth::{
    dynamic_identity, AnonymousConfig, AuthConfig, CraPrincipal, CryptosignPrincipal,
    DynamicAuthenticator, Identity, MethodConfig, Refusal, ScramPrincipal, Secret, TicketPrincipal,
};
pub use config::{
    Allow, CoreConfig, Disclose, Limits, MatchPolicy, Permission, RealmConfig, RoleConfig,
};

use ids::IdSource;
use realm::Realm;
use session::{Conn, Phase};

/// The id of a connection, chosen by the net layer, unique among open connections.
pub type ConnId = u64;

/// The error (or ABORT reason) when a bound is reached: the session limit at HELLO, or one of
/// the per-session [`Limits`]. Not a spec URI; clients treat it as any other error.
pub const LIMIT_REACHED: &str = "wamp.error.limit_reached";

/// What the net layer tells the core about a new connection.
#[derive(Debug, Clone, Default)]
pub struct ConnInfo {
    /// How sessions on this connection authenticate (the transport's `auth`).
    pub auth: Arc<AuthConfig>,
    /// Transport details for the meta API (`wamp.session.get`, `on_join`): e.g. `type`,
    /// `protocol`, `peer`.
    pub transport: Dict,
}

impl ConnInfo {
    /// A connection on which anonymous sessions get the role `anonymous`.
    pub fn anonymous() -> Self {
        ConnInfo {
            auth: Arc::new(AuthConfig::anonymous_only("anonymous")),
            transport: Dict::new(),
        }
    }
}

/// What the core asks the net layer to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send `msg` on `conn`.
    Send {
        /// The connection.
        conn: ConnId,
        /// The message.
        msg: Message,
    },
    /// Close `conn` once the messages sent before are written (the core has forgotten it).
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// A dynamic authenticator is configured for `method`: ask it, then call
    /// [`Core::dynamic_auth_result`] (before the HELLO deadline, else the connection is closed).
    /// [`dynamic_identity`] reads an answer shaped as Crossbar.io's authenticators give it.
    Authenticate {
        /// The connection.
        conn: ConnId,
        /// The authentication method (`ticket`, `wampcra`, ...).
        method: String,
        /// The realm the client asked for.
        realm: String,
        /// The authid the client claims.
        authid: String,
        /// Crossbar.io's details for the authenticator: `session`, `authmethod`, `authid`,
        /// `authrole`, `authextra` from HELLO, `ticket` for `ticket`, and the connection's
        /// `transport`.
        details: Dict,
    },
}

/// A timer's key: when it fires, and a sequence number that makes it unique.
pub(crate) type TimerKey = (Instant, u64);

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerKind {
    /// The connection must have been welcomed by now.
    Handshake(ConnId),
    /// The reply to our GOODBYE must have come by now.
    Goodbye(ConnId),
    /// A call's timeout (`CALL.Options.timeout`).
    Call {
        realm: usize,
        callee: Id,
        invocation: Id,
    },
}

/// Every pending timer, by deadline.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    map: BTreeMap<TimerKey, TimerKind>,
    seq: u64,
}

impl Timers {
    pub(crate) fn add(&mut self, at: Instant, kind: TimerKind) -> TimerKey {
        self.seq += 1;
        let key = (at, self.seq);
        self.map.insert(key, kind);
        key
    }

    pub(crate) fn cancel(&mut self, key: TimerKey) {
        self.map.remove(&key);
    }

    fn next(&self) -> Option<Instant> {
        self.map.keys().next().map(|k| k.0)
    }

    fn pop_due(&mut self, now: Instant) -> Option<TimerKind> {
        let (&key, _) = self.map.iter().next()?;
        if key.0 > now {
            return None;
        }
        self.map.remove(&key)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// Something a realm asks the core to do to a session (the session state lives in the core).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// End the session with GOODBYE (`wamp.session.kill*`).
    Kill {
        session: Id,
        reason: String,
        message: Option<String>,
    },
}

/// What the realms, broker and dealer work with: the output queue, the id source, the timers.
pub(crate) struct Ctx<'a> {
    pub(crate) out: &'a mut VecDeque<Output>,
    pub(crate) ids: &'a mut IdSource,
    pub(crate) timers: &'a mut Timers,
    pub(crate) limits: &'a Limits,
    pub(crate) effects: &'a mut Vec<Effect>,
    pub(crate) now: Instant,
    /// The realm being worked on (its index, for timers).
    pub(crate) realm: usize,
    /// The wall-clock time of `now`, if the net layer gave one (for `created` fields).
    pub(crate) wall: Option<SystemTime>,
}

impl Ctx<'_> {
    pub(crate) fn send(&mut self, conn: ConnId, msg: Message) {
        self.out.push_back(Output::Send { conn, msg });
    }
}

/// The routing state of a router: every connection's session, every realm.
///
/// See the [module docs](self) for the call order.
#[derive(Debug)]
pub struct Core {
    limits: Limits,
    hello_timeout: Duration,
    goodbye_timeout: Duration,
    max_sessions: usize,
    realms: Vec<Realm>,
    realm_index: HashMap<String, usize>,
    conns: IdMap<Conn>,
    /// Every session id in use (joined or authenticating), to its connection.
    sessions: IdMap<ConnId>,
    ids: IdSource,
    out: VecDeque<Output>,
    timers: Timers,
    effects: Vec<Effect>,
    shutting_down: bool,
    /// A reference point mapping `Instant` to wall-clock time.
    clock: Option<(Instant, SystemTime)>,
}

impl Core {
    /// A core serving `config`'s realms, drawing ids from a generator seeded with `seed` (the
    /// net layer passes a random seed; tests a fixed one).
    pub fn new(config: CoreConfig, seed: u64) -> Core {
        let mut realms = Vec::new();
        let mut realm_index = HashMap::new();
        for r in &config.realms {
            if realm_index.contains_key(&r.name) {
                continue;
            }
            realm_index.insert(r.name.clone(), realms.len());
            realms.push(Realm::new(r));
        }
        Core {
            limits: config.limits,
            hello_timeout: config.hello_timeout,
            goodbye_timeout: config.goodbye_timeout,
            max_sessions: config.max_sessions,
            realms,
            realm_index,
            conns: IdMap::default(),
            sessions: IdMap::default(),
            ids: IdSource::new(seed),
            out: VecDeque::new(),
            timers: Timers::default(),
            effects: Vec::new(),
            shutting_down: false,
            clock: None,
        }
    }

    /// Tells the core the wall-clock time at `now` (optional): it then fills the `created`
    /// timestamps of the meta API and the timestamps of authentication challenges.
    pub fn set_clock(&mut self, now: Instant, wall: SystemTime) {
        self.clock = Some((now, wall));
    }

    fn wall(&self, now: Instant) -> Option<SystemTime> {
        let (at, wall) = self.clock?;
        match now.checked_duration_since(at) {
            Some(d) => wall.checked_add(d),
            None => wall.checked_sub(at.duration_since(now)),
        }
    }

    /// A new connection: it must send HELLO and be welcomed within
    /// [`CoreConfig::hello_timeout`].
    pub fn open(&mut self, now: Instant, conn: ConnId, info: ConnInfo) {
        if self.conns.contains_key(&conn) {
            // The net layer reused a live id: forget the old connection first.
            self.close_conn(now, conn, false);
        }
        if self.shutting_down {
            self.out.push_back(Output::Close { conn });
            return;
        }
        let timer = now
            .checked_add(self.hello_timeout)
            .map(|at| self.timers.add(at, TimerKind::Handshake(conn)));
        self.conns.insert(
            conn,
            Conn {
                info,
                phase: Phase::Opened,
                timer,
            },
        );
    }

    /// A message from `conn`.
    pub fn receive(&mut self, now: Instant, conn: ConnId, msg: Message) {
        self.handle_message(now, conn, msg);
        self.run_effects(now);
    }

    /// The transport of `conn` is gone (closed by the peer, failed, or closed by the net layer
    /// for a slow consumer): the session leaves its realm.
    pub fn closed(&mut self, now: Instant, conn: ConnId) {
        self.close_conn(now, conn, false);
        self.run_effects(now);
    }

    /// The answer of the dynamic authenticator asked with [`Output::Authenticate`].
    pub fn dynamic_auth_result(
        &mut self,
        now: Instant,
        conn: ConnId,
        result: Result<Identity, Refusal>,
    ) {
        self.handle_dynamic_auth_result(now, conn, result);
        self.run_effects(now);
    }

    /// Runs every timer due at `now`: handshake deadlines, GOODBYE replies, call timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(kind) = self.timers.pop_due(now) {
            match kind {
                TimerKind::Handshake(conn) => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.timer = None;
                        if c.phase.is_handshake() {
                            self.close_conn(now, conn, true);
                        }
                    }
                }
                TimerKind::Goodbye(conn) => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.timer = None;
                        if matches!(c.phase, Phase::Leaving) {
                            self.close_conn(now, conn, true);
                        }
                    }
                }
                TimerKind::Call {
                    realm,
                    callee,
                    invocation,
                } => {
                    let wall = self.wall(now);
                    if let Some(r) = self.realms.get_mut(realm) {
                        let mut ctx = Ctx {
                            out: &mut self.out,
                            ids: &mut self.ids,
                            timers: &mut self.timers,
                            limits: &self.limits,
                            effects: &mut self.effects,
                            now,
                            realm,
                            wall,
                        };
                        r.call_timeout(&mut ctx, callee, invocation);
                    }
                }
            }
        }
        self.run_effects(now);
    }

    /// When [`Core::handle_timeout`] must be called next, if any timer is pending.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Ends every session: GOODBYE `wamp.close.system_shutdown` to each joined one (closed after
    /// its reply or [`CoreConfig::goodbye_timeout`]), ABORT to those still authenticating; new
    /// connections are closed at once from now on. The net layer stops once
    /// [`Core::connection_count`] is 0 (or at its own deadline).
    pub fn shutdown(&mut self, now: Instant) {
        self.shutting_down = true;
        let mut conns: Vec<ConnId> = self.conns.keys().copied().collect();
        conns.sort_unstable();
        for conn in conns {
            let Some(c) = self.conns.get(&conn) else {
                continue;
            };
            match c.phase {
                Phase::Joined { .. } => self.goodbye(
                    now,
                    conn,
                    wamp_core::uri::close_uri::SYSTEM_SHUTDOWN,
                    Some("the router is shutting down".into()),
                ),
                Phase::Opened => self.close_conn(now, conn, true),
                Phase::Challenged { .. } | Phase::Authenticating { .. } => self.abort(
                    now,
                    conn,
                    wamp_core::uri::close_uri::SYSTEM_SHUTDOWN,
                    "the router is shutting down",
                ),
                Phase::Leaving => {}
            }
        }
        self.run_effects(now);
    }

    /// The number of sessions joined or authenticating (what [`CoreConfig::max_sessions`]
    /// bounds).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The number of connections the core knows (open, joined, or waiting for a GOODBYE
    /// reply).
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Whether [`Core::shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down
    }

    /// Performs what realms asked for (kills), until nothing is left.
    fn run_effects(&mut self, now: Instant) {
        while !self.effects.is_empty() {
            let effects = std::mem::take(&mut self.effects);
            for e in effects {
                match e {
                    Effect::Kill {
                        session,
                        reason,
                        message,
                    } => {
                        if let Some(&conn) = self.sessions.get(&session) {
                            self.goodbye(now, conn, &reason, message);
                        }
                    }
                }
            }
        }
    }

    /// A context for realm `realm`.
    fn with_realm<R>(
        &mut self,
        now: Instant,
        realm: usize,
        f: impl FnOnce(&mut Realm, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let wall = self.wall(now);
        let r = self.realms.get_mut(realm)?;
        let mut ctx = Ctx {
            out: &mut self.out,
            ids: &mut self.ids,
            timers: &mut self.timers,
            limits: &self.limits,
            effects: &mut self.effects,
            now,
            realm,
            wall,
        };
        Some(f(r, &mut ctx))
    }
}
