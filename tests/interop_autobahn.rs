//! Cross-implementation tests: Rust and Autobahn|Python peers through Crossbar.io and through
//! our router (each test runs against both: `<transport>::crossbar::NAME` and
//! `<transport>::ours::NAME`, with the same expected output), both ways, for RPC and PubSub, with positional and keyword arguments, nested and binary values, and
//! errors carrying args and kwargs, on WebSocket and RawSocket with every serializer.

use std::time::Duration;

use serde_json::json;
use wamp_client::handler::{procedure, Progress};
use wamp_client::{
    CallError, Invocation, JoinOptions, Payload, PublishOptions, Session, SubscribeOptions,
    TransportConfig, WampError,
};
use wamp_core::serializer;
use wamp_core::{Dict, Value};
use wamp_suite::{bytes_from_json, bytes_to_json, Endpoint, Peer, TestRouter};

const LIMIT: Duration = Duration::from_secs(30);

async fn join(router: &dyn TestRouter, endpoint: Endpoint, ser: &str) -> Session {
    let config = TransportConfig::new(&router.url(endpoint))
        .unwrap()
        .serializers(vec![serializer::by_name(ser).unwrap()]);
    tokio::time::timeout(LIMIT, Session::join(&config, JoinOptions::new("realm1")))
        .await
        .expect("join in time")
        .expect("join")
}

async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f).await.expect("in time")
}

/// Runs blocking peer IO off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("peer task")
}

/// A peer's JSON (bytes as {"__bytes__": hex}) as a WAMP value.
fn from_json(j: &serde_json::Value) -> Value {
    if let Some(b) = bytes_from_json(j) {
        return Value::Bytes(b);
    }
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_u64().map(Value::UInt))
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Value::Dict(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

/// A WAMP value as the peers' JSON.
fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => json!(f),
        Value::String(s) => json!(s),
        Value::Bytes(b) => bytes_to_json(b),
        Value::List(l) => serde_json::Value::Array(l.iter().map(to_json).collect()),
        Value::Dict(d) => {
            serde_json::Value::Object(d.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect())
        }
    }
}

fn sample_args() -> Vec<Value> {
    let mut inner = Dict::new();
    inner.insert(
        "deep".into(),
        Value::List(vec![1.into(), Value::List(vec![2.into()])]),
    );
    inner.insert("blob".into(), Value::Bytes(vec![0, 0xff, 0x10, 0x80]));
    vec![
        Value::Int(-7),
        Value::String("héllo \u{1F600}".into()),
        Value::Float(2.5),
        Value::Bool(true),
        Value::Null,
        Value::Bytes((0..=255).collect()),
        Value::Dict(inner),
    ]
}

fn sample_kwargs() -> Dict {
    let mut kw = Dict::new();
    kw.insert("name".into(), "wamp".into());
    kw.insert("bin".into(), Value::Bytes(b"\x00\x01binary\xfe".to_vec()));
    kw.insert("list".into(), Value::List(vec!["a".into(), 1.into()]));
    kw.insert("big".into(), Value::Int(1 << 53));
    kw
}

fn peer_args(
    router: &dyn TestRouter,
    endpoint: Endpoint,
    ser: &str,
    extra: &[&str],
) -> Vec<String> {
    let mut args = router.peer_args(endpoint, ser);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

async fn rust_caller_calls_python_callee(router: &dyn TestRouter, endpoint: Endpoint, ser: &str) {
    let prefix = format!("com.interop.pycallee.{endpoint}.{ser}");
    let args = peer_args(router, endpoint, ser, &["--prefix", &prefix]);
    let callee = blocking(move || {
        let mut p = Peer::spawn("callee.py", &args);
        p.expect_line("READY", LIMIT);
        p
    })
    .await;
    let session = join(router, endpoint, ser).await;

    let sum: i64 = bounded(session.call(&format!("{prefix}.add2"), (20, 22)))
        .await
        .unwrap();
    assert_eq!(sum, 42);

    let result = bounded(session.call_with(
        &format!("{prefix}.echo"),
        Payload::from_parts(sample_args(), sample_kwargs()),
        Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(result.payload.args, sample_args());
    assert_eq!(result.payload.kwargs, sample_kwargs());

    let result = bounded(session.call_with(
        &format!("{prefix}.binary"),
        Payload::args(&("x",)).unwrap(),
        Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        result.payload.args,
        vec![Value::Bytes((0..=255).collect()), "x".into()]
    );

    let err = bounded(session.call::<_, ()>(&format!("{prefix}.fail"), ()))
        .await
        .unwrap_err();
    let CallError::Application(e) = err else {
        panic!("expected an application error, got {err:?}")
    };
    assert_eq!(e.uri, "com.peer.error.failed");
    let mut nested = Dict::new();
    nested.insert("nested".into(), Value::List(vec![1.into(), 2.into()]));
    assert_eq!(
        e.args,
        vec!["first".into(), Value::Int(2), Value::Dict(nested)]
    );
    assert_eq!(e.kwargs.get("detail"), Some(&Value::from("kw")));
    assert_eq!(e.kwargs.get("code"), Some(&Value::Int(7)));

    // Progressive results from Autobahn reach a Rust caller that asked for them.
    let mut progress = Vec::new();
    let done = bounded(session.call_with_progress(
        &format!("{prefix}.longop"),
        Payload::args(&(3,)).unwrap(),
        Default::default(),
        |p| progress.push(p.payload.args),
    ))
    .await
    .unwrap();
    assert_eq!(
        progress,
        [
            vec![Value::Int(0)],
            vec![Value::Int(1)],
            vec![Value::Int(2)]
        ]
    );
    assert_eq!(done.payload.args, [Value::Int(3)]);

    // The callee sees our session as the caller (the realm discloses callers).
    let seen: serde_json::Value = bounded(session.call(&format!("{prefix}.details"), ()))
        .await
        .unwrap();
    assert_eq!(seen["caller"], json!(session.id()));

    session.leave().await.unwrap();
    drop(callee);
}

async fn python_caller_calls_rust_callee(router: &dyn TestRouter, endpoint: Endpoint, ser: &str) {
    let prefix = format!("com.interop.rustcallee.{endpoint}.{ser}");
    let session = join(router, endpoint, ser).await;
    session
        .register(&format!("{prefix}.echo"), |inv: Invocation| async move {
            Ok::<_, WampError>(inv.payload)
        })
        .await
        .unwrap();
    session
        .register(&format!("{prefix}.fail"), |inv: Invocation| async move {
            Err::<Payload, _>(
                WampError::new("com.rust.error.failed")
                    .with_args(inv.payload.args)
                    .with_kwargs(inv.payload.kwargs),
            )
        })
        .await
        .unwrap();

    async fn longop(n: u64, progress: Progress) -> Result<u64, WampError> {
        for i in 0..n {
            progress.send(i);
        }
        Ok(n)
    }
    session
        .register(&format!("{prefix}.longop"), procedure(longop))
        .await
        .unwrap();
    let args = peer_args(
        router,
        endpoint,
        ser,
        &[
            "--procedure",
            &format!("{prefix}.longop"),
            "--args",
            "[3]",
            "--progress",
        ],
    );
    let lines = blocking(move || {
        let mut caller = Peer::spawn("caller.py", &args);
        let lines: Vec<String> = (0..4).map(|_| caller.expect_line("", LIMIT)).collect();
        caller.expect_success(LIMIT);
        lines
    })
    .await;
    assert_eq!(
        lines,
        [
            r#"PROGRESS {"args":[0],"kwargs":{}}"#,
            r#"PROGRESS {"args":[1],"kwargs":{}}"#,
            r#"PROGRESS {"args":[2],"kwargs":{}}"#,
            r#"RESULT {"args":[3],"kwargs":{}}"#,
        ],
        "an Autobahn caller gets our progressive results, then the final one"
    );

    let call = |procedure: String| {
        let args = peer_args(
            router,
            endpoint,
            ser,
            &[
                "--procedure",
                &procedure,
                "--args",
                &to_json(&Value::List(sample_args())).to_string(),
                "--kwargs",
                &to_json(&Value::Dict(sample_kwargs())).to_string(),
            ],
        );
        blocking(move || {
            let mut caller = Peer::spawn("caller.py", &args);
            let line = caller.expect_line("", LIMIT);
            caller.expect_success(LIMIT);
            line
        })
    };

    let line = call(format!("{prefix}.echo")).await;
    let result: serde_json::Value = serde_json::from_str(
        line.strip_prefix("RESULT ")
            .unwrap_or_else(|| panic!("expected RESULT, got {line}")),
    )
    .unwrap();
    assert_eq!(from_json(&result["args"]), Value::List(sample_args()));
    assert_eq!(from_json(&result["kwargs"]), Value::Dict(sample_kwargs()));

    let line = call(format!("{prefix}.fail")).await;
    let error: serde_json::Value = serde_json::from_str(
        line.strip_prefix("ERROR ")
            .unwrap_or_else(|| panic!("expected ERROR, got {line}")),
    )
    .unwrap();
    assert_eq!(error["uri"], json!("com.rust.error.failed"));
    assert_eq!(from_json(&error["args"]), Value::List(sample_args()));
    assert_eq!(from_json(&error["kwargs"]), Value::Dict(sample_kwargs()));

    session.leave().await.unwrap();
}

async fn python_publisher_feeds_rust_subscriber(
    router: &dyn TestRouter,
    endpoint: Endpoint,
    ser: &str,
) {
    let topic = format!("com.interop.pypub.{endpoint}.{ser}");
    let session = join(router, endpoint, ser).await;
    let mut events = session
        .subscribe_stream(&topic, SubscribeOptions::default())
        .await
        .unwrap();
    let args = peer_args(
        router,
        endpoint,
        ser,
        &[
            "--topic",
            &topic,
            "--count",
            "3",
            "--wait-subscriber",
            "--args",
            &to_json(&Value::List(sample_args())).to_string(),
            "--kwargs",
            &to_json(&Value::Dict(sample_kwargs())).to_string(),
        ],
    );
    let publisher = blocking(move || {
        let mut p = Peer::spawn("publisher.py", &args);
        p.expect_line("PUBLISHED", LIMIT);
        p.expect_success(LIMIT);
    });
    let publisher = tokio::spawn(publisher);
    for _ in 0..3 {
        let event = bounded(events.next()).await.expect("an event");
        assert_eq!(event.topic, topic);
        assert_eq!(event.payload.args, sample_args());
        assert_eq!(event.payload.kwargs, sample_kwargs());
    }
    publisher.await.unwrap();
    assert_eq!(events.dropped(), 0);
    session.leave().await.unwrap();
}

async fn rust_publisher_feeds_python_subscriber(
    router: &dyn TestRouter,
    endpoint: Endpoint,
    ser: &str,
) {
    let topic = format!("com.interop.rustpub.{endpoint}.{ser}");
    let args = peer_args(router, endpoint, ser, &["--topic", &topic, "--count", "3"]);
    let mut subscriber = blocking(move || {
        let mut p = Peer::spawn("subscriber.py", &args);
        p.expect_line("READY", LIMIT);
        p
    })
    .await;
    let session = join(router, endpoint, ser).await;
    for _ in 0..3 {
        bounded(session.publish_with(
            &topic,
            Payload::from_parts(sample_args(), sample_kwargs()),
            PublishOptions::acknowledged(),
        ))
        .await
        .unwrap();
    }
    let events = blocking(move || {
        let events: Vec<_> = (0..3)
            .map(|_| subscriber.expect_json("EVENT", LIMIT))
            .collect();
        subscriber.expect_success(LIMIT);
        events
    })
    .await;
    for e in events {
        assert_eq!(from_json(&e["args"]), Value::List(sample_args()));
        assert_eq!(from_json(&e["kwargs"]), Value::Dict(sample_kwargs()));
    }
    session.leave().await.unwrap();
}

macro_rules! interop {
    ($($name:ident: $endpoint:ident, $ser:literal;)*) => {$(
        mod $name {
            use super::*;

            wamp_suite::on_both_routers! {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn rust_caller_calls_python_callee(router) {
                    crate::rust_caller_calls_python_callee(router, Endpoint::$endpoint, $ser).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn python_caller_calls_rust_callee(router) {
                    crate::python_caller_calls_rust_callee(router, Endpoint::$endpoint, $ser).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn python_publisher_feeds_rust_subscriber(router) {
                    crate::python_publisher_feeds_rust_subscriber(router, Endpoint::$endpoint, $ser)
                        .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn rust_publisher_feeds_python_subscriber(router) {
                    crate::rust_publisher_feeds_python_subscriber(router, Endpoint::$endpoint, $ser)
                        .await;
                }
            }
        }
    )*};
}

interop! {
    websocket_json: Ws, "json";
    websocket_msgpack: Ws, "msgpack";
    websocket_cbor: Ws, "cbor";
    rawsocket_json: Rs, "json";
    rawsocket_msgpack: Rs, "msgpack";
    rawsocket_cbor: Rs, "cbor";
}
