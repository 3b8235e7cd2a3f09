//! WAMP over WebSocket: the opening handshake with the `wamp.2.*` subprotocols, and one
//! WebSocket message per WAMP message (binary for MessagePack and CBOR, text for JSON).

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use wamp_core::serializer::Serializer;

use super::connection::{Frame, Io, Transfer};
use super::error::{lower, ConfigError, ConnectError, TransportError};

/// How much tungstenite reads from the socket at once. Tungstenite zeroes the unfilled part of
/// its read buffer before every read, so its default (128 KiB) cost a 128 KiB memset per read:
/// most of a sequential call's CPU, and 128 KiB of resident memory per connection. A message
/// larger than this still arrives whole: the buffer grows to the message's length.
const READ_BUFFER: usize = 8 * 1024;

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
    io: Box<dyn Io>,
    p: WsParams<'_>,
) -> Result<(TungLink, Arc<dyn Serializer>), ConnectError> {
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
    let link = TungLink {
        ws,
        binary: serializer.is_binary(),
        out: VecDeque::new(),
        unsent: 0,
        frames: VecDeque::new(),
        flush_owed: false,
        eof: false,
    };
    Ok((link, serializer))
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

/// TEMPORARY (until our own WebSocket framing replaces tungstenite): a WebSocket driven
/// through tungstenite's `Sink`/`Stream`, behind the [`Connection`](super::Connection) API.
pub(crate) struct TungLink {
    ws: WebSocketStream<Box<dyn Io>>,
    binary: bool,
    /// Messages queued and not yet handed to tungstenite.
    out: VecDeque<Message>,
    unsent: usize,
    /// Frames received and not yet taken.
    frames: VecDeque<Frame>,
    flush_owed: bool,
    eof: bool,
}

impl TungLink {
    pub(crate) fn queue_message(&mut self, frame: &[u8]) -> Result<(), TransportError> {
        let msg = if self.binary {
            Message::Binary(Bytes::copy_from_slice(frame))
        } else {
            let text = std::str::from_utf8(frame)
                .map_err(|_| TransportError::Protocol("a text frame must be valid utf-8".into()))?;
            Message::Text(text.into())
        };
        self.unsent += frame.len();
        self.out.push_back(msg);
        Ok(())
    }

    pub(crate) fn queue_ping(&mut self, payload: &[u8]) {
        let payload = &payload[..payload.len().min(125)];
        self.unsent += payload.len();
        self.out
            .push_back(Message::Ping(Bytes::copy_from_slice(payload)));
    }

    pub(crate) fn unsent(&self) -> usize {
        self.unsent
    }

    pub(crate) fn wants_write(&self) -> bool {
        !self.out.is_empty() || self.flush_owed
    }

    pub(crate) fn next_frame(&mut self) -> Option<Frame> {
        self.frames.pop_front()
    }

    pub(crate) fn poll_transfer(
        &mut self,
        cx: &mut Context<'_>,
        read: bool,
    ) -> Poll<Result<Transfer, TransportError>> {
        let mut done = Transfer::default();
        let mut progress = false;
        while !self.out.is_empty() {
            match self.ws.poll_ready_unpin(cx) {
                Poll::Ready(Ok(())) => {
                    let Some(msg) = self.out.pop_front() else {
                        break;
                    };
                    let n = msg.len();
                    self.unsent -= n;
                    done.written += n;
                    progress = true;
                    self.flush_owed = true;
                    self.ws.start_send_unpin(msg).map_err(transport_error)?;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(transport_error(e))),
                Poll::Pending => break,
            }
        }
        if self.flush_owed && self.out.is_empty() {
            match self.ws.poll_flush_unpin(cx) {
                Poll::Ready(Ok(())) => {
                    self.flush_owed = false;
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(transport_error(e))),
                Poll::Pending => {}
            }
        }
        if read {
            if self.eof {
                done.eof = true;
                progress = true;
            } else {
                match self.ws.poll_next_unpin(cx) {
                    Poll::Ready(None) | Poll::Ready(Some(Err(WsError::ConnectionClosed))) => {
                        self.eof = true;
                        done.eof = true;
                        progress = true;
                    }
                    Poll::Ready(Some(Ok(msg))) => {
                        done.read = msg.len().max(1);
                        progress = true;
                        match msg {
                            Message::Binary(b) => self.frames.push_back(Frame::Message(b)),
                            Message::Text(t) => {
                                self.frames.push_back(Frame::Message(Bytes::from(t)))
                            }
                            Message::Pong(b) => self.frames.push_back(Frame::Pong(b)),
                            Message::Close(_) => self.frames.push_back(Frame::Close),
                            _ => {}
                        }
                    }
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(transport_error(e))),
                    Poll::Pending => {}
                }
            }
        }
        if progress {
            Poll::Ready(Ok(done))
        } else {
            Poll::Pending
        }
    }

    /// Sends a close frame and flushes.
    pub(crate) async fn close(&mut self) -> Result<(), TransportError> {
        while self.wants_write() {
            std::future::poll_fn(|cx| self.poll_transfer(cx, false)).await?;
        }
        match SinkExt::close(&mut self.ws).await.map_err(transport_error) {
            Err(TransportError::Closed) => Ok(()),
            other => other,
        }
    }
}
