//! Transports: WebSocket and RawSocket (over TCP, TLS or a Unix socket), configured with a
//! [`TransportConfig`].
//!
//! A configuration names the router by URL and says how to talk to it: serializers, message
//! size limit, TLS, extra HTTP headers, keepalive. The session and the component connect with
//! it; the connection itself is internal to the crate.
//!
//! ```no_run
//! use wamp_client::transport::TransportConfig;
//! use wamp_client::{JoinOptions, Session};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = TransportConfig::new("ws://127.0.0.1:8080/ws")?.serializer_names(&["cbor", "json"])?;
//! let session = Session::join(&config, JoinOptions::new("realm1")).await?;
//! println!("joined as session {}", session.details().session);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use tokio::net::TcpStream;
use wamp_core::serializer::Serializer;

mod config;
mod connection;
mod error;
mod frame;
mod proxy;
mod rawsocket;
mod tls;
mod url;
mod websocket;

#[cfg(test)]
mod tests;

pub use config::{
    Keepalive, TransportConfig, TransportKind, DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEEPALIVE,
    DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_READ_TIMEOUT, DEFAULT_WRITE_TIMEOUT,
};
use connection::Timers;
pub use connection::CLOSE_TIMEOUT;
pub(crate) use connection::{Connection, Transfer};
pub use error::{ConfigError, ConnectError, TransportError, UrlProblem};
pub(crate) use frame::Frame;
pub use frame::Io;
pub use proxy::ProxyConfig;
pub use tls::TlsConfig;

use url::Endpoint;

/// The largest message RawSocket ever carries here: 2^24 - 1 octets.
pub const RAWSOCKET_MAX_MESSAGE_SIZE: usize = rawsocket::MAX_LEN;

/// Connects as `config` describes: TCP (or a Unix socket), TLS if the URL asks for it, then the
/// WebSocket or RawSocket handshake, all within [`TransportConfig::connect_timeout`].
pub(crate) async fn connect(config: &TransportConfig) -> Result<Connection, ConnectError> {
    config.validate()?;
    tracing::debug!(url = config.url(), "connecting");
    // Boxed: a TLS handshake is large, and only lives while connecting.
    Box::pin(within_timeout(config, async {
        let headers = headers(config).await?;
        let io = open(config).await?;
        handshake(config, io, &headers).await
    }))
    .await
}

/// The HTTP headers of this attempt: the configured ones, then the provider's (asked now),
/// checked. RawSocket sends none.
async fn headers(config: &TransportConfig) -> Result<Vec<(String, String)>, ConnectError> {
    if config.kind() != TransportKind::WebSocket {
        return Ok(Vec::new());
    }
    let mut headers = config.headers().to_vec();
    if let Some(provide) = config.headers_provider_fn() {
        let provided = provide().await.map_err(ConnectError::Headers)?;
        tracing::debug!(count = provided.len(), "headers provider answered");
        headers.extend(provided);
    }
    websocket::check_headers(&headers)?;
    Ok(headers)
}

async fn within_timeout<F>(config: &TransportConfig, f: F) -> Result<Connection, ConnectError>
where
    F: std::future::Future<Output = Result<Connection, ConnectError>>,
{
    match tokio::time::timeout(config.timeout(), f).await {
        Ok(Ok(conn)) => {
            tracing::debug!(
                url = config.url(),
                serializer = conn.serializer.name(),
                max_send_size = conn.max_send_size,
                "connected"
            );
            Ok(conn)
        }
        Ok(Err(e)) => {
            tracing::debug!(url = config.url(), error = %e, "connect failed");
            Err(e)
        }
        Err(_) => {
            tracing::debug!(url = config.url(), timeout = ?config.timeout(), "connect timed out");
            Err(ConnectError::Timeout)
        }
    }
}

/// Runs the transport handshake (WebSocket or RawSocket, as the URL says) over a stream
/// already open, within the connect timeout. No TLS: the handshake runs over `io` as it is.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) async fn connect_over(
    config: &TransportConfig,
    io: Box<dyn Io>,
) -> Result<Connection, ConnectError> {
    config.validate()?;
    within_timeout(config, async {
        let headers = headers(config).await?;
        handshake(config, io, &headers).await
    })
    .await
}

/// Opens the byte stream: the connector's, or TCP or a Unix socket; then TLS if the URL asks
/// for it.
async fn open(config: &TransportConfig) -> Result<Box<dyn Io>, ConnectError> {
    if let Some(connect) = config.connector_fn() {
        let stream = connect().await?;
        tracing::debug!("custom connector opened a stream");
        return match config.endpoint() {
            Endpoint::WebSocket {
                tls: true, host, ..
            }
            | Endpoint::RawSocket {
                tls: true, host, ..
            } => Ok(Box::new(tls_handshake(config, host, stream).await?)),
            _ => Ok(stream),
        };
    }
    match config.endpoint() {
        Endpoint::WebSocket {
            tls, host, port, ..
        }
        | Endpoint::RawSocket { tls, host, port } => {
            let tcp = match config.proxy_setting() {
                Some(proxy) => proxy.tunnel(host, *port).await?,
                None => tcp_connect(host, *port).await?,
            };
            if *tls {
                Ok(Box::new(tls_handshake(config, host, tcp).await?))
            } else {
                Ok(Box::new(tcp))
            }
        }
        Endpoint::Unix { path } => connect_unix(path).await,
    }
}

/// The WebSocket or RawSocket handshake over an open stream.
async fn handshake(
    config: &TransportConfig,
    io: Box<dyn Io>,
    headers: &[(String, String)],
) -> Result<Connection, ConnectError> {
    match config.endpoint() {
        Endpoint::WebSocket {
            authority, path, ..
        } => {
            let params = websocket::WsParams {
                authority,
                path,
                headers,
                serializers: config.serializer_list(),
            };
            let mut io = io;
            let (serializer, leftover) = websocket::handshake(&mut io, params).await?;
            let limit = config.message_size_limit();
            Ok(Connection::websocket(
                io,
                leftover,
                serializer,
                limit,
                limit,
                Timers::of(config),
            ))
        }
        Endpoint::RawSocket { .. } | Endpoint::Unix { .. } => {
            let (serializer, id) = rawsocket_serializer(config)?;
            let mut io = io;
            let limit = config.message_size_limit().min(rawsocket::MAX_LEN);
            let peer_max = rawsocket::handshake(&mut io, id, limit).await?;
            tracing::debug!(
                serializer = serializer.name(),
                receive_limit = limit,
                peer_max,
                "rawsocket handshake done"
            );
            let max_send_size = config
                .message_size_limit()
                .min(peer_max)
                .min(rawsocket::MAX_LEN);
            Ok(Connection::rawsocket(
                io,
                serializer,
                max_send_size,
                limit,
                Timers::of(config),
            ))
        }
    }
}

#[cfg(unix)]
async fn connect_unix(path: &std::path::Path) -> Result<Box<dyn Io>, ConnectError> {
    let stream = tokio::net::UnixStream::connect(path).await?;
    tracing::debug!(path = %path.display(), "unix socket connected");
    Ok(Box::new(stream))
}

#[cfg(not(unix))]
async fn connect_unix(_path: &std::path::Path) -> Result<Box<dyn Io>, ConnectError> {
    Err(ConnectError::Io(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "unix sockets are not supported on this platform",
    )))
}

async fn tcp_connect(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let tcp = TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    tracing::debug!(host, port, "tcp connected");
    Ok(tcp)
}

async fn tls_handshake<S>(
    config: &TransportConfig,
    host: &str,
    stream: S,
) -> Result<tokio_rustls::client::TlsStream<S>, ConnectError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let name = match config.tls_config() {
        Some(t) => t.server_name_for(host)?,
        None => TlsConfig::default().server_name_for(host)?,
    };
    let rustls_config = config.rustls_config().await?;
    let stream = tls::handshake(rustls_config, name.clone(), stream).await?;
    tracing::debug!(server_name = ?name, "tls established");
    Ok(stream)
}

/// RawSocket speaks the first serializer of the list.
fn rawsocket_serializer(
    config: &TransportConfig,
) -> Result<(Arc<dyn Serializer>, u8), ConnectError> {
    let serializer = config
        .serializer_list()
        .first()
        .cloned()
        .ok_or(ConfigError::NoSerializer)?;
    let id = serializer.rawsocket_id();
    if !(1..=15).contains(&id) {
        return Err(ConfigError::NoRawSocketId(serializer.name()).into());
    }
    Ok((serializer, id))
}
