//! [`FakePeer`]: one connection of the fake router after its handshake, spoken to in WAMP
//! messages or raw frames; [`RawPeer`]: one before it.

use std::sync::Arc;

use bytes::{Buf, BytesMut};
use tokio::io::DuplexStream;
use wamp_core::message::Message;
use wamp_core::serializer::Serializer;
use wamp_core::value::{Dict, Str, Value};
use wamp_core::Id;

use super::framing::{self, Frame, Violation};
use super::wire::{fill, router_details, write_all, SESSION_ID};
use crate::transport::TransportKind;

/// A connection of the fake router before any handshake (see
/// [`FakeRouter::accept_raw`](super::FakeRouter::accept_raw)): the test reads the client's
/// handshake and writes the answer, then may go on with [`into_peer`](Self::into_peer).
#[derive(Debug)]
pub struct RawPeer {
    io: DuplexStream,
    buf: BytesMut,
    kind: TransportKind,
    serializer: Arc<dyn Serializer>,
}

impl RawPeer {
    pub(super) fn new(
        io: DuplexStream,
        kind: TransportKind,
        serializer: Arc<dyn Serializer>,
    ) -> Self {
        RawPeer {
            io,
            buf: BytesMut::new(),
            kind,
            serializer,
        }
    }

    /// Reads exactly `n` bytes; `None` if the client closes first.
    ///
    /// ```
    /// # use wamp_client::testing::FakeRouter;
    /// # use wamp_core::serializer::Json;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let mut router = FakeRouter::rawsocket(Json);
    /// # let config = router.config();
    /// # tokio::spawn(async move { wamp_client::Session::join(&config, wamp_client::JoinOptions::new("realm1")).await });
    /// let mut raw = router.accept_raw().await;
    /// let hello = raw.read_exact(4).await.unwrap();
    /// assert_eq!(hello, [0x7F, 0xF1, 0, 0]); // 16 MiB, JSON
    /// # }
    /// ```
    pub async fn read_exact(&mut self, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            if !fill(&mut self.io, &mut self.buf).await {
                return None;
            }
        }
        Some(self.buf.split_to(n).to_vec())
    }

    /// Reads an HTTP request head, up to and with its empty line (16 KiB at most); `None`
    /// if the client closes first or sends more than that without an empty line.
    ///
    /// ```
    /// # use wamp_client::testing::FakeRouter;
    /// # use wamp_core::serializer::Json;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let mut router = FakeRouter::websocket(Json);
    /// # let config = router.config();
    /// # tokio::spawn(async move { wamp_client::Session::join(&config, wamp_client::JoinOptions::new("realm1")).await });
    /// let mut raw = router.accept_raw().await;
    /// let head = raw.read_request_head().await.unwrap();
    /// assert!(head.starts_with("GET /ws HTTP/1.1\r\nHost: fake-router\r\n"));
    /// # }
    /// ```
    pub async fn read_request_head(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = self.buf.split_to(end + 4);
                return Some(String::from_utf8_lossy(&head).into_owned());
            }
            if self.buf.len() > framing::MAX_REQUEST_HEAD {
                return None;
            }
            if !fill(&mut self.io, &mut self.buf).await {
                return None;
            }
        }
    }

    /// Writes `bytes` as they are; a client that has gone is ignored.
    ///
    /// ```
    /// # use wamp_client::testing::FakeRouter;
    /// # use wamp_core::serializer::Json;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let mut router = FakeRouter::websocket(Json);
    /// # let config = router.config();
    /// let join = tokio::spawn(async move { wamp_client::Session::join(&config, wamp_client::JoinOptions::new("realm1")).await });
    /// let mut raw = router.accept_raw().await;
    /// raw.read_request_head().await.unwrap();
    /// raw.write_bytes(b"HTTP/1.1 503 Service Unavailable\r\n\r\n").await;
    /// assert!(join.await.unwrap().is_err());
    /// # }
    /// ```
    pub async fn write_bytes(&mut self, bytes: &[u8]) {
        write_all(&mut self.io, bytes).await;
    }

    /// Goes on past a handshake the test answered itself: a [`FakePeer`] framing as the
    /// router's transport and serializer do. Bytes already read past the handshake are kept.
    ///
    /// ```
    /// use wamp_client::testing::{websocket_accept, FakeRouter};
    /// use wamp_client::{JoinOptions, Session};
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::websocket(Json);
    /// let config = router.config();
    /// let join = tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    /// let mut raw = router.accept_raw().await;
    /// let head = raw.read_request_head().await.unwrap();
    /// let key = head.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap();
    /// let answer = format!(
    ///     "HTTP/1.1 101 OK\r\nupgrade: websocket\r\nconnection: upgrade\r\n\
    ///      sec-websocket-accept: {}\r\nsec-websocket-protocol: wamp.2.json\r\n\r\n",
    ///     websocket_accept(key)
    /// );
    /// raw.write_bytes(answer.as_bytes()).await;
    /// let mut peer = raw.into_peer();
    /// peer.welcome().await;
    /// assert!(join.await.unwrap().is_ok());
    /// # }
    /// ```
    pub fn into_peer(self) -> FakePeer {
        self.into_peer_with(None, None)
    }

    pub(super) fn into_peer_with(
        self,
        request_head: Option<String>,
        client_max: Option<usize>,
    ) -> FakePeer {
        FakePeer {
            io: self.io,
            buf: self.buf,
            kind: self.kind,
            serializer: self.serializer,
            request_head,
            client_max,
            fragments: None,
        }
    }
}

/// One connection of the fake router, after its handshake (see
/// [`FakeRouter::accept`](super::FakeRouter::accept)), spoken to in messages or frames.
///
/// Nothing is read unless the test calls a receiving method: a peer left alone (over a small
/// [`buffer_size`](super::FakeRouter::buffer_size)) is a router that stops reading.
/// Writing to a client that has gone does nothing; the next receive then returns `None`.
/// A client that breaks the framing or sends an undecodable message makes the peer panic.
///
/// ```
/// use wamp_client::testing::FakeRouter;
/// use wamp_client::JoinOptions;
/// use wamp_core::message::Message;
/// use wamp_core::serializer::Json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut router = FakeRouter::rawsocket(Json);
/// let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
/// let leave = tokio::spawn(async move { session.leave().await });
/// let Some(Message::Goodbye { reason, .. }) = peer.recv().await else { panic!() };
/// assert_eq!(reason, "wamp.close.normal");
/// peer.goodbye().await;
/// assert_eq!(leave.await.unwrap().unwrap().reason, "wamp.close.goodbye_and_out");
/// assert_eq!(peer.recv().await, None); // the client closed the connection
/// # }
/// ```
#[derive(Debug)]
pub struct FakePeer {
    io: DuplexStream,
    buf: BytesMut,
    kind: TransportKind,
    serializer: Arc<dyn Serializer>,
    request_head: Option<String>,
    client_max: Option<usize>,
    /// A fragmented WebSocket message being received.
    fragments: Option<Vec<u8>>,
}

impl FakePeer {
    /// The transport the peer speaks.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// The serializer the peer speaks.
    pub fn serializer(&self) -> &Arc<dyn Serializer> {
        &self.serializer
    }

    /// The client's WebSocket opening request (request line and headers), as it came.
    pub fn request_head(&self) -> Option<&str> {
        self.request_head.as_deref()
    }

    /// The largest message the client said it accepts, in its RawSocket handshake.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::JoinOptions;
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let config = router.config().max_message_size(65_536);
    /// let (_session, peer) = router.join(&config, JoinOptions::new("realm1")).await;
    /// assert_eq!(peer.client_max_message_size(), Some(65_536));
    /// # }
    /// ```
    pub fn client_max_message_size(&self) -> Option<usize> {
        self.client_max
    }

    /// The next frame from the client, pings, pongs and close frames included, none of them
    /// answered; `None` once the client has closed the connection (or closed it in the
    /// middle of a frame).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wamp_client::testing::{FakeRouter, Frame};
    /// use wamp_client::JoinOptions;
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut router = FakeRouter::websocket(Json);
    /// let config = router.config().keepalive(Duration::from_secs(1), Duration::from_secs(1));
    /// let (_session, mut peer) = router.join(&config, JoinOptions::new("realm1")).await;
    /// // After a second of silence, the keepalive ping.
    /// assert!(matches!(peer.recv_frame().await, Some(Frame::Ping(_))));
    /// # }
    /// ```
    pub async fn recv_frame(&mut self) -> Option<Frame> {
        loop {
            match self.take_frame() {
                Ok(Some(frame)) => return Some(frame),
                Ok(None) => {}
                Err(Violation(v)) => panic!("the client broke the framing: {v}"),
            }
            if !fill(&mut self.io, &mut self.buf).await {
                return None;
            }
        }
    }

    fn take_frame(&mut self) -> Result<Option<Frame>, Violation> {
        match self.kind {
            TransportKind::RawSocket => framing::take_rawsocket_frame(&mut self.buf),
            TransportKind::WebSocket => loop {
                let Some(f) = framing::take_websocket_frame(&mut self.buf)? else {
                    return Ok(None);
                };
                let data = match (f.opcode, &mut self.fragments) {
                    (framing::WS_PING, _) => return Ok(Some(Frame::Ping(f.payload))),
                    (framing::WS_PONG, _) => return Ok(Some(Frame::Pong(f.payload))),
                    (framing::WS_CLOSE, _) => {
                        let code = f.payload.first_chunk::<2>().map(|c| u16::from_be_bytes(*c));
                        return Ok(Some(Frame::Close(code)));
                    }
                    (framing::WS_CONTINUATION, Some(so_far)) => {
                        so_far.extend_from_slice(&f.payload);
                        if !f.fin {
                            continue;
                        }
                        self.fragments.take().unwrap_or_default()
                    }
                    (framing::WS_CONTINUATION, None) => {
                        return Err(Violation("a continuation frame without a message".into()))
                    }
                    (_, Some(_)) => {
                        return Err(Violation(
                            "a new message before the fragmented one ended".into(),
                        ))
                    }
                    (_, None) if !f.fin => {
                        self.fragments = Some(f.payload);
                        continue;
                    }
                    (_, None) => f.payload,
                };
                return Ok(Some(Frame::Message(data)));
            },
        }
    }

    /// The next message from the client, decoded. Pings are answered (as a router does) and
    /// pongs skipped; a WebSocket close frame is answered with a close frame echoing its
    /// code, and ends the messages. `None` once the client has closed the connection.
    /// Panics on a message the router's serializer cannot decode.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::JoinOptions;
    /// use wamp_core::message::Message;
    /// use wamp_core::serializer::MsgPack;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::websocket(MsgPack);
    /// let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// session.publish("com.example.topic", ("hi",)).await.unwrap();
    /// let Some(Message::Publish { topic, .. }) = peer.recv().await else { panic!() };
    /// assert_eq!(topic, "com.example.topic");
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<Message> {
        loop {
            match self.recv_frame().await? {
                Frame::Message(bytes) => {
                    return Some(self.serializer.decode(&bytes).unwrap_or_else(|e| {
                        panic!("the client sent a message the router cannot decode: {e}")
                    }))
                }
                Frame::Ping(payload) => self.send_pong(&payload).await,
                Frame::Pong(_) => {}
                Frame::Close(code) => {
                    self.send_close(code).await;
                    return None;
                }
            }
        }
    }

    /// Sends `msg`, encoded with the router's serializer, in one frame.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::JoinOptions;
    /// use wamp_core::message::Message;
    /// use wamp_core::serializer::Json;
    /// use wamp_core::Dict;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// let reason = "wamp.close.system_shutdown".into();
    /// peer.send(&Message::Goodbye { details: Dict::new(), reason }).await;
    /// assert_eq!(session.closed().await.reason, "wamp.close.system_shutdown");
    /// # }
    /// ```
    pub async fn send(&mut self, msg: &Message) {
        let mut bytes = Vec::new();
        self.serializer
            .encode(msg, &mut bytes)
            .unwrap_or_else(|e| panic!("the router cannot encode {}: {e}", msg.name()));
        self.send_raw(&bytes).await;
    }

    /// Sends `payload`, whatever it holds, as one message frame: a RawSocket message frame,
    /// or a WebSocket text frame (JSON) or binary frame (the others).
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::JoinOptions;
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// peer.send_raw(b"[36, \"not an id\"").await;
    /// assert_eq!(session.closed().await.reason, "wamp.error.protocol_violation");
    /// assert_eq!(peer.abort_reason().await.as_deref(), Some("wamp.error.protocol_violation"));
    /// # }
    /// ```
    pub async fn send_raw(&mut self, payload: &[u8]) {
        let frame = match self.kind {
            TransportKind::RawSocket => framing::rawsocket_frame(framing::RS_MESSAGE, payload),
            TransportKind::WebSocket => {
                let op = if self.serializer.is_binary() {
                    framing::WS_BINARY
                } else {
                    framing::WS_TEXT
                };
                framing::websocket_frame(true, op, payload)
            }
        };
        self.write_bytes(&frame).await;
    }

    /// Sends a ping (a RawSocket PING frame, or a WebSocket ping) with `payload`.
    ///
    /// ```
    /// use wamp_client::testing::{FakeRouter, Frame};
    /// use wamp_client::JoinOptions;
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::websocket(Json);
    /// let (_session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// peer.send_ping(b"still there?").await;
    /// assert_eq!(peer.recv_frame().await, Some(Frame::Pong(b"still there?".to_vec())));
    /// # }
    /// ```
    pub async fn send_ping(&mut self, payload: &[u8]) {
        let frame = match self.kind {
            TransportKind::RawSocket => framing::rawsocket_frame(framing::RS_PING, payload),
            TransportKind::WebSocket => framing::websocket_frame(true, framing::WS_PING, payload),
        };
        self.write_bytes(&frame).await;
    }

    /// Sends a pong (a RawSocket PONG frame, or a WebSocket pong) with `payload`.
    pub async fn send_pong(&mut self, payload: &[u8]) {
        let frame = match self.kind {
            TransportKind::RawSocket => framing::rawsocket_frame(framing::RS_PONG, payload),
            TransportKind::WebSocket => framing::websocket_frame(true, framing::WS_PONG, payload),
        };
        self.write_bytes(&frame).await;
    }

    /// Sends a WebSocket close frame with `code` (without one when `None`); does nothing on
    /// RawSocket.
    pub async fn send_close(&mut self, code: Option<u16>) {
        if self.kind != TransportKind::WebSocket {
            return;
        }
        let payload = code.map(u16::to_be_bytes);
        let frame =
            framing::websocket_frame(true, framing::WS_CLOSE, payload.as_ref().map_or(&[], |p| p));
        self.write_bytes(&frame).await;
    }

    /// Sends a WebSocket frame with any `opcode`, `fin` bit and payload: fragments, or
    /// frames that break the protocol.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::JoinOptions;
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::websocket(Json);
    /// let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// // GOODBYE in two fragments: a text frame, then its continuation.
    /// peer.send_websocket_frame(false, 0x1, br#"[6,{},"wamp.close."#).await;
    /// peer.send_websocket_frame(true, 0x0, br#"system_shutdown"]"#).await;
    /// assert_eq!(session.closed().await.reason, "wamp.close.system_shutdown");
    /// # }
    /// ```
    pub async fn send_websocket_frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let frame = framing::websocket_frame(fin, opcode, payload);
        self.write_bytes(&frame).await;
    }

    /// Writes `bytes` on the wire as they are: e.g. a frame header announcing 16 MiB followed
    /// by 10 bytes.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::JoinOptions;
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// peer.write_bytes(&[0, 0xFF, 0xFF, 0xFF]).await; // 16 MiB - 1 announced
    /// peer.write_bytes(&[0; 10]).await;               // 10 sent, then nothing
    /// let closed = session.closed().await; // after the read timeout
    /// assert_eq!(closed.reason, "wamp.close.transport_lost");
    /// # }
    /// ```
    pub async fn write_bytes(&mut self, bytes: &[u8]) {
        write_all(&mut self.io, bytes).await;
    }

    /// Reads HELLO (panics on anything else) and returns its realm and details.
    pub async fn expect_hello(&mut self) -> (String, Dict) {
        match self.recv().await {
            Some(Message::Hello { realm, details }) => (realm.into_string(), details),
            other => panic!("expected HELLO, got {other:?}"),
        }
    }

    /// Reads HELLO and answers WELCOME with session [`SESSION_ID`] and
    /// [`router_details`](super::router_details); returns the HELLO's details.
    ///
    /// ```
    /// use wamp_client::testing::{role_features, FakeRouter};
    /// use wamp_client::{JoinOptions, Session};
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let config = router.config();
    /// let join = tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    /// let hello = router.accept().await.welcome().await;
    /// assert!(role_features(&hello, "callee").contains(&"call_canceling".to_owned()));
    /// # join.await.unwrap().unwrap();
    /// # }
    /// ```
    pub async fn welcome(&mut self) -> Dict {
        self.welcome_with(router_details()).await
    }

    /// Reads HELLO and answers WELCOME with session [`SESSION_ID`] and `details`; returns
    /// the HELLO's details.
    ///
    /// ```
    /// use wamp_client::testing::{router_details_with, FakeRouter};
    /// use wamp_client::{JoinOptions, Session};
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let config = router.config();
    /// let join = tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    /// // A router whose dealer cannot cancel calls.
    /// router.accept().await.welcome_with(router_details_with(&[])).await;
    /// # join.await.unwrap().unwrap();
    /// # }
    /// ```
    pub async fn welcome_with(&mut self, details: Dict) -> Dict {
        let (_, hello) = self.expect_hello().await;
        self.send(&Message::Welcome {
            session: SESSION_ID,
            details,
        })
        .await;
        hello
    }

    /// Sends CHALLENGE `method` with `extra`, reads the AUTHENTICATE that answers it (panics
    /// on anything else) and returns its signature and extra.
    ///
    /// ```
    /// use wamp_client::testing::{router_details, FakeRouter};
    /// use wamp_client::{AuthMethod, Authentication, JoinOptions, Session};
    /// use wamp_core::serializer::Json;
    /// use wamp_core::Dict;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let config = router.config();
    /// let auth = Authentication::new().authid("joe").method(AuthMethod::ticket("s3cret"));
    /// let options = JoinOptions::new("realm1").authentication(auth);
    /// let join = tokio::spawn(async move { Session::join(&config, options).await });
    /// let mut peer = router.accept().await;
    /// peer.expect_hello().await;
    /// let (signature, _) = peer.challenge("ticket", Dict::new()).await;
    /// assert_eq!(signature, "s3cret");
    /// peer.send_welcome(router_details()).await;
    /// # join.await.unwrap().unwrap();
    /// # }
    /// ```
    pub async fn challenge(&mut self, method: &str, extra: Dict) -> (String, Dict) {
        self.send(&Message::Challenge {
            method: Str::new(method),
            extra,
        })
        .await;
        match self.recv().await {
            Some(Message::Authenticate { signature, extra }) => (signature.into_string(), extra),
            other => panic!("expected AUTHENTICATE, got {other:?}"),
        }
    }

    /// Sends WELCOME with session [`SESSION_ID`] and `details` (after a challenge).
    pub async fn send_welcome(&mut self, details: Dict) {
        self.send(&Message::Welcome {
            session: SESSION_ID,
            details,
        })
        .await;
    }

    /// Sends GOODBYE `wamp.close.goodbye_and_out` (the answer to the client's GOODBYE).
    pub async fn goodbye(&mut self) {
        self.send(&Message::Goodbye {
            details: Dict::new(),
            reason: Str::from_static("wamp.close.goodbye_and_out"),
        })
        .await;
    }

    /// Reads until an ABORT comes (other messages are skipped) and returns its reason; `None`
    /// if the connection ends first.
    pub async fn abort_reason(&mut self) -> Option<String> {
        while let Some(msg) = self.recv().await {
            if let Message::Abort { reason, .. } = msg {
                return Some(reason.into_string());
            }
        }
        None
    }

    /// Reads REGISTER (panics on anything else), answers REGISTERED with `registration`, and
    /// returns the procedure.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::{Invocation, JoinOptions, WampError};
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// let register = tokio::spawn(async move {
    ///     let echo = |inv: Invocation| async move { Ok::<_, WampError>(inv.payload) };
    ///     session.register("com.example.echo", echo).await
    /// });
    /// assert_eq!(peer.answer_register(42).await, "com.example.echo");
    /// assert_eq!(register.await.unwrap().unwrap().id(), 42);
    /// # }
    /// ```
    pub async fn answer_register(&mut self, registration: Id) -> String {
        match self.recv().await {
            Some(Message::Register {
                request, procedure, ..
            }) => {
                self.send(&Message::Registered {
                    request,
                    registration,
                })
                .await;
                procedure.into_string()
            }
            other => panic!("expected REGISTER, got {other:?}"),
        }
    }

    /// Reads SUBSCRIBE (panics on anything else), answers SUBSCRIBED with `subscription`, and
    /// returns the topic.
    pub async fn answer_subscribe(&mut self, subscription: Id) -> String {
        match self.recv().await {
            Some(Message::Subscribe { request, topic, .. }) => {
                self.send(&Message::Subscribed {
                    request,
                    subscription,
                })
                .await;
                topic.into_string()
            }
            other => panic!("expected SUBSCRIBE, got {other:?}"),
        }
    }

    /// Sends INVOCATION `request` of `registration` with positional `args` and `details`.
    pub async fn invoke(&mut self, request: Id, registration: Id, details: Dict, args: Vec<Value>) {
        self.send(&Message::Invocation {
            request,
            registration,
            details,
            args,
            kwargs: Dict::new(),
        })
        .await;
    }

    /// Bytes read from the client and not yet taken as frames.
    pub fn buffered(&self) -> usize {
        self.buf.remaining()
    }
}
