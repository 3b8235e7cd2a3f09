//! Test support: a scripted fake router that a client reaches over an in-memory pipe
//! ([`tokio::io::duplex`]), with no socket and no wall-clock wait, so that tests can run on
//! paused time (`#[tokio::test(start_paused = true)]`). Behind the feature `testing`.
//!
//! A [`FakeRouter`] hands out a [`TransportConfig`] whose
//! [`connector`](TransportConfig::connector) opens a pipe and passes the router's end to the
//! router; [`FakeRouter::accept`] runs the server side of the transport handshake (RawSocket,
//! or the WebSocket upgrade) and gives a [`FakePeer`], which the test drives message by
//! message: [`recv`](FakePeer::recv), [`send`](FakePeer::send), a frame with any payload
//! ([`send_raw`](FakePeer::send_raw)), any bytes ([`write_bytes`](FakePeer::write_bytes)), and
//! helpers for the usual answers ([`welcome`](FakePeer::welcome),
//! [`answer_register`](FakePeer::answer_register), ...). A peer that stops calling `recv`
//! over a small pipe ([`FakeRouter::buffer_size`]) is a router that stops reading.
//! [`FakeRouter::accept_raw`] skips the handshake, for tests that write the handshake answer
//! themselves.
//!
//! [`colliding_ids`] builds invocation ids that a hostile router would choose against an
//! unkeyed hash table.
//!
//! The framing here is written apart from the client's, so that each checks the other.
//! Whatever the client sends that breaks the protocol makes the peer panic, with a message
//! saying what: that is a failed test.
//!
//! ```
//! use wamp_client::testing::FakeRouter;
//! use wamp_client::JoinOptions;
//! use wamp_core::message::Message;
//! use wamp_core::serializer::Json;
//! use wamp_core::{Dict, Value};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut router = FakeRouter::rawsocket(Json);
//! let (session, mut peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
//! let call = tokio::spawn(async move { session.call::<_, i64>("com.example.add2", (2, 3)).await });
//! let Some(Message::Call { request, args, .. }) = peer.recv().await else { panic!() };
//! assert_eq!(args, [Value::Int(2), Value::Int(3)]);
//! peer.send(&Message::Result {
//!     request,
//!     details: Dict::new(),
//!     args: vec![Value::Int(5)],
//!     kwargs: Dict::new(),
//! })
//! .await;
//! assert_eq!(call.await.unwrap().unwrap(), 5);
//! # }
//! ```

use std::io;
use std::sync::Arc;

use tokio::io::DuplexStream;
use tokio::sync::mpsc;
use wamp_core::serializer::Serializer;

use crate::options::JoinOptions;
use crate::session::Session;
use crate::transport::{TransportConfig, TransportKind};

mod framing;
mod ids;
mod peer;
mod wire;

#[cfg(test)]
mod tests;

pub use framing::{websocket_accept, Frame};
pub use ids::colliding_ids;
pub use peer::{FakePeer, RawPeer};
pub use wire::{role_features, router_details, router_details_with, SESSION_ID};

/// The URL of a RawSocket [`FakeRouter`]'s configuration.
pub const RAWSOCKET_URL: &str = "rs://fake-router:1";

/// The URL of a WebSocket [`FakeRouter`]'s configuration.
pub const WEBSOCKET_URL: &str = "ws://fake-router/ws";

/// The default [`FakeRouter::buffer_size`]: 64 KiB each way.
pub const DEFAULT_BUFFER_SIZE: usize = 64 * 1024;

/// A scripted fake router: a [`TransportConfig`] that reaches it over in-memory pipes, and
/// [`accept`](Self::accept) for each connection the client opens.
///
/// ```
/// use std::time::Duration;
/// use wamp_client::testing::FakeRouter;
/// use wamp_client::transport::TransportKind;
/// use wamp_core::serializer::MsgPack;
///
/// let router = FakeRouter::websocket(MsgPack).buffer_size(1024);
/// let config = router.config().write_timeout(Duration::from_secs(2));
/// assert_eq!(config.url(), "ws://fake-router/ws");
/// assert_eq!(config.kind(), TransportKind::WebSocket);
/// assert_eq!(config.serializer_list()[0].name(), "msgpack");
/// ```
#[derive(Debug)]
pub struct FakeRouter {
    kind: TransportKind,
    serializer: Arc<dyn Serializer>,
    buffer: usize,
    length_exponent: u8,
    subprotocol: Option<String>,
    tx: mpsc::UnboundedSender<DuplexStream>,
    rx: mpsc::UnboundedReceiver<DuplexStream>,
}

impl FakeRouter {
    /// A fake router speaking `kind` with `serializer`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::transport::TransportKind;
    /// use wamp_core::serializer::Cbor;
    ///
    /// let router = FakeRouter::new(TransportKind::RawSocket, Arc::new(Cbor));
    /// assert_eq!(router.config().url(), "rs://fake-router:1");
    /// ```
    pub fn new(kind: TransportKind, serializer: Arc<dyn Serializer>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        FakeRouter {
            kind,
            serializer,
            buffer: DEFAULT_BUFFER_SIZE,
            length_exponent: 15,
            subprotocol: None,
            tx,
            rx,
        }
    }

    /// A fake RawSocket router (URL [`RAWSOCKET_URL`]).
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_core::serializer::Json;
    ///
    /// assert_eq!(FakeRouter::rawsocket(Json).config().url(), "rs://fake-router:1");
    /// ```
    pub fn rawsocket(serializer: impl Serializer) -> Self {
        FakeRouter::new(TransportKind::RawSocket, Arc::new(serializer))
    }

    /// A fake WebSocket router (URL [`WEBSOCKET_URL`]).
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_core::serializer::Json;
    ///
    /// assert_eq!(FakeRouter::websocket(Json).config().url(), "ws://fake-router/ws");
    /// ```
    pub fn websocket(serializer: impl Serializer) -> Self {
        FakeRouter::new(TransportKind::WebSocket, Arc::new(serializer))
    }

    /// Sets how many bytes each direction of a pipe holds before the writer waits
    /// ([`DEFAULT_BUFFER_SIZE`] by default): with a small buffer, a peer that does not read
    /// soon blocks the client's writes. Applies to the configurations made after it.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_core::serializer::Json;
    ///
    /// let router = FakeRouter::rawsocket(Json).buffer_size(512);
    /// # drop(router);
    /// ```
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer = bytes.max(1);
        self
    }

    /// Sets the length exponent L of the RawSocket handshake answer: the router accepts
    /// messages up to 2^(9+L) octets (15, 16 MiB, by default; at most 15).
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_core::serializer::Json;
    ///
    /// // This router takes messages of 512 bytes at most.
    /// let router = FakeRouter::rawsocket(Json).length_exponent(0);
    /// # drop(router);
    /// ```
    pub fn length_exponent(mut self, l: u8) -> Self {
        self.length_exponent = l.min(15);
        self
    }

    /// Sets the subprotocol the WebSocket upgrade answers with, offered by the client or not
    /// (by default the router's serializer's, e.g. `wamp.2.json`).
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_core::serializer::Json;
    ///
    /// let router = FakeRouter::websocket(Json).subprotocol("wamp.2.flatbuffers");
    /// # drop(router);
    /// ```
    pub fn subprotocol(mut self, protocol: &str) -> Self {
        self.subprotocol = Some(protocol.to_owned());
        self
    }

    /// The serializer the router speaks.
    pub fn serializer(&self) -> &Arc<dyn Serializer> {
        &self.serializer
    }

    /// A configuration that reaches this router: its URL ([`RAWSOCKET_URL`] or
    /// [`WEBSOCKET_URL`]), its serializer alone, and a connector that opens a pipe of
    /// [`buffer_size`](Self::buffer_size) and hands the other end to
    /// [`accept`](Self::accept). Every other setting is the default, and may be changed on
    /// the result (except the serializers and the connector, which would lose the router).
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_core::serializer::Json;
    ///
    /// let config = FakeRouter::websocket(Json).config().header("Authorization", "Bearer t");
    /// assert!(format!("{config:?}").contains("connector: <custom>"));
    /// ```
    pub fn config(&self) -> TransportConfig {
        let url = match self.kind {
            TransportKind::RawSocket => RAWSOCKET_URL,
            TransportKind::WebSocket => WEBSOCKET_URL,
        };
        let tx = self.tx.clone();
        let size = self.buffer;
        TransportConfig::new(url)
            .expect("the fake router's url is valid")
            .serializers(vec![self.serializer.clone()])
            .connector(move || {
                let tx = tx.clone();
                async move {
                    let (client, router) = tokio::io::duplex(size);
                    tx.send(router)
                        .map_err(|_| io::Error::other("the fake router is gone"))?;
                    Ok(client)
                }
            })
    }

    /// Waits for the next connection of the client, without any handshake: the test reads
    /// the client's handshake and writes the answer itself.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::{ConnectError, JoinError, JoinOptions, Session};
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let config = router.config();
    /// let join = tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    /// let mut raw = router.accept_raw().await;
    /// let hello = raw.read_exact(4).await.unwrap();
    /// assert_eq!(hello[0], 0x7F);
    /// raw.write_bytes(&[0x7F, 0x40, 0, 0]).await; // error 4: too many connections
    /// let err = join.await.unwrap().unwrap_err();
    /// assert!(matches!(err, JoinError::Connect(ConnectError::RawSocketRefused { code: 4, .. })));
    /// # }
    /// ```
    pub async fn accept_raw(&mut self) -> RawPeer {
        let io = self
            .rx
            .recv()
            .await
            .expect("the fake router holds a sender");
        RawPeer::new(io, self.kind, self.serializer.clone())
    }

    /// Waits for the next connection of the client and runs the router's side of the
    /// handshake: the RawSocket answer with the router's serializer and
    /// [`length_exponent`](Self::length_exponent), or the WebSocket upgrade (the `GET` read,
    /// `101` answered with `Sec-WebSocket-Accept` and the
    /// [`subprotocol`](Self::subprotocol)). Panics if the client's handshake is not what the
    /// router expects (another serializer, not RawSocket, not a WebSocket upgrade).
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::{JoinOptions, Session};
    /// use wamp_core::serializer::Cbor;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::websocket(Cbor);
    /// let config = router.config().header("X-Trace", "1");
    /// let join = tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    /// let mut peer = router.accept().await;
    /// assert!(peer.request_head().unwrap().contains("\r\nX-Trace: 1\r\n"));
    /// let hello = peer.welcome().await;
    /// assert!(hello.contains_key("roles"));
    /// let session = join.await.unwrap().unwrap();
    /// assert_eq!(session.id(), wamp_client::testing::SESSION_ID);
    /// # }
    /// ```
    pub async fn accept(&mut self) -> FakePeer {
        let mut raw = self.accept_raw().await;
        match self.kind {
            TransportKind::RawSocket => {
                let hello = raw
                    .read_exact(4)
                    .await
                    .expect("the client closed before its rawsocket handshake");
                assert_eq!(hello[0], 0x7F, "the client's handshake is not rawsocket");
                let id = self.serializer.rawsocket_id();
                if hello[1] & 0x0F != id {
                    raw.write_bytes(&[0x7F, 0x10, 0, 0]).await;
                    panic!(
                        "the client asked for rawsocket serializer {}, the router speaks {id}",
                        hello[1] & 0x0F
                    );
                }
                raw.write_bytes(&[0x7F, (self.length_exponent << 4) | id, 0, 0])
                    .await;
                let client_max = 1usize << (9 + u32::from(hello[1] >> 4));
                raw.into_peer_with(None, Some(client_max))
            }
            TransportKind::WebSocket => {
                let head = raw
                    .read_request_head()
                    .await
                    .expect("the client closed before its websocket upgrade request");
                let upgrade =
                    framing::parse_upgrade(head.as_bytes()).unwrap_or_else(|v| panic!("{}", v.0));
                let protocol = match &self.subprotocol {
                    Some(p) => p.clone(),
                    None => {
                        let ours = self.serializer.subprotocol();
                        assert!(
                            upgrade.protocols.iter().any(|p| p == ours),
                            "the client offered {:?}, not {ours}",
                            upgrade.protocols
                        );
                        ours.to_owned()
                    }
                };
                raw.write_bytes(framing::switching_protocols(&upgrade.key, &protocol).as_bytes())
                    .await;
                raw.into_peer_with(Some(head), None)
            }
        }
    }

    /// Joins a session over `config` (one of [`config`](Self::config)'s) while accepting its
    /// connection and answering HELLO with [`FakePeer::welcome`]; panics if the join fails.
    ///
    /// ```
    /// use wamp_client::testing::FakeRouter;
    /// use wamp_client::JoinOptions;
    /// use wamp_core::serializer::Json;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut router = FakeRouter::rawsocket(Json);
    /// let (session, peer) = router.join(&router.config(), JoinOptions::new("realm1")).await;
    /// assert!(session.is_joined());
    /// # drop(peer);
    /// # }
    /// ```
    pub async fn join(
        &mut self,
        config: &TransportConfig,
        options: JoinOptions,
    ) -> (Session, FakePeer) {
        let router = async {
            let mut peer = self.accept().await;
            peer.welcome().await;
            peer
        };
        let (session, peer) = tokio::join!(Session::join(config, options), router);
        (session.expect("join the fake router"), peer)
    }
}
