//! WAMP over WebSocket: the opening handshake with the `wamp.2.*` subprotocols, and one
//! WebSocket message per WAMP message (binary for MessagePack and CBOR, text for JSON).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use wamp_core::serializer::Serializer;

use super::error::{lower, ConfigError, ConnectError, TransportError};
use super::Frame;

/// How much tungstenite reads from the socket at once. Tungstenite zeroes the unfilled part of
/// its read buffer before every read, so its default (128 KiB) cost a 128 KiB memset per read:
/// most of a sequential call's CPU, and 128 KiB of resident memory per connection. A message
/// larger than this still arrives whole: the buffer grows to the message's length.
const READ_BUFFER: usize = 8 * 1024;

/// The byte stream under a WebSocket: plain TCP or TLS over TCP.
pub(crate) enum WsIo {
    /// `ws://`
    Tcp(TcpStream),
    /// `wss://`
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for WsIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            WsIo::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            WsIo::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            WsIo::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            WsIo::Tcp(s) => s.is_write_vectored(),
            WsIo::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_flush(cx),
            WsIo::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            WsIo::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// What the handshake needs from the configuration.
pub(crate) struct WsParams<'a> {
    pub(crate) tls: bool,
    pub(crate) authority: &'a str,
    pub(crate) path: &'a str,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) serializers: &'a [Arc<dyn Serializer>],
    pub(crate) max_message_size: usize,
}

/// Checks the extra headers before anything is sent.
pub(crate) fn check_headers(headers: &[(String, String)]) -> Result<(), ConfigError> {
    for (name, value) in headers {
        if HeaderName::from_bytes(name.as_bytes()).is_err() || HeaderValue::from_str(value).is_err()
        {
            return Err(ConfigError::InvalidHeader { name: name.clone() });
        }
    }
    Ok(())
}

/// Runs the opening handshake over `io` and picks the serializer the server chose.
pub(crate) async fn handshake(
    io: WsIo,
    p: WsParams<'_>,
) -> Result<(WsSink, WsStream, Arc<dyn Serializer>), ConnectError> {
    let scheme = if p.tls { "wss" } else { "ws" };
    let uri: Uri = format!("{scheme}://{}{}", p.authority, p.path)
        .parse()
        .map_err(|e: tokio_tungstenite::tungstenite::http::uri::InvalidUri| {
            ConnectError::WebSocket {
                status: None,
                reason: format!("cannot build the request uri: {e}"),
            }
        })?;
    let mut request = uri.into_client_request().map_err(handshake_error)?;
    let headers = request.headers_mut();
    for (name, value) in p.headers {
        let bad = || ConfigError::InvalidHeader { name: name.clone() };
        let name_h = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        let value_h = HeaderValue::from_str(value).map_err(|_| bad())?;
        headers.append(name_h, value_h);
    }
    let offered: Vec<&str> = p.serializers.iter().map(|s| s.subprotocol()).collect();
    let protocols =
        HeaderValue::from_str(&offered.join(", ")).map_err(|_| ConnectError::WebSocket {
            status: None,
            reason: "a serializer has an invalid subprotocol name".into(),
        })?;
    headers.insert("Sec-WebSocket-Protocol", protocols);

    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(p.max_message_size))
        .max_frame_size(Some(p.max_message_size));
    let (ws, response) = tokio_tungstenite::client_async_with_config(request, io, Some(config))
        .await
        .map_err(handshake_error)?;

    let chosen = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let serializer = chosen
        .and_then(|c| p.serializers.iter().find(|s| s.subprotocol() == c))
        .cloned()
        .ok_or(ConnectError::NoSerializer)?;
    tracing::debug!(
        offered = %offered.join(", "),
        chosen = serializer.subprotocol(),
        "websocket handshake done"
    );
    let binary = serializer.is_binary();
    let (sink, stream) = ws.split();
    Ok((
        WsSink { sink, binary },
        WsStream {
            stream,
            finished: false,
        },
        serializer,
    ))
}

fn handshake_error(e: WsError) -> ConnectError {
    match e {
        WsError::Io(e) => ConnectError::Io(e),
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(_)) => {
            ConnectError::NoSerializer
        }
        WsError::Protocol(ProtocolError::HandshakeIncomplete) => ConnectError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection during the websocket handshake",
        )),
        WsError::Http(response) => {
            let status = response.status();
            ConnectError::WebSocket {
                status: Some(status.as_u16()),
                reason: format!(
                    "http status {} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("").to_lowercase()
                )
                .trim_end()
                .to_string(),
            }
        }
        other => ConnectError::WebSocket {
            status: None,
            reason: lower(other.to_string()),
        },
    }
}

/// Maps an error of a live WebSocket.
fn transport_error(e: WsError) -> TransportError {
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed => TransportError::Closed,
        WsError::Protocol(ProtocolError::SendAfterClosing) => TransportError::Closed,
        WsError::Io(e) => TransportError::Io(e),
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            TransportError::TooLarge {
                size,
                limit: max_size,
            }
        }
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            TransportError::Io(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the peer closed the connection without a websocket close handshake",
            ))
        }
        other => TransportError::Protocol(lower(other.to_string())),
    }
}

/// The writing half of a WebSocket.
pub(crate) struct WsSink {
    sink: SplitSink<WebSocketStream<WsIo>, Message>,
    binary: bool,
}

impl WsSink {
    /// Queues one message without flushing (tungstenite writes once its buffer fills).
    pub(crate) async fn feed(&mut self, frame: &[u8]) -> Result<(), TransportError> {
        let msg = if self.binary {
            Message::Binary(Bytes::copy_from_slice(frame))
        } else {
            let text = std::str::from_utf8(frame)
                .map_err(|_| TransportError::Protocol("a text frame must be valid utf-8".into()))?;
            Message::Text(text.into())
        };
        self.sink.feed(msg).await.map_err(transport_error)
    }

    pub(crate) async fn flush(&mut self) -> Result<(), TransportError> {
        self.sink.flush().await.map_err(transport_error)
    }

    /// Sends a ping and flushes.
    pub(crate) async fn send_ping(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        self.sink
            .send(Message::Ping(Bytes::copy_from_slice(payload)))
            .await
            .map_err(transport_error)
    }

    /// Sends a close frame and flushes; the reading half then sees the server's answer.
    pub(crate) async fn close(&mut self) -> Result<(), TransportError> {
        match self.sink.close().await.map_err(transport_error) {
            Err(TransportError::Closed) => Ok(()),
            other => other,
        }
    }
}

/// The reading half of a WebSocket.
pub(crate) struct WsStream {
    stream: SplitStream<WebSocketStream<WsIo>>,
    finished: bool,
}

impl WsStream {
    /// The next text or binary message; control frames are handled by tungstenite.
    pub(crate) async fn next_frame(&mut self) -> Result<Option<Frame>, TransportError> {
        if self.finished {
            return Err(TransportError::Closed);
        }
        let res = self.next_frame_inner().await;
        if matches!(res, Err(_) | Ok(None)) {
            self.finished = true;
        }
        res
    }

    async fn next_frame_inner(&mut self) -> Result<Option<Frame>, TransportError> {
        loop {
            match self.stream.next().await {
                None => return Ok(None),
                Some(Ok(Message::Binary(b))) => return Ok(Some(Frame::Message(b))),
                Some(Ok(Message::Text(t))) => return Ok(Some(Frame::Message(Bytes::from(t)))),
                Some(Ok(Message::Pong(b))) => return Ok(Some(Frame::Pong(b))),
                Some(Ok(Message::Close(frame))) => {
                    tracing::debug!(?frame, "websocket close frame received");
                }
                Some(Ok(_)) => {}
                Some(Err(WsError::ConnectionClosed)) => return Ok(None),
                Some(Err(e)) => return Err(transport_error(e)),
            }
        }
    }
}
