//! Options of each operation: the Basic Profile fields, and `extra` for any advanced or
//! router-specific key (sent as is).

use std::time::Duration;

use std::sync::Arc;

use wamp_core::session::CancelMode;
use wamp_core::uri::MatchPolicy;
use wamp_core::value::{Dict, Str, Value};

use crate::auth::{Authentication, Authenticator, Offer};
use crate::intercept::Interceptors;

/// How a client joins a realm: HELLO details, authentication, the handshake timeout and the
/// session's default call timeout.
///
/// ```
/// use wamp_client::{AuthMethod, Authentication, JoinOptions};
///
/// let opts = JoinOptions::new("realm1")
///     .authentication(Authentication::new().authid("joe").method(AuthMethod::ticket("secret")));
/// assert_eq!(opts.realm, "realm1");
/// ```
#[derive(Clone)]
pub struct JoinOptions {
    /// The realm to join.
    pub realm: String,
    /// `authid` to announce.
    pub authid: Option<String>,
    /// `authrole` to request.
    pub authrole: Option<String>,
    /// Authentication methods to offer (empty = anonymous).
    pub authmethods: Vec<String>,
    /// `authextra` to send.
    pub authextra: Dict,
    /// Answers CHALLENGE messages.
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// The authentication methods and their settings, as a component takes them: each join
    /// offers them (after `authmethods`) with a fresh authenticator.
    pub authentication: Option<Authentication>,
    /// How long to wait for WELCOME after the transport is up. Default 10 s.
    pub timeout: Duration,
    /// The timeout of every call that does not set its own
    /// ([`CallOptions::timeout`]). Default none.
    pub call_timeout: Option<Duration>,
    /// How many invocations may run at once across the session (see
    /// [`max_invocations`](Self::max_invocations)). Default
    /// [`DEFAULT_MAX_INVOCATIONS`](Self::DEFAULT_MAX_INVOCATIONS).
    pub max_invocations: usize,
    /// How many invocations may wait for one of those runs (see
    /// [`invocation_queue`](Self::invocation_queue)). Default
    /// [`DEFAULT_INVOCATION_QUEUE`](Self::DEFAULT_INVOCATION_QUEUE).
    pub invocation_queue: usize,
    /// The hooks every message of the session passes (see [`crate::intercept`]). Default
    /// empty.
    pub interceptors: Interceptors,
}

impl std::fmt::Debug for JoinOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinOptions")
            .field("realm", &self.realm)
            .field("authid", &self.authid)
            .field("authrole", &self.authrole)
            .field("authmethods", &self.authmethods)
            .field(
                "authenticator",
                &self.authenticator.as_ref().map(|_| "<set>"),
            )
            .field("authentication", &self.authentication)
            .field("timeout", &self.timeout)
            .field("call_timeout", &self.call_timeout)
            .field("max_invocations", &self.max_invocations)
            .field("invocation_queue", &self.invocation_queue)
            .field("interceptors", &self.interceptors)
            .finish_non_exhaustive()
    }
}

impl JoinOptions {
    /// The default join timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// How many invocations run at once across a session by default: 10,000.
    pub const DEFAULT_MAX_INVOCATIONS: usize = 10_000;

    /// How many invocations wait for a run by default: 1,000.
    pub const DEFAULT_INVOCATION_QUEUE: usize = 1_000;

    /// Join `realm` anonymously.
    pub fn new(realm: impl Into<String>) -> Self {
        JoinOptions {
            realm: realm.into(),
            authid: None,
            authrole: None,
            authmethods: Vec::new(),
            authextra: Dict::new(),
            authenticator: None,
            authentication: None,
            timeout: Self::DEFAULT_TIMEOUT,
            call_timeout: None,
            max_invocations: Self::DEFAULT_MAX_INVOCATIONS,
            invocation_queue: Self::DEFAULT_INVOCATION_QUEUE,
            interceptors: Interceptors::default(),
        }
    }

    /// Every message of the session passes `chain`, in order (see [`crate::intercept`]).
    pub fn interceptors(mut self, chain: Interceptors) -> Self {
        self.interceptors = chain;
        self
    }

    /// At most `n` invocations (of all the session's procedures together) run at once,
    /// besides each registration's own limit
    /// ([`RegisterOptions::local_concurrency`]; an invocation waiting for that limit counts as
    /// running here). The next ones wait, in the order they arrived, in a queue of
    /// [`invocation_queue`](Self::invocation_queue); one beyond that is answered
    /// `wamp.error.unavailable` at once, so that memory stays flat however many invocations
    /// the router sends. Default [`DEFAULT_MAX_INVOCATIONS`](Self::DEFAULT_MAX_INVOCATIONS)
    /// (at least 1).
    ///
    /// A router does not try another callee on `wamp.error.unavailable`: neither ours nor
    /// Crossbar.io 26.10.1 (whose dealer passes a callee's ERROR to the caller as is), so the
    /// caller sees the error and may call again.
    ///
    /// ```
    /// use wamp_client::JoinOptions;
    ///
    /// let o = JoinOptions::new("realm1").max_invocations(64).invocation_queue(256);
    /// assert_eq!((o.max_invocations, o.invocation_queue), (64, 256));
    /// assert_eq!(JoinOptions::new("realm1").max_invocations, 10_000);
    /// ```
    pub fn max_invocations(mut self, n: usize) -> Self {
        self.max_invocations = n.max(1);
        self
    }

    /// How many invocations may wait for a run when [`max_invocations`](Self::max_invocations)
    /// run already (0: none wait, the next is refused at once). Default
    /// [`DEFAULT_INVOCATION_QUEUE`](Self::DEFAULT_INVOCATION_QUEUE).
    ///
    /// ```
    /// let o = wamp_client::JoinOptions::new("realm1").invocation_queue(0);
    /// assert_eq!(o.invocation_queue, 0);
    /// ```
    pub fn invocation_queue(mut self, capacity: usize) -> Self {
        self.invocation_queue = capacity;
        self
    }

    /// Sets `authid`.
    pub fn authid(mut self, authid: impl Into<String>) -> Self {
        self.authid = Some(authid.into());
        self
    }

    /// Sets `authrole`.
    pub fn authrole(mut self, authrole: impl Into<String>) -> Self {
        self.authrole = Some(authrole.into());
        self
    }

    /// Sets the join timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Offers an authentication method answered by `authenticator` (a method of your own;
    /// for the standard ones, see [`authentication`](Self::authentication)).
    pub fn authenticate(
        mut self,
        method: impl Into<String>,
        authenticator: Arc<dyn Authenticator>,
    ) -> Self {
        self.authmethods.push(method.into());
        self.authenticator = Some(authenticator);
        self
    }

    /// Authenticates with these methods (ticket, WAMP-CRA, cryptosign, SCRAM), as a component
    /// does.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::{AuthMethod, Authentication, JoinOptions, Session, TransportConfig};
    ///
    /// let auth = Authentication::new().authid("joe").method(AuthMethod::wampcra("secret"));
    /// let transport = TransportConfig::new("ws://127.0.0.1:8080/ws")?;
    /// let session = Session::join(&transport, JoinOptions::new("realm1").authentication(auth)).await?;
    /// # Ok(()) }
    /// ```
    pub fn authentication(mut self, authentication: Authentication) -> Self {
        self.authentication = Some(authentication);
        self
    }

    /// Gives every call of the session this timeout unless it sets its own: no call then waits
    /// longer, whatever the router and the callee do.
    ///
    /// ```
    /// use std::time::Duration;
    /// let opts = wamp_client::JoinOptions::new("realm1").call_timeout(Duration::from_secs(30));
    /// assert_eq!(opts.call_timeout, Some(Duration::from_secs(30)));
    /// ```
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// What this join offers in HELLO: the raw settings, then the methods of
    /// [`authentication`](Self::authentication) with a fresh authenticator. Fails when a key
    /// cannot be read or SCRAM has no authid.
    pub(crate) fn offer(&self) -> Result<Offer, String> {
        let mut offer = Offer {
            authmethods: self.authmethods.clone(),
            authid: self.authid.clone(),
            authrole: self.authrole.clone(),
            authextra: self.authextra.clone(),
            authenticator: self.authenticator.clone(),
        };
        if let Some(auth) = &self.authentication {
            let more = auth.offer()?;
            offer.authmethods.extend(more.authmethods);
            if more.authid.is_some() {
                offer.authid = more.authid;
            }
            if more.authrole.is_some() {
                offer.authrole = more.authrole;
            }
            offer.authextra.extend(more.authextra);
            if more.authenticator.is_some() {
                offer.authenticator = more.authenticator;
            }
        }
        Ok(offer)
    }
}

fn put(d: &mut Dict, key: &'static str, v: Option<Value>) {
    if let Some(v) = v {
        d.insert(Str::from_static(key), v);
    }
}

/// Options of a call.
///
/// ```
/// use std::time::Duration;
/// let o = wamp_client::CallOptions::default().timeout(Duration::from_secs(2));
/// assert_eq!(o.to_dict().get("timeout"), Some(&2000.into()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// How long the call may take (`timeout`, sent in ms and enforced by the client too).
    pub timeout: Option<Duration>,
    /// Asks the router to disclose our identity to the callee.
    pub disclose_me: Option<bool>,
    /// How the router is asked to cancel the call when its future is dropped before the
    /// result (default [`CancelMode::KillNoWait`]).
    pub cancel_mode: Option<CancelMode>,
    /// Any other option, sent as is.
    pub extra: Dict,
}

impl CallOptions {
    /// Sets the call's timeout: the router is asked to cancel the call after this long (the
    /// `timeout` option, in milliseconds), and the client fails it with
    /// [`CallError::Timeout`](crate::CallError::Timeout) at that point whatever the router does,
    /// sending CANCEL (`killnowait`) if the router can cancel. Below one millisecond counts as
    /// one.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Asks the router to disclose our session to the callee.
    ///
    /// ```
    /// let o = wamp_client::CallOptions::default().disclose_me(true);
    /// assert_eq!(o.to_dict().get("disclose_me"), Some(&true.into()));
    /// ```
    pub fn disclose_me(mut self, disclose: bool) -> Self {
        self.disclose_me = Some(disclose);
        self
    }

    /// How the router is asked to cancel the call when its future is dropped before the
    /// result comes (default `killnowait`: the callee is interrupted).
    ///
    /// ```
    /// use wamp_client::{CallOptions, CancelMode};
    /// let o = CallOptions::default().cancel_mode(CancelMode::Skip);
    /// assert_eq!(o.cancel_mode, Some(CancelMode::Skip));
    /// ```
    pub fn cancel_mode(mut self, mode: CancelMode) -> Self {
        self.cancel_mode = Some(mode);
        self
    }

    /// The options dictionary sent in CALL.
    pub fn to_dict(&self) -> Dict {
        let mut d = self.extra.clone();
        put(
            &mut d,
            "timeout",
            self.timeout
                .map(|t| Value::from(u64::try_from(t.as_millis().max(1)).unwrap_or(u64::MAX))),
        );
        put(&mut d, "disclose_me", self.disclose_me.map(Value::Bool));
        d
    }
}

/// How a router picks the callee of a call when several sessions registered the same
/// procedure (a shared registration, `REGISTER.Options.invoke`).
///
/// The first registration fixes the policy: with [`Single`](Self::Single) every further
/// REGISTER is refused with `wamp.error.procedure_already_exists`, with any other policy a
/// REGISTER asking for a different one is refused (Crossbar.io and our router answer
/// `wamp.error.procedure_exists_with_different_invocation_policy`).
///
/// Strings convert too (`"roundrobin".into()`), so `RegisterOptions::invoke` takes either:
///
/// ```
/// use wamp_client::{InvocationPolicy, RegisterOptions};
///
/// let typed = RegisterOptions::default().invoke(InvocationPolicy::RoundRobin);
/// let named = RegisterOptions::default().invoke("roundrobin");
/// assert_eq!(typed.invoke, named.invoke);
/// assert_eq!(typed.to_dict().get("invoke"), Some(&"roundrobin".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvocationPolicy {
    /// One callee only (the default): a second registration is refused.
    Single,
    /// The callee that registered first; the next one when it leaves.
    First,
    /// The callee that registered last; the one before when it leaves.
    Last,
    /// Each callee in turn, in the order they registered.
    RoundRobin,
    /// A callee picked at random for each call.
    Random,
    /// A policy this crate does not name, sent as is (a router that does not know it refuses
    /// the registration).
    Other(String),
}

impl InvocationPolicy {
    /// The policy named `name` on the wire (`single`, `first`, `last`, `roundrobin`,
    /// `random`); `None` for any other name.
    ///
    /// ```
    /// use wamp_client::InvocationPolicy;
    /// assert_eq!(InvocationPolicy::from_name("last"), Some(InvocationPolicy::Last));
    /// assert_eq!(InvocationPolicy::from_name("busiest"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "single" => InvocationPolicy::Single,
            "first" => InvocationPolicy::First,
            "last" => InvocationPolicy::Last,
            "roundrobin" => InvocationPolicy::RoundRobin,
            "random" => InvocationPolicy::Random,
            _ => return None,
        })
    }

    /// The name sent in `REGISTER.Options.invoke`.
    pub fn as_str(&self) -> &str {
        match self {
            InvocationPolicy::Single => "single",
            InvocationPolicy::First => "first",
            InvocationPolicy::Last => "last",
            InvocationPolicy::RoundRobin => "roundrobin",
            InvocationPolicy::Random => "random",
            InvocationPolicy::Other(name) => name,
        }
    }
}

impl std::fmt::Display for InvocationPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for InvocationPolicy {
    /// The named policy, or [`Other`](InvocationPolicy::Other) for a name this crate does not
    /// know.
    fn from(name: &str) -> Self {
        Self::from_name(name).unwrap_or_else(|| InvocationPolicy::Other(name.to_owned()))
    }
}

impl From<String> for InvocationPolicy {
    fn from(name: String) -> Self {
        Self::from_name(&name).unwrap_or(InvocationPolicy::Other(name))
    }
}

/// Options of a registration.
///
/// ```
/// use wamp_client::{InvocationPolicy, RegisterOptions};
///
/// let o = RegisterOptions::default()
///     .invoke(InvocationPolicy::RoundRobin)
///     .concurrency(2)
///     .disclose_caller(true);
/// let d = o.to_dict();
/// assert_eq!(d.get("invoke"), Some(&"roundrobin".into()));
/// assert_eq!(d.get("concurrency"), Some(&2.into()));
/// ```
#[derive(Debug, Clone)]
pub struct RegisterOptions {
    /// How the procedure URI matches calls (`exact` by default).
    pub match_policy: MatchPolicy,
    /// Shared registration policy (`invoke`); none sends nothing, which routers read as
    /// [`InvocationPolicy::Single`].
    pub invoke: Option<InvocationPolicy>,
    /// Asks the router to disclose callers.
    pub disclose_caller: Option<bool>,
    /// The most invocations of this registration that run at once (Crossbar.io's
    /// `concurrency`, sent to the router, and kept by this client too). See
    /// [`concurrency`](Self::concurrency).
    pub concurrency: Option<u32>,
    /// The most invocations of this registration that run at once in this client, not sent to
    /// the router. See [`local_concurrency`](Self::local_concurrency).
    pub local_concurrency: Option<u32>,
    /// How many invocations may wait for a free run when a concurrency limit is reached.
    /// Default [`DEFAULT_QUEUE_CAPACITY`](Self::DEFAULT_QUEUE_CAPACITY).
    pub queue_capacity: usize,
    /// Asks the router to take the procedure over from the sessions that registered it
    /// (`force_reregister`, a Crossbar.io option): they are unregistered, and this
    /// registration replaces theirs.
    pub force_reregister: Option<bool>,
    /// Any other option, sent as is.
    pub extra: Dict,
}

impl Default for RegisterOptions {
    fn default() -> Self {
        RegisterOptions {
            match_policy: MatchPolicy::Exact,
            invoke: None,
            disclose_caller: None,
            concurrency: None,
            local_concurrency: None,
            queue_capacity: Self::DEFAULT_QUEUE_CAPACITY,
            force_reregister: None,
            extra: Dict::new(),
        }
    }
}

impl RegisterOptions {
    /// How many invocations may wait for a free run by default, when a concurrency limit is
    /// reached.
    pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

    /// The error an invocation is answered with when its registration's queue is full: the
    /// URI Crossbar.io (and our router) answer a call with when every callee runs as many
    /// invocations as its `concurrency` allows, so that a caller sees the same error wherever
    /// the limit was reached.
    pub const QUEUE_FULL_ERROR: &'static str = "crossbar.error.max_concurrency_reached";

    /// Sets the match policy.
    ///
    /// ```
    /// use wamp_client::{MatchPolicy, RegisterOptions};
    /// let o = RegisterOptions::default().match_policy(MatchPolicy::Prefix);
    /// assert_eq!(o.to_dict().get("match"), Some(&"prefix".into()));
    /// ```
    pub fn match_policy(mut self, policy: MatchPolicy) -> Self {
        self.match_policy = policy;
        self
    }

    /// Sets the invocation policy of a shared registration: an [`InvocationPolicy`] or its
    /// name.
    ///
    /// ```
    /// use wamp_client::{InvocationPolicy, RegisterOptions};
    /// let o = RegisterOptions::default().invoke("first");
    /// assert_eq!(o.invoke, Some(InvocationPolicy::First));
    /// ```
    pub fn invoke(mut self, policy: impl Into<InvocationPolicy>) -> Self {
        self.invoke = Some(policy.into());
        self
    }

    /// Asks the router to disclose callers to this procedure (`caller`, `caller_authid`,
    /// `caller_authrole` in the invocation's details).
    ///
    /// ```
    /// let o = wamp_client::RegisterOptions::default().disclose_caller(true);
    /// assert_eq!(o.to_dict().get("disclose_caller"), Some(&true.into()));
    /// ```
    pub fn disclose_caller(mut self, disclose: bool) -> Self {
        self.disclose_caller = Some(disclose);
        self
    }

    /// At most `limit` invocations of this registration run at once (at least 1).
    ///
    /// The option is sent to the router as `concurrency`, Crossbar.io's option: Crossbar.io
    /// 26.10.1 and our router then refuse a call that finds the callee (every callee, for
    /// `roundrobin`) running `limit` invocations, with `crossbar.error.max_concurrency_reached`
    /// (Crossbar.io does not apply it to `random` registrations). The client keeps the limit
    /// too, whatever the router does: an invocation beyond it waits, in arrival order, in a
    /// queue of [`queue_capacity`](Self::queue_capacity).
    ///
    /// For calls that wait at the callee instead of being refused by the router, use
    /// [`local_concurrency`](Self::local_concurrency).
    ///
    /// ```
    /// let o = wamp_client::RegisterOptions::default().invoke("roundrobin").concurrency(4);
    /// assert_eq!(o.to_dict().get("concurrency"), Some(&4.into()));
    /// ```
    pub fn concurrency(mut self, limit: u32) -> Self {
        self.concurrency = Some(limit.max(1));
        self
    }

    /// At most `limit` invocations of this registration run at once in this client (at least
    /// 1); the others wait, in arrival order, in a queue of
    /// [`queue_capacity`](Self::queue_capacity) invocations, and one beyond that is answered
    /// with [`QUEUE_FULL_ERROR`](Self::QUEUE_FULL_ERROR). Nothing is sent to the router,
    /// which goes on invoking this callee: a burst of calls waits here instead of being
    /// refused. An invocation waiting here can be canceled and times out like a running one.
    ///
    /// With [`concurrency`](Self::concurrency) as well, the smaller limit applies here.
    ///
    /// ```
    /// let o = wamp_client::RegisterOptions::default().local_concurrency(2);
    /// assert_eq!(o.local_concurrency, Some(2));
    /// assert_eq!(o.to_dict().get("concurrency"), None);
    /// ```
    pub fn local_concurrency(mut self, limit: u32) -> Self {
        self.local_concurrency = Some(limit.max(1));
        self
    }

    /// How many invocations may wait when a concurrency limit is reached (at least 1; default
    /// [`DEFAULT_QUEUE_CAPACITY`](Self::DEFAULT_QUEUE_CAPACITY)).
    ///
    /// ```
    /// let o = wamp_client::RegisterOptions::default().local_concurrency(1).queue_capacity(8);
    /// assert_eq!(o.queue_capacity, 8);
    /// ```
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// Asks the router to hand the procedure to this registration even when other sessions
    /// registered it (`force_reregister`, a Crossbar.io option): the router unregisters them
    /// (each is told with a revocation, `UNREGISTERED` with request 0) and registers this one.
    /// Useful when a restarted service finds its previous session still registered.
    ///
    /// ```
    /// let o = wamp_client::RegisterOptions::default().force_reregister(true);
    /// assert_eq!(o.to_dict().get("force_reregister"), Some(&true.into()));
    /// ```
    pub fn force_reregister(mut self, force: bool) -> Self {
        self.force_reregister = Some(force);
        self
    }

    /// The most invocations of this registration the client runs at once, if limited: the
    /// smaller of [`concurrency`](Self::concurrency) and
    /// [`local_concurrency`](Self::local_concurrency).
    ///
    /// ```
    /// use wamp_client::RegisterOptions;
    /// assert_eq!(RegisterOptions::default().running_limit(), None);
    /// let o = RegisterOptions::default().concurrency(4).local_concurrency(2);
    /// assert_eq!(o.running_limit(), Some(2));
    /// ```
    pub fn running_limit(&self) -> Option<u32> {
        match (self.concurrency, self.local_concurrency) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
        .map(|n| n.max(1))
    }

    /// The options dictionary sent in REGISTER.
    pub fn to_dict(&self) -> Dict {
        let mut d = self.extra.clone();
        if self.match_policy != MatchPolicy::Exact {
            d.insert("match".into(), self.match_policy.as_str().into());
        }
        put(
            &mut d,
            "invoke",
            self.invoke.as_ref().map(|p| Value::from(p.as_str())),
        );
        put(
            &mut d,
            "disclose_caller",
            self.disclose_caller.map(Value::Bool),
        );
        put(&mut d, "concurrency", self.concurrency.map(Value::from));
        put(
            &mut d,
            "force_reregister",
            self.force_reregister.map(Value::Bool),
        );
        d
    }
}

/// What a bounded queue of events (or of a call's progressive results) does with the one
/// that finds it full: see [`SubscribeOptions::overflow`] and
/// [`CallBuilder::progress_with`](crate::CallBuilder::progress_with).
///
/// ```
/// use wamp_client::{Overflow, SubscribeOptions};
///
/// let o = SubscribeOptions::default().overflow(Overflow::Pause);
/// assert_eq!(o.overflow, Overflow::Pause);
/// assert_eq!(Overflow::default(), Overflow::DropNewest);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// The new one is dropped (and counted): the queue keeps the oldest. The default.
    #[default]
    DropNewest,
    /// The oldest queued one is dropped (and counted) to make room: the queue keeps the
    /// newest, for data where only the latest matters (prices, positions, states).
    DropOldest,
    /// Nothing is dropped: while the queue is full, the session stops reading from the
    /// transport, which pushes back on the router (true backpressure).
    ///
    /// This pauses **every** message of the session, not just this queue's: other events,
    /// call results, invocations and keepalive answers wait too. So:
    /// - a handler (or stream reader) that calls through the same session while its queue is
    ///   full waits for a result the session cannot read until the queue has room: call
    ///   through another session, or read the queue first;
    /// - a keepalive timeout ([`TransportConfig::keepalive`](crate::TransportConfig)) shorter
    ///   than a pause loses the session;
    /// - the router may cut a session that stops reading as a slow consumer: ours does when
    ///   its outgoing queue for the session stays more than half full for 2 s (its
    ///   `slow_consumer_timeout`), Crossbar.io has limits of its own.
    ///
    /// Use it for a consumer that must see every event and keeps up on average.
    Pause,
}

impl Overflow {
    pub(crate) fn to_full(self) -> crate::queue::Full {
        match self {
            Overflow::DropNewest => crate::queue::Full::DropNewest,
            Overflow::DropOldest => crate::queue::Full::DropOldest,
            Overflow::Pause => crate::queue::Full::Pause,
        }
    }
}

/// Options of a subscription.
///
/// ```
/// use wamp_client::{Overflow, SubscribeOptions};
///
/// let o = SubscribeOptions::default();
/// assert_eq!((o.queue_capacity, o.overflow), (1_000, Overflow::DropNewest));
/// ```
#[derive(Debug, Clone)]
pub struct SubscribeOptions {
    /// How the topic matches publications (`exact` by default).
    pub match_policy: MatchPolicy,
    /// Asks for the retained event, if any.
    pub get_retained: Option<bool>,
    /// How many events may wait for the handler or stream; beyond that, [`overflow`](Self::overflow)
    /// says what happens. Default [`DEFAULT_QUEUE_CAPACITY`](Self::DEFAULT_QUEUE_CAPACITY).
    pub queue_capacity: usize,
    /// What happens to an event that finds the queue full. Default [`Overflow::DropNewest`].
    pub overflow: Overflow,
    /// Any other option, sent as is.
    pub extra: Dict,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        SubscribeOptions {
            match_policy: MatchPolicy::Exact,
            get_retained: None,
            queue_capacity: Self::DEFAULT_QUEUE_CAPACITY,
            overflow: Overflow::DropNewest,
            extra: Dict::new(),
        }
    }
}

impl SubscribeOptions {
    /// The default queue capacity: 1,000 events.
    pub const DEFAULT_QUEUE_CAPACITY: usize = 1_000;

    /// Sets the match policy.
    pub fn match_policy(mut self, policy: MatchPolicy) -> Self {
        self.match_policy = policy;
        self
    }

    /// Asks for the topic's retained event on subscribing: when the broker keeps one (see
    /// [`PublishOptions::retain`]) that this session may receive, it comes first, with
    /// `retained: true` in its details. For a pattern subscription, the retained event of
    /// every matching topic.
    ///
    /// ```
    /// let o = wamp_client::SubscribeOptions::default().get_retained(true);
    /// assert_eq!(o.to_dict().get("get_retained"), Some(&true.into()));
    /// ```
    pub fn get_retained(mut self, get: bool) -> Self {
        self.get_retained = Some(get);
        self
    }

    /// Sets how many events may wait for the handler or stream (at least 1; default
    /// [`DEFAULT_QUEUE_CAPACITY`](Self::DEFAULT_QUEUE_CAPACITY)). What happens beyond it is the
    /// [`overflow`](Self::overflow) policy's.
    ///
    /// ```
    /// let o = wamp_client::SubscribeOptions::default().queue_capacity(10_000);
    /// assert_eq!(o.queue_capacity, 10_000);
    /// ```
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// What happens to an event that finds the queue full (the handler or the reader of the
    /// stream is [`queue_capacity`](Self::queue_capacity) events behind): it is dropped
    /// ([`Overflow::DropNewest`], the default), the oldest queued event is dropped to make
    /// room ([`Overflow::DropOldest`]), or the session stops reading until there is room
    /// ([`Overflow::Pause`]: see there for what that costs). Dropped events are counted
    /// ([`Subscription::dropped`](crate::Subscription::dropped),
    /// [`EventStream::dropped`](crate::EventStream::dropped)) and logged once per episode.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use wamp_client::{Overflow, SubscribeOptions};
    ///
    /// // A price feed: only the latest prices matter.
    /// let options = SubscribeOptions::default().queue_capacity(100).overflow(Overflow::DropOldest);
    /// let mut prices = session.subscribe_stream("com.example.price", options).await?;
    /// while let Some(event) = prices.next().await {
    ///     println!("{:?} ({} waiting, {} dropped)", event.payload.args, prices.pending(), prices.dropped());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The options dictionary sent in SUBSCRIBE.
    pub fn to_dict(&self) -> Dict {
        let mut d = self.extra.clone();
        if self.match_policy != MatchPolicy::Exact {
            d.insert("match".into(), self.match_policy.as_str().into());
        }
        put(&mut d, "get_retained", self.get_retained.map(Value::Bool));
        d
    }
}

/// Options of a publication.
///
/// Every field has a builder method, starting from [`PublishOptions::default`] or
/// [`PublishOptions::acknowledged`]:
///
/// ```
/// use wamp_client::PublishOptions;
///
/// let o = PublishOptions::acknowledged()
///     .retain(true)
///     .eligible_authrole(["backend"])
///     .exclude_authid(["joe"]);
/// let d = o.to_dict();
/// assert!(o.acknowledge);
/// assert_eq!(d.get("retain"), Some(&true.into()));
/// assert_eq!(d.get("eligible_authrole"), Some(&wamp_client::Value::List(vec!["backend".into()])));
/// assert_eq!(d.get("exclude_authid"), Some(&wamp_client::Value::List(vec!["joe".into()])));
/// ```
///
/// A subscriber receives the event only if it is in every `eligible*` list that is set and in
/// no `exclude*` list (and it is not the publisher, unless [`exclude_me`](Self::exclude_me)
/// is `false`). An empty list is not sent: it sets nothing.
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// Wait for the broker's PUBLISHED (or ERROR).
    pub acknowledge: bool,
    /// Whether the publisher receives its own event (the broker's default is `true`: it
    /// does not).
    pub exclude_me: Option<bool>,
    /// Asks the broker to disclose our identity to subscribers.
    pub disclose_me: Option<bool>,
    /// Asks the broker to retain the event.
    pub retain: Option<bool>,
    /// Session ids that must not receive the event.
    pub exclude: Vec<u64>,
    /// Only these session ids may receive the event.
    pub eligible: Vec<u64>,
    /// Sessions authenticated with these authids must not receive the event.
    pub exclude_authid: Vec<String>,
    /// Sessions with these authroles must not receive the event.
    pub exclude_authrole: Vec<String>,
    /// Only sessions authenticated with these authids may receive the event.
    pub eligible_authid: Vec<String>,
    /// Only sessions with these authroles may receive the event.
    pub eligible_authrole: Vec<String>,
    /// Any other option, sent as is.
    pub extra: Dict,
}

fn strings<I>(items: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

impl PublishOptions {
    /// Acknowledged publication: the publish waits for the broker's PUBLISHED and returns the
    /// publication id, or the broker's error (not authorized, invalid URI, ...).
    ///
    /// ```
    /// assert!(wamp_client::PublishOptions::acknowledged().acknowledge);
    /// ```
    pub fn acknowledged() -> Self {
        PublishOptions {
            acknowledge: true,
            ..Default::default()
        }
    }

    /// Sets whether the publish waits for the broker's acknowledgement.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().acknowledge(true);
    /// assert!(o.acknowledge);
    /// ```
    pub fn acknowledge(mut self, acknowledge: bool) -> Self {
        self.acknowledge = acknowledge;
        self
    }

    /// Sets `exclude_me`: `false` lets the publisher receive its own event when it is
    /// subscribed.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().exclude_me(false);
    /// assert_eq!(o.to_dict().get("exclude_me"), Some(&false.into()));
    /// ```
    pub fn exclude_me(mut self, exclude_me: bool) -> Self {
        self.exclude_me = Some(exclude_me);
        self
    }

    /// Asks the broker to disclose the publisher to subscribers: `publisher` (the session
    /// id, see [`Event::publisher`](crate::Event::publisher)) and, from Crossbar.io and our
    /// router, `publisher_authid` and `publisher_authrole` in the event's details.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().disclose_me(true);
    /// assert_eq!(o.to_dict().get("disclose_me"), Some(&true.into()));
    /// ```
    pub fn disclose_me(mut self, disclose: bool) -> Self {
        self.disclose_me = Some(disclose);
        self
    }

    /// Asks the broker to retain the event: it keeps the latest retained event of each topic
    /// and gives it to a later subscriber that asks for it
    /// ([`SubscribeOptions::get_retained`]), marked `retained` in its details.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().retain(true);
    /// assert_eq!(o.to_dict().get("retain"), Some(&true.into()));
    /// ```
    pub fn retain(mut self, retain: bool) -> Self {
        self.retain = Some(retain);
        self
    }

    /// Sets the session ids that must not receive the event.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().exclude([7, 8]);
    /// assert_eq!(o.to_dict().get("exclude"), Some(&wamp_client::Value::List(vec![7u64.into(), 8u64.into()])));
    /// ```
    pub fn exclude(mut self, sessions: impl IntoIterator<Item = u64>) -> Self {
        self.exclude = sessions.into_iter().collect();
        self
    }

    /// Sets the session ids that alone may receive the event.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().eligible([7]);
    /// assert_eq!(o.to_dict().get("eligible"), Some(&wamp_client::Value::List(vec![7u64.into()])));
    /// ```
    pub fn eligible(mut self, sessions: impl IntoIterator<Item = u64>) -> Self {
        self.eligible = sessions.into_iter().collect();
        self
    }

    /// Sets the authids whose sessions must not receive the event.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().exclude_authid(["joe", "ann"]);
    /// assert_eq!(o.to_dict().get("exclude_authid"), Some(&wamp_client::Value::List(vec!["joe".into(), "ann".into()])));
    /// ```
    pub fn exclude_authid<I>(mut self, authids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.exclude_authid = strings(authids);
        self
    }

    /// Sets the authroles whose sessions must not receive the event.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().exclude_authrole(["guest"]);
    /// assert_eq!(o.to_dict().get("exclude_authrole"), Some(&wamp_client::Value::List(vec!["guest".into()])));
    /// ```
    pub fn exclude_authrole<I>(mut self, authroles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.exclude_authrole = strings(authroles);
        self
    }

    /// Sets the authids whose sessions alone may receive the event.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().eligible_authid(["joe"]);
    /// assert_eq!(o.to_dict().get("eligible_authid"), Some(&wamp_client::Value::List(vec!["joe".into()])));
    /// ```
    pub fn eligible_authid<I>(mut self, authids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.eligible_authid = strings(authids);
        self
    }

    /// Sets the authroles whose sessions alone may receive the event.
    ///
    /// ```
    /// let o = wamp_client::PublishOptions::default().eligible_authrole(["backend"]);
    /// assert_eq!(o.to_dict().get("eligible_authrole"), Some(&wamp_client::Value::List(vec!["backend".into()])));
    /// ```
    pub fn eligible_authrole<I>(mut self, authroles: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.eligible_authrole = strings(authroles);
        self
    }

    /// The options dictionary sent in PUBLISH (`acknowledge` is added by the session).
    pub fn to_dict(&self) -> Dict {
        let mut d = self.extra.clone();
        put(&mut d, "exclude_me", self.exclude_me.map(Value::Bool));
        put(&mut d, "disclose_me", self.disclose_me.map(Value::Bool));
        put(&mut d, "retain", self.retain.map(Value::Bool));
        let ids = |v: &[u64]| Value::List(v.iter().map(|i| Value::from(*i)).collect());
        let names = |v: &[String]| Value::List(v.iter().map(|s| Value::from(s.as_str())).collect());
        for (key, list) in [("exclude", &self.exclude), ("eligible", &self.eligible)] {
            if !list.is_empty() {
                d.insert(Str::from_static(key), ids(list));
            }
        }
        for (key, list) in [
            ("exclude_authid", &self.exclude_authid),
            ("exclude_authrole", &self.exclude_authrole),
            ("eligible_authid", &self.eligible_authid),
            ("eligible_authrole", &self.eligible_authrole),
        ] {
            if !list.is_empty() {
                d.insert(Str::from_static(key), names(list));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_publish_option_goes_into_the_dictionary_under_its_wamp_name() {
        let d = PublishOptions::acknowledged()
            .exclude_me(false)
            .disclose_me(true)
            .retain(true)
            .exclude([1])
            .eligible([2, 3])
            .exclude_authid(["a"])
            .exclude_authrole(["b"])
            .eligible_authid(["c".to_owned()])
            .eligible_authrole(vec!["d"])
            .to_dict();
        let want = Dict::from([
            ("exclude_me", Value::Bool(false)),
            ("disclose_me", Value::Bool(true)),
            ("retain", Value::Bool(true)),
            ("exclude", Value::List(vec![1u64.into()])),
            ("eligible", Value::List(vec![2u64.into(), 3u64.into()])),
            ("exclude_authid", Value::List(vec!["a".into()])),
            ("exclude_authrole", Value::List(vec!["b".into()])),
            ("eligible_authid", Value::List(vec!["c".into()])),
            ("eligible_authrole", Value::List(vec!["d".into()])),
        ]);
        assert_eq!(d, want);
    }

    #[test]
    fn unset_publish_options_and_empty_lists_are_not_sent() {
        let d = PublishOptions::acknowledged()
            .eligible(Vec::<u64>::new())
            .eligible_authrole(Vec::<String>::new())
            .to_dict();
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn an_invocation_policy_reads_from_its_wire_name_and_back() {
        for name in ["single", "first", "last", "roundrobin", "random"] {
            let p = InvocationPolicy::from(name);
            assert_eq!(p.as_str(), name);
            assert!(!matches!(p, InvocationPolicy::Other(_)));
        }
        assert_eq!(
            InvocationPolicy::from("busiest".to_owned()),
            InvocationPolicy::Other("busiest".into())
        );
    }

    #[test]
    fn flow_control_defaults_are_a_thousand_events_drop_newest_and_ten_thousand_invocations_with_a_thousand_waiting(
    ) {
        let s = SubscribeOptions::default();
        assert_eq!(s.queue_capacity, 1_000);
        assert_eq!(s.overflow, Overflow::DropNewest);
        assert!(
            s.to_dict().is_empty(),
            "flow control is local: nothing is sent"
        );
        assert_eq!(
            SubscribeOptions::default().queue_capacity(0).queue_capacity,
            1
        );
        let j = JoinOptions::new("realm1");
        assert_eq!((j.max_invocations, j.invocation_queue), (10_000, 1_000));
        assert_eq!(j.max_invocations(0).max_invocations, 1);
    }

    #[test]
    fn register_options_send_force_reregister_and_concurrency_but_not_the_local_limit() {
        let o = RegisterOptions::default()
            .invoke(InvocationPolicy::Last)
            .force_reregister(true)
            .concurrency(3)
            .local_concurrency(5)
            .queue_capacity(0);
        let d = o.to_dict();
        assert_eq!(d.get("invoke"), Some(&"last".into()));
        assert_eq!(d.get("force_reregister"), Some(&true.into()));
        assert_eq!(d.get("concurrency"), Some(&3u32.into()));
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(o.running_limit(), Some(3));
        assert_eq!(o.queue_capacity, 1);
        assert_eq!(
            RegisterOptions::default().queue_capacity,
            RegisterOptions::DEFAULT_QUEUE_CAPACITY
        );
        assert_eq!(RegisterOptions::DEFAULT_QUEUE_CAPACITY, 1024);
    }
}
