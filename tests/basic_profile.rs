//! Every Basic Profile operation through a real Crossbar.io and through our router, on every
//! transport (WebSocket, WebSocket over TLS, RawSocket over TCP, over TLS, over a Unix socket)
//! and every serializer (JSON, MessagePack, CBOR). Each test runs against both routers:
//! `crossbar::NAME` and `ours::NAME`.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wamp_client::{
    CallError, CallOptions, Event, Invocation, JoinOptions, Payload, PublishOptions, RegisterError,
    Session, SubscribeOptions, TlsConfig, TransportConfig, WampError,
};
use wamp_core::serializer;
use wamp_core::{Dict, Value};
use wamp_suite::{on_both_routers, Endpoint, TestRouter};

const LIMIT: Duration = Duration::from_secs(20);

fn transport(router: &dyn TestRouter, endpoint: Endpoint, serializer: &str) -> TransportConfig {
    let mut config = TransportConfig::new(&router.url(endpoint))
        .unwrap()
        .serializers(vec![serializer::by_name(serializer).unwrap()]);
    if endpoint.is_tls() {
        let tls = TlsConfig::default()
            .add_ca_pem(router.ca_cert_pem().as_bytes())
            .unwrap()
            .only_custom_roots();
        config = config.tls(tls);
    }
    config
}

async fn join(router: &dyn TestRouter, endpoint: Endpoint, serializer: &str) -> Session {
    let config = transport(router, endpoint, serializer);
    tokio::time::timeout(
        LIMIT,
        Session::join(&config, JoinOptions::new(router.realm())),
    )
    .await
    .expect("join in time")
    .unwrap_or_else(|e| panic!("join over {endpoint} with {serializer}: {e}"))
}

async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f).await.expect("in time")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i64,
    y: f64,
    label: String,
}

fn nested_kwargs() -> Dict {
    let mut inner = Dict::new();
    inner.insert(
        "list".into(),
        Value::List(vec![1.into(), "two".into(), Value::Null]),
    );
    inner.insert("flag".into(), true.into());
    let mut kw = Dict::new();
    kw.insert("nested".into(), Value::Dict(inner));
    kw.insert("bytes".into(), Value::Bytes(vec![0, 1, 2, 254, 255]));
    kw.insert("big".into(), Value::from(u64::MAX));
    kw.insert("neg".into(), Value::Int(i64::MIN));
    kw.insert("pi".into(), Value::Float(3.25));
    kw
}

async fn basic_profile(router: &dyn TestRouter, endpoint: Endpoint, ser: &str) {
    let prefix = format!("com.test.basic.{endpoint}.{ser}");
    let callee = join(router, endpoint, ser).await;
    let caller = join(router, endpoint, ser).await;

    // WELCOME details.
    let details = callee.details();
    assert!(details.session > 0);
    assert_eq!(details.realm, "realm1");
    assert_eq!(details.authrole.as_deref(), Some("anonymous"));
    assert!(details.router_roles.contains_key("dealer"));
    assert!(details.router_roles.contains_key("broker"));
    assert_ne!(callee.id(), caller.id());

    // register: raw, failing, panicking.
    let add2 = callee
        .register(&format!("{prefix}.add2"), |a: i64, b: i64| async move {
            Ok::<_, WampError>(a + b)
        })
        .await
        .unwrap();
    callee
        .register(&format!("{prefix}.echo"), |inv: Invocation| async move {
            Ok::<_, WampError>(inv.payload)
        })
        .await
        .unwrap();
    callee
        .register(&format!("{prefix}.point"), |p: Point| async move {
            Ok::<_, WampError>(Point { x: p.x * 2, ..p })
        })
        .await
        .unwrap();
    callee
        .register(&format!("{prefix}.fail"), |_inv: Invocation| async move {
            let mut kw = Dict::new();
            kw.insert("code".into(), 7.into());
            Err::<Payload, _>(
                WampError::new("com.test.error.failed")
                    .with_args(vec!["first".into(), 2.into()])
                    .with_kwargs(kw),
            )
        })
        .await
        .unwrap();
    callee
        .register(&format!("{prefix}.panic"), |_inv: Invocation| async move {
            if true {
                panic!("boom");
            }
            Ok::<Payload, WampError>(Payload::new())
        })
        .await
        .unwrap();

    // A second registration of the same URI is refused by the dealer.
    let dup = caller
        .register(&format!("{prefix}.add2"), |_inv: Invocation| async move {
            Ok::<_, WampError>(Payload::new())
        })
        .await;
    match dup {
        Err(RegisterError::Application(e)) => {
            assert_eq!(e.uri, "wamp.error.procedure_already_exists")
        }
        other => panic!("expected procedure_already_exists, got {other:?}"),
    }

    // call: typed.
    let sum: i64 = bounded(caller.call(&format!("{prefix}.add2"), (2, 3)))
        .await
        .unwrap();
    assert_eq!(sum, 5);
    let p = Point {
        x: 21,
        y: 0.5,
        label: "p".into(),
    };
    let doubled: Point = bounded(caller.call(&format!("{prefix}.point"), (p.clone(),)))
        .await
        .unwrap();
    assert_eq!(doubled, Point { x: 42, ..p });

    // call: raw args and kwargs, nested and binary values, round trip.
    let args = vec![
        Value::Bytes((0..=255).collect()),
        Value::List(vec![Value::Dict(nested_kwargs())]),
        "text".into(),
    ];
    let payload = Payload::from_parts(args.clone(), nested_kwargs());
    let result = bounded(caller.call_with(
        &format!("{prefix}.echo"),
        payload,
        CallOptions::default().timeout(Duration::from_secs(10)),
    ))
    .await
    .unwrap();
    assert_eq!(result.payload.args, args);
    assert_eq!(result.payload.kwargs, nested_kwargs());

    // Errors carry URI, args and kwargs.
    let err = bounded(caller.call::<_, ()>(&format!("{prefix}.fail"), ()))
        .await
        .unwrap_err();
    let CallError::Application(e) = err else {
        panic!("expected an application error, got {err:?}")
    };
    assert_eq!(e.uri, "com.test.error.failed");
    assert_eq!(e.args, vec![Value::from("first"), Value::Int(2)]);
    assert_eq!(e.kwargs.get("code"), Some(&Value::Int(7)));

    // A panicking procedure answers runtime_error, and the callee keeps serving.
    let err = bounded(caller.call::<_, ()>(&format!("{prefix}.panic"), ()))
        .await
        .unwrap_err();
    assert_eq!(err.uri(), Some("wamp.error.runtime_error"));
    let sum: i64 = bounded(caller.call(&format!("{prefix}.add2"), (40, 2)))
        .await
        .unwrap();
    assert_eq!(sum, 42);

    // Bad arguments for a typed procedure.
    let err = bounded(caller.call::<_, i64>(&format!("{prefix}.add2"), ("x",)))
        .await
        .unwrap_err();
    assert_eq!(err.uri(), Some("wamp.error.invalid_argument"));

    // No such procedure.
    let err = bounded(caller.call::<_, ()>(&format!("{prefix}.nothing"), ()))
        .await
        .unwrap_err();
    assert_eq!(err.uri(), Some("wamp.error.no_such_procedure"));

    // unregister, then the procedure is gone.
    add2.unregister().await.unwrap();
    let err = bounded(caller.call::<_, i64>(&format!("{prefix}.add2"), (1, 1)))
        .await
        .unwrap_err();
    assert_eq!(err.uri(), Some("wamp.error.no_such_procedure"));

    // subscribe: a stream and a callback on the same topic; publish acknowledged and not.
    let topic = format!("{prefix}.topic");
    let mut stream = callee
        .subscribe_stream(&topic, SubscribeOptions::default())
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let callback = callee
        .subscribe(&topic, move |event: Event| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event);
            }
        })
        .await
        .unwrap();
    assert_eq!(callback.id(), stream.subscription().unwrap().id());

    let publication = bounded(caller.publish_with(
        &topic,
        Payload::from_parts(args.clone(), nested_kwargs()),
        PublishOptions::acknowledged(),
    ))
    .await
    .unwrap();
    assert!(publication.is_some());
    bounded(caller.publish(&topic, ("second", 2)))
        .await
        .unwrap();

    for expected in 0..2 {
        let a = bounded(stream.next()).await.unwrap();
        let b = bounded(rx.recv()).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.topic, topic);
        if expected == 0 {
            assert_eq!(Some(a.publication), publication);
            assert_eq!(a.payload.args, args);
            assert_eq!(a.payload.kwargs, nested_kwargs());
        } else {
            let (s, n): (String, i64) = a.payload.args_as().unwrap();
            assert_eq!((s.as_str(), n), ("second", 2));
        }
    }
    assert_eq!(stream.dropped(), 0);

    // The publisher does not get its own events by default; with exclude_me=false it does.
    let mut own = caller
        .subscribe_stream(&topic, SubscribeOptions::default())
        .await
        .unwrap();
    bounded(caller.publish_with(
        &topic,
        Payload::args(&("mine",)).unwrap(),
        PublishOptions::acknowledged().exclude_me(false),
    ))
    .await
    .unwrap();
    let mine = bounded(own.next()).await.unwrap();
    assert_eq!(mine.payload.args, vec![Value::from("mine")]);
    own.unsubscribe().await.unwrap();
    // The callee's subscriptions got it too.
    assert_eq!(bounded(stream.next()).await.unwrap().payload, mine.payload);
    assert_eq!(bounded(rx.recv()).await.unwrap().payload, mine.payload);

    // unsubscribe: the callback goes first (the stream keeps the router subscription), then
    // the stream; afterwards nothing arrives.
    callback.unsubscribe().await.unwrap();
    stream.unsubscribe().await.unwrap();
    let ack = bounded(caller.publish_with(&topic, Payload::new(), PublishOptions::acknowledged()))
        .await
        .unwrap();
    assert!(ack.is_some());
    assert!(rx.try_recv().is_err());

    // An invalid URI is refused before anything is sent.
    assert!(matches!(
        caller.call::<_, ()>("com..bad", ()).await,
        Err(CallError::InvalidUri(_))
    ));

    // leave: both ends clean; then operations fail with session lost.
    let left = bounded(caller.leave()).await.unwrap();
    assert!(left.is_clean(), "{left:?}");
    assert!(!caller.is_joined());
    let late = caller.call::<_, ()>(&format!("{prefix}.echo"), ()).await;
    assert!(matches!(late, Err(CallError::Session(_))), "{late:?}");
    let left = bounded(callee.leave()).await.unwrap();
    assert!(left.is_clean(), "{left:?}");
}

on_both_routers! {
    #[tokio::test]
    async fn websocket_json(router) {
        basic_profile(router, Endpoint::Ws, "json").await;
    }
    #[tokio::test]
    async fn websocket_msgpack(router) {
        basic_profile(router, Endpoint::Ws, "msgpack").await;
    }
    #[tokio::test]
    async fn websocket_cbor(router) {
        basic_profile(router, Endpoint::Ws, "cbor").await;
    }
    #[tokio::test]
    async fn websocket_tls_json(router) {
        basic_profile(router, Endpoint::Wss, "json").await;
    }
    #[tokio::test]
    async fn websocket_tls_msgpack(router) {
        basic_profile(router, Endpoint::Wss, "msgpack").await;
    }
    #[tokio::test]
    async fn websocket_tls_cbor(router) {
        basic_profile(router, Endpoint::Wss, "cbor").await;
    }
    #[tokio::test]
    async fn rawsocket_json(router) {
        basic_profile(router, Endpoint::Rs, "json").await;
    }
    #[tokio::test]
    async fn rawsocket_msgpack(router) {
        basic_profile(router, Endpoint::Rs, "msgpack").await;
    }
    #[tokio::test]
    async fn rawsocket_cbor(router) {
        basic_profile(router, Endpoint::Rs, "cbor").await;
    }
    #[tokio::test]
    async fn rawsocket_tls_json(router) {
        basic_profile(router, Endpoint::Rss, "json").await;
    }
    #[tokio::test]
    async fn rawsocket_tls_msgpack(router) {
        basic_profile(router, Endpoint::Rss, "msgpack").await;
    }
    #[tokio::test]
    async fn rawsocket_tls_cbor(router) {
        basic_profile(router, Endpoint::Rss, "cbor").await;
    }
    #[tokio::test]
    async fn unix_json(router) {
        basic_profile(router, Endpoint::Unix, "json").await;
    }
    #[tokio::test]
    async fn unix_msgpack(router) {
        basic_profile(router, Endpoint::Unix, "msgpack").await;
    }
    #[tokio::test]
    async fn unix_cbor(router) {
        basic_profile(router, Endpoint::Unix, "cbor").await;
    }

    #[tokio::test]
    async fn websocket_negotiates_the_first_serializer_the_router_supports(router) {
        let config = TransportConfig::new(&router.ws_url())
            .unwrap()
            .serializer_names(&["msgpack", "json"])
            .unwrap();
        let session = bounded(Session::join(&config, JoinOptions::new("realm1")))
            .await
            .unwrap();
        let n: i64 = bounded(session.call("wamp.session.count", ()))
            .await
            .unwrap();
        assert!(n >= 1);
        session.leave().await.unwrap();
    }

    #[tokio::test]
    async fn tls_refuses_a_router_certificate_it_does_not_trust(router) {
        // Only the webpki/system roots: the harness's CA is not among them.
        let config = TransportConfig::new(&router.wss_url()).unwrap();
        let err = bounded(Session::join(&config, JoinOptions::new("realm1")))
            .await
            .unwrap_err();
        assert!(!err.is_retryable(), "{err}");
    }

    #[tokio::test]
    async fn joining_a_realm_that_does_not_exist_is_refused(router) {
        let config = TransportConfig::new(&router.ws_url()).unwrap();
        let err = bounded(Session::join(&config, JoinOptions::new("no.such.realm")))
            .await
            .unwrap_err();
        match err {
            wamp_client::JoinError::Refused(d) => assert_eq!(d.reason, "wamp.error.no_such_realm"),
            other => panic!("expected refused, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn many_tasks_share_one_session(router) {
        let session = join(router, Endpoint::Rs, "msgpack").await;
        session
            .register("com.test.shared.mul", |a: i64, b: i64| async move {
                Ok::<_, WampError>(a * b)
            })
            .await
            .unwrap();
        let session = Arc::new(session);
        let tasks: Vec<_> = (0..50i64)
            .map(|i| {
                let s = session.clone();
                tokio::spawn(async move { s.call::<_, i64>("com.test.shared.mul", (i, 3)).await })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(bounded(t).await.unwrap().unwrap(), i as i64 * 3);
        }
        session.leave().await.unwrap();
    }
}
