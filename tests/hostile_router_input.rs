//! A router that chooses its input to hurt the client, scripted on the fake router of
//! `wamp_client::testing`: invocation request ids that collide in an unkeyed hash table, and
//! one message of 16 million tiny MessagePack integers. The client must answer the first in
//! full and refuse the second with ABORT `wamp.error.protocol_violation`, quickly and without
//! decoding it. No timing is asserted (see `examples/id_hashing.rs` for the CPU figures).

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use wamp_client::testing::{colliding_ids, FakeRouter};
use wamp_client::{
    CallError, Event, Invocation, JoinOptions, SessionError, SubscribeOptions, WampError,
};
use wamp_core::message::Message;
use wamp_core::serializer::MsgPack;
use wamp_core::{Dict, Id, Value};

const HUNG: Duration = Duration::from_secs(600);

async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(HUNG, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// How many invocations the router sends before it reads their answers.
const BATCH: usize = 1000;

#[tokio::test(start_paused = true)]
async fn sixty_thousand_invocations_whose_ids_collide_in_an_unkeyed_table_are_all_answered() {
    let ids = colliding_ids(60_000);
    assert_eq!(ids.len(), 60_000, "the colliding ids could not be built");
    let mut router = FakeRouter::rawsocket(MsgPack).buffer_size(1 << 20);
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    let s = session.clone();
    let register = tokio::spawn(async move {
        let echo = |inv: Invocation| async move { Ok::<_, WampError>(inv.payload) };
        s.register("com.example.echo", echo).await
    });
    peer.answer_register(3).await;
    bounded("register", register).await.unwrap().unwrap();

    let mut answered: HashSet<Id> = HashSet::with_capacity(ids.len());
    for batch in ids.chunks(BATCH) {
        for &id in batch {
            peer.invoke(id, 3, Dict::new(), vec![Value::from(id)]).await;
        }
        for _ in batch {
            match bounded("recv", peer.recv()).await {
                Some(Message::Yield { request, args, .. }) => {
                    assert_eq!(args, [Value::from(request)], "the answer of {request}");
                    assert!(answered.insert(request), "{request} answered twice");
                }
                other => panic!("expected YIELD, got {other:?}"),
            }
        }
    }
    assert_eq!(answered, ids.iter().copied().collect::<HashSet<_>>());
    assert!(session.is_joined());
}

/// The largest RawSocket or WebSocket message the client takes by default (2^24 - 1 octets),
/// filled with a MessagePack message whose last element is a list of one-byte integers:
/// `prefix` is the message's fixarray header and fields before the list.
fn tiny_integers(prefix: &[u8]) -> Vec<u8> {
    let total = (1 << 24) - 1;
    let n = total - prefix.len() - 5;
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(prefix);
    bytes.push(0xdd); // array 32
    bytes.extend_from_slice(&u32::try_from(n).unwrap().to_be_bytes());
    bytes.resize(total, 0x01);
    bytes
}

#[tokio::test(start_paused = true)]
async fn a_result_of_16_million_tiny_integers_aborts_with_protocol_violation_and_fails_the_call() {
    let mut router = FakeRouter::rawsocket(MsgPack).buffer_size(1 << 20);
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, Vec<i64>>("com.example.many", ()).await });
    let Some(Message::Call { request, .. }) = bounded("recv", peer.recv()).await else {
        panic!("expected CALL")
    };
    assert!(request < 128, "a positive fixint in the prefix");
    // RESULT: fixarray(4), 50, the request, {} and the list.
    peer.send_raw(&tiny_integers(&[0x94, 50, request as u8, 0x80]))
        .await;
    match bounded("call", call).await.unwrap() {
        Err(CallError::Session(e)) => assert!(e.is_protocol_violation(), "{e}"),
        other => panic!("expected a protocol violation, got {other:?}"),
    }
    let closed = session.closed().await;
    assert_eq!(closed.reason, "wamp.error.protocol_violation");
    let message = closed.message.unwrap_or_default();
    assert!(message.contains("decodes to more than"), "{message}");
    assert_eq!(
        bounded("abort", peer.abort_reason()).await.as_deref(),
        Some("wamp.error.protocol_violation")
    );
}

#[tokio::test(start_paused = true)]
async fn an_event_of_16_million_tiny_integers_over_websocket_aborts_with_protocol_violation() {
    let mut router = FakeRouter::websocket(MsgPack).buffer_size(1 << 20);
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    let s = session.clone();
    let subscribe = tokio::spawn(async move {
        s.subscribe_stream("com.example.topic", SubscribeOptions::default())
            .await
    });
    peer.answer_subscribe(9).await;
    let mut events = bounded("subscribe", subscribe).await.unwrap().unwrap();
    // EVENT: fixarray(5), 36, subscription 9, publication 1, {} and the list.
    peer.send_raw(&tiny_integers(&[0x95, 36, 9, 1, 0x80])).await;
    let closed = bounded("closed", session.closed()).await;
    assert_eq!(closed.reason, "wamp.error.protocol_violation");
    assert!(
        closed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("decodes to more than")),
        "{closed:?}"
    );
    let none: Option<Event> = bounded("events", events.next()).await;
    assert!(none.is_none(), "{none:?}");
    assert_eq!(
        bounded("abort", peer.abort_reason()).await.as_deref(),
        Some("wamp.error.protocol_violation")
    );
    assert!(matches!(
        session.call::<_, ()>("com.example.x", ()).await,
        Err(CallError::Session(SessionError::Lost(_)))
    ));
}
