//! Transports: WebSocket and RawSocket (over TCP, TLS or a Unix socket), frames in, frames out.
//!
//! [`connect`] opens a [`Connection`] as a [`TransportConfig`] describes it and negotiates the
//! serializer. The connection comes as two halves: a [`FrameStream`] to read from (usually in
//! its own task) and a [`FrameSink`] to write to, which buffers frames with
//! [`feed`](FrameSink::feed) until [`flush`](FrameSink::flush), so that a burst of messages
//! goes out in one write.
//!
//! ```no_run
//! use wamp_client::transport::{connect, Frame, TransportConfig};
//! use wamp_core::message::Message;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = TransportConfig::new("ws://127.0.0.1:8080/ws")?;
//! let mut conn = connect(&config).await?;
//!
//! let hello = Message::Hello {
//!     realm: "realm1".into(),
//!     details: Default::default(),
//! };
//! let mut bytes = Vec::new();
//! conn.serializer.encode(&hello, &mut bytes)?;
//! conn.sink.feed(&bytes).await?;
//! conn.sink.flush().await?;
//!
//! while let Some(frame) = conn.stream.next_frame().await? {
//!     match frame {
//!         Frame::Message(bytes) => println!("{:?}", conn.serializer.decode(&bytes)?),
//!         Frame::Ping(payload) => conn.sink.send_pong(&payload).await?,
//!         _ => {} // a pong, or a kind of frame added later
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use bytes::Bytes;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use wamp_core::serializer::Serializer;

mod config;
mod error;
mod rawsocket;
mod tls;
mod url;
mod websocket;

#[cfg(test)]
mod tests;

pub use config::{Keepalive, TransportConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE};
pub use error::{ConfigError, ConnectError, TransportError, UrlProblem};
pub use tls::TlsConfig;

use url::Endpoint;

/// How long [`FrameSink::close`] may take: 5 seconds.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest message RawSocket ever carries here: 2^24 - 1 octets.
pub const RAWSOCKET_MAX_MESSAGE_SIZE: usize = rawsocket::MAX_LEN;

/// The kind of transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// WebSocket (`ws`, `wss`): one WebSocket message per WAMP message.
    WebSocket,
    /// RawSocket (`rs`, `rss`, `tcp`, `tcps`, `unix`): length-prefixed frames.
    RawSocket,
}

/// What [`FrameStream::next_frame`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// One serialized WAMP message (a view into the read buffer: no copy).
    Message(Bytes),
    /// A RawSocket PING: answer with [`FrameSink::send_pong`] and the same payload. WebSocket
    /// pings never show up here: they are answered inside the WebSocket layer.
    Ping(Bytes),
    /// A WebSocket pong, the answer to [`FrameSink::send_ping`].
    Pong(Bytes),
}

/// An open connection, with the serializer the router agreed to.
#[derive(Debug)]
pub struct Connection {
    /// The negotiated serializer.
    pub serializer: Arc<dyn Serializer>,
    /// The writing half.
    pub sink: FrameSink,
    /// The reading half.
    pub stream: FrameStream,
    /// The largest message we may send: our own limit, lowered on RawSocket to the limit the
    /// router announced (and never above 2^24 - 1 there). [`FrameSink::feed`] enforces it.
    pub max_send_size: usize,
    /// WebSocket or RawSocket.
    pub kind: TransportKind,
    /// The keepalive the transport was configured with.
    pub keepalive: Option<config::Keepalive>,
}

/// The writing half of a [`Connection`].
pub struct FrameSink {
    inner: SinkInner,
    max_send_size: usize,
    closed: bool,
}

enum SinkInner {
    WebSocket(websocket::WsSink),
    RawSocket(rawsocket::RawWriter),
}

impl fmt::Debug for FrameSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameSink")
            .field("kind", &self.kind())
            .field("max_send_size", &self.max_send_size)
            .field("closed", &self.closed)
            .finish()
    }
}

impl FrameSink {
    /// Queues one serialized message without flushing it (it may still be written if the
    /// buffer fills). The bytes are copied, so the caller can reuse its encoding buffer.
    /// Feed a batch, then [`flush`](Self::flush) once.
    ///
    /// A message larger than [`max_send_size`](Self::max_send_size) is refused with
    /// [`TransportError::TooLarge`] and nothing is sent; the connection stays usable.
    ///
    /// ```no_run
    /// # async fn f(sink: &mut wamp_client::transport::FrameSink, msgs: Vec<Vec<u8>>)
    /// # -> Result<(), wamp_client::transport::TransportError> {
    /// for bytes in &msgs {
    ///     sink.feed(bytes).await?;
    /// }
    /// sink.flush().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn feed(&mut self, frame: &[u8]) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Closed);
        }
        if frame.len() > self.max_send_size {
            return Err(TransportError::TooLarge {
                size: frame.len(),
                limit: self.max_send_size,
            });
        }
        tracing::trace!(len = frame.len(), "frame queued");
        match &mut self.inner {
            SinkInner::WebSocket(s) => s.feed(frame).await,
            SinkInner::RawSocket(w) => w.feed(frame).await,
        }
    }

    /// Writes out everything fed so far.
    ///
    /// ```no_run
    /// # async fn f(sink: &mut wamp_client::transport::FrameSink)
    /// # -> Result<(), wamp_client::transport::TransportError> {
    /// sink.feed(b"[6,{},\"wamp.close.normal\"]").await?;
    /// sink.flush().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Closed);
        }
        match &mut self.inner {
            SinkInner::WebSocket(s) => s.flush().await,
            SinkInner::RawSocket(w) => w.flush().await,
        }
    }

    /// [`feed`](Self::feed) then [`flush`](Self::flush).
    ///
    /// ```no_run
    /// # async fn f(sink: &mut wamp_client::transport::FrameSink)
    /// # -> Result<(), wamp_client::transport::TransportError> {
    /// sink.send(b"[6,{},\"wamp.close.normal\"]").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(&mut self, frame: &[u8]) -> Result<(), TransportError> {
        self.feed(frame).await?;
        self.flush().await
    }

    /// Answers a RawSocket PING (sent at once, with anything fed before it). Does nothing on
    /// WebSocket, where pings are answered inside the WebSocket layer.
    ///
    /// ```no_run
    /// use wamp_client::transport::Frame;
    /// # async fn f(conn: &mut wamp_client::transport::Connection)
    /// # -> Result<(), wamp_client::transport::TransportError> {
    /// if let Some(Frame::Ping(payload)) = conn.stream.next_frame().await? {
    ///     conn.sink.send_pong(&payload).await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_pong(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Closed);
        }
        match &mut self.inner {
            SinkInner::WebSocket(_) => Ok(()),
            SinkInner::RawSocket(w) => w.send_pong(payload).await,
        }
    }

    /// Sends a WebSocket ping at once (with anything fed before it); its pong arrives as
    /// [`Frame::Pong`]. Does nothing on RawSocket.
    pub async fn send_ping(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        match &mut self.inner {
            SinkInner::WebSocket(s) => s.send_ping(payload).await,
            SinkInner::RawSocket(_) => Ok(()),
        }
    }

    /// Closes the connection, within [`CLOSE_TIMEOUT`]: on WebSocket sends a close frame (the
    /// [`FrameStream`] then ends when the router answers), on RawSocket flushes and shuts the
    /// write direction down (with a TLS close_notify on `rss`). Calling it again does nothing.
    ///
    /// ```no_run
    /// # async fn f(sink: &mut wamp_client::transport::FrameSink)
    /// # -> Result<(), wamp_client::transport::TransportError> {
    /// sink.close().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn close(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        let close = async {
            match &mut self.inner {
                SinkInner::WebSocket(s) => s.close().await,
                SinkInner::RawSocket(w) => w.shutdown().await,
            }
        };
        match tokio::time::timeout(CLOSE_TIMEOUT, close).await {
            Ok(res) => res,
            Err(_) => Err(TransportError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "closing the transport timed out",
            ))),
        }
    }

    /// The largest message [`feed`](Self::feed) accepts (the same as
    /// [`Connection::max_send_size`]).
    ///
    /// ```no_run
    /// # fn f(conn: &wamp_client::transport::Connection) {
    /// assert_eq!(conn.sink.max_send_size(), conn.max_send_size);
    /// # }
    /// ```
    pub fn max_send_size(&self) -> usize {
        self.max_send_size
    }

    /// WebSocket or RawSocket.
    ///
    /// ```no_run
    /// # fn f(conn: &wamp_client::transport::Connection) {
    /// assert_eq!(conn.sink.kind(), conn.kind);
    /// # }
    /// ```
    pub fn kind(&self) -> TransportKind {
        match self.inner {
            SinkInner::WebSocket(_) => TransportKind::WebSocket,
            SinkInner::RawSocket(_) => TransportKind::RawSocket,
        }
    }
}

/// The reading half of a [`Connection`].
pub struct FrameStream {
    inner: StreamInner,
}

enum StreamInner {
    WebSocket(websocket::WsStream),
    RawSocket(rawsocket::RawReader),
}

impl fmt::Debug for FrameStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner {
            StreamInner::WebSocket(_) => TransportKind::WebSocket,
            StreamInner::RawSocket(_) => TransportKind::RawSocket,
        };
        f.debug_struct("FrameStream").field("kind", &kind).finish()
    }
}

impl FrameStream {
    /// The next frame; `None` once the peer has closed the connection cleanly.
    ///
    /// Text and binary WebSocket messages both come as [`Frame::Message`]. A message larger
    /// than our limit fails with [`TransportError::TooLarge`] (on RawSocket, from its header
    /// alone, without reading or allocating the payload). After an error or `None` the stream
    /// is finished. Cancel-safe: a call dropped midway loses nothing.
    ///
    /// ```no_run
    /// use wamp_client::transport::Frame;
    /// # async fn f(stream: &mut wamp_client::transport::FrameStream)
    /// # -> Result<(), wamp_client::transport::TransportError> {
    /// while let Some(frame) = stream.next_frame().await? {
    ///     if let Frame::Message(bytes) = frame {
    ///         println!("{} bytes", bytes.len());
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn next_frame(&mut self) -> Result<Option<Frame>, TransportError> {
        match &mut self.inner {
            StreamInner::WebSocket(s) => s.next_frame().await,
            StreamInner::RawSocket(r) => r.next_frame().await,
        }
    }
}

/// Connects as `config` describes: TCP (or a Unix socket), TLS if the URL asks for it, then the
/// WebSocket or RawSocket handshake, all within [`TransportConfig::connect_timeout`].
///
/// ```no_run
/// use wamp_client::transport::{connect, TransportConfig};
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let config = TransportConfig::new("rs://127.0.0.1:8081")?.serializer_names(&["msgpack"])?;
/// match connect(&config).await {
///     Ok(conn) => println!("connected with {}", conn.serializer.name()),
///     Err(e) if e.is_retryable() => println!("will retry: {e}"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(())
/// # }
/// ```
pub async fn connect(config: &TransportConfig) -> Result<Connection, ConnectError> {
    config.validate()?;
    tracing::debug!(url = config.url(), "connecting");
    match tokio::time::timeout(config.timeout(), connect_inner(config)).await {
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

async fn connect_inner(config: &TransportConfig) -> Result<Connection, ConnectError> {
    match config.endpoint() {
        Endpoint::WebSocket {
            tls,
            host,
            port,
            authority,
            path,
        } => {
            websocket::check_headers(config.headers())?;
            let tcp = tcp_connect(host, *port).await?;
            let io = if *tls {
                websocket::WsIo::Tls(Box::new(tls_handshake(config, host, tcp).await?))
            } else {
                websocket::WsIo::Tcp(tcp)
            };
            let params = websocket::WsParams {
                tls: *tls,
                authority,
                path,
                headers: config.headers(),
                serializers: config.serializer_list(),
                max_message_size: config.message_size_limit(),
            };
            let (sink, stream, serializer) = websocket::handshake(io, params).await?;
            let max_send_size = config.message_size_limit();
            Ok(Connection {
                serializer,
                sink: FrameSink {
                    inner: SinkInner::WebSocket(sink),
                    max_send_size,
                    closed: false,
                },
                stream: FrameStream {
                    inner: StreamInner::WebSocket(stream),
                },
                max_send_size,
                kind: TransportKind::WebSocket,
                keepalive: config.keepalive_settings(),
            })
        }
        Endpoint::RawSocket { tls, host, port } => {
            let (serializer, id) = rawsocket_serializer(config)?;
            let tcp = tcp_connect(host, *port).await?;
            if *tls {
                let mut stream = tls_handshake(config, host, tcp).await?;
                let peer_max = rawsocket_handshake(&mut stream, config, &serializer, id).await?;
                let (r, w) = tokio::io::split(stream);
                Ok(rawsocket_connection(
                    config,
                    serializer,
                    peer_max,
                    Box::new(r),
                    Box::new(w),
                ))
            } else {
                let mut stream = tcp;
                let peer_max = rawsocket_handshake(&mut stream, config, &serializer, id).await?;
                let (r, w) = stream.into_split();
                Ok(rawsocket_connection(
                    config,
                    serializer,
                    peer_max,
                    Box::new(r),
                    Box::new(w),
                ))
            }
        }
        Endpoint::Unix { path } => connect_unix(config, path).await,
    }
}

#[cfg(unix)]
async fn connect_unix(
    config: &TransportConfig,
    path: &std::path::Path,
) -> Result<Connection, ConnectError> {
    let (serializer, id) = rawsocket_serializer(config)?;
    let mut stream = tokio::net::UnixStream::connect(path).await?;
    tracing::debug!(path = %path.display(), "unix socket connected");
    let peer_max = rawsocket_handshake(&mut stream, config, &serializer, id).await?;
    let (r, w) = stream.into_split();
    Ok(rawsocket_connection(
        config,
        serializer,
        peer_max,
        Box::new(r),
        Box::new(w),
    ))
}

#[cfg(not(unix))]
async fn connect_unix(
    _config: &TransportConfig,
    _path: &std::path::Path,
) -> Result<Connection, ConnectError> {
    Err(ConnectError::Io(io::Error::new(
        io::ErrorKind::Unsupported,
        "unix sockets are not supported on this platform",
    )))
}

async fn tcp_connect(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let tcp = TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    tracing::debug!(host, port, "tcp connected");
    Ok(tcp)
}

async fn tls_handshake(
    config: &TransportConfig,
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ConnectError> {
    let name = match config.tls_config() {
        Some(t) => t.server_name_for(host)?,
        None => TlsConfig::default().server_name_for(host)?,
    };
    let rustls_config = config.rustls_config().await?;
    let stream = tls::handshake(rustls_config, name.clone(), tcp).await?;
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

async fn rawsocket_handshake<S>(
    stream: &mut S,
    config: &TransportConfig,
    serializer: &Arc<dyn Serializer>,
    id: u8,
) -> Result<usize, ConnectError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let limit = config.message_size_limit().min(rawsocket::MAX_LEN);
    let peer_max = rawsocket::handshake(stream, id, limit).await?;
    tracing::debug!(
        serializer = serializer.name(),
        receive_limit = limit,
        peer_max,
        "rawsocket handshake done"
    );
    Ok(peer_max)
}

fn rawsocket_connection(
    config: &TransportConfig,
    serializer: Arc<dyn Serializer>,
    peer_max: usize,
    r: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    w: Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
) -> Connection {
    let limit = config.message_size_limit();
    let max_send_size = limit.min(peer_max).min(rawsocket::MAX_LEN);
    Connection {
        serializer,
        sink: FrameSink {
            inner: SinkInner::RawSocket(rawsocket::RawWriter::new(w)),
            max_send_size,
            closed: false,
        },
        stream: FrameStream {
            inner: StreamInner::RawSocket(rawsocket::RawReader::new(r, limit)),
        },
        max_send_size,
        kind: TransportKind::RawSocket,
        keepalive: None,
    }
}
