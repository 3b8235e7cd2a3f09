//! [`ComponentBuilder`]: a component's transports, realm, authentication, handlers and
//! listeners, checked when it is built; and the [`Config`] the supervisor runs.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use wamp_core::session::{CloseDetails, SessionDetails};
use wamp_core::uri::{self, MatchPolicy};

use super::config::{
    Component, Config, CredentialProvider, IsFatal, MainFn, ProcedureDecl, SubscriptionDecl,
    DEFAULT_SETUP_TIMEOUT, DEFAULT_STOP_TIMEOUT,
};
use super::declare::{Attach, Declaration, Kind};
use super::error::Failure;
use super::lifecycle::{Listener, ListenerOutput, MainOutput, ReadyDetails};
use super::transport::{IntoTransport, TransportSpec};
use crate::auth::Authentication;
use crate::error::ConfigError;
use crate::handler::{IntoEventHandler, IntoProcedure};
use crate::intercept::{Interceptor, Interceptors};
use crate::options::{JoinOptions, RegisterOptions, SubscribeOptions};
use crate::session::testament::Testament;
use crate::session::Session;

impl Component {
    /// Starts describing a component.
    ///
    /// ```
    /// let comp = wamp_client::Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(comp.name(), "component");
    /// ```
    pub fn builder() -> ComponentBuilder {
        ComponentBuilder::default()
    }
}

/// Builds a [`Component`]; see the [module docs](super).
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
    testaments: Vec<Testament>,
    main: Option<MainFn>,
    fail_on_listener_error: bool,
    is_fatal: Option<IsFatal>,
    stop_timeout: Option<Duration>,
    setup_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
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

    /// Registers `handler` as `uri` on every session: any async fn of typed parameters, or
    /// of one [`Invocation`](crate::Invocation) (see [`handler`](crate::handler)).
    ///
    /// ```
    /// use wamp_client::Component;
    ///
    /// async fn add2(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .procedure("com.example.add2", add2)
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn procedure<P>(self, uri: impl Into<String>, handler: impl IntoProcedure<P>) -> Self {
        self.procedure_with(uri, RegisterOptions::default(), handler)
    }

    /// [`procedure`](Self::procedure) with options.
    pub fn procedure_with<P>(
        self,
        uri: impl Into<String>,
        options: RegisterOptions,
        handler: impl IntoProcedure<P>,
    ) -> Self {
        self.attach(Declaration::procedure(uri, options, handler))
    }

    /// Subscribes `handler` to `topic` on every session: any async fn of typed parameters, or
    /// of one [`Event`](crate::Event).
    ///
    /// ```
    /// use wamp_client::Component;
    ///
    /// async fn on_tick(n: u64) {
    ///     println!("tick {n}");
    /// }
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .subscription("com.example.tick", on_tick)
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn subscription<P>(
        self,
        topic: impl Into<String>,
        handler: impl IntoEventHandler<P>,
    ) -> Self {
        self.subscription_with(topic, SubscribeOptions::default(), handler)
    }

    /// [`subscription`](Self::subscription) with options.
    pub fn subscription_with<P>(
        self,
        topic: impl Into<String>,
        options: SubscribeOptions,
        handler: impl IntoEventHandler<P>,
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
                Kind::Procedure {
                    uri,
                    options,
                    handler,
                } => self.procedures.push(ProcedureDecl {
                    uri,
                    options,
                    handler,
                }),
                Kind::Subscription {
                    topic,
                    options,
                    handler,
                } => self.subscriptions.push(SubscriptionDecl {
                    topic,
                    options,
                    handler,
                }),
                Kind::Listener(listener) => self.listeners.push(listener),
            }
        }
        self
    }

    /// Sets `testament` on every new session, right after the join and before the `on_join`
    /// listeners run: the router publishes it when that session goes away, however it goes.
    /// A testament the router refuses fails the session like a refused procedure
    /// ([`Failure::Testament`]).
    ///
    /// ```
    /// use wamp_client::{Component, Payload, Testament};
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .testament(Testament::new("com.example.worker.gone", Payload::args(&("worker-1",)).unwrap()))
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn testament(mut self, testament: Testament) -> Self {
        self.testaments.push(testament);
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

    /// Gives the component a main function (Autobahn's `Component(main=...)`): it runs on
    /// the session once that session is ready (every procedure and subscription live), and
    /// its return ends the component: the session leaves (running invocations may finish
    /// within the stop timeout) and [`run`](crate::run) or
    /// [`ComponentHandle::wait`](crate::ComponentHandle::wait) returns `Ok(())`, or
    /// [`ComponentError::Main`](super::ComponentError::Main) with main's error (a panic
    /// too). If the session is lost while main runs, main is dropped and runs again on the
    /// next session; a stop drops it.
    ///
    /// ```no_run
    /// use wamp_client::{CallError, Component, Session};
    ///
    /// async fn main_fn(session: Session) -> Result<(), CallError> {
    ///     let sum: i64 = session.call("com.example.add2", (2, 3)).await?;
    ///     println!("2 + 3 = {sum}");
    ///     Ok(())
    /// }
    ///
    /// fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let comp = Component::builder()
    ///         .transport("ws://127.0.0.1:8080/ws")
    ///         .realm("realm1")
    ///         .main(main_fn)
    ///         .build()?;
    ///     wamp_client::run(vec![comp])?; // main's error, if any, comes back here
    ///     Ok(())
    /// }
    /// ```
    pub fn main<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Session) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: MainOutput,
    {
        let main: MainFn = Arc::new(move |session| {
            let fut = f(session);
            Box::pin(async move { fut.await.into_result() })
        });
        self.main = Some(main);
        self
    }

    /// Whether a lifecycle listener that fails (returns an error or panics) fails its
    /// component, Autobahn's `onUserError` turned fatal: the component stops (gracefully)
    /// and ends with [`ComponentError::Listener`](super::ComponentError::Listener), which
    /// [`run`](crate::run) returns. Default `false`: the failure is logged and the component
    /// goes on.
    ///
    /// ```
    /// use wamp_client::{Component, Session, SessionDetails};
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .on_join(|_s: Session, _d: SessionDetails| async { Err::<(), _>("no database") })
    ///     .fail_on_listener_error(true)
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn fail_on_listener_error(mut self, fail: bool) -> Self {
        self.fail_on_listener_error = fail;
        self
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
    /// [`DEFAULT_STOP_TIMEOUT`]. A stop then takes at most this, plus the leave (at most 5 s
    /// for the router's GOODBYE), plus the transport's close (at most 2 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::Component;
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .stop_timeout(Duration::from_secs(2))
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = Some(timeout);
        self
    }

    /// How long the router may take to confirm every registration and subscription of a new
    /// session. Default [`DEFAULT_SETUP_TIMEOUT`] (longer than the
    /// [`ALREADY_EXISTS_RETRY_FOR`](super::ALREADY_EXISTS_RETRY_FOR) of a procedure still held by our previous session). Past
    /// it, the session is left and the transport retried ([`Failure::SetupTimeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::Component;
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .setup_timeout(Duration::from_secs(60))
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn setup_timeout(mut self, timeout: Duration) -> Self {
        self.setup_timeout = Some(timeout);
        self
    }

    /// Gives every call made through the component's sessions (its handle, its handlers'
    /// sessions) this timeout unless the call sets its own: a frozen router or callee then
    /// holds no call longer. Default none (calls wait for the router, whose liveness is
    /// checked by the transport's keepalive).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::Component;
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .call_timeout(Duration::from_secs(30))
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// At most `n` invocations run at once in each of the component's sessions; the next
    /// ones wait in a bounded queue, and beyond it are answered `wamp.error.unavailable` (see
    /// [`JoinOptions::max_invocations`], which this sets in the component's join options:
    /// give it after [`join_options`](Self::join_options), which replaces them). Default
    /// [`JoinOptions::DEFAULT_MAX_INVOCATIONS`].
    ///
    /// ```
    /// use wamp_client::Component;
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .max_invocations(16)
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn max_invocations(mut self, n: usize) -> Self {
        let join = self.join.take().unwrap_or_else(|| JoinOptions::new(""));
        self.join = Some(join.max_invocations(n));
        self
    }

    /// Adds `interceptor` at the end of the chain every message of every session of the
    /// component passes (see [`crate::intercept`]; sets it in the component's join options:
    /// give it after [`join_options`](Self::join_options), which replaces them).
    ///
    /// ```
    /// use wamp_client::intercept::{Message, Verdict};
    /// use wamp_client::{Component, Interceptor};
    ///
    /// /// Counts what goes out.
    /// #[derive(Default)]
    /// struct Count(std::sync::atomic::AtomicU64);
    ///
    /// impl Interceptor for Count {
    ///     fn outgoing(&self, _message: &mut Message) -> Verdict {
    ///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///         Verdict::pass()
    ///     }
    /// }
    ///
    /// let comp = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .interceptor(Count::default())
    ///     .build()
    ///     .unwrap();
    /// # drop(comp);
    /// ```
    pub fn interceptor(self, interceptor: impl Interceptor) -> Self {
        self.with_interceptors(|chain| chain.push(interceptor))
    }

    /// Adds the interceptors of `chain` (and takes its timeout), after any given already.
    pub fn interceptors(self, chain: Interceptors) -> Self {
        self.with_interceptors(|mine| mine.then(&chain).timeout(chain.timeout))
    }

    fn with_interceptors(mut self, f: impl FnOnce(Interceptors) -> Interceptors) -> Self {
        let mut join = self.join.take().unwrap_or_else(|| JoinOptions::new(""));
        join.interceptors = f(std::mem::take(&mut join.interceptors));
        self.join = Some(join);
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
        if let Some(timeout) = self.call_timeout {
            join.call_timeout = Some(timeout);
        }
        let authentication = match self.authentication {
            Some(auth) => {
                let auth = auth.load_keys().map_err(|e| invalid("authentication", e))?;
                // Settings that cannot make a HELLO (SCRAM without an authid) fail here.
                let mut probe = join.clone();
                probe.authentication = Some(auth.clone());
                probe.offer().map_err(|e| invalid("authentication", e))?;
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
        for (i, t) in self.testaments.iter().enumerate() {
            uri::validate(&t.topic, MatchPolicy::Exact, false)
                .map_err(|e| invalid("testaments", format!("testament {i}: {e}")))?;
        }
        for (i, s) in self.subscriptions.iter().enumerate() {
            uri::validate(&s.topic, s.options.match_policy, false)
                .map_err(|e| invalid("subscriptions", format!("subscription {i}: {e}")))?;
        }
        // State types are checked here, not on each invocation.
        for (i, p) in self.procedures.iter().enumerate() {
            p.handler
                .check()
                .map_err(|e| invalid("procedures", format!("procedure {i} ({}): {e}", p.uri)))?;
        }
        for (i, s) in self.subscriptions.iter().enumerate() {
            s.handler.check().map_err(|e| {
                invalid(
                    "subscriptions",
                    format!("subscription {i} ({}): {e}", s.topic),
                )
            })?;
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
                testaments: self.testaments,
                main: self.main,
                fail_on_listener_error: self.fail_on_listener_error,
                is_fatal: self.is_fatal,
                stop_timeout: self.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT),
                setup_timeout: self.setup_timeout.unwrap_or(DEFAULT_SETUP_TIMEOUT),
            }),
        })
    }
}

impl ComponentBuilder {
    /// Subscribes `topic` on every session, its events read from the returned
    /// [`DurableStream`](super::DurableStream) (aiocometd's iteration across reconnects): the
    /// stream goes on from session to session, gives a
    /// [`StreamItem::Gap`](super::StreamItem::Gap) where a session was lost and events may be
    /// missing, and ends when the component ends. Dropping it unsubscribes, and the component
    /// no longer subscribes it. Its queue holds `options.queue_capacity` events per session;
    /// beyond, `options.overflow` applies (dropped and counted, or the session pauses).
    ///
    /// ```no_run
    /// use wamp_client::{Component, StreamItem, SubscribeOptions};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let (builder, mut ticks) = Component::builder()
    ///     .transport("ws://127.0.0.1:8080/ws")
    ///     .realm("realm1")
    ///     .subscription_stream("com.example.tick", SubscribeOptions::default().queue_capacity(100));
    /// let handle = builder.build()?.start();
    /// while let Some(item) = ticks.next().await {
    ///     if let StreamItem::Event(event) = item {
    ///         println!("tick {:?} ({} dropped so far)", event.payload.args, ticks.dropped());
    ///     }
    /// }
    /// # drop(handle);
    /// # Ok(()) }
    /// ```
    pub fn subscription_stream(
        self,
        topic: impl Into<String>,
        options: SubscribeOptions,
    ) -> (Self, super::stream::DurableStream) {
        let (declaration, stream) = Declaration::stream(topic, options);
        (self.attach(declaration), stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthMethod, Authentication};
    use crate::component::error::Failure;
    use crate::component::TransportSpec;
    use crate::error::JoinError;
    use crate::retry::RetryPolicy;
    use crate::transport::TransportConfig;
    use crate::{Invocation, Payload, WampError};
    use wamp_core::session::CloseDetails;

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
        let join = comp.config.join_options().await.unwrap().offer().unwrap();
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
    fn keepalive_is_taken_on_every_transport_but_zero_durations_are_refused() {
        // RawSocket routers are probed with a WAMP request, WebSocket ones with pings.
        for url in ["rs://127.0.0.1:1", "ws://127.0.0.1:1/ws"] {
            let config = TransportConfig::new(url)
                .unwrap()
                .keepalive(Duration::from_secs(1), Duration::from_secs(1));
            assert!(Component::builder()
                .transport(config)
                .realm("realm1")
                .build()
                .is_ok());
            let zero = TransportConfig::new(url)
                .unwrap()
                .keepalive(Duration::ZERO, Duration::from_secs(1));
            let (f, reason) = field(Component::builder().transport(zero).realm("realm1"));
            assert_eq!(f, "transports");
            assert!(reason.contains("keepalive"), "{reason}");
        }
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
