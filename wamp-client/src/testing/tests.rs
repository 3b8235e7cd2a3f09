//! The fake router against the client: each side's framing checks the other's.

use std::sync::Arc;
use std::time::Duration;

use wamp_core::message::Message;
use wamp_core::serializer::{Cbor, Json, MsgPack, Serializer};
use wamp_core::value::{Dict, Value};

use super::{FakeRouter, Frame};
use crate::error::{CallError, ConnectError, JoinError, SessionError};
use crate::options::JoinOptions;
use crate::payload::Payload;
use crate::session::Session;
use crate::transport::TransportKind;
use crate::CallOptions;

fn serializers() -> [Arc<dyn Serializer>; 3] {
    [Arc::new(Json), Arc::new(MsgPack), Arc::new(Cbor)]
}

#[tokio::test(start_paused = true)]
async fn a_call_round_trips_over_every_transport_and_serializer() {
    for kind in [TransportKind::RawSocket, TransportKind::WebSocket] {
        for serializer in serializers() {
            let name = serializer.name();
            let mut router = FakeRouter::new(kind, serializer);
            let (session, mut peer) = router
                .join(&router.config(), JoinOptions::new("realm1"))
                .await;
            // A large argument: several reads, and the 64-bit WebSocket length.
            let big = "x".repeat(100_000);
            let s = session.clone();
            let arg = big.clone();
            let call =
                tokio::spawn(async move { s.call::<_, String>("com.example.echo", (arg,)).await });
            let Some(Message::Call { request, args, .. }) = peer.recv().await else {
                panic!("{kind:?} {name}: expected CALL")
            };
            assert_eq!(args, [Value::from(big.as_str())], "{kind:?} {name}");
            peer.send(&Message::Result {
                request,
                details: Dict::new(),
                args,
                kwargs: Dict::new(),
            })
            .await;
            assert_eq!(call.await.unwrap().unwrap(), big, "{kind:?} {name}");
            drop(session);
            // GOODBYE, answered; then the client closes the connection.
            let Some(Message::Goodbye { .. }) = peer.recv().await else {
                panic!("{kind:?} {name}: expected GOODBYE")
            };
            peer.goodbye().await;
            assert_eq!(peer.recv().await, None, "{kind:?} {name}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_length_exponent_of_the_rawsocket_answer_limits_what_the_client_sends() {
    let mut router = FakeRouter::rawsocket(Json).length_exponent(2);
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    assert_eq!(peer.client_max_message_size(), Some(1 << 24));
    let big = session
        .call_with(
            "com.example.big",
            Payload::args(&("y".repeat(3000),)).unwrap(),
            CallOptions::default(),
        )
        .await;
    assert!(
        matches!(
            big,
            Err(CallError::Session(SessionError::PayloadTooLarge {
                limit: 2048,
                ..
            }))
        ),
        "{big:?}"
    );
    session.publish("com.example.small", (1,)).await.unwrap();
    let Some(Message::Publish { topic, .. }) = peer.recv().await else {
        panic!("expected PUBLISH")
    };
    assert_eq!(topic, "com.example.small");
}

#[tokio::test(start_paused = true)]
async fn a_subprotocol_the_client_did_not_offer_fails_its_connect() {
    let mut router = FakeRouter::websocket(Json).subprotocol("wamp.2.cbor");
    let config = router.config();
    let join =
        tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    let peer = router.accept().await;
    let err = join.await.unwrap().unwrap_err();
    assert!(
        matches!(err, JoinError::Connect(ConnectError::NoSerializer)),
        "{err:?}"
    );
    drop(peer);
}

#[tokio::test(start_paused = true)]
async fn the_upgrade_request_carries_the_path_host_and_offered_subprotocol() {
    let mut router = FakeRouter::websocket(MsgPack);
    let (_session, peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    let head = peer.request_head().unwrap();
    assert!(
        head.starts_with("GET /ws HTTP/1.1\r\nHost: fake-router\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nSec-WebSocket-Protocol: wamp.2.msgpack\r\n"),
        "{head}"
    );
}

#[tokio::test(start_paused = true)]
async fn pings_each_way_are_answered() {
    let mut router = FakeRouter::websocket(Json);
    let config = router
        .config()
        .keepalive(Duration::from_secs(5), Duration::from_secs(5));
    let (session, mut peer) = router.join(&config, JoinOptions::new("realm1")).await;
    peer.send_ping(b"router").await;
    assert_eq!(
        peer.recv_frame().await,
        Some(Frame::Pong(b"router".to_vec()))
    );
    let Some(Frame::Ping(p)) = peer.recv_frame().await else {
        panic!("expected the client's keepalive ping")
    };
    peer.send_pong(&p).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(session.is_joined());
}

#[tokio::test(start_paused = true)]
async fn a_handshake_answered_by_the_test_goes_on_as_a_peer() {
    let mut router = FakeRouter::rawsocket(MsgPack);
    let config = router.config();
    let join =
        tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    let mut raw = router.accept_raw().await;
    assert_eq!(raw.read_exact(4).await.unwrap(), [0x7F, 0xF2, 0, 0]);
    raw.write_bytes(&[0x7F, 0xF2, 0, 0]).await;
    let mut peer = raw.into_peer();
    peer.welcome().await;
    assert_eq!(join.await.unwrap().unwrap().id(), super::SESSION_ID);
}

#[tokio::test(start_paused = true)]
async fn a_websocket_close_from_the_client_is_seen_as_a_close_frame() {
    let mut router = FakeRouter::websocket(Json);
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    let leave = tokio::spawn(async move { session.leave().await });
    let Some(Message::Goodbye { .. }) = peer.recv().await else {
        panic!("expected GOODBYE")
    };
    peer.goodbye().await;
    assert_eq!(peer.recv_frame().await, Some(Frame::Close(Some(1000))));
    peer.send_close(Some(1000)).await;
    assert_eq!(peer.recv_frame().await, None);
    assert!(leave.await.unwrap().is_ok());
}
