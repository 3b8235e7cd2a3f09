//! Routers that get stuck or go silent, scripted on the fake router of `wamp_client::testing`:
//! one that stops reading, one that announces a frame and never finishes it, one that answers
//! nothing after WELCOME, one that never confirms a registration, one that never answers the
//! transport handshake. The client's one I/O task must keep serving its timers and commands,
//! every bound the API documents must hold, and every pending operation must fail when the
//! session is given up. All on paused time: the bounds are checked in virtual time.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use wamp_client::testing::{FakePeer, FakeRouter, Frame, SESSION_ID};
use wamp_client::transport::DEFAULT_WRITE_TIMEOUT;
use wamp_client::{
    CallError, CallOptions, Component, ConnectError, Invocation, JoinError, JoinOptions, Payload,
    PublishOptions, RegisterError, Session, SessionError, SubscribeError, WampError,
};
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::{Json, MsgPack};
use wamp_core::{Dict, Value};

/// Far beyond every bound tested here: a test that reaches it has hung.
const HUNG: Duration = Duration::from_secs(600);

/// Scheduling slack allowed past a deadline, in virtual time.
const SLACK: Duration = Duration::from_millis(50);

async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(HUNG, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// Asserts that `elapsed` is `expected`, give or take the scheduling slack.
fn assert_about(elapsed: Duration, expected: Duration, what: &str) {
    assert!(
        elapsed >= expected.saturating_sub(SLACK) && elapsed <= expected + SLACK,
        "{what}: {elapsed:?}, expected {expected:?}"
    );
}

/// A payload larger than any pipe used here: the client's writes block on it.
fn big_payload() -> Payload {
    Payload::args(&("x".repeat(256 * 1024),)).unwrap()
}

/// A session on a router whose pipe holds 1 KiB, and the peer (which never reads unless the
/// test says so).
async fn joined_over_a_small_pipe() -> (Session, FakePeer) {
    let mut router = FakeRouter::rawsocket(Json).buffer_size(1024);
    router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await
}

/// Fills the pipe to the router with an event the router never reads.
async fn block_the_writes(session: &Session) {
    session
        .publish_with("com.example.big", big_payload(), PublishOptions::default())
        .await
        .expect("a publication is queued at once");
}

#[tokio::test(start_paused = true)]
async fn a_router_that_stops_reading_cannot_stop_call_timeouts_commands_leave_or_closed() {
    let (session, peer) = joined_over_a_small_pipe().await;
    block_the_writes(&session).await;

    // Timers are served: calls with a timeout fail on time, one after the other.
    for timeout in [Duration::from_secs(1), Duration::from_millis(1500)] {
        let started = Instant::now();
        let options = CallOptions::default().timeout(timeout);
        let result = bounded(
            "a call",
            session.call_with("com.example.slow", Payload::new(), options),
        )
        .await;
        assert!(
            matches!(result, Err(CallError::Timeout(d)) if d == timeout),
            "{result:?}"
        );
        assert_about(started.elapsed(), timeout, "call timeout");
    }
    // Commands are served: more publications are taken, a call is sent and can be dropped.
    for i in 0..10 {
        bounded("publish", session.publish("com.example.more", (i,)))
            .await
            .unwrap();
    }
    let dropped = tokio::time::timeout(
        Duration::from_millis(100),
        session.call::<_, ()>("com.example.x", ()),
    )
    .await;
    assert!(dropped.is_err(), "no answer can come: {dropped:?}");
    assert!(session.is_joined());

    // leave() returns within its documented 5 s, though its GOODBYE never gets out.
    let started = Instant::now();
    let left = bounded("leave", session.leave()).await.unwrap();
    assert_eq!(left.reason, "wamp.close.transport_lost");
    assert!(
        started.elapsed() <= Duration::from_secs(5) + SLACK,
        "{:?}",
        started.elapsed()
    );
    // closed() returns, at once now.
    let closed = bounded("closed", session.closed()).await;
    assert_eq!(closed.reason, "wamp.close.transport_lost");
    assert!(started.elapsed() <= Duration::from_secs(5) + SLACK);
    drop(peer);
}

#[tokio::test(start_paused = true)]
async fn a_router_that_takes_no_bytes_for_the_write_timeout_loses_the_session_and_fails_every_pending_operation(
) {
    let (session, mut peer) = joined_over_a_small_pipe().await;
    // Requests that will never be answered: a call, a registration, a subscription, an
    // acknowledged publication. The peer reads them, then stops reading.
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, i64>("com.example.x", ()).await });
    let s = session.clone();
    let register = tokio::spawn(async move {
        let echo = |inv: Invocation| async move { Ok::<_, WampError>(inv.payload) };
        s.register("com.example.echo", echo).await
    });
    let s = session.clone();
    let subscribe = tokio::spawn(async move {
        s.subscribe("com.example.topic", |_: wamp_client::Event| async {})
            .await
    });
    let s = session.clone();
    let acked = tokio::spawn(async move {
        s.publish_with(
            "com.example.acked",
            Payload::new(),
            PublishOptions::acknowledged(),
        )
        .await
    });
    for _ in 0..4 {
        let msg = bounded("recv", peer.recv()).await;
        assert!(
            matches!(
                msg,
                Some(
                    Message::Call { .. }
                        | Message::Register { .. }
                        | Message::Subscribe { .. }
                        | Message::Publish { .. }
                )
            ),
            "{msg:?}"
        );
    }
    // From here the router takes no bytes.
    let started = Instant::now();
    block_the_writes(&session).await;

    let closed = bounded("closed", session.closed()).await;
    assert_about(started.elapsed(), DEFAULT_WRITE_TIMEOUT, "write timeout");
    assert_eq!(closed.reason, "wamp.close.transport_lost");
    assert!(
        closed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("write timeout")),
        "{closed:?}"
    );
    let lost = |e: &SessionError| matches!(e, SessionError::Lost(d) if d.reason == "wamp.close.transport_lost");
    match bounded("call", call).await.unwrap() {
        Err(CallError::Session(e)) if lost(&e) => {}
        other => panic!("{other:?}"),
    }
    match bounded("register", register).await.unwrap() {
        Err(RegisterError::Session(e)) if lost(&e) => {}
        other => panic!("{other:?}"),
    }
    match bounded("subscribe", subscribe).await.unwrap() {
        Err(SubscribeError::Session(e)) if lost(&e) => {}
        other => panic!("{other:?}"),
    }
    let published = bounded("publish", acked).await.unwrap();
    assert!(published.is_err(), "{published:?}");
    // Later operations fail at once.
    let late = session.call::<_, i64>("com.example.x", ()).await;
    assert!(
        matches!(late, Err(CallError::Session(SessionError::Lost(_)))),
        "{late:?}"
    );
    drop(peer);
}

#[tokio::test(start_paused = true)]
async fn stopping_a_component_whose_router_stops_reading_returns_within_the_stop_leave_and_close_bounds(
) {
    let stop_timeout = Duration::from_secs(3);
    let mut router = FakeRouter::rawsocket(Json).buffer_size(1024);
    let comp = Component::builder()
        .transport(router.config())
        .realm("realm1")
        .stop_timeout(stop_timeout)
        .procedure("com.example.forever", |_: Invocation| async {
            // A handler that never answers: the stop waits for it, at most the stop timeout.
            std::future::pending::<Result<Payload, WampError>>().await
        })
        .build()
        .unwrap();
    let handle = comp.start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    assert_eq!(peer.answer_register(7).await, "com.example.forever");
    let session = bounded("ready", handle.ready()).await.unwrap();
    peer.invoke(1, 7, Dict::new(), vec![]).await;
    // The router stops reading, and the client has plenty to write.
    block_the_writes(&session).await;
    tokio::time::sleep(Duration::from_millis(10)).await;

    let started = Instant::now();
    let stopped = bounded("stop", handle.stop()).await;
    assert!(stopped.is_ok(), "{stopped:?}");
    // The stop timeout for the running invocation, 5 s for GOODBYE, 2 s to close.
    let bound = stop_timeout + Duration::from_secs(5) + Duration::from_secs(2);
    assert!(
        started.elapsed() <= bound + SLACK,
        "{:?} > {bound:?}",
        started.elapsed()
    );
    assert!(handle.is_finished());
    assert!(!session.is_joined());
    drop(peer);
}

/// Joins, starts a call, then writes `bytes` (a frame announced and never finished) and
/// goes silent; the session must be lost after the read timeout, failing the call.
async fn a_frame_never_finished_is_given_up(mut router: FakeRouter, bytes: &[u8]) {
    let read_timeout = Duration::from_secs(3);
    let config = router.config().read_timeout(read_timeout);
    let (session, mut peer) = router.join(&config, JoinOptions::new("realm1")).await;
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, i64>("com.example.x", ()).await });
    let Some(Message::Call { .. }) = bounded("recv", peer.recv()).await else {
        panic!("expected CALL")
    };
    peer.write_bytes(bytes).await;
    let started = Instant::now();
    let closed = bounded("closed", session.closed()).await;
    assert_about(started.elapsed(), read_timeout, "read timeout");
    assert_eq!(closed.reason, "wamp.close.transport_lost");
    assert!(
        closed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("read timeout")),
        "{closed:?}"
    );
    match bounded("call", call).await.unwrap() {
        Err(CallError::Session(SessionError::Lost(d))) => {
            assert_eq!(d.reason, "wamp.close.transport_lost")
        }
        other => panic!("{other:?}"),
    }
    drop(peer);
}

#[tokio::test(start_paused = true)]
async fn a_rawsocket_frame_announced_at_16_mib_and_never_finished_loses_the_session_after_the_read_timeout(
) {
    let mut bytes = vec![0, 0xFF, 0xFF, 0xFF]; // a message of 2^24 - 1 octets
    bytes.extend([b'['; 10]); // 10 of them, then silence
    a_frame_never_finished_is_given_up(FakeRouter::rawsocket(Json), &bytes).await;
}

#[tokio::test(start_paused = true)]
async fn a_websocket_frame_announced_at_16_mib_and_never_finished_loses_the_session_after_the_read_timeout(
) {
    let mut bytes = vec![0x82, 127]; // FIN, binary; a 64-bit length
    bytes.extend(((1u64 << 24) - 1).to_be_bytes());
    bytes.extend([0x95; 10]);
    a_frame_never_finished_is_given_up(FakeRouter::websocket(MsgPack), &bytes).await;
}

/// The default keepalive: a probe after 30 s of silence, 10 s for an answer.
const INTERVAL: Duration = Duration::from_secs(30);
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the next message and checks it is the liveness probe: CALL `wamp.session.get` with
/// our session id. Returns its request id.
async fn expect_probe(peer: &mut FakePeer) -> u64 {
    match bounded("recv", peer.recv()).await {
        Some(Message::Call {
            request,
            procedure,
            args,
            ..
        }) => {
            assert_eq!(procedure, "wamp.session.get");
            assert_eq!(args, [Value::from(SESSION_ID)]);
            request
        }
        other => panic!("expected the probe CALL, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_rawsocket_router_is_probed_with_a_call_and_the_session_lost_when_nothing_answers()
{
    let mut router = FakeRouter::rawsocket(Json);
    let joined = Instant::now();
    // The default configuration: liveness is on.
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, i64>("com.example.x", ()).await });
    let Some(Message::Call { .. }) = bounded("recv", peer.recv()).await else {
        panic!("expected CALL")
    };
    expect_probe(&mut peer).await;
    assert_about(joined.elapsed(), INTERVAL, "probe");
    let closed = bounded("closed", session.closed()).await;
    assert_about(joined.elapsed(), INTERVAL + PROBE_TIMEOUT, "loss");
    assert_eq!(closed.reason, "wamp.close.transport_lost");
    assert!(
        closed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("keepalive")),
        "{closed:?}"
    );
    assert!(matches!(
        bounded("call", call).await.unwrap(),
        Err(CallError::Session(SessionError::Lost(_)))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_probe_answered_with_result_or_error_keeps_the_session() {
    let mut router = FakeRouter::rawsocket(Json);
    let joined = Instant::now();
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    // A router with the session meta API answers RESULT...
    let request = expect_probe(&mut peer).await;
    assert_about(joined.elapsed(), INTERVAL, "first probe");
    peer.send(&Message::Result {
        request,
        details: Dict::new(),
        args: vec![Value::Dict(Dict::new())],
        kwargs: Dict::new(),
    })
    .await;
    // ...one without it answers ERROR: alive just as well.
    let request = expect_probe(&mut peer).await;
    assert_about(joined.elapsed(), 2 * INTERVAL, "second probe");
    peer.send(&Message::Error {
        request_type: RequestType::Call,
        request,
        details: Dict::new(),
        error: "wamp.error.no_such_procedure".into(),
        args: vec![],
        kwargs: Dict::new(),
    })
    .await;
    expect_probe(&mut peer).await;
    assert_about(joined.elapsed(), 3 * INTERVAL, "third probe");
    assert!(session.is_joined(), "{:?}", session.close_details());
}

#[tokio::test(start_paused = true)]
async fn a_websocket_router_is_probed_with_pings_and_kept_by_its_pongs_until_it_stops_answering() {
    let mut router = FakeRouter::websocket(Json);
    let joined = Instant::now();
    let (session, mut peer) = router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await;
    let Some(Frame::Ping(payload)) = bounded("ping", peer.recv_frame()).await else {
        panic!("expected a ping")
    };
    assert_about(joined.elapsed(), INTERVAL, "first ping");
    peer.send_pong(&payload).await;
    // The pong kept the session; the next ping goes unanswered.
    let Some(Frame::Ping(_)) = bounded("ping", peer.recv_frame()).await else {
        panic!("expected a second ping")
    };
    assert_about(joined.elapsed(), 2 * INTERVAL, "second ping");
    assert!(session.is_joined());
    let closed = bounded("closed", session.closed()).await;
    assert_about(joined.elapsed(), 2 * INTERVAL + PROBE_TIMEOUT, "loss");
    assert_eq!(closed.reason, "wamp.close.transport_lost");
}

#[tokio::test(start_paused = true)]
async fn a_router_that_never_confirms_a_registration_makes_a_retried_session_after_the_setup_timeout(
) {
    let setup_timeout = Duration::from_secs(2);
    let mut router = FakeRouter::rawsocket(Json);
    let comp = Component::builder()
        .transport(router.config())
        .realm("realm1")
        .setup_timeout(setup_timeout)
        .procedure("com.example.echo", |inv: Invocation| async move {
            Ok::<_, WampError>(inv.payload)
        })
        .build()
        .unwrap();
    let handle = comp.start();
    let mut first = bounded("accept", router.accept()).await;
    first.welcome().await;
    let Some(Message::Register { .. }) = bounded("recv", first.recv()).await else {
        panic!("expected REGISTER")
    };
    let started = Instant::now();
    // Never answered: the component gives the session up after the setup timeout...
    let Some(Message::Goodbye { .. }) = bounded("recv", first.recv()).await else {
        panic!("expected GOODBYE")
    };
    assert_about(started.elapsed(), setup_timeout, "setup timeout");
    assert!(!handle.is_ready());
    first.goodbye().await;
    // ...and tries again on a new connection, which this time is confirmed.
    let mut second = bounded("accept", router.accept()).await;
    second.welcome().await;
    assert_eq!(second.answer_register(9).await, "com.example.echo");
    bounded("ready", handle.ready()).await.unwrap();
    bounded("stop", async {
        let stop = handle.stop();
        let router = async {
            if let Some(Message::Goodbye { .. }) = second.recv().await {
                second.goodbye().await;
            }
        };
        tokio::join!(stop, router).0
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_router_that_never_reads_the_hello_times_out_the_join() {
    let mut router = FakeRouter::rawsocket(Json).buffer_size(16);
    let config = router.config();
    let join_timeout = Duration::from_secs(3);
    let started = Instant::now();
    let join = tokio::spawn(async move {
        Session::join(&config, JoinOptions::new("realm1").timeout(join_timeout)).await
    });
    let peer = bounded("accept", router.accept()).await;
    let err = bounded("join", join).await.unwrap().unwrap_err();
    assert!(matches!(err, JoinError::Timeout(_)), "{err:?}");
    assert_about(started.elapsed(), join_timeout, "join timeout");
    drop(peer);
}

#[tokio::test(start_paused = true)]
async fn a_router_that_never_answers_the_transport_handshake_times_out_the_connect() {
    for mut router in [FakeRouter::rawsocket(Json), FakeRouter::websocket(Json)] {
        let connect_timeout = Duration::from_secs(4);
        let config = router.config().connect_timeout(connect_timeout);
        let started = Instant::now();
        let join =
            tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
        // The client's handshake is read, and never answered.
        let mut raw = bounded("accept", router.accept_raw()).await;
        assert!(raw.read_exact(4).await.is_some());
        let err = bounded("join", join).await.unwrap().unwrap_err();
        assert!(
            matches!(err, JoinError::Connect(ConnectError::Timeout)),
            "{err:?}"
        );
        assert_about(started.elapsed(), connect_timeout, "connect timeout");
    }
}

/// A HELLO larger than the router's RawSocket limit cannot be sent: the join fails at once
/// saying so, rather than waiting out its whole timeout for a WELCOME that cannot come.
#[tokio::test(start_paused = true)]
async fn a_hello_larger_than_the_routers_limit_fails_the_join_at_once() {
    // 512 octets: less than the HELLO with the default roles.
    let mut router = FakeRouter::rawsocket(Json).length_exponent(0);
    let config = router.config();
    let started = Instant::now();
    let join =
        tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    let peer = bounded("accept", router.accept()).await;
    let err = bounded("join", join).await.unwrap().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the join failed only after {:?}: {err:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            JoinError::Session(wamp_client::SessionError::PayloadTooLarge { .. })
        ),
        "{err:?}"
    );
    drop(peer);
}

/// A handler sending progressive results while the router takes no bytes: the session must
/// push back (refuse them: `send` returns false once it cannot keep up) rather than queue
/// them all in memory until the write timeout. 20,000 results of 1 KiB are 20 MiB.
#[tokio::test(start_paused = true)]
async fn progressive_results_for_a_router_that_stops_reading_are_refused_not_queued_without_bound()
{
    let (session, mut peer) = joined_over_a_small_pipe().await;
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel();
    let handler = move |inv: Invocation| {
        let sent_tx = sent_tx.clone();
        async move {
            let chunk = "p".repeat(1024);
            let mut accepted = 0usize;
            for _ in 0..20_000 {
                if inv.progress().send((chunk.as_str(),)) {
                    accepted += 1;
                }
                tokio::task::yield_now().await;
            }
            let _ = sent_tx.send(accepted);
            Ok::<_, WampError>(Payload::new())
        }
    };
    let s = session.clone();
    let register = tokio::spawn(async move { s.register("com.example.stream", handler).await });
    peer.answer_register(4).await;
    bounded("register", register).await.unwrap().unwrap();
    let mut details = Dict::new();
    details.insert("receive_progress".into(), Value::Bool(true));
    // The invocation arrives, then the router stops reading.
    peer.invoke(1, 4, details, vec![]).await;
    let accepted = bounded("handler", sent_rx.recv()).await.unwrap();
    // Everything accepted is held by the client: at most the write high-water mark (1 MiB)
    // and the answers' queue (4,096) should be.
    assert!(
        accepted < 20_000,
        "all {accepted} progressive results (20 MiB) were taken for a router that reads nothing"
    );
    drop(peer);
}

#[tokio::test(start_paused = true)]
async fn stopping_a_component_whose_websocket_router_never_answers_the_close_returns_within_the_close_bound(
) {
    let mut router = FakeRouter::websocket(Json);
    let comp = Component::builder()
        .transport(router.config())
        .realm("realm1")
        .build()
        .unwrap();
    let handle = comp.start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    bounded("ready", handle.ready()).await.unwrap();
    let started = Instant::now();
    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    // GOODBYE is answered; the close frame that follows is read and never answered.
    let Some(Message::Goodbye { .. }) = bounded("recv", peer.recv()).await else {
        panic!("expected GOODBYE")
    };
    peer.goodbye().await;
    assert_eq!(
        bounded("recv", peer.recv_frame()).await,
        Some(Frame::Close(Some(1000)))
    );
    let stopped = bounded("stop", stop).await.unwrap();
    assert!(stopped.is_ok(), "{stopped:?}");
    // The session's task gives the close 2 s.
    assert!(
        started.elapsed() <= Duration::from_secs(2) + SLACK,
        "{:?}",
        started.elapsed()
    );
    drop(peer);
}
