//! Calls and invocations that must not wait forever, scripted on the fake router of
//! `wamp_client::testing`: what HELLO announces, a call's timeout enforced by the client with
//! CANCEL sent, a dropped call canceled, explicit cancel modes, a router that cannot cancel,
//! a router's late answers to canceled calls, INTERRUPT and an invocation's own timeout
//! aborting the handler. All on paused time.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use wamp_client::testing::{role_features, router_details_with, FakePeer, FakeRouter};
use wamp_client::{
    CallError, CallOptions, CancelMode, Invocation, JoinOptions, Payload, Session, WampError,
};
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::{Cbor, Json};
use wamp_core::{Dict, Id, Value};

const HUNG: Duration = Duration::from_secs(600);
const SLACK: Duration = Duration::from_millis(50);

async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(HUNG, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

async fn joined() -> (Session, FakePeer) {
    let mut router = FakeRouter::rawsocket(Json);
    router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await
}

/// Reads the next message: it must be CALL; returns its request id and options.
async fn expect_call(peer: &mut FakePeer, procedure: &str) -> (Id, Dict) {
    match bounded("recv", peer.recv()).await {
        Some(Message::Call {
            request,
            options,
            procedure: p,
            ..
        }) => {
            assert_eq!(p, procedure);
            (request, options)
        }
        other => panic!("expected CALL {procedure}, got {other:?}"),
    }
}

/// Reads the next message: it must be CANCEL of `request`; returns its mode.
async fn expect_cancel(peer: &mut FakePeer, request: Id) -> String {
    match bounded("recv", peer.recv()).await {
        Some(Message::Cancel {
            request: r,
            options,
        }) => {
            assert_eq!(r, request);
            options
                .get("mode")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        }
        other => panic!("expected CANCEL of {request}, got {other:?}"),
    }
}

fn error_canceled(request: Id) -> Message {
    Message::Error {
        request_type: RequestType::Call,
        request,
        details: Dict::new(),
        error: "wamp.error.canceled".into(),
        args: vec![],
        kwargs: Dict::new(),
    }
}

fn result(request: Id, value: i64) -> Message {
    Message::Result {
        request,
        details: Dict::new(),
        args: vec![Value::Int(value)],
        kwargs: Dict::new(),
    }
}

#[tokio::test(start_paused = true)]
async fn hello_announces_canceling_timeouts_progressive_results_and_caller_identification_for_caller_and_callee(
) {
    for mut router in [FakeRouter::rawsocket(Json), FakeRouter::websocket(Cbor)] {
        let config = router.config();
        let join =
            tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
        let hello = bounded("accept", router.accept()).await.welcome().await;
        for role in ["caller", "callee"] {
            let features = role_features(&hello, role);
            for f in [
                "call_canceling",
                "call_timeout",
                "progressive_call_results",
                "caller_identification",
            ] {
                assert!(
                    features.iter().any(|x| x == f),
                    "{role} lacks {f}: {features:?}"
                );
            }
        }
        bounded("join", join).await.unwrap().unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_past_its_timeout_fails_with_timeout_and_the_router_receives_cancel_killnowait() {
    let (session, mut peer) = joined().await;
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let s = session.clone();
    let call = tokio::spawn(async move {
        s.call_with(
            "com.example.slow",
            Payload::new(),
            CallOptions::default().timeout(timeout),
        )
        .await
    });
    let (request, options) = expect_call(&mut peer, "com.example.slow").await;
    // The option still goes to the router, in milliseconds.
    assert_eq!(options.get("timeout").and_then(Value::as_u64), Some(2000));
    // The router never answers.
    let result = bounded("call", call).await.unwrap();
    assert!(
        matches!(result, Err(CallError::Timeout(d)) if d == timeout),
        "{result:?}"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= timeout && elapsed <= timeout + SLACK,
        "{elapsed:?}"
    );
    assert_eq!(expect_cancel(&mut peer, request).await, "killnowait");
    assert!(session.is_joined());
}

#[tokio::test(start_paused = true)]
async fn a_dropped_call_sends_cancel_with_killnowait_or_the_mode_its_options_name() {
    let (session, mut peer) = joined().await;
    for (options, mode) in [
        (CallOptions::default(), "killnowait"),
        (CallOptions::default().cancel_mode(CancelMode::Skip), "skip"),
        (CallOptions::default().cancel_mode(CancelMode::Kill), "kill"),
    ] {
        let s = session.clone();
        let call = tokio::spawn(async move {
            s.call_with("com.example.slow", Payload::new(), options)
                .await
        });
        let (request, _) = expect_call(&mut peer, "com.example.slow").await;
        call.abort();
        assert!(call.await.unwrap_err().is_cancelled());
        assert_eq!(expect_cancel(&mut peer, request).await, mode);
    }
    assert!(session.is_joined());
}

#[tokio::test(start_paused = true)]
async fn explicit_cancels_send_cancel_with_their_mode_and_end_the_call_as_the_mode_says() {
    let (session, mut peer) = joined().await;
    for mode in [CancelMode::Skip, CancelMode::Kill, CancelMode::KillNoWait] {
        let call = session.call_with("com.example.slow", Payload::new(), CallOptions::default());
        let canceler = call.canceler();
        let call = tokio::spawn(call);
        let (request, _) = expect_call(&mut peer, "com.example.slow").await;
        canceler.cancel(mode);
        assert_eq!(expect_cancel(&mut peer, request).await, mode.as_str());
        if mode == CancelMode::Kill {
            // `kill` waits for the callee's answer, which the router passes on.
            tokio::task::yield_now().await;
            assert!(!call.is_finished());
            peer.send(&error_canceled(request)).await;
            match bounded("call", call).await.unwrap() {
                Err(CallError::Application(e)) => assert_eq!(e.uri, "wamp.error.canceled"),
                other => panic!("{other:?}"),
            }
        } else {
            // `skip` and `killnowait` fail the call at once; the router's answer is dropped.
            let result = bounded("call", call).await.unwrap();
            assert!(
                matches!(result, Err(CallError::Canceled)),
                "{mode:?}: {result:?}"
            );
            peer.send(&error_canceled(request)).await;
        }
    }
    // Nothing broke: a call is answered.
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, i64>("com.example.add", (1, 2)).await });
    let (request, _) = expect_call(&mut peer, "com.example.add").await;
    peer.send(&result(request, 3)).await;
    assert_eq!(bounded("call", call).await.unwrap().unwrap(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_router_whose_welcome_lacks_call_canceling_gets_no_cancel() {
    let mut router = FakeRouter::rawsocket(Json);
    let config = router.config();
    let join =
        tokio::spawn(async move { Session::join(&config, JoinOptions::new("realm1")).await });
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome_with(router_details_with(&["progressive_call_results"]))
        .await;
    let session = bounded("join", join).await.unwrap().unwrap();

    // A timeout: the call fails on time.
    let options = CallOptions::default().timeout(Duration::from_secs(1));
    let s = session.clone();
    let timed = tokio::spawn(async move {
        s.call_with("com.example.timed", Payload::new(), options)
            .await
    });
    expect_call(&mut peer, "com.example.timed").await;
    assert!(matches!(
        bounded("call", timed).await.unwrap(),
        Err(CallError::Timeout(_))
    ));
    // A dropped call.
    let s = session.clone();
    let dropped = tokio::spawn(async move { s.call::<_, ()>("com.example.dropped", ()).await });
    expect_call(&mut peer, "com.example.dropped").await;
    dropped.abort();
    let _ = dropped.await;
    // An explicit cancel, even `kill`, gives the call up at once.
    let call = session.call_with("com.example.killed", Payload::new(), CallOptions::default());
    let canceler = call.canceler();
    let killed = tokio::spawn(call);
    expect_call(&mut peer, "com.example.killed").await;
    canceler.cancel(CancelMode::Kill);
    assert!(matches!(
        bounded("call", killed).await.unwrap(),
        Err(CallError::Canceled)
    ));
    // The next message the router gets is the next CALL: no CANCEL went out before it.
    let s = session.clone();
    let last = tokio::spawn(async move { s.call::<_, i64>("com.example.last", ()).await });
    let (request, _) = expect_call(&mut peer, "com.example.last").await;
    peer.send(&result(request, 1)).await;
    assert_eq!(bounded("call", last).await.unwrap().unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn late_answers_to_dropped_and_timed_out_calls_do_not_break_the_session() {
    let (session, mut peer) = joined().await;
    // A dropped call, answered ERROR canceled after the CANCEL.
    let s = session.clone();
    let dropped = tokio::spawn(async move { s.call::<_, ()>("com.example.dropped", ()).await });
    let (request, _) = expect_call(&mut peer, "com.example.dropped").await;
    dropped.abort();
    let _ = dropped.await;
    expect_cancel(&mut peer, request).await;
    peer.send(&error_canceled(request)).await;
    // A call past its timeout, whose RESULT crossed the CANCEL on the wire.
    let options = CallOptions::default().timeout(Duration::from_millis(500));
    let s = session.clone();
    let timed = tokio::spawn(async move {
        s.call_with("com.example.timed", Payload::new(), options)
            .await
    });
    let (timed_request, _) = expect_call(&mut peer, "com.example.timed").await;
    assert!(matches!(
        bounded("call", timed).await.unwrap(),
        Err(CallError::Timeout(_))
    ));
    expect_cancel(&mut peer, timed_request).await;
    peer.send(&result(timed_request, 0)).await;
    // The session goes on: no protocol violation.
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, i64>("com.example.add", (2, 2)).await });
    let (request, _) = expect_call(&mut peer, "com.example.add").await;
    peer.send(&result(request, 4)).await;
    assert_eq!(bounded("call", call).await.unwrap().unwrap(), 4);
    assert!(session.is_joined(), "{:?}", session.close_details());
}

/// Tells when it is dropped (the handler holding it was aborted or ended).
struct DropGuard(mpsc::UnboundedSender<Id>, Id);

impl Drop for DropGuard {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

/// Registers `com.example.forever` (registration 5), whose handler tells when it starts and
/// when it is dropped, and never answers.
async fn register_forever(
    session: &Session,
    peer: &mut FakePeer,
) -> (mpsc::UnboundedReceiver<Id>, mpsc::UnboundedReceiver<Id>) {
    let (started_tx, started) = mpsc::unbounded_channel();
    let (dropped_tx, dropped) = mpsc::unbounded_channel();
    let started_tx = Arc::new(started_tx);
    let handler = move |inv: Invocation| {
        let started = started_tx.clone();
        let guard = DropGuard(dropped_tx.clone(), inv.request);
        async move {
            let _guard = guard;
            let _ = started.send(inv.request);
            std::future::pending::<Result<Payload, WampError>>().await
        }
    };
    let s = session.clone();
    let register = tokio::spawn(async move { s.register("com.example.forever", handler).await });
    assert_eq!(peer.answer_register(5).await, "com.example.forever");
    bounded("register", register).await.unwrap().unwrap();
    (started, dropped)
}

/// Reads the next message: it must be ERROR answering invocation `request`; returns its URI.
async fn expect_invocation_error(peer: &mut FakePeer, request: Id) -> String {
    match bounded("recv", peer.recv()).await {
        Some(Message::Error {
            request_type: RequestType::Invocation,
            request: r,
            error,
            ..
        }) => {
            assert_eq!(r, request);
            error.into_string()
        }
        other => panic!("expected ERROR for invocation {request}, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_aborts_the_running_handler_and_answers_canceled() {
    let (session, mut peer) = joined().await;
    let (mut started, mut dropped) = register_forever(&session, &mut peer).await;
    peer.invoke(77, 5, Dict::new(), vec![]).await;
    assert_eq!(bounded("start", started.recv()).await, Some(77));
    let mut options = Dict::new();
    options.insert("mode".into(), Value::from("killnowait"));
    peer.send(&Message::Interrupt {
        request: 77,
        options,
    })
    .await;
    assert_eq!(
        expect_invocation_error(&mut peer, 77).await,
        "wamp.error.canceled"
    );
    // The handler was aborted: its drop guard ran.
    assert_eq!(bounded("drop", dropped.recv()).await, Some(77));
    assert!(session.is_joined());
}

#[tokio::test(start_paused = true)]
async fn an_invocation_with_a_timeout_is_aborted_and_answered_timeout_when_it_passes() {
    let (session, mut peer) = joined().await;
    let (mut started, mut dropped) = register_forever(&session, &mut peer).await;
    let mut details = Dict::new();
    details.insert("timeout".into(), Value::from(1500u64));
    let t0 = Instant::now();
    peer.invoke(78, 5, details, vec![]).await;
    assert_eq!(bounded("start", started.recv()).await, Some(78));
    assert_eq!(
        expect_invocation_error(&mut peer, 78).await,
        "wamp.error.timeout"
    );
    let elapsed = t0.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed <= Duration::from_millis(1500) + SLACK,
        "{elapsed:?}"
    );
    assert_eq!(bounded("drop", dropped.recv()).await, Some(78));
    assert!(session.is_joined());
}
