//! The call and publish builders against the scripted fake router: what CALL and PUBLISH
//! carry, and the typed results, errors and progressive results that come back.

use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize, Serializer};
use wamp_core::message::Message;
use wamp_core::serializer::Json;
use wamp_core::session::CancelMode;
use wamp_core::value::{Dict, Str, Value};
use wamp_core::Id;

use crate::error::{CallError, PublishError};
use crate::options::{CallOptions, JoinOptions};
use crate::session::Session;
use crate::testing::{FakePeer, FakeRouter};

const LIMIT: Duration = Duration::from_secs(60);

async fn joined() -> (Session, FakePeer) {
    let mut router = FakeRouter::rawsocket(Json);
    router
        .join(&router.config(), JoinOptions::new("realm1"))
        .await
}

async fn next(peer: &mut FakePeer) -> Message {
    tokio::time::timeout(LIMIT, peer.recv())
        .await
        .expect("a message in time")
        .expect("the connection is open")
}

/// Reads the next message: it must be CALL of `procedure`.
async fn expect_call(peer: &mut FakePeer, procedure: &str) -> (Id, Dict, Vec<Value>, Dict) {
    match next(peer).await {
        Message::Call {
            request,
            options,
            procedure: p,
            args,
            kwargs,
        } => {
            assert_eq!(p.as_str(), procedure);
            (request, options, args, kwargs)
        }
        other => panic!("expected CALL {procedure}, got {other:?}"),
    }
}

fn result(request: Id, args: Vec<Value>, progress: bool) -> Message {
    let mut details = Dict::new();
    if progress {
        details.insert(Str::from_static("progress"), Value::Bool(true));
    }
    Message::Result {
        request,
        details,
        args,
        kwargs: Dict::new(),
    }
}

/// A value whose serialization always fails.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value refuses to serialize"))
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Filter {
    color: String,
    limit: u32,
}

#[tokio::test(start_paused = true)]
async fn one_expression_sends_args_kwargs_and_options_in_one_call_and_types_the_result() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move {
        s.call::<_, i64>("com.example.add2", (2, 3))
            .kwargs(&Filter {
                color: "red".into(),
                limit: 5,
            })
            .kwarg("limit", 10)
            .timeout(Duration::from_secs(2))
            .disclose_me(true)
            .await
    });
    let (request, options, args, kwargs) = expect_call(&mut peer, "com.example.add2").await;
    assert_eq!(args, vec![Value::Int(2), Value::Int(3)]);
    assert_eq!(kwargs.get("color"), Some(&Value::from("red")));
    assert_eq!(
        kwargs.get("limit"),
        Some(&Value::Int(10)),
        "the later kwarg wins"
    );
    assert_eq!(options.get("timeout"), Some(&Value::from(2000u64)));
    assert_eq!(options.get("disclose_me"), Some(&Value::Bool(true)));
    assert_eq!(options.get("receive_progress"), None);
    peer.send(&result(request, vec![Value::Int(5)], false))
        .await;
    assert_eq!(call.await.unwrap().unwrap(), 5);
}

#[tokio::test(start_paused = true)]
async fn options_replace_what_was_set_before_and_single_options_apply_after() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let mut extra = CallOptions::default();
    extra.extra.insert("rkey".into(), "k".into());
    let call = tokio::spawn(async move {
        s.call::<_, ()>("com.example.p", ())
            .timeout(Duration::from_secs(9))
            .options(extra)
            .disclose_me(false)
            .await
    });
    let (request, options, args, kwargs) = expect_call(&mut peer, "com.example.p").await;
    assert!(args.is_empty() && kwargs.is_empty());
    assert_eq!(options.get("timeout"), None);
    assert_eq!(options.get("rkey"), Some(&Value::from("k")));
    assert_eq!(options.get("disclose_me"), Some(&Value::Bool(false)));
    peer.send(&result(request, vec![], false)).await;
    call.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn arguments_that_do_not_serialize_fail_at_await_and_nothing_is_sent() {
    let (session, mut peer) = joined().await;
    let e = session
        .call::<_, ()>("com.example.bad", (Unserializable,))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, CallError::Serialize(v) if v.0.contains("refuses")),
        "{e:?}"
    );
    let e = session
        .call::<_, ()>("com.example.bad", ())
        .kwarg("x", Unserializable)
        .await
        .unwrap_err();
    assert!(matches!(e, CallError::Serialize(_)), "{e:?}");
    let e = session
        .call::<_, ()>("com.example.bad", ())
        .kwargs(&5)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, CallError::Serialize(v) if v.0.contains("map")),
        "{e:?}"
    );
    // The next message the router sees is the next good call.
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, u8>("com.example.good", ()).await });
    let (request, ..) = expect_call(&mut peer, "com.example.good").await;
    peer.send(&result(request, vec![Value::Int(1)], false))
        .await;
    assert_eq!(call.await.unwrap().unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_result_of_the_wrong_type_is_a_deserialize_error() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, i64>("com.example.p", ()).await });
    let (request, ..) = expect_call(&mut peer, "com.example.p").await;
    peer.send(&result(request, vec![Value::from("x")], false))
        .await;
    assert!(matches!(
        call.await.unwrap(),
        Err(CallError::Deserialize(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn raw_gives_the_whole_result_and_value_errors_convert_with_question_mark() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move {
        let r = s.call("com.example.p", ()).raw().await?;
        let f: Filter = r.kwargs_as()?;
        let wrong: Result<Vec<String>, CallError> = r.kwargs_as().map_err(Into::into);
        Ok::<_, CallError>((f, r.details, wrong))
    });
    let (request, ..) = expect_call(&mut peer, "com.example.p").await;
    let mut kwargs = Dict::new();
    kwargs.insert("color".into(), "blue".into());
    kwargs.insert("limit".into(), 3.into());
    let mut details = Dict::new();
    details.insert("x".into(), 1.into());
    peer.send(&Message::Result {
        request,
        details: details.clone(),
        args: vec![],
        kwargs,
    })
    .await;
    let (f, d, wrong) = call.await.unwrap().unwrap();
    assert_eq!(
        f,
        Filter {
            color: "blue".into(),
            limit: 3
        }
    );
    assert_eq!(d, details);
    assert!(matches!(wrong, Err(CallError::Value(_))), "{wrong:?}");
}

#[tokio::test(start_paused = true)]
async fn progressive_results_come_as_a_typed_stream_then_the_typed_final_result() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move {
        let mut p = s.call("com.example.longop", (3,)).progress::<u32>();
        let mut seen = Vec::new();
        while let Some(x) = p.next().await {
            seen.push(x);
        }
        let done: String = p.result().await?;
        Ok::<_, CallError>((seen, done))
    });
    let (request, options, ..) = expect_call(&mut peer, "com.example.longop").await;
    assert_eq!(options.get("receive_progress"), Some(&Value::Bool(true)));
    peer.send(&result(request, vec![Value::Int(0)], true)).await;
    peer.send(&result(request, vec![Value::from("not a number")], true))
        .await;
    peer.send(&result(request, vec![Value::Int(2)], true)).await;
    peer.send(&result(request, vec![Value::from("done")], false))
        .await;
    let (seen, done) = call.await.unwrap().unwrap();
    assert_eq!(done, "done");
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0], Ok(0));
    assert!(
        matches!(seen[1], Err(CallError::Deserialize(_))),
        "a progressive result of the wrong type is an error item: {seen:?}"
    );
    assert_eq!(seen[2], Ok(2));
}

#[tokio::test(start_paused = true)]
async fn a_progressive_call_awaited_directly_gives_the_final_result_and_its_error() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move {
        s.call::<_, i64>("com.example.longop", ())
            .progress::<u32>()
            .await
    });
    let (request, ..) = expect_call(&mut peer, "com.example.longop").await;
    peer.send(&result(request, vec![Value::Int(1)], true)).await;
    peer.send(&Message::Error {
        request_type: wamp_core::message::RequestType::Call,
        request,
        details: Dict::new(),
        error: "com.example.failed".into(),
        args: vec![],
        kwargs: Dict::new(),
    })
    .await;
    let e = call.await.unwrap().unwrap_err();
    assert_eq!(e.uri(), Some("com.example.failed"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_progressive_call_ends_its_stream_and_the_result_says_why() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move {
        let mut p = s.call::<_, i64>("com.example.longop", ()).progress::<u32>();
        let mut n = 0;
        while p.next().await.is_some() {
            n += 1;
        }
        (n, p.result().await)
    });
    let (request, ..) = expect_call(&mut peer, "com.example.longop").await;
    peer.send(&result(request, vec![Value::Int(1)], true)).await;
    peer.send(&Message::Error {
        request_type: wamp_core::message::RequestType::Call,
        request,
        details: Dict::new(),
        error: "com.example.failed".into(),
        args: vec![],
        kwargs: Dict::new(),
    })
    .await;
    let (n, r) = call.await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(r.unwrap_err().uri(), Some("com.example.failed"));
}

async fn expect_cancel(peer: &mut FakePeer, request: Id) -> String {
    match next(peer).await {
        Message::Cancel {
            request: r,
            options,
        } => {
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

#[tokio::test(start_paused = true)]
async fn a_dropped_builder_future_cancels_its_call_with_its_mode() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, ()>("com.example.slow", ()).await });
    let (request, ..) = expect_call(&mut peer, "com.example.slow").await;
    call.abort();
    assert_eq!(expect_cancel(&mut peer, request).await, "killnowait");
    let s = session.clone();
    let call = tokio::spawn(async move {
        s.call::<_, ()>("com.example.slow", ())
            .cancel_mode(CancelMode::Kill)
            .progress::<u32>()
            .next()
            .await
    });
    let (request, ..) = expect_call(&mut peer, "com.example.slow").await;
    call.abort();
    assert_eq!(expect_cancel(&mut peer, request).await, "kill");
}

#[tokio::test(start_paused = true)]
async fn nothing_is_sent_before_the_builder_is_awaited() {
    let (session, mut peer) = joined().await;
    let unsent = session.call::<_, ()>("com.example.never", ());
    let unsent_publish = session.publish("com.example.never", ());
    drop((unsent, unsent_publish));
    let s = session.clone();
    let call = tokio::spawn(async move { s.call::<_, ()>("com.example.first", ()).await });
    let (request, ..) = expect_call(&mut peer, "com.example.first").await;
    peer.send(&result(request, vec![], false)).await;
    call.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_publish_builder_sends_kwargs_and_options_and_returns_the_acknowledged_id() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let publish = tokio::spawn(async move {
        s.publish("com.example.topic", ("hi",))
            .kwarg("n", 1)
            .kwargs(&Filter {
                color: "red".into(),
                limit: 2,
            })
            .exclude_me(false)
            .acknowledged()
            .await
    });
    let request = match next(&mut peer).await {
        Message::Publish {
            request,
            options,
            topic,
            args,
            kwargs,
        } => {
            assert_eq!(topic.as_str(), "com.example.topic");
            assert_eq!(args, vec![Value::from("hi")]);
            assert_eq!(kwargs.len(), 3);
            assert_eq!(options.get("acknowledge"), Some(&Value::Bool(true)));
            assert_eq!(options.get("exclude_me"), Some(&Value::Bool(false)));
            request
        }
        other => panic!("expected PUBLISH, got {other:?}"),
    };
    peer.send(&Message::Published {
        request,
        publication: 77,
    })
    .await;
    assert_eq!(publish.await.unwrap().unwrap(), 77);
    // Without acknowledgement: no `acknowledge`, and `()` at once.
    session
        .publish("com.example.topic", ())
        .retain(true)
        .await
        .unwrap();
    match next(&mut peer).await {
        Message::Publish { options, .. } => {
            assert_eq!(options.get("acknowledge"), None);
            assert_eq!(options.get("retain"), Some(&Value::Bool(true)));
        }
        other => panic!("expected PUBLISH, got {other:?}"),
    }
    let e = session
        .publish("com.example.topic", ())
        .kwargs(&"no map")
        .await
        .unwrap_err();
    assert!(matches!(e, PublishError::Serialize(_)), "{e:?}");
    let e = session.publish("not a uri!", ()).await.unwrap_err();
    assert!(matches!(e, PublishError::InvalidUri(_)), "{e:?}");
}

#[tokio::test(start_paused = true)]
async fn progressive_results_beyond_the_queue_are_dropped_and_counted_and_the_rest_arrive_in_order()
{
    let (session, mut peer) = joined().await;
    let mut p = session
        .call::<_, String>("com.example.flood", ())
        .progress::<u32>();
    // Polled once: the call is sent.
    assert!(tokio::time::timeout(Duration::ZERO, p.next())
        .await
        .is_err());
    let (request, ..) = expect_call(&mut peer, "com.example.flood").await;
    let total = super::PROGRESS_QUEUE as u32 + 76;
    for i in 0..total {
        peer.send(&result(request, vec![Value::from(i)], true))
            .await;
    }
    // Another call's answer behind them: once it is in, every progressive result was handled.
    let s = session.clone();
    let other = tokio::spawn(async move { s.call::<_, u8>("com.example.other", ()).await });
    let (other_request, ..) = expect_call(&mut peer, "com.example.other").await;
    peer.send(&result(other_request, vec![Value::Int(1)], false))
        .await;
    assert_eq!(other.await.unwrap().unwrap(), 1);
    assert_eq!(p.dropped(), 76);
    peer.send(&result(request, vec![Value::from("done")], false))
        .await;
    let mut seen = Vec::new();
    while let Some(x) = p.next().await {
        seen.push(x.unwrap());
    }
    assert_eq!(seen, (0..super::PROGRESS_QUEUE as u32).collect::<Vec<_>>());
    assert_eq!(p.result().await.unwrap(), "done");
}

#[tokio::test(start_paused = true)]
async fn the_result_alone_discards_unread_progressive_results_without_counting_them_as_dropped() {
    let (session, mut peer) = joined().await;
    let s = session.clone();
    let call = tokio::spawn(async move {
        let p = s.call::<_, i64>("com.example.p", ()).progress::<u32>();
        p.await
    });
    let (request, ..) = expect_call(&mut peer, "com.example.p").await;
    for i in 0..3u32 {
        peer.send(&result(request, vec![Value::from(i)], true))
            .await;
    }
    peer.send(&result(request, vec![Value::Int(9)], false))
        .await;
    assert_eq!(call.await.unwrap().unwrap(), 9);
}
