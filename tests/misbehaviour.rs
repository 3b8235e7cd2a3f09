//! A scripted fake router (RawSocket, JSON, over the in-memory pipes of
//! `wamp_client::testing`) that breaks the protocol in the ways a real router or a network
//! can, and checks that the client answers as the spec says: ABORT
//! `wamp.error.protocol_violation`, every pending request resolved, nothing hangs or panics.
//! Every test runs on paused time: no socket, no wall-clock wait.

use std::time::Duration;

use wamp_client::testing::{FakePeer, FakeRouter, Frame};
use wamp_client::{
    CallError, JoinError, JoinOptions, Payload, Session, SessionError, TransportConfig, WampError,
};
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::Json;
use wamp_core::{Dict, Value};

const LIMIT: Duration = Duration::from_secs(10);

/// Reads HELLO for `realm1` and answers WELCOME with empty details.
async fn welcome(peer: &mut FakePeer) {
    let (realm, _) = peer.expect_hello().await;
    assert_eq!(realm, "realm1");
    peer.send_welcome(Dict::new()).await;
}

/// A fake RawSocket router speaking JSON, and a configuration to reach it with a 64 KiB
/// message limit.
fn fake_router() -> (FakeRouter, TransportConfig) {
    let router = FakeRouter::rawsocket(Json);
    let config = router.config().max_message_size(64 * 1024);
    (router, config)
}

async fn join(config: &TransportConfig) -> Session {
    Session::join(config, JoinOptions::new("realm1"))
        .await
        .expect("join the fake router")
}

/// The session ends with a protocol violation, and the router got ABORT saying so.
async fn assert_ended_by_violation(
    session: &Session,
    router: tokio::task::JoinHandle<Option<String>>,
) {
    let closed = tokio::time::timeout(LIMIT, session.closed()).await.unwrap();
    assert_eq!(closed.reason, "wamp.error.protocol_violation");
    let reason = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
    assert_eq!(reason.as_deref(), Some("wamp.error.protocol_violation"));
}

#[tokio::test(start_paused = true)]
async fn a_reply_to_an_unknown_request_aborts_with_protocol_violation() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        peer.send(&Message::Result {
            request: 999,
            details: Dict::new(),
            args: vec![],
            kwargs: Dict::new(),
        })
        .await;
        peer.abort_reason().await
    });
    let session = join(&config).await;
    assert_ended_by_violation(&session, router).await;
}

#[tokio::test(start_paused = true)]
async fn a_welcome_after_joining_aborts_and_fails_the_pending_call() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        let Some(Message::Call { .. }) = peer.recv().await else {
            panic!("expected CALL")
        };
        peer.send(&Message::Welcome {
            session: 5,
            details: Dict::new(),
        })
        .await;
        peer.abort_reason().await
    });
    let session = join(&config).await;
    let result = tokio::time::timeout(LIMIT, session.call::<_, i64>("com.example.x", ()))
        .await
        .unwrap();
    match result {
        Err(CallError::Session(e)) => assert!(e.is_protocol_violation(), "{e}"),
        other => panic!("expected a protocol violation, got {other:?}"),
    }
    let reason = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
    assert_eq!(reason.as_deref(), Some("wamp.error.protocol_violation"));
}

#[tokio::test(start_paused = true)]
async fn all_100_pending_calls_fail_when_the_socket_drops() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        let mut calls = 0;
        while calls < 100 {
            match peer.recv().await {
                Some(Message::Call { .. }) => calls += 1,
                other => panic!("expected CALL, got {other:?}"),
            }
        }
        drop(peer); // the socket goes away with 100 calls unanswered
        calls
    });
    let session = join(&config).await;
    let calls = (0..100).map(|i| {
        let s = session.clone();
        tokio::spawn(async move { s.call::<_, i64>("com.example.slow", (i,)).await })
    });
    let calls: Vec<_> = calls.collect();
    assert_eq!(
        tokio::time::timeout(LIMIT, router).await.unwrap().unwrap(),
        100
    );
    for call in calls {
        let result = tokio::time::timeout(LIMIT, call).await.unwrap().unwrap();
        match result {
            Err(CallError::Session(SessionError::Lost(d))) => {
                assert_eq!(d.reason, "wamp.close.transport_lost")
            }
            other => panic!("expected session lost, got {other:?}"),
        }
    }
    // Later operations fail at once too.
    let late = session.call::<_, i64>("com.example.slow", ()).await;
    assert!(matches!(
        late,
        Err(CallError::Session(SessionError::Lost(_)))
    ));
}

#[tokio::test(start_paused = true)]
async fn an_oversized_frame_aborts_the_session_and_fails_pending_calls() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        let Some(Message::Call { request, .. }) = peer.recv().await else {
            panic!("expected CALL")
        };
        // A RESULT far above the client's 64 KiB limit.
        let big = Message::Result {
            request,
            details: Dict::new(),
            args: vec![Value::from("x".repeat(200 * 1024))],
            kwargs: Dict::new(),
        };
        peer.send(&big).await;
        peer.abort_reason().await
    });
    let session = join(&config).await;
    let result = tokio::time::timeout(LIMIT, session.call::<_, String>("com.example.big", ()))
        .await
        .unwrap();
    assert!(
        matches!(&result, Err(CallError::Session(SessionError::Lost(_)))),
        "{result:?}"
    );
    let reason = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
    assert_eq!(reason.as_deref(), Some("wamp.error.protocol_violation"));
}

#[tokio::test(start_paused = true)]
async fn an_oversized_outgoing_message_fails_only_that_call() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        // The big call never reaches the router; the small one does.
        let Some(Message::Call { request, args, .. }) = peer.recv().await else {
            panic!("expected CALL")
        };
        assert_eq!(args, vec![Value::Int(1)]);
        peer.send(&Message::Result {
            request,
            details: Dict::new(),
            args: vec![Value::Int(2)],
            kwargs: Dict::new(),
        })
        .await;
        let _ = peer.recv().await;
    });
    let session = join(&config).await;
    let big = session
        .call::<_, ()>("com.example.big", ("x".repeat(100 * 1024),))
        .await;
    assert!(
        matches!(
            big,
            Err(CallError::Session(SessionError::PayloadTooLarge { .. }))
        ),
        "{big:?}"
    );
    let small: i64 = tokio::time::timeout(LIMIT, session.call("com.example.small", (1,)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(small, 2);
    drop(session);
    tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn garbage_from_the_router_aborts_with_protocol_violation() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        peer.send_raw(b"[36, \"not an id\"").await;
        peer.abort_reason().await
    });
    let session = join(&config).await;
    assert_ended_by_violation(&session, router).await;
}

#[tokio::test(start_paused = true)]
async fn an_abort_instead_of_welcome_refuses_the_join() {
    let (mut router, config) = fake_router();
    tokio::spawn(async move {
        let mut peer = router.accept().await;
        let _hello = peer.recv().await;
        let mut details = Dict::new();
        details.insert("message".into(), "no such realm".into());
        peer.send(&Message::Abort {
            details,
            reason: "wamp.error.no_such_realm".into(),
        })
        .await;
        let _ = peer.recv().await;
    });
    let err = Session::join(&config, JoinOptions::new("realm1"))
        .await
        .unwrap_err();
    match err {
        JoinError::Refused(d) => {
            assert_eq!(d.reason, "wamp.error.no_such_realm");
            assert_eq!(d.message.as_deref(), Some("no such realm"));
        }
        other => panic!("expected refused, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_router_that_never_welcomes_times_out_the_join() {
    let (mut router, config) = fake_router();
    tokio::spawn(async move {
        let mut peer = router.accept().await;
        let _hello = peer.recv().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let err = Session::join(
        &config,
        JoinOptions::new("realm1").timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, JoinError::Timeout(_)), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_procedure_answers_runtime_error_and_the_session_keeps_serving() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        let Some(Message::Register { request, .. }) = peer.recv().await else {
            panic!("expected REGISTER")
        };
        peer.send(&Message::Registered {
            request,
            registration: 42,
        })
        .await;
        let mut answers = Vec::new();
        for (req, arg) in [(1, 0), (2, 5)] {
            peer.send(&Message::Invocation {
                request: req,
                registration: 42,
                details: Dict::new(),
                args: vec![Value::Int(arg)],
                kwargs: Dict::new(),
            })
            .await;
            answers.push(peer.recv().await);
        }
        answers
    });
    let session = join(&config).await;
    session
        .register(
            "com.example.div",
            |inv: wamp_client::Invocation| async move {
                let d: i64 = inv.payload.arg(0).unwrap();
                if d == 0 {
                    panic!("division by zero");
                }
                Ok::<_, WampError>(Payload::args(&(10 / d,)).unwrap())
            },
        )
        .await
        .unwrap();
    let answers = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
    match &answers[0] {
        Some(Message::Error {
            request_type: RequestType::Invocation,
            request: 1,
            error,
            args,
            ..
        }) => {
            assert_eq!(error, "wamp.error.runtime_error");
            assert_eq!(args, &vec![Value::String("division by zero".into())]);
        }
        other => panic!("expected ERROR runtime_error, got {other:?}"),
    }
    assert!(
        matches!(&answers[1], Some(Message::Yield { request: 2, args, .. }) if args == &vec![Value::Int(2)]),
        "{:?}",
        answers[1]
    );
}

#[tokio::test(start_paused = true)]
async fn leave_without_a_goodbye_reply_still_returns() {
    let (mut router, config) = fake_router();
    tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        // Read and ignore everything, never answer GOODBYE.
        while peer.recv().await.is_some() {}
    });
    let session = join(&config).await;
    let left = tokio::time::timeout(LIMIT, session.leave()).await.unwrap();
    let details = left.expect("leave resolves");
    assert_eq!(details.reason, "wamp.close.transport_lost");
}

#[tokio::test(start_paused = true)]
async fn dropping_every_handle_leaves_the_session() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        let goodbye = peer.recv().await;
        // Answer after a while: the client must wait for it without spinning.
        tokio::time::sleep(Duration::from_millis(200)).await;
        peer.send(&Message::Goodbye {
            details: Dict::new(),
            reason: "wamp.close.goodbye_and_out".into(),
        })
        .await;
        // The client closes the transport once the session is over.
        let after = peer.recv().await;
        (goodbye, after)
    });
    let session = join(&config).await;
    drop(session);
    let (goodbye, after) = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
    assert!(
        matches!(&goodbye, Some(Message::Goodbye { reason, .. }) if reason == "wamp.close.normal"),
        "{goodbye:?}"
    );
    assert!(after.is_none(), "{after:?}");
}

#[tokio::test(start_paused = true)]
async fn a_rawsocket_ping_is_answered_with_a_pong_echoing_it() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        // PING: frame type 1, payload "are you there".
        peer.send_ping(b"are you there").await;
        // The peer stays open (returned) while the session is checked.
        (peer.recv_frame().await, peer)
    });
    let session = join(&config).await;
    let (pong, _peer) = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
    // PONG frame type, echoing the payload.
    assert_eq!(pong, Some(Frame::Pong(b"are you there".to_vec())));
    assert!(session.is_joined());
}

#[tokio::test(start_paused = true)]
async fn events_beyond_the_queue_capacity_are_dropped_and_counted() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        welcome(&mut peer).await;
        let Some(Message::Subscribe { request, .. }) = peer.recv().await else {
            panic!("expected SUBSCRIBE")
        };
        peer.send(&Message::Subscribed {
            request,
            subscription: 7,
        })
        .await;
        for i in 0..100 {
            peer.send(&Message::Event {
                subscription: 7,
                publication: i + 1,
                details: Dict::new(),
                args: vec![Value::Int(i as i64)],
                kwargs: Dict::new(),
            })
            .await;
        }
        // Then an answer to a call, so the client can tell all events were handled.
        let Some(Message::Call { request, .. }) = peer.recv().await else {
            panic!("expected CALL")
        };
        peer.send(&Message::Result {
            request,
            details: Dict::new(),
            args: vec![],
            kwargs: Dict::new(),
        })
        .await;
        let _ = peer.recv().await;
    });
    let session = join(&config).await;
    let mut events = session
        .subscribe_stream(
            "com.example.fast",
            wamp_client::SubscribeOptions::default().queue_capacity(10),
        )
        .await
        .unwrap();
    // Nobody reads the stream while the events arrive.
    let () = tokio::time::timeout(LIMIT, session.call("com.example.sync", ()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(events.pending(), 10);
    assert_eq!(events.dropped(), 90);
    // The ones kept are the first ten, in order.
    for i in 0..10 {
        let e = events.next().await.unwrap();
        assert_eq!(e.payload.args, vec![Value::Int(i)]);
    }
    drop(events);
    drop(session);
    tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
}

/// A component authenticating with `auth` against the fake router: one attempt, then its
/// failure.
async fn auth_failure_against(
    config: TransportConfig,
    auth: wamp_client::Authentication,
) -> (String, String, Option<String>) {
    let comp = wamp_client::Component::builder()
        .transport(config)
        .realm("realm1")
        .authentication(auth)
        .build()
        .unwrap();
    let handle = comp.start();
    let e = tokio::time::timeout(LIMIT, handle.wait())
        .await
        .expect("the component gives up in time")
        .expect_err("the join must fail");
    let wamp_client::ComponentError::Exhausted { transports, .. } = &e else {
        panic!("{e}")
    };
    assert!(transports[0].fatal && transports[0].attempts == 1, "{e}");
    match transports[0].last_failure.as_deref() {
        Some(wamp_client::Failure::Join(JoinError::Authentication {
            method,
            reason,
            message,
        })) => (method.clone(), reason.clone(), message.clone()),
        other => panic!("expected an authentication failure, got {other:?}"),
    }
}

/// The client's SCRAM nonce in a HELLO's `authextra`.
fn scram_nonce(hello_details: &Dict) -> Option<String> {
    let authextra = hello_details.get("authextra")?.as_dict()?;
    authextra.get("nonce")?.as_str().map(str::to_owned)
}

fn dict(entries: &[(&str, Value)]) -> Dict {
    let mut d = Dict::new();
    for (k, v) in entries {
        d.insert((*k).into(), v.clone());
    }
    d
}

#[tokio::test(start_paused = true)]
async fn a_challenge_for_a_method_not_offered_is_refused_with_abort() {
    let (mut router, config) = fake_router();
    let router = tokio::spawn(async move {
        let mut peer = router.accept().await;
        let _hello = peer.recv().await;
        peer.send(&Message::Challenge {
            method: "wampcra".into(),
            extra: dict(&[("challenge", Value::from("{}"))]),
        })
        .await;
        peer.abort_reason().await
    });
    let auth = wamp_client::Authentication::new()
        .authid("joe")
        .method(wamp_client::AuthMethod::ticket("t"));
    let (method, reason, message) = auth_failure_against(config, auth).await;
    assert_eq!(method, "wampcra");
    assert_eq!(reason, "wamp.error.cannot_authenticate");
    let message = message.unwrap_or_default();
    assert!(
        message.contains("did not offer") && message.contains("ticket"),
        "{message}"
    );
    let sent = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
    assert_eq!(sent.as_deref(), Some("wamp.error.cannot_authenticate"));
}

/// Challenges a router may send that cannot be answered (or would make the client work for
/// hours): each is refused with ABORT and a typed error, never a panic or a hang.
#[tokio::test(start_paused = true)]
async fn malformed_or_costly_challenges_are_refused() {
    let cases: Vec<(wamp_client::AuthMethod, &str, Dict, &str)> = vec![
        (
            wamp_client::AuthMethod::wampcra("s"),
            "wampcra",
            dict(&[("challenge", Value::from(1))]),
            "challenge",
        ),
        (
            wamp_client::AuthMethod::wampcra("s"),
            "wampcra",
            dict(&[
                ("challenge", Value::from("{}")),
                ("salt", Value::from("salt")),
                ("iterations", Value::from(2_000_000_000u64)),
            ]),
            "iterations",
        ),
        (
            wamp_client::AuthMethod::cryptosign(wamp_client::CryptosignKey::hex("11".repeat(32))),
            "cryptosign",
            dict(&[("challenge", Value::from("not hex"))]),
            "challenge",
        ),
        (
            wamp_client::AuthMethod::scram("pw"),
            "scram",
            dict(&[
                ("nonce", Value::from("someone-elses-nonce")),
                ("salt", Value::from("c2FsdA==")),
                ("kdf", Value::from("pbkdf2")),
                ("iterations", Value::from(1000)),
            ]),
            "nonce",
        ),
        (
            wamp_client::AuthMethod::scram("pw"),
            "scram",
            dict(&[
                ("salt", Value::from("c2FsdA==")),
                ("kdf", Value::from("md5")),
                ("iterations", Value::from(1000)),
            ]),
            "md5",
        ),
    ];
    for (auth_method, method, extra, field) in cases {
        let (mut router, config) = fake_router();
        let challenge_method = method.to_owned();
        let router = tokio::spawn(async move {
            let mut peer = router.accept().await;
            let hello = peer.recv().await;
            // A SCRAM challenge echoes the client's nonce unless the case replaces it.
            let mut extra = extra;
            if let Some(Message::Hello { details, .. }) = &hello {
                if let (Some(nonce), false) = (scram_nonce(details), extra.contains_key("nonce")) {
                    extra.insert("nonce".into(), Value::from(format!("{nonce}router")));
                }
            }
            peer.send(&Message::Challenge {
                method: challenge_method.as_str().into(),
                extra,
            })
            .await;
            peer.abort_reason().await
        });
        let auth = wamp_client::Authentication::new()
            .authid("joe")
            .method(auth_method);
        let (got_method, reason, message) = auth_failure_against(config, auth).await;
        let message = message.unwrap_or_default();
        assert_eq!(got_method, method, "{message}");
        assert_eq!(reason, "wamp.error.cannot_authenticate", "{message}");
        assert!(message.contains(field), "{method}: {message}");
        let sent = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
        assert_eq!(sent.as_deref(), Some("wamp.error.cannot_authenticate"));
    }
}

/// A WELCOME after a SCRAM exchange must carry the router's proof that it knows the
/// password; without it (or with a wrong one) the client leaves and the join fails.
#[tokio::test(start_paused = true)]
async fn a_scram_welcome_without_a_valid_server_signature_is_refused() {
    for signature in [None, Some("AAAA")] {
        let (mut router, config) = fake_router();
        let router = tokio::spawn(async move {
            let mut peer = router.accept().await;
            let Some(Message::Hello { details, .. }) = peer.recv().await else {
                panic!("expected HELLO")
            };
            let nonce = scram_nonce(&details).expect("a SCRAM nonce in HELLO");
            peer.send(&Message::Challenge {
                method: "scram".into(),
                extra: dict(&[
                    ("nonce", Value::from(format!("{nonce}router"))),
                    ("salt", Value::from("c2FsdHNhbHRzYWx0c2FsdA==")),
                    ("kdf", Value::from("pbkdf2")),
                    ("iterations", Value::from(1000)),
                    ("memory", Value::from(0)),
                ]),
            })
            .await;
            let Some(Message::Authenticate { .. }) = peer.recv().await else {
                panic!("expected AUTHENTICATE")
            };
            let mut authextra = Dict::new();
            if let Some(s) = signature {
                authextra.insert("scram_server_signature".into(), Value::from(s));
            }
            peer.send(&Message::Welcome {
                session: 1,
                details: dict(&[
                    ("authid", Value::from("joe")),
                    ("authrole", Value::from("user")),
                    ("authmethod", Value::from("scram")),
                    ("authextra", Value::from(authextra)),
                ]),
            })
            .await;
            // The client leaves at once.
            loop {
                match peer.recv().await {
                    Some(Message::Goodbye { reason, .. }) => {
                        peer.send(&Message::Goodbye {
                            details: Dict::new(),
                            reason: "wamp.close.goodbye_and_out".into(),
                        })
                        .await;
                        return Some(reason.into_string());
                    }
                    Some(_) => continue,
                    None => return None,
                }
            }
        });
        let auth = wamp_client::Authentication::new()
            .authid("joe")
            .method(wamp_client::AuthMethod::scram("pw"));
        let (method, _, message) = auth_failure_against(config, auth).await;
        assert_eq!(method, "scram");
        assert!(
            message.as_deref().unwrap_or("").contains("signature"),
            "{message:?}"
        );
        let goodbye = tokio::time::timeout(LIMIT, router).await.unwrap().unwrap();
        assert!(goodbye.is_some(), "the client should say GOODBYE");
    }
}
