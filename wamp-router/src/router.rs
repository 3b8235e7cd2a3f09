//! The embedding API: [`Router::builder`], the running [`Router`] and its graceful
//! [`Router::stop`], the in-process [`Router::connector`], and the dynamic [`Authenticator`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::DuplexStream;
use tokio::task::JoinHandle;
use wamp_core::Dict;

use crate::config::{
    ConfigError, Endpoint, ListenerConfig, RouterConfig, TlsConfig, TransportKind,
};
use crate::core::{Core, CoreConfig, Identity, RealmConfig, Refusal};
use crate::net::listen::{self, Bound, Prepared};
use crate::net::Hub;

/// What a dynamic authenticator is asked (the core's `Output::Authenticate`).
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// The authentication method (`ticket`, `wampcra`, ...).
    pub method: String,
    /// The realm the client asked for.
    pub realm: String,
    /// The authid the client claims.
    pub authid: String,
    /// HELLO details and the method's own data (a ticket's `ticket`, ...).
    pub details: Dict,
}

/// The answer of an [`Authenticator`], as a boxed future.
pub type AuthFuture = Pin<Box<dyn Future<Output = Result<Identity, Refusal>> + Send>>;

/// Decides dynamic authentication (a transport whose `auth` names a dynamic authenticator):
/// Crossbar calls a WAMP procedure; an embedding application gives Rust code instead.
///
/// Any `Fn(AuthRequest) -> impl Future<Output = Result<Identity, Refusal>>` is one. It runs
/// on a task of its own, within [`CoreConfig::hello_timeout`] (a refusal after that).
///
/// ```
/// use wamp_core::Dict;
/// use wamp_router::core::{Identity, Refusal};
/// use wamp_router::{AuthRequest, Router};
///
/// let builder = Router::builder().realm("realm1").authenticator(|req: AuthRequest| async move {
///     if req.authid == "joe" {
///         Ok(Identity {
///             authid: req.authid,
///             authrole: "user".into(),
///             authmethod: req.method,
///             authprovider: "dynamic".into(),
///             authextra: Dict::new(),
///             realm: None,
///         })
///     } else {
///         Err(Refusal { reason: "wamp.error.not_authorized".into(), message: "who?".into() })
///     }
/// });
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticates one session.
    fn authenticate(&self, request: AuthRequest) -> AuthFuture;
}

impl<F, Fut> Authenticator for F
where
    F: Fn(AuthRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Identity, Refusal>> + Send + 'static,
{
    fn authenticate(&self, request: AuthRequest) -> AuthFuture {
        Box::pin(self(request))
    }
}

/// Why a router did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A listener could not bind its endpoint.
    #[error("cannot listen ({listener}): {source}")]
    Bind {
        /// The listener.
        listener: String,
        /// The bind error.
        source: io::Error,
    },
}

/// Builds and starts a [`Router`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use wamp_router::Router;
///
/// let router = Router::builder()
///     .realm("realm1")
///     .listen("ws://127.0.0.1:0/ws")?
///     .listen("rs://127.0.0.1:0")?
///     .start()
///     .await?;
/// for url in router.urls() {
///     println!("listening {url}");
/// }
/// router.stop().await;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct RouterBuilder {
    config: RouterConfig,
    /// Listeners from `wss`/`rss` URLs, waiting for [`RouterBuilder::tls`].
    wants_tls: Vec<usize>,
    tls: Option<TlsConfig>,
    authenticator: Option<Arc<dyn Authenticator>>,
    max_connections: usize,
    shutdown_timeout: Option<Duration>,
    seed: Option<u64>,
}

impl std::fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterBuilder")
            .field("config", &self.config)
            .field("authenticator", &self.authenticator.is_some())
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl RouterBuilder {
    /// The default [`RouterBuilder::max_connections`]: 100,000.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 100_000;

    /// Starts from a whole configuration (replacing what was set before).
    pub fn config(mut self, config: RouterConfig) -> Self {
        self.config = config;
        self.wants_tls.clear();
        self
    }

    /// Sets the routing core's configuration (realms included), keeping the listeners.
    pub fn core_config(mut self, core: CoreConfig) -> Self {
        self.config.core = core;
        self
    }

    /// Adds a realm where anonymous sessions may do everything (`RealmConfig::open`).
    pub fn realm(self, name: &str) -> Self {
        self.realm_config(RealmConfig::open(name))
    }

    /// Adds a realm with its roles.
    pub fn realm_config(mut self, realm: RealmConfig) -> Self {
        self.config.core.realms.push(realm);
        self
    }

    /// Listens on a URL: `ws://HOST:PORT/PATH`, `rs://HOST:PORT`, `unix:///PATH`, or with TLS
    /// `wss://…` and `rss://…` (then give [`tls`](Self::tls)). Port 0 picks a free port.
    pub fn listen(mut self, url: &str) -> Result<Self, ConfigError> {
        let (l, tls) = ListenerConfig::from_url(url)?;
        if tls {
            self.wants_tls.push(self.config.listeners.len());
        }
        self.config.listeners.push(l);
        Ok(self)
    }

    /// Adds a listener configured in full.
    pub fn listener(mut self, listener: ListenerConfig) -> Self {
        self.config.listeners.push(listener);
        self
    }

    /// The certificate chain and key of the `wss`/`rss` URLs given to [`listen`](Self::listen).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Dynamic authentication through `authenticator`.
    pub fn authenticator(mut self, authenticator: impl Authenticator) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// How long a connection may take to send HELLO and be welcomed.
    pub fn hello_timeout(mut self, d: Duration) -> Self {
        self.config.core.hello_timeout = d;
        self
    }

    /// How long a session may take to answer the router's GOODBYE (at [`Router::stop`], or a
    /// kill) before its connection is closed.
    pub fn goodbye_timeout(mut self, d: Duration) -> Self {
        self.config.core.goodbye_timeout = d;
        self
    }

    /// The most sessions at once (beyond: ABORT at HELLO).
    pub fn max_sessions(mut self, n: usize) -> Self {
        self.config.core.max_sessions = n;
        self
    }

    /// The most connections at once, handshakes included (beyond: HTTP 503, RawSocket error
    /// 4). Default [`RouterBuilder::DEFAULT_MAX_CONNECTIONS`].
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// How long [`Router::stop`] waits for the sessions' GOODBYE replies before it closes
    /// what is left. Default: the core's `goodbye_timeout` plus one second.
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = Some(d);
        self
    }

    /// Seeds the core's id generator (tests); by default a random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Binds every listener and starts routing.
    pub async fn start(mut self) -> Result<Router, StartError> {
        for &i in &self.wants_tls {
            let l = &mut self.config.listeners[i];
            if l.tls.is_none() {
                match &self.tls {
                    Some(t) => l.tls = Some(t.clone()),
                    None => return Err(ConfigError::TlsMissing(listen::describe(l)).into()),
                }
            }
        }
        let shutdown_timeout = self
            .shutdown_timeout
            .unwrap_or(self.config.core.goodbye_timeout + Duration::from_secs(1));
        let hello_timeout = self.config.core.hello_timeout;
        let mut prepared = Vec::new();
        for l in self.config.listeners {
            prepared.push(Arc::new(Prepared::new(l)?));
        }
        let seed = self.seed.unwrap_or_else(rand::random);
        let mut core = Core::new(self.config.core, seed);
        core.set_clock(crate::net::now(), std::time::SystemTime::now());
        let hub = Hub::new(
            core,
            self.authenticator,
            hello_timeout,
            self.max_connections,
        );
        let mut bound = Vec::new();
        let mut acceptors = Vec::new();
        for p in &prepared {
            match listen::bind(&p.config).await {
                Ok((a, b)) => {
                    tracing::info!(url = %b.url, "listening");
                    acceptors.push((a, p.clone()));
                    bound.push(b);
                }
                Err(source) => {
                    remove_unix_files(&bound);
                    return Err(StartError::Bind {
                        listener: listen::describe(&p.config),
                        source,
                    });
                }
            }
        }
        let mut tasks = Vec::new();
        for (a, p) in acceptors {
            tasks.push(tokio::spawn(listen::accept_loop(hub.clone(), a, p)));
        }
        let timer = tokio::spawn(hub.clone().run_timer());
        let mut in_process = ListenerConfig::new(
            TransportKind::RawSocket,
            Endpoint::Unix {
                path: "in-process".into(),
            },
        );
        if let Some(first) = prepared.first() {
            in_process.auth = first.config.auth.clone();
        }
        Ok(Router {
            hub,
            bound,
            tasks,
            timer: Some(timer),
            shutdown_timeout,
            in_process: Arc::new(Prepared::new(in_process)?),
            stopped: false,
        })
    }
}

/// Counters of a running router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Connections open (handshakes included).
    pub connections: usize,
    /// Sessions joined or authenticating.
    pub sessions: usize,
    /// Connections accepted since the start.
    pub accepted: u64,
    /// Connections refused at the handshake (bad request, no common serializer, limit,
    /// timeout).
    pub refused: u64,
    /// Connections closed because their outgoing queue was full.
    pub slow_consumers: u64,
}

/// A running router. [`stop`](Router::stop) it for a graceful end; dropping it closes every
/// connection at once.
pub struct Router {
    hub: Arc<Hub>,
    bound: Vec<Bound>,
    tasks: Vec<JoinHandle<()>>,
    timer: Option<JoinHandle<()>>,
    shutdown_timeout: Duration,
    in_process: Arc<Prepared>,
    stopped: bool,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("urls", &self.urls())
            .finish_non_exhaustive()
    }
}

/// A boxed in-process connection being opened (see [`Router::connector`]).
pub type Connecting = Pin<Box<dyn Future<Output = io::Result<DuplexStream>> + Send>>;

/// The URL to give a client together with [`Router::connector`]: RawSocket (the host and port
/// are only names).
pub const IN_PROCESS_URL: &str = "rs://in-process:1";

/// The buffer of each direction of an in-process connection.
const IN_PROCESS_BUFFER: usize = 256 * 1024;

impl Router {
    /// A builder with no realm and no listener.
    pub fn builder() -> RouterBuilder {
        RouterBuilder {
            config: RouterConfig::default(),
            wants_tls: Vec::new(),
            tls: None,
            authenticator: None,
            max_connections: RouterBuilder::DEFAULT_MAX_CONNECTIONS,
            shutdown_timeout: None,
            seed: None,
        }
    }

    /// Starts a router from a whole configuration.
    pub async fn start(config: RouterConfig) -> Result<Router, StartError> {
        Router::builder().config(config).start().await
    }

    /// The URL of each listener, in the order given, with the real port (`ws://127.0.0.1:41234/ws`,
    /// `rs://…`, `wss://…`, `rss://…`, `unix:///path`).
    pub fn urls(&self) -> Vec<String> {
        self.bound.iter().map(|b| b.url.clone()).collect()
    }

    /// The bound address of each TCP listener, in order.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.bound.iter().filter_map(|b| b.local_addr).collect()
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        let c = &self.hub.counters;
        Stats {
            connections: self.hub.live(),
            sessions: self.hub.session_count(),
            accepted: c.accepted.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            slow_consumers: c.slow_consumers.load(Ordering::Relaxed),
        }
    }

    /// An in-process transport: each call opens a RawSocket connection to this router over a
    /// [`tokio::io::duplex`] pipe, no socket involved (every serializer served; the first
    /// listener's authentication, else anonymous). Give it to a client as
    /// `TransportConfig::new(IN_PROCESS_URL)?.connector(router.connector())` (wamp-client).
    pub fn connector(&self) -> impl Fn() -> Connecting + Clone + Send + Sync + 'static {
        let hub = Arc::downgrade(&self.hub);
        let l = self.in_process.clone();
        move || -> Connecting {
            let hub = hub.clone();
            let l = l.clone();
            Box::pin(async move {
                let hub = hub
                    .upgrade()
                    .filter(|h| !*h.stopping.borrow())
                    .ok_or_else(|| {
                        io::Error::new(io::ErrorKind::ConnectionRefused, "the router is stopped")
                    })?;
                let (ours, theirs) = tokio::io::duplex(IN_PROCESS_BUFFER);
                tokio::spawn(listen::handle(hub, theirs, l, "in-process".into()));
                Ok(ours)
            })
        }
    }

    /// Stops gracefully: no new connections; GOODBYE `wamp.close.system_shutdown` to every
    /// session; waits for the replies (up to the shutdown timeout), then closes what is left.
    pub async fn stop(mut self) {
        self.stop_inner().await;
    }

    async fn stop_inner(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.hub.stopping.send_replace(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        self.hub.shutdown();
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
        if !self.hub.wait_idle(deadline).await {
            tracing::debug!(
                left = self.hub.live(),
                "closing the connections left after the shutdown timeout"
            );
            self.hub.kill_all();
            let _ = self
                .hub
                .wait_idle(tokio::time::Instant::now() + Duration::from_secs(1))
                .await;
        }
        if let Some(t) = self.timer.take() {
            t.abort();
        }
        remove_unix_files(&self.bound);
        tracing::info!("router stopped");
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        if !self.stopped {
            self.hub.stopping.send_replace(true);
            self.hub.kill_all();
            for t in &self.tasks {
                t.abort();
            }
            if let Some(t) = &self.timer {
                t.abort();
            }
            remove_unix_files(&self.bound);
        }
    }
}

fn remove_unix_files(bound: &[Bound]) {
    for b in bound {
        if let Some(p) = &b.unix_path {
            let _ = std::fs::remove_file(p);
        }
    }
}
