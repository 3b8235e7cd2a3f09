//! [`TransportConfig`]: one transport to connect over.

use std::fmt;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use wamp_core::serializer::{self, Cbor, Json, MsgPack, Serializer};

use super::error::ConfigError;
use super::frame::Io;
use super::proxy::ProxyConfig;
use super::tls::TlsConfig;
use super::url::Endpoint;

/// The kind of transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// WebSocket (`ws`, `wss`): one WebSocket message per WAMP message.
    WebSocket,
    /// RawSocket (`rs`, `rss`, `tcp`, `tcps`, `unix`): length-prefixed frames.
    RawSocket,
}

/// The default [`TransportConfig::max_message_size`]: 16 MiB - 1 octets, the most a RawSocket
/// frame can carry for Crossbar.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = (1 << 24) - 1;

/// The default [`TransportConfig::connect_timeout`]: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default [`TransportConfig::keepalive`]: a probe every 30 seconds, the connection lost
/// when nothing arrives within 10 seconds of one.
pub const DEFAULT_KEEPALIVE: Keepalive = Keepalive {
    interval: Duration::from_secs(30),
    timeout: Duration::from_secs(10),
};

/// The default [`TransportConfig::write_timeout`]: 10 seconds.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default [`TransportConfig::read_timeout`]: 10 seconds.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// One transport to connect over: a URL plus serializers, limits, TLS and HTTP headers.
///
/// URLs:
///
/// | URL | transport |
/// |---|---|
/// | `ws://host[:port][/path]` | WebSocket (port 80 by default, path `/`) |
/// | `wss://host[:port][/path]` | WebSocket over TLS (port 443 by default) |
/// | `rs://host:port`, `tcp://host:port` | RawSocket over TCP |
/// | `rss://host:port`, `tcps://host:port` | RawSocket over TLS |
/// | `unix:///abs/path`, `unix:/abs/path`, `rs://unix:/abs/path` | RawSocket over a Unix socket |
///
/// Hosts may be names, IPv4 addresses or bracketed IPv6 addresses (`ws://[::1]:8080/ws`).
///
/// The configuration is cheap to clone; clones share the TLS client configuration, which is
/// built on the first TLS connect and reused on reconnects.
///
/// ```
/// use std::time::Duration;
/// use wamp_client::transport::{TransportConfig, TransportKind};
///
/// # fn main() -> Result<(), wamp_client::transport::ConfigError> {
/// let config = TransportConfig::new("ws://127.0.0.1:8080/ws")?
///     .serializer_names(&["json"])?
///     .max_message_size(1 << 20)
///     .connect_timeout(Duration::from_secs(3))
///     .header("Authorization", "Bearer token");
/// assert_eq!(config.kind(), TransportKind::WebSocket);
/// assert_eq!(config.serializer_list()[0].name(), "json");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TransportConfig {
    url: String,
    endpoint: Endpoint,
    serializers: Vec<Arc<dyn Serializer>>,
    max_message_size: usize,
    tls: Option<TlsConfig>,
    tls_cache: Arc<OnceLock<Arc<rustls::ClientConfig>>>,
    connect_timeout: Duration,
    headers: Vec<(String, String)>,
    keepalive: Option<Keepalive>,
    write_timeout: Duration,
    read_timeout: Duration,
    connector: Option<Arc<ConnectFn>>,
    proxy: Option<ProxyConfig>,
    headers_provider: Option<Arc<HeadersFn>>,
}

/// Headers being fetched by a [`TransportConfig::headers_provider`].
pub(crate) type FetchingHeaders =
    Pin<Box<dyn Future<Output = Result<Vec<(String, String)>, String>> + Send>>;

/// A [`TransportConfig::headers_provider`], type-erased.
pub(crate) type HeadersFn = dyn Fn() -> FetchingHeaders + Send + Sync;

/// A boxed stream being opened by a [`TransportConfig::connector`].
pub(crate) type Connecting = Pin<Box<dyn Future<Output = io::Result<Box<dyn Io>>> + Send>>;

/// A [`TransportConfig::connector`], type-erased.
pub(crate) type ConnectFn = dyn Fn() -> Connecting + Send + Sync;

/// Shows that a connector is set, and nothing else about it.
struct Custom;

impl fmt::Debug for Custom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<custom>")
    }
}

/// Keepalive: a probe every `interval` (a WebSocket ping; on RawSocket a WAMP-level request,
/// as RawSocket routers do not answer pings); the connection is declared dead when nothing (no
/// answer, no message) arrives within `timeout` of a probe. See
/// [`TransportConfig::keepalive`] and [`DEFAULT_KEEPALIVE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Time between probes.
    pub interval: Duration,
    /// How long after a probe the connection may stay silent.
    pub timeout: Duration,
}

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may be credentials: show names only.
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let serializers: Vec<&str> = self.serializers.iter().map(|s| s.name()).collect();
        let mut d = f.debug_struct("TransportConfig");
        d.field("url", &self.url)
            .field("serializers", &serializers)
            .field("max_message_size", &self.max_message_size)
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .field("header_names", &header_names)
            .field("keepalive", &self.keepalive)
            .field("write_timeout", &self.write_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("proxy", &self.proxy);
        if self.headers_provider.is_some() {
            d.field("headers_provider", &Custom);
        }
        match self.connector {
            Some(_) => d.field("connector", &Custom),
            None => d.field("connector", &None::<()>),
        };
        d.finish()
    }
}

impl TransportConfig {
    /// Parses a transport URL (see the table above) and applies the defaults: serializers
    /// CBOR, MessagePack, JSON; [`DEFAULT_MAX_MESSAGE_SIZE`]; [`DEFAULT_CONNECT_TIMEOUT`];
    /// [`DEFAULT_KEEPALIVE`]; [`DEFAULT_WRITE_TIMEOUT`] and [`DEFAULT_READ_TIMEOUT`]; TLS with
    /// [`TlsConfig::default`] for `wss`, `rss` and `tcps`.
    ///
    /// ```
    /// use wamp_client::transport::{ConfigError, TransportConfig, UrlProblem};
    ///
    /// assert!(TransportConfig::new("rs://[::1]:8081").is_ok());
    /// assert!(TransportConfig::new("unix:///run/crossbar.sock").is_ok());
    /// let err = TransportConfig::new("http://example.com").unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     ConfigError::InvalidUrl { problem: UrlProblem::UnsupportedScheme(_), .. }
    /// ));
    /// ```
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let endpoint = Endpoint::parse(url)?;
        Ok(TransportConfig {
            url: url.to_string(),
            endpoint,
            serializers: vec![Arc::new(Cbor), Arc::new(MsgPack), Arc::new(Json)],
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            tls: None,
            tls_cache: Arc::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            headers: Vec::new(),
            keepalive: Some(DEFAULT_KEEPALIVE),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            connector: None,
            proxy: None,
            headers_provider: None,
        })
    }

    /// Sets the serializers in order of preference.
    ///
    /// WebSocket offers all of them as subprotocols and uses the one the router picks;
    /// RawSocket negotiates a single serializer and uses the first one only. An empty list
    /// makes `connect` fail with [`ConfigError::NoSerializer`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use wamp_client::transport::TransportConfig;
    /// use wamp_core::serializer::{Json, MsgPack};
    ///
    /// let config = TransportConfig::new("rs://127.0.0.1:8081")
    ///     .unwrap()
    ///     .serializers(vec![Arc::new(MsgPack), Arc::new(Json)]);
    /// assert_eq!(config.serializer_list()[0].name(), "msgpack");
    /// ```
    pub fn serializers(mut self, list: Vec<Arc<dyn Serializer>>) -> Self {
        self.serializers = list;
        self
    }

    /// Sets the serializers by name (`json`, `msgpack`, `cbor`), in order of preference.
    ///
    /// ```
    /// use wamp_client::transport::{ConfigError, TransportConfig};
    ///
    /// let config = TransportConfig::new("ws://localhost/ws").unwrap();
    /// let err = config.clone().serializer_names(&["json", "xml"]).unwrap_err();
    /// assert!(matches!(err, ConfigError::UnknownSerializer(name) if name == "xml"));
    /// let err = config.serializer_names(&[]).unwrap_err();
    /// assert!(matches!(err, ConfigError::NoSerializer));
    /// ```
    pub fn serializer_names(self, names: &[&str]) -> Result<Self, ConfigError> {
        if names.is_empty() {
            return Err(ConfigError::NoSerializer);
        }
        let list = names
            .iter()
            .map(|n| {
                serializer::by_name(n).ok_or_else(|| ConfigError::UnknownSerializer(n.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.serializers(list))
    }

    /// Sets the largest message we accept, which is also the largest we send unless the router
    /// announced a smaller limit (RawSocket). Default [`DEFAULT_MAX_MESSAGE_SIZE`].
    ///
    /// RawSocket never sends or accepts more than 2^24 - 1 octets whatever this says (Crossbar
    /// reads the frame header as a plain length), and announces the smallest power of two
    /// from 512 to 16 MiB that covers this limit.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// let config = TransportConfig::new("ws://localhost/ws").unwrap().max_message_size(65_536);
    /// assert_eq!(config.message_size_limit(), 65_536);
    /// ```
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets how to verify the server (and present a client certificate) for `wss`, `rss` and
    /// `tcps` URLs; ignored for the others.
    ///
    /// ```
    /// use wamp_client::transport::{TlsConfig, TransportConfig};
    ///
    /// let config = TransportConfig::new("wss://10.0.0.5/ws")
    ///     .unwrap()
    ///     .tls(TlsConfig::default().server_name("router.internal"));
    /// assert!(config.tls_config().is_some());
    /// ```
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self.tls_cache = Arc::default();
        self
    }

    /// Sets the time allowed for the TCP connect, the TLS handshake and the WebSocket or
    /// RawSocket handshake together. Default [`DEFAULT_CONNECT_TIMEOUT`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::transport::TransportConfig;
    ///
    /// let config = TransportConfig::new("rs://localhost:8081")
    ///     .unwrap()
    ///     .connect_timeout(Duration::from_secs(2));
    /// assert_eq!(config.timeout(), Duration::from_secs(2));
    /// ```
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Adds an HTTP header to the WebSocket opening request (ignored for RawSocket). An invalid
    /// name or value makes `connect` fail with [`ConfigError::InvalidHeader`].
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// let config = TransportConfig::new("ws://localhost/ws")
    ///     .unwrap()
    ///     .header("X-Trace", "on");
    /// assert_eq!(config.headers(), &[("X-Trace".to_string(), "on".to_string())]);
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Probes the connection every `interval` and declares it dead (the session is then lost,
    /// and a component reconnects) when nothing arrives within `timeout` of a probe: this
    /// detects half-open connections, which TCP alone may not notice for hours. On WebSocket
    /// the probe is a ping; on RawSocket, whose routers (Crossbar.io among them) do not answer
    /// pings, a WAMP-level request. On by default with [`DEFAULT_KEEPALIVE`] (30 s, 10 s);
    /// [`no_keepalive`](Self::no_keepalive) turns it off. Zero durations are refused by
    /// [`validate`](Self::validate).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::transport::{TransportConfig, DEFAULT_KEEPALIVE};
    ///
    /// let config = TransportConfig::new("ws://localhost/ws").unwrap();
    /// assert_eq!(config.keepalive_settings(), Some(DEFAULT_KEEPALIVE));
    /// let config = config.keepalive(Duration::from_secs(10), Duration::from_secs(5));
    /// assert_eq!(config.keepalive_settings().unwrap().interval, Duration::from_secs(10));
    /// ```
    pub fn keepalive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.keepalive = Some(Keepalive { interval, timeout });
        self
    }

    /// Turns keepalive off (see [`keepalive`](Self::keepalive)).
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// let config = TransportConfig::new("rs://localhost:8081").unwrap().no_keepalive();
    /// assert_eq!(config.keepalive_settings(), None);
    /// ```
    pub fn no_keepalive(mut self) -> Self {
        self.keepalive = None;
        self
    }

    /// Sets how long the router may take no bytes while we have bytes to send: after that the
    /// connection is lost (a router that stopped reading cannot freeze the session). Above
    /// zero; default [`DEFAULT_WRITE_TIMEOUT`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::transport::{TransportConfig, DEFAULT_WRITE_TIMEOUT};
    ///
    /// let config = TransportConfig::new("ws://localhost/ws").unwrap();
    /// assert_eq!(config.write_timeout_setting(), DEFAULT_WRITE_TIMEOUT);
    /// let config = config.write_timeout(Duration::from_secs(30));
    /// assert_eq!(config.write_timeout_setting(), Duration::from_secs(30));
    /// ```
    pub fn write_timeout(mut self, d: Duration) -> Self {
        self.write_timeout = d;
        self
    }

    /// Sets how long a frame in progress (its header or part of its payload received) may go
    /// without new bytes: after that the connection fails (a router that announces a frame
    /// and never finishes it cannot hang the session). Above zero; default
    /// [`DEFAULT_READ_TIMEOUT`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::transport::{TransportConfig, DEFAULT_READ_TIMEOUT};
    ///
    /// let config = TransportConfig::new("rs://localhost:8081").unwrap();
    /// assert_eq!(config.read_timeout_setting(), DEFAULT_READ_TIMEOUT);
    /// let config = config.read_timeout(Duration::from_secs(3));
    /// assert_eq!(config.read_timeout_setting(), Duration::from_secs(3));
    /// ```
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }

    /// Takes the byte stream from `connect` instead of opening a TCP connection or a Unix
    /// socket: each connection attempt calls it once. TLS still runs over the stream when the
    /// URL says so (`wss`, `rss`, `tcps`, checking the URL's host or
    /// [`TlsConfig::server_name`](super::TlsConfig::server_name)), then the WebSocket or
    /// RawSocket handshake as the URL says; the URL's host and port are otherwise only names
    /// (the WebSocket `Host` header). An error from `connect` is a retryable
    /// [`ConnectError::Io`](super::ConnectError::Io), and the connect timeout covers it.
    ///
    /// This is how a component reaches a router in the same process, or how a test runs a
    /// client over an in-memory pipe. `Debug` shows `connector: <custom>`.
    ///
    /// ```
    /// use tokio::io::DuplexStream;
    /// use tokio::sync::mpsc;
    /// use wamp_client::transport::TransportConfig;
    ///
    /// # fn main() -> Result<(), wamp_client::transport::ConfigError> {
    /// // An in-process router takes the other end of each pipe from this channel.
    /// let (to_router, _router_side) = mpsc::unbounded_channel::<DuplexStream>();
    /// let config = TransportConfig::new("rs://in-process:1")?.connector(move || {
    ///     let to_router = to_router.clone();
    ///     async move {
    ///         let (ours, theirs) = tokio::io::duplex(64 * 1024);
    ///         to_router
    ///             .send(theirs)
    ///             .map_err(|_| std::io::Error::other("the router is gone"))?;
    ///         Ok(ours)
    ///     }
    /// });
    /// assert!(format!("{config:?}").contains("connector: <custom>"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn connector<F, Fut, S>(mut self, connect: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<S>> + Send + 'static,
        S: Io,
    {
        self.connector = Some(Arc::new(move || -> Connecting {
            let opening = connect();
            Box::pin(async move {
                let stream = opening.await?;
                Ok(Box::new(stream) as Box<dyn Io>)
            })
        }));
        self
    }

    /// Reaches the router through an HTTP proxy (`CONNECT host:port`, Autobahn's `proxy=`):
    /// TLS (`wss`, `rss`) and the WebSocket or RawSocket handshake then run inside the tunnel.
    /// Not for Unix sockets or a [`connector`](Self::connector) (which opens its own stream).
    ///
    /// ```
    /// use wamp_client::transport::{ProxyConfig, TransportConfig};
    ///
    /// # fn main() -> Result<(), wamp_client::transport::ConfigError> {
    /// let config = TransportConfig::new("wss://router.example.com/ws")?
    ///     .proxy(ProxyConfig::new("http://proxy.internal:3128")?);
    /// assert_eq!(config.proxy_setting().unwrap().port(), 3128);
    /// # Ok(())
    /// # }
    /// ```
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// The proxy set with [`proxy`](Self::proxy), if any.
    pub fn proxy_setting(&self) -> Option<&ProxyConfig> {
        self.proxy.as_ref()
    }

    /// Asks `provide` for HTTP headers before every connection attempt (a WebSocket
    /// transport's opening request carries them after those of [`header`](Self::header)):
    /// for credentials that rotate, such as bearer tokens. A provider's error fails that
    /// attempt (retryable: the next attempt asks again); the connect timeout covers the wait.
    /// Header values are never logged, and `Debug` shows only that a provider is set.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// # fn main() -> Result<(), wamp_client::transport::ConfigError> {
    /// let config = TransportConfig::new("ws://127.0.0.1:8080/ws")?.headers_provider(|| async {
    ///     let token = "fresh-token"; // e.g. from an identity service
    ///     Ok(vec![("Authorization".to_owned(), format!("Bearer {token}"))])
    /// });
    /// assert!(format!("{config:?}").contains("headers_provider"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn headers_provider<F, Fut>(mut self, provide: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<(String, String)>, String>> + Send + 'static,
    {
        self.headers_provider = Some(Arc::new(move || -> FetchingHeaders { Box::pin(provide()) }));
        self
    }

    /// The headers provider set with [`headers_provider`](Self::headers_provider), if any.
    pub(crate) fn headers_provider_fn(&self) -> Option<&Arc<HeadersFn>> {
        self.headers_provider.as_ref()
    }

    /// The connector set with [`connector`](Self::connector), if any.
    pub(crate) fn connector_fn(&self) -> Option<&Arc<ConnectFn>> {
        self.connector.as_ref()
    }

    /// The keepalive settings; `None` when turned off.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// assert!(TransportConfig::new("ws://localhost").unwrap().keepalive_settings().is_some());
    /// ```
    pub fn keepalive_settings(&self) -> Option<Keepalive> {
        self.keepalive
    }

    /// The write timeout (see [`write_timeout`](Self::write_timeout)).
    ///
    /// ```
    /// use wamp_client::transport::{TransportConfig, DEFAULT_WRITE_TIMEOUT};
    ///
    /// let config = TransportConfig::new("ws://localhost").unwrap();
    /// assert_eq!(config.write_timeout_setting(), DEFAULT_WRITE_TIMEOUT);
    /// ```
    pub fn write_timeout_setting(&self) -> Duration {
        self.write_timeout
    }

    /// The read timeout (see [`read_timeout`](Self::read_timeout)).
    ///
    /// ```
    /// use wamp_client::transport::{TransportConfig, DEFAULT_READ_TIMEOUT};
    ///
    /// let config = TransportConfig::new("ws://localhost").unwrap();
    /// assert_eq!(config.read_timeout_setting(), DEFAULT_READ_TIMEOUT);
    /// ```
    pub fn read_timeout_setting(&self) -> Duration {
        self.read_timeout
    }

    /// Checks the settings that `connect` would refuse, naming the field: an empty serializer
    /// list, zero keepalive durations, a zero write or read timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::transport::{ConfigError, TransportConfig};
    ///
    /// let config = TransportConfig::new("ws://localhost").unwrap();
    /// assert!(config.validate().is_ok());
    /// let err = config.read_timeout(Duration::ZERO).validate().unwrap_err();
    /// assert!(matches!(err, ConfigError::InvalidSetting { field: "read_timeout", .. }));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.serializers.is_empty() {
            return Err(ConfigError::NoSerializer);
        }
        let invalid = |field: &'static str, reason: &str| ConfigError::InvalidSetting {
            field,
            reason: reason.into(),
        };
        if let Some(k) = self.keepalive {
            if k.interval.is_zero() || k.timeout.is_zero() {
                return Err(invalid(
                    "keepalive",
                    "the interval and the timeout must be above zero",
                ));
            }
        }
        if self.write_timeout.is_zero() {
            return Err(invalid("write_timeout", "must be above zero"));
        }
        if self.read_timeout.is_zero() {
            return Err(invalid("read_timeout", "must be above zero"));
        }
        if self.proxy.is_some() {
            if matches!(self.endpoint, Endpoint::Unix { .. }) {
                return Err(invalid(
                    "proxy",
                    "a unix socket is not reached through a proxy",
                ));
            }
            if self.connector.is_some() {
                return Err(invalid(
                    "proxy",
                    "a connector opens its own stream: set a proxy or a connector, not both",
                ));
            }
        }
        Ok(())
    }

    /// The URL as given.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// let config = TransportConfig::new("tcp://localhost:8081").unwrap();
    /// assert_eq!(config.url(), "tcp://localhost:8081");
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// WebSocket or RawSocket, from the URL scheme.
    ///
    /// ```
    /// use wamp_client::transport::{TransportConfig, TransportKind};
    ///
    /// let config = TransportConfig::new("unix:/tmp/router.sock").unwrap();
    /// assert_eq!(config.kind(), TransportKind::RawSocket);
    /// ```
    pub fn kind(&self) -> TransportKind {
        match self.endpoint {
            Endpoint::WebSocket { .. } => TransportKind::WebSocket,
            Endpoint::RawSocket { .. } | Endpoint::Unix { .. } => TransportKind::RawSocket,
        }
    }

    /// Whether the URL asks for TLS (`wss`, `rss`, `tcps`).
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// assert!(TransportConfig::new("tcps://localhost:443").unwrap().is_tls());
    /// assert!(!TransportConfig::new("ws://localhost").unwrap().is_tls());
    /// ```
    pub fn is_tls(&self) -> bool {
        self.endpoint.is_tls()
    }

    /// The host to connect to (without IPv6 brackets); `None` for a Unix socket.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// assert_eq!(TransportConfig::new("ws://[::1]:8080/ws").unwrap().host(), Some("::1"));
    /// ```
    pub fn host(&self) -> Option<&str> {
        match &self.endpoint {
            Endpoint::WebSocket { host, .. } | Endpoint::RawSocket { host, .. } => Some(host),
            Endpoint::Unix { .. } => None,
        }
    }

    /// The port to connect to (the scheme's default for WebSocket URLs without one); `None`
    /// for a Unix socket.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// assert_eq!(TransportConfig::new("wss://example.com/ws").unwrap().port(), Some(443));
    /// ```
    pub fn port(&self) -> Option<u16> {
        match &self.endpoint {
            Endpoint::WebSocket { port, .. } | Endpoint::RawSocket { port, .. } => Some(*port),
            Endpoint::Unix { .. } => None,
        }
    }

    /// The socket path of a `unix:` URL.
    ///
    /// ```
    /// use std::path::Path;
    /// use wamp_client::transport::TransportConfig;
    ///
    /// let config = TransportConfig::new("unix:///tmp/r.sock").unwrap();
    /// assert_eq!(config.unix_path(), Some(Path::new("/tmp/r.sock")));
    /// ```
    pub fn unix_path(&self) -> Option<&Path> {
        match &self.endpoint {
            Endpoint::Unix { path } => Some(path),
            _ => None,
        }
    }

    /// The serializers in order of preference.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// let config = TransportConfig::new("ws://localhost").unwrap();
    /// let names: Vec<_> = config.serializer_list().iter().map(|s| s.name()).collect();
    /// assert_eq!(names, ["cbor", "msgpack", "json"]);
    /// ```
    pub fn serializer_list(&self) -> &[Arc<dyn Serializer>] {
        &self.serializers
    }

    /// The largest message we accept (see [`max_message_size`](Self::max_message_size)).
    ///
    /// ```
    /// use wamp_client::transport::{TransportConfig, DEFAULT_MAX_MESSAGE_SIZE};
    ///
    /// let config = TransportConfig::new("ws://localhost").unwrap();
    /// assert_eq!(config.message_size_limit(), DEFAULT_MAX_MESSAGE_SIZE);
    /// ```
    pub fn message_size_limit(&self) -> usize {
        self.max_message_size
    }

    /// The connect timeout (see [`connect_timeout`](Self::connect_timeout)).
    ///
    /// ```
    /// use wamp_client::transport::{TransportConfig, DEFAULT_CONNECT_TIMEOUT};
    ///
    /// let config = TransportConfig::new("ws://localhost").unwrap();
    /// assert_eq!(config.timeout(), DEFAULT_CONNECT_TIMEOUT);
    /// ```
    pub fn timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The extra HTTP headers, in order.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// assert!(TransportConfig::new("ws://localhost").unwrap().headers().is_empty());
    /// ```
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The TLS settings given with [`tls`](Self::tls), if any.
    ///
    /// ```
    /// use wamp_client::transport::TransportConfig;
    ///
    /// assert!(TransportConfig::new("wss://localhost").unwrap().tls_config().is_none());
    /// ```
    pub fn tls_config(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }

    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The rustls client configuration: built once (off the async threads, as loading the
    /// system roots reads files), then shared by every connect of this config and its clones.
    pub(crate) async fn rustls_config(&self) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
        if let Some(c) = self.tls_cache.get() {
            return Ok(c.clone());
        }
        let tls = self.tls.clone().unwrap_or_default();
        let built = match tokio::task::spawn_blocking(move || tls.build()).await {
            Ok(res) => res?,
            Err(e) => {
                return Err(ConfigError::Tls(format!(
                    "building the tls configuration failed: {e}"
                )))
            }
        };
        Ok(self.tls_cache.get_or_init(|| built).clone())
    }
}
