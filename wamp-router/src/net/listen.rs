//! Listeners: binding TCP and Unix sockets, the accept loops, TLS, and the handshake that
//! turns an accepted stream into a connection task.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use wamp_core::{Dict, Value};

use super::conn::{self, Params};
use super::handshake::{self, Refused};
use super::Hub;
use crate::config::{ConfigError, Endpoint, ListenerConfig, TlsConfig, TransportKind};
use crate::core::ConnInfo;

/// A listener ready to accept: its settings and TLS acceptor.
pub(crate) struct Prepared {
    pub(crate) config: ListenerConfig,
    pub(crate) tls: Option<TlsAcceptor>,
}

impl Prepared {
    pub(crate) fn new(config: ListenerConfig) -> Result<Self, ConfigError> {
        if config.serializers.is_empty() {
            return Err(ConfigError::NoSerializer(describe(&config)));
        }
        let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
        Ok(Prepared { config, tls })
    }
}

/// A short description of a listener for messages.
pub(crate) fn describe(l: &ListenerConfig) -> String {
    let kind = match l.kind {
        TransportKind::WebSocket => "websocket",
        TransportKind::RawSocket => "rawsocket",
    };
    match &l.endpoint {
        Endpoint::Tcp { host, port } => format!("{kind} on {host}:{port}"),
        Endpoint::Unix { path } => format!("{kind} on {}", path.display()),
    }
}

/// Builds the rustls server configuration from PEM.
fn tls_acceptor(t: &TlsConfig) -> Result<TlsAcceptor, ConfigError> {
    let bad = |what: String| ConfigError::Tls(what);
    let certs: Vec<_> = rustls_pemfile::certs(&mut &t.cert_chain_pem[..])
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("certificate chain: {e}")))?;
    if certs.is_empty() {
        return Err(bad("no certificate in the chain".into()));
    }
    let key = rustls_pemfile::private_key(&mut &t.key_pem[..])
        .map_err(|e| bad(format!("private key: {e}")))?
        .ok_or_else(|| bad("no private key".into()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string().to_lowercase()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad(e.to_string().to_lowercase()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A bound socket.
pub(crate) enum Acceptor {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

/// Where a listener is bound.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub(crate) url: String,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) unix_path: Option<PathBuf>,
}

/// Binds a listener's endpoint.
pub(crate) async fn bind(l: &ListenerConfig) -> io::Result<(Acceptor, Bound)> {
    let tls = l.tls.is_some();
    match &l.endpoint {
        Endpoint::Tcp { host, port } => {
            let listener = TcpListener::bind((host.as_str(), *port)).await?;
            let addr = listener.local_addr()?;
            let authority = match addr {
                SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
                SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
            };
            let url = match (l.kind, tls) {
                (TransportKind::WebSocket, t) => format!(
                    "{}://{authority}{}",
                    if t { "wss" } else { "ws" },
                    l.path.as_deref().unwrap_or("/")
                ),
                (TransportKind::RawSocket, t) => {
                    format!("{}://{authority}", if t { "rss" } else { "rs" })
                }
            };
            Ok((
                Acceptor::Tcp(listener),
                Bound {
                    url,
                    local_addr: Some(addr),
                    unix_path: None,
                },
            ))
        }
        #[cfg(unix)]
        Endpoint::Unix { path } => {
            if path.exists() && tokio::net::UnixStream::connect(path).await.is_err() {
                // A stale socket file from an earlier run: nobody listens there.
                let _ = std::fs::remove_file(path);
            }
            let listener = tokio::net::UnixListener::bind(path)?;
            Ok((
                Acceptor::Unix(listener),
                Bound {
                    url: format!("unix://{}", path.display()),
                    local_addr: None,
                    unix_path: Some(path.clone()),
                },
            ))
        }
        #[cfg(not(unix))]
        Endpoint::Unix { .. } => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "unix sockets are not supported on this platform",
        )),
    }
}

/// Accepts connections until the router stops; one task per connection.
pub(crate) async fn accept_loop(hub: Arc<Hub>, acceptor: Acceptor, l: Arc<Prepared>) {
    let mut stop = hub.stopping.subscribe();
    loop {
        let accepted = tokio::select! {
            r = accept(&acceptor) => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        match accepted {
            Ok(Accepted::Tcp(stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let peer = match peer {
                    SocketAddr::V4(a) => format!("tcp4:{}:{}", a.ip(), a.port()),
                    SocketAddr::V6(a) => format!("tcp6:[{}]:{}", a.ip(), a.port()),
                };
                tokio::spawn(handle(hub.clone(), stream, l.clone(), peer));
            }
            #[cfg(unix)]
            Ok(Accepted::Unix(stream)) => {
                tokio::spawn(handle(hub.clone(), stream, l.clone(), "unix".into()));
            }
            Err(e) => {
                // Out of descriptors and the like: log, breathe, go on.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

enum Accepted {
    Tcp(tokio::net::TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

async fn accept(a: &Acceptor) -> io::Result<Accepted> {
    match a {
        Acceptor::Tcp(l) => l.accept().await.map(|(s, p)| Accepted::Tcp(s, p)),
        #[cfg(unix)]
        Acceptor::Unix(l) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
    }
}

/// An accepted stream: TLS if configured, the transport handshake, then the connection task;
/// all within the listener's handshake timeout (and given up when the router stops).
pub(crate) async fn handle<S>(hub: Arc<Hub>, stream: S, l: Arc<Prepared>, peer: String)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (_live, admitted) = hub.admit();
    hub.counters
        .accepted
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let deadline = tokio::time::Instant::now() + l.config.handshake_timeout;
    let mut stop = hub.stopping.subscribe();
    match &l.tls {
        Some(acceptor) => {
            let tls = tokio::select! {
                r = tokio::time::timeout_at(deadline, acceptor.accept(stream)) => r,
                _ = stop.wait_for(|s| *s) => return,
            };
            match tls {
                Ok(Ok(tls)) => {
                    handshake_and_serve(hub.clone(), tls, &l, peer, admitted, true, deadline).await
                }
                Ok(Err(e)) => tracing::debug!(peer = %peer, error = %e, "tls handshake failed"),
                Err(_) => tracing::debug!(peer = %peer, "tls handshake timed out"),
            }
        }
        None => handshake_and_serve(hub.clone(), stream, &l, peer, admitted, false, deadline).await,
    }
}

async fn handshake_and_serve<S>(
    hub: Arc<Hub>,
    mut stream: S,
    l: &Prepared,
    peer: String,
    admitted: bool,
    tls: bool,
    deadline: tokio::time::Instant,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let config = &l.config;
    let mut stop = hub.stopping.subscribe();
    let result = tokio::select! {
        r = tokio::time::timeout_at(deadline, async {
            match config.kind {
                TransportKind::WebSocket => handshake::websocket(&mut stream, config, admitted).await,
                TransportKind::RawSocket => handshake::rawsocket(&mut stream, config, admitted).await,
            }
        }) => r,
        _ = stop.wait_for(|s| *s) => return,
    };
    let accepted = match result {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            if matches!(
                e,
                Refused::Http { status: 503, .. } | Refused::RawSocket { code: 4, .. }
            ) {
                tracing::warn!(peer = %peer, "connection refused: connection limit reached");
            } else {
                tracing::debug!(peer = %peer, error = %e, "handshake refused");
            }
            hub.counters
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        Err(_) => {
            tracing::debug!(peer = %peer, "handshake timed out");
            hub.counters
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
    };
    let kind = match config.kind {
        TransportKind::WebSocket => "websocket",
        TransportKind::RawSocket => "rawsocket",
    };
    // Ours (`type`, `protocol`, `tls`), then Autobahn's `TransportDetails` keys as
    // Crossbar.io gives them in the meta API.
    let mut transport = Dict::from([
        ("type", Value::from(kind)),
        ("protocol", Value::from(accepted.serializer.subprotocol())),
        ("peer", Value::from(peer.clone())),
        ("tls", Value::from(tls)),
        ("channel_framing", Value::from(kind)),
        (
            "channel_serializer",
            Value::from(accepted.serializer.name()),
        ),
        ("is_server", Value::from(true)),
        ("is_secure", Value::from(tls)),
        // Crossbar.io names the WAMP subprotocol so on RawSocket too.
        (
            "websocket_protocol",
            Value::from(accepted.serializer.subprotocol()),
        ),
    ]);
    if peer.starts_with("tcp") {
        transport.insert(
            "channel_type".into(),
            Value::from(if tls { "tls" } else { "tcp" }),
        );
    }
    let params = Params {
        kind: config.kind,
        serializer: accepted.serializer,
        max_in: config.max_message_size,
        max_out: accepted.peer_max,
        auto_ping: config.auto_ping,
        frame_timeout: config.frame_timeout,
        queue: config.outgoing_queue,
        slow_consumer_timeout: config.slow_consumer_timeout,
        flush: tls,
        info: ConnInfo {
            auth: config.auth.clone(),
            transport,
        },
    };
    conn::serve(hub, stream, accepted.leftover, params).await;
}
