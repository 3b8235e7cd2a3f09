//! Components: Autobahn|Python's `Component` in Rust. A component declares its transports,
//! its realm, its procedures and subscriptions and its lifecycle listeners once; a supervisor
//! then connects, joins, registers and subscribes everything on every new session, and
//! reconnects with backoff when the connection is lost.
//!
//! ```no_run
//! use wamp_client::{typed, Component, WampError};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let comp = Component::builder()
//!     .name("calculator")
//!     .transport("ws://127.0.0.1:8080/ws")
//!     .transport("rs://127.0.0.1:8081")
//!     .realm("realm1")
//!     .procedure("com.example.add2", typed(|(a, b): (i64, i64)| async move { Ok::<_, WampError>(a + b) }))
//!     .on_ready(|session: wamp_client::Session, _| async move {
//!         println!("ready as session {}", session.id());
//!     })
//!     .build()?;
//! wamp_client::run(vec![comp])?;
//! # Ok(()) }
//! ```
//!
//! Differences from Autobahn, on purpose:
//! - authentication and realm refusals (`authentication_failed`, `not_authorized`,
//!   `no_such_realm`, `no_such_role`, ...) are fatal by default instead of retried forever;
//! - a procedure or subscription the router refuses ends the component with an error naming
//!   it, instead of a log line and a half-working component (`procedure_already_exists` is
//!   first retried for [`ALREADY_EXISTS_RETRY_FOR`], the time a router may take to notice that
//!   our previous session is gone);
//! - `ready` fires only once every procedure and subscription is live;
//! - the first retry waits `initial_retry_delay` (see [`RetryPolicy`]).

mod auth;
mod declare;
mod handle;
mod supervisor;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use wamp_core::session::{CloseDetails, SessionDetails};
use wamp_core::uri;

use crate::error::{ConfigError, JoinError, RegisterError, SubscribeError};
use crate::options::{JoinOptions, RegisterOptions, SubscribeOptions};
use crate::retry::RetryPolicy;
use crate::session::{BoxFuture, EventHandler, Procedure, Registration, Session, Subscription};
use crate::transport::TransportConfig;

pub use auth::{AuthMethod, Authentication, CryptosignKey, Secret};
pub use declare::{Attach, Declaration, Service};
pub use handle::{ComponentHandle, LifecycleEvents};

/// How long a `wamp.error.procedure_already_exists` is retried on a new session before it is
/// reported: 10 s, with delays from 100 ms doubling to 2 s.
pub const ALREADY_EXISTS_RETRY_FOR: Duration = Duration::from_secs(10);

/// The default of [`ComponentBuilder::stop_timeout`]: 10 s for running invocations to finish
/// when the component stops.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// One transport of a component: where to connect and how to retry.
///
/// ```
/// use wamp_client::{RetryPolicy, TransportConfig, TransportSpec};
///
/// let spec = TransportSpec::new(TransportConfig::new("rs://127.0.0.1:8081").unwrap())
///     .retry(RetryPolicy::default().max_retries(3));
/// assert_eq!(spec.config().url(), "rs://127.0.0.1:8081");
/// ```
#[derive(Debug, Clone)]
pub struct TransportSpec {
    config: TransportConfig,
    retry: RetryPolicy,
}

impl TransportSpec {
    /// A transport with Autobahn's default retry policy.
    pub fn new(config: TransportConfig) -> Self {
        TransportSpec {
            config,
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The connection settings.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
}

impl From<TransportConfig> for TransportSpec {
    fn from(config: TransportConfig) -> Self {
        TransportSpec::new(config)
    }
}

/// What [`ComponentBuilder::transport`] accepts: a URL, a [`TransportConfig`] or a
/// [`TransportSpec`]. A bad URL is reported by [`ComponentBuilder::build`].
pub trait IntoTransport {
    /// Converts into a transport spec.
    fn into_transport(self) -> Result<TransportSpec, ConfigError>;
}

impl IntoTransport for &str {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        TransportConfig::new(self).map(TransportSpec::new)
    }
}

impl IntoTransport for String {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        self.as_str().into_transport()
    }
}

impl IntoTransport for TransportConfig {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        Ok(TransportSpec::new(self))
    }
}

impl IntoTransport for TransportSpec {
    fn into_transport(self) -> Result<TransportSpec, ConfigError> {
        Ok(self)
    }
}

/// Why an attempt on a transport, or a session on it, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// Connecting or joining failed (refused connection, handshake error or timeout, ABORT).
    #[error(transparent)]
    Join(JoinError),
    /// The session ended other than by a clean leave.
    #[error("session lost: {}{}", .0.reason, .0.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Lost(CloseDetails),
    /// The router refused to register one of the component's procedures.
    #[error("cannot register {procedure}: {error}")]
    Register {
        /// The procedure URI.
        procedure: String,
        /// The router's answer.
        error: RegisterError,
    },
    /// The credential provider failed to give credentials, or gave unusable ones (a bad
    /// key). Retried by default: the provider may recover.
    #[error("no credentials: {0}")]
    Credentials(String),
    /// The router refused to subscribe one of the component's subscriptions.
    #[error("cannot subscribe to {topic}: {error}")]
    Subscribe {
        /// The topic URI.
        topic: String,
        /// The router's answer.
        error: SubscribeError,
    },
}

impl Failure {
    /// The default classification: fatal for configuration, authentication and realm
    /// problems and for refused procedures and subscriptions; retried for transport errors,
    /// handshake failures and timeouts and lost sessions.
    pub fn is_fatal_by_default(&self) -> bool {
        match self {
            Failure::Join(e) => !e.is_retryable(),
            Failure::Lost(_) | Failure::Credentials(_) => false,
            Failure::Register { error, .. } => !matches!(error, RegisterError::Session(_)),
            Failure::Subscribe { error, .. } => !matches!(error, SubscribeError::Session(_)),
        }
    }

    /// Whether the router refused our credentials (or we refused the router's proof).
    pub fn is_authentication(&self) -> bool {
        matches!(self, Failure::Join(JoinError::Authentication { .. }))
    }
}

/// What happened to one transport by the time its component failed.
#[derive(Debug, Clone)]
pub struct TransportOutcome {
    /// The transport's URL.
    pub url: String,
    /// Attempts made since the last successful join.
    pub attempts: u64,
    /// Whether a failure was judged fatal (as opposed to retries used up).
    pub fatal: bool,
    /// The last failure, if there was an attempt.
    pub last_failure: Option<Arc<Failure>>,
}

/// Why a component ended with an error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    /// No transport may be tried any more: each either failed fatally or used up its retries.
    #[error("component {name}: every transport failed: {}", describe(.transports))]
    Exhausted {
        /// The component's name.
        name: String,
        /// Each transport's last failure, in the order they were given.
        transports: Vec<TransportOutcome>,
    },
    /// The component ended (stopped, or its session left cleanly) before it was ready.
    #[error("component {name} ended before it was ready")]
    Ended {
        /// The component's name.
        name: String,
    },
}

fn describe(transports: &[TransportOutcome]) -> String {
    let parts: Vec<String> = transports
        .iter()
        .map(|t| {
            let what = t
                .last_failure
                .as_ref()
                .map_or_else(|| "not tried".to_owned(), |f| f.to_string());
            let how = if t.fatal {
                "fatal".to_owned()
            } else {
                format!("{} attempts", t.attempts)
            };
            format!("{} ({how}): {what}", t.url)
        })
        .collect();
    parts.join("; ")
}

/// A step in a component's life, as seen by listeners and [`ComponentHandle::events`].
///
/// For each session the order is `Connect`, `Join`, `Ready`, `Leave`, `Disconnect`; a
/// transport that cannot be connected gives `ConnectFailure`; a join that fails after the
/// connection was made gives `Disconnect` without `Join`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LifecycleEvent {
    /// The transport is connected; the join starts.
    Connect {
        /// The transport's URL.
        url: String,
    },
    /// The session joined.
    Join {
        /// The new session.
        session: Session,
    },
    /// Every procedure and subscription is live on the session.
    Ready {
        /// The session.
        session: Session,
        /// The registrations and subscriptions made.
        details: ReadyDetails,
    },
    /// The session ended.
    Leave {
        /// The session that ended.
        session: Session,
        /// Why.
        details: CloseDetails,
    },
    /// The transport closed.
    Disconnect {
        /// The transport's URL.
        url: String,
        /// Whether the session ended with a clean leave.
        was_clean: bool,
    },
    /// The next attempt on a transport waits `delay` first (the first attempt, and the first
    /// after a lost session, wait for nothing and give no such event). Not passed to listeners.
    Retry {
        /// The transport's URL.
        url: String,
        /// Attempts on it since its last successful join, this one included.
        attempt: u64,
        /// The wait.
        delay: Duration,
    },
    /// An attempt failed before a session was established.
    ConnectFailure {
        /// The transport's URL.
        url: String,
        /// Why.
        failure: Arc<Failure>,
    },
}

impl LifecycleEvent {
    /// The event's name, as in logs: `connect`, `join`, `ready`, `leave`, `disconnect`,
    /// `retry` or `connect_failure`.
    pub fn kind(&self) -> &'static str {
        match self {
            LifecycleEvent::Connect { .. } => "connect",
            LifecycleEvent::Join { .. } => "join",
            LifecycleEvent::Ready { .. } => "ready",
            LifecycleEvent::Leave { .. } => "leave",
            LifecycleEvent::Disconnect { .. } => "disconnect",
            LifecycleEvent::Retry { .. } => "retry",
            LifecycleEvent::ConnectFailure { .. } => "connect_failure",
        }
    }
}

/// What a component set up on a session before it became ready: the registration of each
/// procedure and the subscription of each event handler, in the order they were declared.
///
/// ```no_run
/// use wamp_client::{on_ready, ReadyDetails, Session};
///
/// #[on_ready]
/// async fn ready(_session: Session, details: ReadyDetails) {
///     for r in &details.registrations {
///         println!("registered {} with id {}", r.procedure(), r.id());
///     }
/// }
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReadyDetails {
    /// One per declared procedure.
    pub registrations: Vec<Registration>,
    /// One per declared subscription.
    pub subscriptions: Vec<Subscription>,
}

/// What a lifecycle listener may return: `()`, or a `Result` whose error is logged.
#[diagnostic::on_unimplemented(
    message = "a lifecycle listener cannot return `{Self}`",
    note = "a listener returns `()` or `Result<(), E>` with `E: Display` (the error is logged)"
)]
pub trait ListenerOutput: Send + 'static {
    /// The error to log, if any.
    fn into_error(self) -> Option<String>;
}

impl ListenerOutput for () {
    fn into_error(self) -> Option<String> {
        None
    }
}

impl<E: fmt::Display + Send + 'static> ListenerOutput for Result<(), E> {
    fn into_error(self) -> Option<String> {
        self.err().map(|e| e.to_string())
    }
}

pub(crate) type Listener =
    Arc<dyn Fn(&LifecycleEvent) -> Option<BoxFuture<Option<String>>> + Send + Sync>;

/// Decides whether a failure ends its transport for good: `Some(true)` fatal, `Some(false)`
/// retried, `None` the default ([`Failure::is_fatal_by_default`]).
pub type IsFatal = Arc<dyn Fn(&Failure) -> Option<bool> + Send + Sync>;

pub(crate) struct ProcedureDecl {
    pub(crate) uri: String,
    pub(crate) options: RegisterOptions,
    pub(crate) handler: Arc<dyn Procedure>,
}

pub(crate) struct SubscriptionDecl {
    pub(crate) topic: String,
    pub(crate) options: SubscribeOptions,
    pub(crate) handler: Arc<dyn EventHandler>,
}

/// Gives fresh credentials before each attempt; see [`ComponentBuilder::credentials`].
pub(crate) type CredentialProvider =
    Arc<dyn Fn() -> BoxFuture<Result<Authentication, String>> + Send + Sync>;

pub(crate) struct Config {
    pub(crate) name: String,
    pub(crate) transports: Vec<TransportSpec>,
    pub(crate) join: JoinOptions,
    pub(crate) authentication: Option<Authentication>,
    pub(crate) credentials: Option<CredentialProvider>,
    pub(crate) procedures: Vec<ProcedureDecl>,
    pub(crate) subscriptions: Vec<SubscriptionDecl>,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) is_fatal: Option<IsFatal>,
    pub(crate) stop_timeout: Duration,
}

impl Config {
    /// The join options of one attempt: the provider's fresh credentials, else the static
    /// ones, else the join options as given.
    pub(crate) async fn join_options(&self) -> Result<JoinOptions, String> {
        match (&self.credentials, &self.authentication) {
            (Some(provider), _) => provider().await?.load_keys()?.join_options(&self.join),
            (None, Some(auth)) => auth.join_options(&self.join),
            (None, None) => Ok(self.join.clone()),
        }
    }
}

/// A WAMP application component: transports, realm, handlers and listeners, ready to be run
/// by [`run`](crate::run) or started with [`Component::start`]. Cheap to clone.
#[derive(Clone)]
pub struct Component {
    config: Arc<Config>,
}

impl fmt::Debug for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("Component")
            .field("name", &c.name)
            .field(
                "transports",
                &c.transports
                    .iter()
                    .map(|t| t.config.url())
                    .collect::<Vec<_>>(),
            )
            .field("realm", &c.join.realm)
            .field("procedures", &c.procedures.len())
            .field("subscriptions", &c.subscriptions.len())
            .finish_non_exhaustive()
    }
}

impl Component {
    /// Starts describing a component.
    pub fn builder() -> ComponentBuilder {
        ComponentBuilder::default()
    }

    /// The component's name (for logs and errors).
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Starts the component on the current tokio runtime and returns its handle.
    ///
    /// ```no_run
    /// # async fn demo(comp: wamp_client::Component) -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = comp.start();
    /// let session = handle.ready().await?;
    /// session.publish("com.example.started", ()).await?;
    /// handle.stop().await?;
    /// # Ok(()) }
    /// ```
    pub fn start(&self) -> ComponentHandle {
        handle::start(self.config.clone())
    }
}

/// Builds a [`Component`]; see the [module docs](self).
#[derive(Default)]
pub struct ComponentBuilder {
    name: Option<String>,
    transports: Vec<Result<TransportSpec, ConfigError>>,
    realm: Option<String>,
    join: Option<JoinOptions>,
    authentication: Option<Authentication>,
    credentials: Option<CredentialProvider>,
    procedures: Vec<ProcedureDecl>,
    subscriptions: Vec<SubscriptionDecl>,
    listeners: Vec<Listener>,
    is_fatal: Option<IsFatal>,
    stop_timeout: Option<Duration>,
}

impl ComponentBuilder {
    /// The name used in logs and errors. Default `"component"`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a transport, tried in round robin with the others in the order given.
    ///
    /// ```
    /// use wamp_client::{Component, RetryPolicy, TransportConfig, TransportSpec};
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .transport(TransportSpec::new(TransportConfig::new("rs://127.0.0.1:8081").unwrap())
    ///         .retry(RetryPolicy::default().max_retries(5)))
    ///     .realm("realm1")
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn transport(mut self, transport: impl IntoTransport) -> Self {
        self.transports.push(transport.into_transport());
        self
    }

    /// The realm to join (required).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Join settings: authid, authrole, authentication, join timeout. Its realm is replaced
    /// by [`realm`](Self::realm) when that is given.
    pub fn join_options(mut self, options: JoinOptions) -> Self {
        self.join = Some(options);
        self
    }

    /// How to authenticate: the methods offered and their settings, Autobahn's
    /// `authentication=`. Default: anonymous.
    pub fn authentication(mut self, authentication: Authentication) -> Self {
        self.authentication = Some(authentication);
        self
    }

    /// Asks `provider` for fresh credentials before each connection attempt, and once more
    /// after an authentication failure before that failure counts (so short-lived tickets
    /// or tokens work across reconnects). Replaces [`authentication`](Self::authentication).
    /// A provider error fails the attempt, which is retried with backoff.
    ///
    /// ```
    /// use wamp_client::{AuthMethod, Authentication, Component};
    ///
    /// async fn fetch_token() -> Result<String, std::io::Error> {
    ///     Ok("token-from-the-issuer".into())
    /// }
    ///
    /// let comp = Component::builder()
    ///     .transport("wss://router.example.com/ws")
    ///     .realm("realm1")
    ///     .credentials(|| async {
    ///         let token = fetch_token().await?;
    ///         Ok::<_, std::io::Error>(Authentication::new().authid("joe").method(AuthMethod::ticket(token)))
    ///     })
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn credentials<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Authentication, E>> + Send + 'static,
        E: fmt::Display,
    {
        self.credentials = Some(Arc::new(move || {
            let fut = provider();
            Box::pin(async move { fut.await.map_err(|e| format!("credential provider: {e}")) })
        }));
        self
    }

    /// Registers `handler` as `uri` on every session.
    pub fn procedure(self, uri: impl Into<String>, handler: impl Procedure) -> Self {
        self.procedure_with(uri, RegisterOptions::default(), handler)
    }

    /// [`procedure`](Self::procedure) with options.
    pub fn procedure_with(
        self,
        uri: impl Into<String>,
        options: RegisterOptions,
        handler: impl Procedure,
    ) -> Self {
        self.attach(Declaration::procedure(uri, options, handler))
    }

    /// Subscribes `handler` to `topic` on every session.
    pub fn subscription(self, topic: impl Into<String>, handler: impl EventHandler) -> Self {
        self.subscription_with(topic, SubscribeOptions::default(), handler)
    }

    /// [`subscription`](Self::subscription) with options.
    pub fn subscription_with(
        self,
        topic: impl Into<String>,
        options: SubscribeOptions,
        handler: impl EventHandler,
    ) -> Self {
        self.attach(Declaration::subscription(topic, options, handler))
    }

    /// Adds handlers declared elsewhere: what the macros produce (`add2::handler()` for a fn
    /// under `#[register]`, `#[subscribe]` or a lifecycle attribute; a value of a type whose
    /// `impl` block has `#[service]`), any [`Declaration`], or a `Vec` or array of them.
    ///
    /// ```
    /// use wamp_client::{register, subscribe, on_ready, Component, Session};
    ///
    /// #[register("com.example.add2")]
    /// async fn add2(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    ///
    /// #[subscribe("com.example.hello")]
    /// async fn hello(greeting: String) {
    ///     println!("{greeting}");
    /// }
    ///
    /// #[on_ready]
    /// async fn ready(session: Session) {
    ///     println!("session {} is ready", session.id());
    /// }
    ///
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .attach([add2::handler(), hello::handler(), ready::handler()])
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn attach(mut self, handlers: impl Attach) -> Self {
        for declaration in handlers.into_declarations() {
            match declaration.into_kind() {
                declare::Kind::Procedure {
                    uri,
                    options,
                    handler,
                } => self.procedures.push(ProcedureDecl {
                    uri,
                    options,
                    handler: handler.into_procedure(),
                }),
                declare::Kind::Subscription {
                    topic,
                    options,
                    handler,
                } => self.subscriptions.push(SubscriptionDecl {
                    topic,
                    options,
                    handler: handler.into_handler(),
                }),
                declare::Kind::Listener(listener) => self.listeners.push(listener),
            }
        }
        self
    }

    /// Runs `f` with the transport's URL each time a transport is connected, before the join.
    pub fn on_connect<F, Fut>(self, f: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        self.attach(Declaration::on_connect(f))
    }

    /// Runs `f` on every new session, before its procedures and subscriptions are set up.
    pub fn on_join<F, Fut>(self, f: F) -> Self
    where
        F: Fn(Session, SessionDetails) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        self.attach(Declaration::on_join(f))
    }

    /// Runs `f` on every new session once all its procedures and subscriptions are live,
    /// with the registrations and subscriptions made.
    pub fn on_ready<F, Fut>(self, f: F) -> Self
    where
        F: Fn(Session, ReadyDetails) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        self.attach(Declaration::on_ready(f))
    }

    /// Runs `f` when a session ends.
    pub fn on_leave<F, Fut>(self, f: F) -> Self
    where
        F: Fn(Session, CloseDetails) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        self.attach(Declaration::on_leave(f))
    }

    /// Runs `f(url, was_clean)` when a connected transport closes.
    pub fn on_disconnect<F, Fut>(self, f: F) -> Self
    where
        F: Fn(String, bool) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        self.attach(Declaration::on_disconnect(f))
    }

    /// Runs `f(url, failure)` when an attempt fails before a session is established.
    pub fn on_connect_failure<F, Fut>(self, f: F) -> Self
    where
        F: Fn(String, Arc<Failure>) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ListenerOutput,
    {
        self.attach(Declaration::on_connect_failure(f))
    }

    /// Decides which failures end a transport for good, overriding the default
    /// ([`Failure::is_fatal_by_default`]) where it returns `Some`.
    ///
    /// ```
    /// use wamp_client::{Component, Failure};
    /// // Keep retrying even when the realm does not exist (yet).
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .is_fatal(|f: &Failure| matches!(f, Failure::Join(_)).then_some(false))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn is_fatal(
        mut self,
        f: impl Fn(&Failure) -> Option<bool> + Send + Sync + 'static,
    ) -> Self {
        self.is_fatal = Some(Arc::new(f));
        self
    }

    /// How long running invocations may take to finish when the component stops. Default
    /// [`DEFAULT_STOP_TIMEOUT`].
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = Some(timeout);
        self
    }

    /// Checks the configuration and builds the component. The error names the offending
    /// field: `transports[1]`, `realm`, `procedures[0]`, ...
    pub fn build(self) -> Result<Component, ConfigError> {
        let invalid =
            |field: &'static str, reason: String| ConfigError::InvalidSetting { field, reason };
        if self.transports.is_empty() {
            return Err(invalid(
                "transports",
                "at least one transport is needed".into(),
            ));
        }
        let mut transports = Vec::with_capacity(self.transports.len());
        for (i, t) in self.transports.into_iter().enumerate() {
            let t = t.map_err(|e| invalid("transports", format!("transport {i}: {e}")))?;
            t.config
                .validate()
                .map_err(|e| invalid("transports", format!("transport {i}: {e}")))?;
            t.retry
                .validate()
                .map_err(|e| invalid("transports", format!("transport {i}: {e}")))?;
            transports.push(t);
        }
        let mut join = self.join.unwrap_or_else(|| JoinOptions::new(""));
        if let Some(realm) = self.realm {
            join.realm = realm;
        }
        let authentication = match self.authentication {
            Some(auth) => {
                let auth = auth.load_keys().map_err(|e| invalid("authentication", e))?;
                // Settings that cannot make a HELLO (SCRAM without an authid) fail here.
                auth.join_options(&join)
                    .map_err(|e| invalid("authentication", e))?;
                Some(auth)
            }
            None => None,
        };
        if join.realm.is_empty() {
            return Err(invalid("realm", "a realm is needed".into()));
        }
        uri::validate_realm(&join.realm).map_err(|e| invalid("realm", e.to_string()))?;
        for (i, p) in self.procedures.iter().enumerate() {
            uri::validate(&p.uri, p.options.match_policy, false)
                .map_err(|e| invalid("procedures", format!("procedure {i}: {e}")))?;
        }
        for (i, p) in self.procedures.iter().enumerate() {
            if let Some(j) = self.procedures[..i].iter().position(|q| q.uri == p.uri) {
                return Err(invalid(
                    "procedures",
                    format!("procedure {i}: {} is already procedure {j}", p.uri),
                ));
            }
        }
        for (i, s) in self.subscriptions.iter().enumerate() {
            uri::validate(&s.topic, s.options.match_policy, false)
                .map_err(|e| invalid("subscriptions", format!("subscription {i}: {e}")))?;
        }
        Ok(Component {
            config: Arc::new(Config {
                name: self.name.unwrap_or_else(|| "component".into()),
                transports,
                join,
                authentication,
                credentials: self.credentials,
                procedures: self.procedures,
                subscriptions: self.subscriptions,
                listeners: self.listeners,
                is_fatal: self.is_fatal,
                stop_timeout: self.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Invocation, Payload, WampError};

    fn field(b: ComponentBuilder) -> (&'static str, String) {
        match b.build() {
            Err(ConfigError::InvalidSetting { field, reason }) => (field, reason),
            other => panic!("{other:?}"),
        }
    }

    async fn echo(inv: Invocation) -> Result<Payload, WampError> {
        Ok(inv.payload)
    }

    #[test]
    fn a_valid_component_builds() {
        let comp = Component::builder()
            .name("c")
            .transport("ws://127.0.0.1:8080/ws")
            .transport("rs://127.0.0.1:8081")
            .realm("realm1")
            .procedure("com.example.echo", echo)
            .subscription("com.example.topic", |_e: crate::Event| async {})
            .build()
            .unwrap();
        assert_eq!(comp.name(), "c");
        assert_eq!(comp.config.transports.len(), 2);
        assert_eq!(comp.config.stop_timeout, DEFAULT_STOP_TIMEOUT);
    }

    #[tokio::test]
    async fn authentication_settings_go_into_the_hello() {
        let comp = Component::builder()
            .transport("rs://127.0.0.1:1")
            .realm("realm1")
            .authentication(
                Authentication::new()
                    .method(AuthMethod::Anonymous)
                    .method(AuthMethod::Anonymous)
                    .authid("joe")
                    .authrole("anonymous")
                    .authextra("k", 1),
            )
            .build()
            .unwrap();
        let join = comp.config.join_options().await.unwrap();
        assert_eq!(join.authmethods, ["anonymous"]);
        assert_eq!(join.authid.as_deref(), Some("joe"));
        assert_eq!(join.authrole.as_deref(), Some("anonymous"));
        assert_eq!(join.authextra.get("k"), Some(&1.into()));
    }

    #[test]
    fn zero_transports_are_rejected() {
        assert_eq!(field(Component::builder().realm("realm1")).0, "transports");
    }

    #[test]
    fn a_bad_url_scheme_names_the_transport() {
        let (f, reason) = field(
            Component::builder()
                .transport("ws://127.0.0.1:8080/ws")
                .transport("http://127.0.0.1:8080")
                .realm("realm1"),
        );
        assert_eq!(f, "transports");
        assert!(reason.starts_with("transport 1:"), "{reason}");
    }

    #[test]
    fn bad_retry_settings_name_the_transport_and_the_setting() {
        let spec = TransportSpec::new(TransportConfig::new("rs://127.0.0.1:1").unwrap())
            .retry(RetryPolicy::default().max_retries(-5));
        let (f, reason) = field(Component::builder().transport(spec).realm("realm1"));
        assert_eq!(f, "transports");
        assert!(
            reason.contains("transport 0") && reason.contains("max_retries"),
            "{reason}"
        );
    }

    #[test]
    fn keepalive_is_refused_on_rawsocket() {
        let config = TransportConfig::new("rs://127.0.0.1:1")
            .unwrap()
            .keepalive(Duration::from_secs(1), Duration::from_secs(1));
        let (f, reason) = field(Component::builder().transport(config).realm("realm1"));
        assert_eq!(f, "transports");
        assert!(reason.contains("keepalive"), "{reason}");
        let ws = TransportConfig::new("ws://127.0.0.1:1/ws")
            .unwrap()
            .keepalive(Duration::from_secs(1), Duration::from_secs(1));
        assert!(Component::builder()
            .transport(ws)
            .realm("realm1")
            .build()
            .is_ok());
    }

    #[test]
    fn a_missing_or_invalid_realm_is_rejected() {
        let b = || Component::builder().transport("rs://127.0.0.1:1");
        assert_eq!(field(b()).0, "realm");
        assert_eq!(field(b().realm("not a realm")).0, "realm");
        assert_eq!(field(b().realm("1realm")).0, "realm");
    }

    #[test]
    fn invalid_procedure_and_topic_uris_are_rejected() {
        let b = || {
            Component::builder()
                .transport("rs://127.0.0.1:1")
                .realm("realm1")
        };
        let (f, reason) = field(b().procedure("com.ok", echo).procedure("com..bad", echo));
        assert_eq!(f, "procedures");
        assert!(reason.starts_with("procedure 1:"), "{reason}");
        let (f, _) = field(b().subscription("bad uri", |_e: crate::Event| async {}));
        assert_eq!(f, "subscriptions");
        let (f, reason) = field(
            b().procedure("com.twice", echo)
                .procedure("com.twice", echo),
        );
        assert_eq!(f, "procedures");
        assert!(reason.contains("already procedure 0"), "{reason}");
    }

    #[test]
    fn refusals_of_authentication_and_realm_are_fatal_by_default_and_transport_errors_are_not() {
        use wamp_core::session::CloseInitiator;
        let refused = |reason: &str| {
            Failure::Join(JoinError::Refused(CloseDetails {
                reason: reason.into(),
                message: None,
                initiator: CloseInitiator::RouterAbort,
            }))
        };
        for reason in [
            "wamp.error.authentication_failed",
            "wamp.error.not_authorized",
            "wamp.error.no_such_realm",
            "wamp.error.no_such_role",
        ] {
            assert!(refused(reason).is_fatal_by_default(), "{reason}");
        }
        assert!(!refused("wamp.close.system_shutdown").is_fatal_by_default());
        let refused_conn = Failure::Join(JoinError::Connect(crate::ConnectError::Io(
            std::io::ErrorKind::ConnectionRefused.into(),
        )));
        assert!(!refused_conn.is_fatal_by_default());
        assert!(
            !Failure::Join(JoinError::Connect(crate::ConnectError::Timeout)).is_fatal_by_default()
        );
        assert!(!Failure::Lost(CloseDetails {
            reason: "wamp.close.transport_lost".into(),
            message: None,
            initiator: CloseInitiator::Transport,
        })
        .is_fatal_by_default());
    }
}
