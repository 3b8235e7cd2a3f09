//! What a router listens on and how: [`RouterConfig`], one [`ListenerConfig`] per endpoint,
//! parsed from URLs with [`ListenerConfig::from_url`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wamp_core::serializer::{Cbor, Json, MsgPack, Serializer};

use crate::core::{AuthConfig, CoreConfig};

/// The whole configuration of a router: the routing core and its listeners (what the Crossbar
/// config reader produces).
#[derive(Debug, Clone, Default)]
pub struct RouterConfig {
    /// Realms, roles, handshake deadlines, session limit.
    pub core: CoreConfig,
    /// The endpoints to listen on.
    pub listeners: Vec<ListenerConfig>,
}

/// The WAMP transport a listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// WebSocket (`wamp.2.json`, `wamp.2.msgpack`, `wamp.2.cbor` subprotocols).
    WebSocket,
    /// RawSocket (the 4-octet handshake, length-prefixed frames).
    RawSocket,
}

/// Where a listener listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A TCP socket; port 0 picks a free port (see [`Router::urls`](crate::Router::urls)).
    Tcp {
        /// The interface: an IP address or a host name (`127.0.0.1`, `::`, `localhost`).
        host: String,
        /// The port.
        port: u16,
    },
    /// A Unix domain socket at `path` (a stale socket file there is replaced; the file is
    /// removed when the router stops).
    Unix {
        /// The socket path.
        path: PathBuf,
    },
}

/// WebSocket pings sent by the router (Crossbar's `auto_ping_interval` and
/// `auto_ping_timeout`): a ping every `interval`, and the connection is closed when no pong
/// comes back within `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoPing {
    /// Time between pings.
    pub interval: Duration,
    /// How long to wait for the pong.
    pub timeout: Duration,
}

/// The certificate chain and private key a TLS listener presents, in PEM.
///
/// `Debug` never shows the key.
#[derive(Clone)]
pub struct TlsConfig {
    /// The certificate chain, leaf first (PEM, one or more `CERTIFICATE` blocks).
    pub cert_chain_pem: Vec<u8>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_pem: Arc<Vec<u8>>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field(
                "cert_chain_pem",
                &format_args!("{} bytes", self.cert_chain_pem.len()),
            )
            .field("key_pem", &format_args!("<hidden>"))
            .finish()
    }
}

impl TlsConfig {
    /// A certificate chain and key given as PEM text.
    pub fn from_pem(cert_chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        TlsConfig {
            cert_chain_pem: cert_chain_pem.into(),
            key_pem: Arc::new(key_pem.into()),
        }
    }

    /// Reads the certificate, then any chain certificates after it, and the key from PEM files
    /// (Crossbar's `certificate`, `chain_certificates` and `key`).
    pub fn from_files(certificate: &Path, chain: &[PathBuf], key: &Path) -> io::Result<Self> {
        let mut cert_chain_pem = std::fs::read(certificate)?;
        for c in chain {
            cert_chain_pem.push(b'\n');
            cert_chain_pem.extend(std::fs::read(c)?);
        }
        Ok(TlsConfig {
            cert_chain_pem,
            key_pem: Arc::new(std::fs::read(key)?),
        })
    }
}

/// One endpoint the router listens on, and the transport settings of its connections.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// WebSocket or RawSocket.
    pub kind: TransportKind,
    /// TCP or Unix socket.
    pub endpoint: Endpoint,
    /// TLS over the endpoint, if set.
    pub tls: Option<TlsConfig>,
    /// The WebSocket path served (`/ws`); `None` accepts any path.
    pub path: Option<String>,
    /// The serializers served. WebSocket picks the first subprotocol of the client's list
    /// that is here; RawSocket takes the client's if it is here (else error 1).
    pub serializers: Vec<Arc<dyn Serializer>>,
    /// The largest message accepted (and announced in the RawSocket handshake); a bigger one
    /// closes the connection. Default [`ListenerConfig::DEFAULT_MAX_MESSAGE_SIZE`].
    pub max_message_size: usize,
    /// WebSocket pings, if any (RawSocket PINGs from clients are always answered, but the
    /// router sends none: Crossbar's clients on Twisted cannot read them).
    pub auto_ping: Option<AutoPing>,
    /// How long the TLS and WebSocket/RawSocket handshakes may take from the accept. Default
    /// [`ListenerConfig::DEFAULT_HANDSHAKE_TIMEOUT`]. (HELLO has its own deadline,
    /// [`CoreConfig::hello_timeout`].)
    pub handshake_timeout: Duration,
    /// How long a frame (or a fragmented WebSocket message) may take to arrive once begun,
    /// counted from the last complete frame: a peer that starts a frame and stalls is closed.
    /// Default [`ListenerConfig::DEFAULT_FRAME_TIMEOUT`].
    pub frame_timeout: Duration,
    /// How many messages may wait for a connection's socket. A connection whose sender fills
    /// more than half of it is not read until the queue is down to a quarter (backpressure: a
    /// subscriber that keeps up loses nothing, however fast its publisher); a queue that stays
    /// above that for [`slow_consumer_timeout`](Self::slow_consumer_timeout), or fills up, is
    /// a slow consumer: closed, logged and counted. Default
    /// [`ListenerConfig::DEFAULT_OUTGOING_QUEUE`].
    pub outgoing_queue: usize,
    /// How long the connections that send to a congested connection of this listener wait
    /// for its queue before it is closed as a slow consumer. Default
    /// [`ListenerConfig::DEFAULT_SLOW_CONSUMER_TIMEOUT`].
    pub slow_consumer_timeout: Duration,
    /// How sessions on this endpoint authenticate. Default: anonymous, role `anonymous`.
    pub auth: Arc<AuthConfig>,
}

impl ListenerConfig {
    /// The default [`ListenerConfig::max_message_size`]: 16 MiB - 1 (RawSocket's largest).
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = (1 << 24) - 1;
    /// The default [`ListenerConfig::handshake_timeout`]: 10 s.
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default [`ListenerConfig::frame_timeout`]: 30 s.
    pub const DEFAULT_FRAME_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default [`ListenerConfig::outgoing_queue`]: 4096 messages.
    pub const DEFAULT_OUTGOING_QUEUE: usize = 4096;
    /// The default [`ListenerConfig::slow_consumer_timeout`]: 2 s.
    pub const DEFAULT_SLOW_CONSUMER_TIMEOUT: Duration = Duration::from_secs(2);

    /// A listener of `kind` on `endpoint` with the defaults: every serializer (JSON,
    /// MessagePack, CBOR), no TLS, any path, no pings, anonymous authentication.
    pub fn new(kind: TransportKind, endpoint: Endpoint) -> Self {
        ListenerConfig {
            kind,
            endpoint,
            tls: None,
            path: None,
            serializers: vec![Arc::new(Json), Arc::new(MsgPack), Arc::new(Cbor)],
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            auto_ping: None,
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
            frame_timeout: Self::DEFAULT_FRAME_TIMEOUT,
            outgoing_queue: Self::DEFAULT_OUTGOING_QUEUE,
            slow_consumer_timeout: Self::DEFAULT_SLOW_CONSUMER_TIMEOUT,
            auth: Arc::new(AuthConfig::anonymous_only("anonymous")),
        }
    }

    /// Parses a listen URL: `ws://HOST:PORT/PATH`, `wss://…`, `rs://HOST:PORT`, `rss://…`,
    /// `unix:///PATH` (RawSocket over a Unix socket). Returns the listener and whether the URL
    /// asks for TLS (`wss`, `rss`); the certificate is given separately.
    ///
    /// ```
    /// use wamp_router::{Endpoint, ListenerConfig, TransportKind};
    ///
    /// let (l, tls) = ListenerConfig::from_url("ws://127.0.0.1:0/ws").unwrap();
    /// assert_eq!(l.kind, TransportKind::WebSocket);
    /// assert_eq!(l.path.as_deref(), Some("/ws"));
    /// assert!(!tls);
    /// let (l, _) = ListenerConfig::from_url("unix:///tmp/router.sock").unwrap();
    /// assert_eq!(l.endpoint, Endpoint::Unix { path: "/tmp/router.sock".into() });
    /// assert!(ListenerConfig::from_url("http://x:1").is_err());
    /// ```
    pub fn from_url(url: &str) -> Result<(Self, bool), ConfigError> {
        let bad = |why: &str| ConfigError::InvalidUrl {
            url: url.to_string(),
            problem: why.to_string(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme == "unix" {
            if !rest.starts_with('/') || rest.len() < 2 {
                return Err(bad("a unix url needs an absolute path (unix:///path)"));
            }
            let endpoint = Endpoint::Unix {
                path: PathBuf::from(rest),
            };
            return Ok((
                ListenerConfig::new(TransportKind::RawSocket, endpoint),
                false,
            ));
        }
        let (kind, tls) = match scheme.as_str() {
            "ws" => (TransportKind::WebSocket, false),
            "wss" => (TransportKind::WebSocket, true),
            "rs" | "tcp" => (TransportKind::RawSocket, false),
            "rss" | "tcps" => (TransportKind::RawSocket, true),
            _ => return Err(bad("unsupported scheme (ws, wss, rs, rss, unix)")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, p) = v6
                .split_once(']')
                .ok_or_else(|| bad("unclosed ipv6 bracket"))?;
            (h, p.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port: u16 = port
            .ok_or_else(|| bad("no port"))?
            .parse()
            .map_err(|_| bad("invalid port"))?;
        let mut l = ListenerConfig::new(
            kind,
            Endpoint::Tcp {
                host: host.to_string(),
                port,
            },
        );
        if kind == TransportKind::WebSocket {
            let path = path.split('?').next().unwrap_or("");
            l.path = Some(if path.is_empty() {
                "/".into()
            } else {
                path.into()
            });
        } else if !path.is_empty() && path != "/" {
            return Err(bad("a rawsocket url has no path"));
        }
        Ok((l, tls))
    }
}

/// A configuration the router cannot use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A listen URL that does not parse.
    #[error("invalid listen url {url:?}: {problem}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A `wss`/`rss` listener without a certificate and key.
    #[error("the tls listener {0} has no certificate and key")]
    TlsMissing(String),
    /// The certificate chain or key does not parse.
    #[error("invalid tls certificate or key: {0}")]
    Tls(String),
    /// A listener serves no serializer.
    #[error("the listener {0} serves no serializer")]
    NoSerializer(String),
}
