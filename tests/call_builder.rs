//! One expression for a call or a publication, through Crossbar.io 26.10.1 and through our
//! router (every test runs against both: `crossbar::NAME`, `ours::NAME`): positional and
//! keyword arguments with options and a typed result, the builder's timeout and cancel on
//! drop, serialization errors, progressive results as a typed stream ending in the typed
//! final result, keyword results read with `kwargs_as`, the same builder on a component's
//! handle, an acknowledged publication with keyword arguments, and a session that picks its
//! serializer.

use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use wamp_client::{
    CallError, Component, ConfigError, ConnectError, Invocation, JoinError, Payload, Session,
    SubscribeOptions, Value, WampError,
};
use wamp_suite::callees::slow_callee;
use wamp_suite::{within, Endpoint, TestRouter};

const LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Filter {
    color: String,
    limit: u32,
}

/// A callee of `procedure` that answers with two positional results: the arguments it got,
/// and the keyword arguments it got.
async fn echo_callee(router: &dyn TestRouter, procedure: &str) -> Session {
    let callee = Session::connect(&router.ws_url(), "realm1").await.unwrap();
    callee
        .register(procedure, |inv: Invocation| async move {
            let Payload { args, kwargs } = inv.payload;
            Ok::<_, WampError>(Payload::from_parts(
                vec![Value::List(args), Value::Dict(kwargs)],
                Default::default(),
            ))
        })
        .await
        .unwrap();
    callee
}

/// The slow callee's next report (see [`wamp_suite::callees::slow_callee`]).
async fn next(rx: &mut mpsc::UnboundedReceiver<&'static str>, want: &str) {
    wamp_suite::callees::next_report(rx, want, LIMIT).await;
}

/// The WAMP subprotocol of a session as `wamp.session.get` describes its transport: ours says
/// `protocol`, Crossbar.io `websocket_protocol` (for RawSocket too).
fn transport_protocol(info: &Value) -> Option<String> {
    let Value::Dict(info) = info else { return None };
    let Some(Value::Dict(transport)) = info.get("transport") else {
        return None;
    };
    ["protocol", "websocket_protocol"]
        .iter()
        .find_map(|k| transport.get(k).and_then(Value::as_str))
        .map(str::to_owned)
}

async fn caller(router: &dyn TestRouter) -> Session {
    Session::connect(&router.rs_url(), "realm1").await.unwrap()
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_typed_call_takes_positional_and_keyword_arguments_and_a_timeout_in_one_expression(router) {
        let _callee = echo_callee(router, "com.builder.echo").await;
        let caller = caller(router).await;
        let ((n, s), filter): ((i64, String), Filter) = within(
            LIMIT,
            "the call",
            caller
                .call("com.builder.echo", (7, "seven"))
                .kwarg("color", "red")
                .kwargs(&serde_json::json!({ "limit": 10 }))
                .timeout(Duration::from_secs(10))
                .disclose_me(true),
        )
        .await
        .unwrap();
        assert_eq!((n, s.as_str()), (7, "seven"));
        assert_eq!(filter, Filter { color: "red".into(), limit: 10 });
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_timeout_set_on_the_builder_fails_the_call_with_timeout_and_interrupts_the_callee(router) {
        let (_callee, mut events) = slow_callee(router, "com.builder.slow").await;
        let caller = caller(router).await;
        let result = within(
            LIMIT,
            "the call",
            caller
                .call::<_, ()>("com.builder.slow", ())
                .timeout(Duration::from_millis(300)),
        )
        .await;
        assert!(
            matches!(result, Err(CallError::Timeout(d)) if d == Duration::from_millis(300)),
            "{result:?}"
        );
        next(&mut events, "started").await;
        next(&mut events, "dropped").await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn arguments_that_do_not_serialize_surface_as_a_serialize_error_at_await(router) {
        let _callee = echo_callee(router, "com.builder.echo_ser").await;
        let caller = caller(router).await;
        // A map with non-string keys does not make keyword arguments.
        let mut bad = std::collections::BTreeMap::new();
        bad.insert((1, 2), "x");
        let result = caller
            .call::<_, Value>("com.builder.echo_ser", ())
            .kwargs(&bad)
            .await;
        assert!(matches!(result, Err(CallError::Serialize(_))), "{result:?}");
        let result = caller
            .call::<_, Value>("com.builder.echo_ser", ())
            .kwargs(&"not a map")
            .await;
        assert!(matches!(result, Err(CallError::Serialize(_))), "{result:?}");
        // The session is fine.
        let (args, _): (Vec<i64>, Value) =
            within(LIMIT, "the call", caller.call("com.builder.echo_ser", (1,))).await.unwrap();
        assert_eq!(args, [1]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn progressive_results_arrive_as_a_typed_stream_ending_in_the_typed_final_result(router) {
        let callee = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        callee
            .register("com.builder.longop", |inv: Invocation| async move {
                let n: u32 = inv.payload.arg(0).unwrap_or(0);
                for i in 0..n {
                    assert!(inv.progress().send(i * 10), "progress wanted and sent");
                }
                Payload::args(&(format!("done after {n}"),)).map_err(|e| {
                    WampError::new("com.builder.error").with_args(vec![Value::from(e.to_string())])
                })
            })
            .await
            .unwrap();
        let caller = caller(router).await;
        let mut p = caller.call("com.builder.longop", (3,)).progress::<u32>();
        let mut seen = Vec::new();
        while let Some(x) = within(LIMIT, "a progressive result", p.next()).await {
            seen.push(x.unwrap());
        }
        let done: String = within(LIMIT, "the final result", p.result()).await.unwrap();
        assert_eq!(seen, [0, 10, 20]);
        assert_eq!(done, "done after 3");
        assert_eq!(
            within(LIMIT, "awaited directly", caller.call::<_, String>("com.builder.longop", (2,)).progress::<u32>().result()).await.unwrap(),
            "done after 2"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn dropping_the_builder_future_cancels_the_call_and_interrupts_the_callee(router) {
        let (_callee, mut events) = slow_callee(router, "com.builder.dropped").await;
        let caller = caller(router).await;
        let c = caller.clone();
        let waiting = tokio::spawn(async move {
            c.call::<_, ()>("com.builder.dropped", ()).kwarg("x", 1).await
        });
        next(&mut events, "started").await;
        waiting.abort();
        next(&mut events, "dropped").await;
        // And a progressive call's stream, dropped.
        let c = caller.clone();
        let waiting = tokio::spawn(async move {
            let mut p = c.call::<_, ()>("com.builder.dropped", ()).progress::<u32>();
            p.next().await
        });
        next(&mut events, "started").await;
        waiting.abort();
        next(&mut events, "dropped").await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn keyword_results_read_back_typed_with_kwargs_as(router) {
        let callee = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        callee
            .register("com.builder.stats", |_inv: Invocation| async move {
                Payload::args(&("fruit",))
                    .and_then(|p| p.with_kwargs(&Filter { color: "green".into(), limit: 4 }))
                    .map_err(|e| WampError::new("com.builder.error").with_args(vec![Value::from(e.to_string())]))
            })
            .await
            .unwrap();
        let caller = caller(router).await;
        let read = async {
            let result = caller.call("com.builder.stats", ()).raw().await?;
            let filter: Filter = result.kwargs_as()?;
            let kind: String = result.arg(0)?;
            Ok::<_, CallError>((filter, kind))
        };
        let (filter, kind) = within(LIMIT, "the call", read).await.unwrap();
        assert_eq!(filter, Filter { color: "green".into(), limit: 4 });
        assert_eq!(kind, "fruit");
        // Keyword results alone map onto a struct, as Autobahn maps them.
        let callee2 = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        callee2
            .register("com.builder.kwonly", |_inv: Invocation| async move {
                Payload::kwargs(&Filter { color: "blue".into(), limit: 1 })
                    .map_err(|e| WampError::new("com.builder.error").with_args(vec![Value::from(e.to_string())]))
            })
            .await
            .unwrap();
        let f: Filter = within(LIMIT, "the call", caller.call("com.builder.kwonly", ())).await.unwrap();
        assert_eq!(f.color, "blue");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_component_handle_calls_with_the_same_builder_waiting_for_readiness_within_the_timeout(router) {
        let _callee = echo_callee(router, "com.builder.echo_comp").await;
        let comp = Component::builder()
            .transport(router.url(Endpoint::Rs))
            .realm("realm1")
            .build()
            .unwrap();
        let handle = comp.start();
        // Not ready yet, most likely: the call waits for the session within its timeout.
        let (args, filter): (Vec<i64>, Filter) = within(
            LIMIT,
            "the call",
            handle
                .call("com.builder.echo_comp", (1, 2))
                .kwargs(&Filter { color: "red".into(), limit: 2 })
                .timeout(Duration::from_secs(15)),
        )
        .await
        .unwrap();
        assert_eq!(args, [1, 2]);
        assert_eq!(filter.limit, 2);
        within(LIMIT, "publish", handle.publish("com.builder.comp_topic", (1,)).kwarg("k", 2)).await.unwrap();
        within(LIMIT, "stop", handle.stop()).await.unwrap();
        // Once the component has ended, a call fails at once, deadline or not.
        let result = within(LIMIT, "the call", handle.call::<_, ()>("com.builder.echo_comp", ()).timeout(LIMIT)).await;
        assert!(matches!(result, Err(CallError::Session(wamp_client::SessionError::NotJoined))), "{result:?}");
        let result = within(LIMIT, "the call", handle.call::<_, ()>("com.builder.echo_comp", ())).await;
        assert!(matches!(result, Err(CallError::Session(wamp_client::SessionError::NotJoined))), "{result:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_acknowledged_publication_with_keyword_arguments_is_one_expression(router) {
        let subscriber = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        let mut events = subscriber
            .subscribe_stream("com.builder.topic", SubscribeOptions::default())
            .await
            .unwrap();
        let publisher = caller(router).await;
        let id = within(
            LIMIT,
            "the publication",
            publisher
                .publish("com.builder.topic", ("hello", 42))
                .kwarg("lang", "en")
                .kwargs(&Filter { color: "red".into(), limit: 1 })
                .acknowledged(),
        )
        .await
        .unwrap();
        let event = within(LIMIT, "the event", events.next()).await.unwrap();
        assert_eq!(event.publication, id);
        let (greeting, n): (String, i64) = event.payload.args_as().unwrap();
        assert_eq!((greeting.as_str(), n), ("hello", 42));
        assert_eq!(event.payload.kwargs.get("lang"), Some(&Value::from("en")));
        let filter: Filter = event.payload.kwargs_as().unwrap();
        assert_eq!(filter.color, "red");
        // Our own event comes back with exclude_me(false).
        let mut own = publisher
            .subscribe_stream("com.builder.own", SubscribeOptions::default())
            .await
            .unwrap();
        within(LIMIT, "publish", publisher.publish("com.builder.own", (1,)).exclude_me(false).acknowledged()).await.unwrap();
        let event = within(LIMIT, "own event", own.next()).await.unwrap();
        assert_eq!(event.payload.args, [Value::from(1)]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_session_connects_with_the_serializer_it_chooses(router) {
        let _callee = echo_callee(router, "com.builder.echo_ser_choice").await;
        for url in [router.ws_url(), router.rs_url()] {
            for serializer in ["json", "msgpack", "cbor"] {
                let session = within(LIMIT, "connect", Session::connect_with(&url, "realm1", serializer))
                    .await
                    .unwrap_or_else(|e| panic!("{url} {serializer}: {e}"));
                let (args, filter): ((String, u64), Filter) = within(
                    LIMIT,
                    "the call",
                    session
                        .call("com.builder.echo_ser_choice", (serializer, u64::MAX))
                        .kwarg("color", url.as_str())
                        .kwarg("limit", 3),
                )
                .await
                .unwrap_or_else(|e| panic!("{url} {serializer}: {e}"));
                assert_eq!(args, (serializer.to_string(), u64::MAX), "{url} {serializer}");
                assert_eq!(filter.color, url);
                // What the router says about the session's transport names the serializer.
                let info: Value = within(LIMIT, "session get", session.call("wamp.session.get", (session.id(),)))
                    .await
                    .unwrap();
                assert_eq!(
                    transport_protocol(&info).as_deref(),
                    Some(format!("wamp.2.{serializer}").as_str()),
                    "{url} {serializer}: {info:?}"
                );
                session.leave().await.unwrap();
            }
        }
        let err = Session::connect_with(&router.ws_url(), "realm1", "xml").await.unwrap_err();
        assert!(
            matches!(err, JoinError::Connect(ConnectError::Config(ConfigError::UnknownSerializer(ref n))) if n == "xml"),
            "{err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_call_fails_with_timeout_when_no_session_comes_within_its_deadline() {
    // Nothing listens there: the component keeps retrying, never joined.
    let url = format!("rs://127.0.0.1:{}", wamp_suite::free_port());
    let comp = Component::builder()
        .transport(url.as_str())
        .realm("realm1")
        .build()
        .unwrap();
    let handle = comp.start();
    let started = std::time::Instant::now();
    let result = within(
        LIMIT,
        "the call",
        handle
            .call::<_, ()>("com.builder.nowhere", ())
            .timeout(Duration::from_millis(300)),
    )
    .await;
    assert!(
        matches!(result, Err(CallError::Timeout(d)) if d == Duration::from_millis(300)),
        "{result:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Without a deadline it fails at once.
    let result = within(
        LIMIT,
        "the call",
        handle.call::<_, ()>("com.builder.nowhere", ()),
    )
    .await;
    assert!(
        matches!(
            result,
            Err(CallError::Session(wamp_client::SessionError::NotJoined))
        ),
        "{result:?}"
    );
    within(LIMIT, "stop", handle.stop()).await.ok();
}
