//! Options of each operation: the Basic Profile fields, and `extra` for any advanced or
//! router-specific key (sent as is).

use std::time::Duration;

use std::sync::Arc;

use wamp_core::session::CancelMode;
use wamp_core::uri::MatchPolicy;
use wamp_core::value::{Dict, Str, Value};

use crate::auth::{Authentication, Authenticator, Offer};

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
            .finish_non_exhaustive()
    }
}

impl JoinOptions {
    /// The default join timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

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
        }
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

/// Options of a registration.
#[derive(Debug, Clone, Default)]
pub struct RegisterOptions {
    /// How the procedure URI matches calls (`exact` by default).
    pub match_policy: MatchPolicy,
    /// Shared registration policy: `single`, `roundrobin`, `random`, `first`, `last`.
    pub invoke: Option<String>,
    /// Asks the router to disclose callers.
    pub disclose_caller: Option<bool>,
    /// How many invocations the router may have running on this registration at once
    /// (Crossbar.io's `concurrency`); beyond that calls queue at the router or are refused.
    pub concurrency: Option<u32>,
    /// Any other option, sent as is.
    pub extra: Dict,
}

impl RegisterOptions {
    /// Sets the match policy.
    pub fn match_policy(mut self, policy: MatchPolicy) -> Self {
        self.match_policy = policy;
        self
    }

    /// Sets the invocation policy.
    pub fn invoke(mut self, policy: impl Into<String>) -> Self {
        self.invoke = Some(policy.into());
        self
    }

    /// Asks the router to disclose callers to this procedure.
    pub fn disclose_caller(mut self, disclose: bool) -> Self {
        self.disclose_caller = Some(disclose);
        self
    }

    /// Limits the invocations running at once.
    ///
    /// ```
    /// let o = wamp_client::RegisterOptions::default().invoke("roundrobin").concurrency(4);
    /// assert_eq!(o.to_dict().get("concurrency"), Some(&4.into()));
    /// ```
    pub fn concurrency(mut self, limit: u32) -> Self {
        self.concurrency = Some(limit);
        self
    }

    /// The options dictionary sent in REGISTER.
    pub fn to_dict(&self) -> Dict {
        let mut d = self.extra.clone();
        if self.match_policy != MatchPolicy::Exact {
            d.insert("match".into(), self.match_policy.as_str().into());
        }
        put(&mut d, "invoke", self.invoke.as_deref().map(Value::from));
        put(
            &mut d,
            "disclose_caller",
            self.disclose_caller.map(Value::Bool),
        );
        put(&mut d, "concurrency", self.concurrency.map(Value::from));
        d
    }
}

/// Options of a subscription.
#[derive(Debug, Clone)]
pub struct SubscribeOptions {
    /// How the topic matches publications (`exact` by default).
    pub match_policy: MatchPolicy,
    /// Asks for the retained event, if any.
    pub get_retained: Option<bool>,
    /// How many events may wait for the handler or stream; beyond that, events are dropped
    /// and counted ([`crate::Subscription::dropped`]). Default 65536.
    pub queue_capacity: usize,
    /// Any other option, sent as is.
    pub extra: Dict,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        SubscribeOptions {
            match_policy: MatchPolicy::Exact,
            get_retained: None,
            queue_capacity: Self::DEFAULT_QUEUE_CAPACITY,
            extra: Dict::new(),
        }
    }
}

impl SubscribeOptions {
    /// The default queue capacity.
    pub const DEFAULT_QUEUE_CAPACITY: usize = 65536;

    /// Sets the match policy.
    pub fn match_policy(mut self, policy: MatchPolicy) -> Self {
        self.match_policy = policy;
        self
    }

    /// Asks for the last retained event on subscribing.
    pub fn get_retained(mut self, get: bool) -> Self {
        self.get_retained = Some(get);
        self
    }

    /// Sets the local queue capacity.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
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
/// ```
/// let o = wamp_client::PublishOptions::acknowledged().exclude_me(false);
/// assert!(o.acknowledge);
/// ```
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
    /// Any other option, sent as is.
    pub extra: Dict,
}

impl PublishOptions {
    /// Acknowledged publication.
    pub fn acknowledged() -> Self {
        PublishOptions {
            acknowledge: true,
            ..Default::default()
        }
    }

    /// Sets `exclude_me`.
    pub fn exclude_me(mut self, exclude_me: bool) -> Self {
        self.exclude_me = Some(exclude_me);
        self
    }

    /// The options dictionary sent in PUBLISH (`acknowledge` is added by the session).
    pub fn to_dict(&self) -> Dict {
        let mut d = self.extra.clone();
        put(&mut d, "exclude_me", self.exclude_me.map(Value::Bool));
        put(&mut d, "disclose_me", self.disclose_me.map(Value::Bool));
        put(&mut d, "retain", self.retain.map(Value::Bool));
        let ids = |v: &[u64]| Value::List(v.iter().map(|i| Value::from(*i)).collect());
        if !self.exclude.is_empty() {
            d.insert("exclude".into(), ids(&self.exclude));
        }
        if !self.eligible.is_empty() {
            d.insert("eligible".into(), ids(&self.eligible));
        }
        d
    }
}
