//! Components against a real Crossbar.io and against our router (each test runs against both:
//! `crossbar::NAME`, `ours::NAME`): every handler on every session, reconnects after a
//! router restart or a late start, round robin over transports, retries used up, fatal
//! refusals, a graceful stop that never reconnects, and pending calls that fail when the
//! connection drops.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wamp_client::{
    CallError, Component, ComponentError, ComponentHandle, Event, Failure, JoinError,
    LifecycleEvent, LifecycleEvents, RetryPolicy, Session, SessionError, TransportConfig,
    TransportSpec, WampError,
};
use wamp_suite::{within, Endpoint, FaultMode, FaultProxy};

const LIMIT: Duration = Duration::from_secs(30);

/// Retries quickly, so that tests do not wait for Autobahn's 1.5 s and more.
fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .initial_retry_delay(Duration::from_millis(100))
        .max_retry_delay(Duration::from_millis(500))
}

fn spec(url: &str, retry: RetryPolicy) -> TransportSpec {
    TransportSpec::new(TransportConfig::new(url).unwrap()).retry(retry)
}

/// A RawSocket URL on a loopback port where nothing listens.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("rs://127.0.0.1:{port}")
}

/// A component with `com.comp.<tag>.add2` and a subscription to `com.comp.<tag>.topic` whose
/// events go to the returned channel.
fn calculator(
    tag: &str,
    transports: Vec<TransportSpec>,
) -> (Component, tokio::sync::mpsc::UnboundedReceiver<i64>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut b = Component::builder()
        .name(format!("calc-{tag}"))
        .realm("realm1");
    for t in transports {
        b = b.transport(t);
    }
    let comp = b
        .procedure(
            format!("com.comp.{tag}.add2"),
            |a: i64, b: i64| async move { Ok::<_, WampError>(a + b) },
        )
        .subscription(format!("com.comp.{tag}.topic"), move |e: Event| {
            let tx = tx.clone();
            async move {
                if let Ok((n,)) = e.payload.args_as::<(i64,)>() {
                    let _ = tx.send(n);
                }
            }
        })
        .build()
        .unwrap();
    (comp, rx)
}

/// Checks from an independent session that the component's procedure and subscription work.
async fn assert_live(url: &str, tag: &str, events: &mut tokio::sync::mpsc::UnboundedReceiver<i64>) {
    let other = within(
        LIMIT,
        "join a checking session",
        Session::connect(url, "realm1"),
    )
    .await
    .expect("checking session joins");
    let sum: i64 = within(
        LIMIT,
        "call",
        other.call(&format!("com.comp.{tag}.add2"), (2, 3)),
    )
    .await
    .expect("the component's procedure answers");
    assert_eq!(sum, 5);
    other
        .publish_with(
            &format!("com.comp.{tag}.topic"),
            wamp_client::Payload::args(&(42,)).unwrap(),
            wamp_client::PublishOptions::acknowledged(),
        )
        .await
        .expect("publish");
    assert_eq!(within(LIMIT, "event", events.recv()).await, Some(42));
    let _ = other.leave().await;
}

/// Reads events until `pred` matches one, returning all read (bounded).
async fn until(
    events: &mut LifecycleEvents,
    pred: impl Fn(&LifecycleEvent) -> bool,
) -> Vec<LifecycleEvent> {
    let mut seen = Vec::new();
    within(LIMIT, "the expected lifecycle event", async {
        while let Some(e) = events.next().await {
            let done = pred(&e);
            seen.push(e);
            if done {
                return;
            }
        }
        panic!("the component ended; events: {seen:?}");
    })
    .await;
    seen
}

/// Collects the remaining events until the component ends (bounded).
async fn rest(mut events: LifecycleEvents) -> Vec<&'static str> {
    let mut names = Vec::new();
    within(LIMIT, "the component's end", async {
        while let Some(e) = events.next().await {
            names.push(e.kind());
        }
    })
    .await;
    names
}

async fn start_ready(comp: &Component) -> (ComponentHandle, LifecycleEvents) {
    let handle = comp.start();
    let events = handle.events();
    within(LIMIT, "ready", handle.ready())
        .await
        .expect("the component gets ready");
    (handle, events)
}

#[tokio::test(flavor = "multi_thread")]
async fn is_fatal_can_make_a_transport_error_fatal() {
    let url = dead_url();
    let comp = Component::builder()
        .transport(spec(&url, fast()))
        .realm("realm1")
        .is_fatal(|f: &Failure| matches!(f, Failure::Join(JoinError::Connect(_))).then_some(true))
        .build()
        .unwrap();
    let err = within(LIMIT, "the component fails", comp.start().wait())
        .await
        .unwrap_err();
    let ComponentError::Exhausted { transports, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(transports[0].fatal);
    assert_eq!(transports[0].attempts, 1, "no retry after a fatal failure");
}

#[tokio::test(flavor = "multi_thread")]
async fn used_up_retries_on_every_transport_end_the_component_with_each_named_in_round_robin_order()
{
    let (a, b) = (dead_url(), dead_url());
    let comp = Component::builder()
        .transport(spec(&a, fast().max_retries(2)))
        .transport(spec(&b, fast().max_retries(2)))
        .realm("realm1")
        .build()
        .unwrap();
    let handle = comp.start();
    let mut events = handle.events();
    let mut order = Vec::new();
    within(LIMIT, "every attempt", async {
        while let Some(e) = events.next().await {
            if let LifecycleEvent::ConnectFailure { url, .. } = e {
                order.push(url);
            }
        }
    })
    .await;
    assert_eq!(order, [&a, &b, &a, &b, &a, &b].map(String::clone));
    let err = handle.wait().await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&a) && text.contains(&b) && text.contains("3 attempts"),
        "{text}"
    );
    // Run returns the error, naming each transport.
    let err = tokio::task::spawn_blocking({
        let comp = Component::builder()
            .transport(spec(&a, fast().max_retries(1)))
            .transport(spec(&b, fast().max_retries(1)))
            .realm("realm1")
            .build()
            .unwrap();
        move || wamp_client::run(vec![comp])
    })
    .await
    .unwrap()
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&a) && text.contains(&b) && text.contains("2 attempts"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_and_publishes_through_the_handle_fail_at_once_while_disconnected() {
    let comp = Component::builder()
        .transport(spec(&dead_url(), fast()))
        .realm("realm1")
        .build()
        .unwrap();
    let handle = comp.start();
    let r: Result<i64, _> = within(LIMIT, "call", handle.call("com.x", ())).await;
    assert!(
        matches!(r, Err(CallError::Session(SessionError::NotJoined))),
        "{r:?}"
    );
    let r = within(LIMIT, "publish", handle.publish("com.x", ())).await;
    assert!(r.is_err());
    within(LIMIT, "stop", handle.stop())
        .await
        .expect("stopping a retrying component");
    assert!(handle.is_finished());
}

// Through the fault-injecting proxy.

/// Waits for `n` connect failures and returns them.
async fn failures(events: &mut LifecycleEvents, n: usize) -> Vec<Arc<Failure>> {
    let mut out = Vec::new();
    while out.len() < n {
        let seen = until(events, |e| {
            matches!(e, LifecycleEvent::ConnectFailure { .. })
        })
        .await;
        if let Some(LifecycleEvent::ConnectFailure { failure, .. }) = seen.last() {
            out.push(failure.clone());
        }
    }
    out
}

/// A `tracing` writer that sends each formatted event to a channel.
#[derive(Clone)]
struct LogLines(tokio::sync::mpsc::UnboundedSender<String>);

impl std::io::Write for LogLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = self.0.send(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_component_registers_and_subscribes_everything_and_fires_connect_join_ready_in_order(router) {
        let url = router.ws_url();
        let (comp, mut events_rx) = calculator("order", vec![spec(&url, fast())]);
        let handle = comp.start();
        let mut events = handle.events();
        let seen = until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
        let names: Vec<_> = seen.iter().map(LifecycleEvent::kind).collect();
        assert_eq!(names, ["connect", "join", "ready"]);
        assert!(handle.is_ready());
        assert_live(&url, "order", &mut events_rx).await;
        within(LIMIT, "stop", handle.stop())
            .await
            .expect("a clean stop");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn stop_leaves_cleanly_and_never_reconnects_on_websocket_and_rawsocket(router) {
        for url in [router.ws_url(), router.rs_url()] {
            let (comp, _rx) = calculator("stop", vec![spec(&url, fast())]);
            let (handle, events) = start_ready(&comp).await;
            let session = handle.session().expect("a session while ready");
            within(LIMIT, "stop", handle.stop())
                .await
                .expect("a clean stop");
            assert!(!session.is_joined());
            assert!(session.close_details().unwrap().is_clean());
            assert!(handle.session().is_none() && handle.is_finished());
            // The stream ends with the component: no connect after the stop.
            assert_eq!(
                rest(events).await,
                ["connect", "join", "ready", "leave", "disconnect"],
                "over {url}"
            );
            // Calls through the handle now fail at once.
            let r: Result<i64, _> = handle.call("com.comp.stop.add2", (1, 2)).await;
            assert!(
                matches!(r, Err(CallError::Session(SessionError::NotJoined))),
                "{r:?}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn anonymous_authentication_joins_with_the_asked_role(router) {
        let comp = Component::builder()
            .transport(spec(&router.rs_url(), fast()))
            .realm("realm1")
            .authentication(
                wamp_client::Authentication::new()
                    .method(wamp_client::AuthMethod::Anonymous)
                    .authrole("anonymous"),
            )
            .build()
            .unwrap();
        let (handle, _events) = start_ready(&comp).await;
        let details = handle.session().unwrap().details().clone();
        assert_eq!(
            details.authmethod.as_deref(),
            Some("anonymous"),
            "{details:?}"
        );
        assert_eq!(
            details.authrole.as_deref(),
            Some("anonymous"),
            "{details:?}"
        );
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_clean_leave_by_the_application_ends_the_component_without_a_reconnect(router) {
        for url in [router.ws_url(), router.rs_url()] {
            let comp = Component::builder()
                .transport(spec(&url, fast()))
                .realm("realm1")
                .on_ready(|session: Session, _| async move {
                    let _ = session.leave().await;
                })
                .build()
                .unwrap();
            let handle = comp.start();
            let events = handle.events();
            within(LIMIT, "the component ends", handle.wait())
                .await
                .expect("a clean end");
            assert_eq!(
                rest(events).await,
                ["connect", "join", "ready", "leave", "disconnect"],
                "over {url}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_wrong_realm_is_fatal_after_exactly_one_attempt(router) {
        let url = router.ws_url();
        let comp = Component::builder()
            .transport(spec(&url, fast()))
            .realm("com.no.such.realm")
            .build()
            .unwrap();
        let handle = comp.start();
        let events = handle.events();
        let err = within(LIMIT, "the component fails", handle.wait())
            .await
            .unwrap_err();
        let ComponentError::Exhausted { transports, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(transports.len(), 1);
        assert!(transports[0].fatal);
        assert_eq!(transports[0].attempts, 1);
        let failure = transports[0].last_failure.as_deref().unwrap();
        assert!(
            matches!(failure, Failure::Join(JoinError::Refused(d)) if d.reason == "wamp.error.no_such_realm"),
            "{failure:?}"
        );
        assert!(err.to_string().contains(&url), "{err}");
        assert_eq!(
            rest(events).await,
            ["connect", "disconnect", "connect_failure"]
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn is_fatal_can_make_a_refusal_retried(router) {
        let url = router.ws_url();
        let comp = Component::builder()
            .transport(spec(&url, fast().max_retries(2)))
            .realm("com.no.such.realm")
            .is_fatal(|_: &Failure| Some(false))
            .build()
            .unwrap();
        let err = within(LIMIT, "the component fails", comp.start().wait())
            .await
            .unwrap_err();
        let ComponentError::Exhausted { transports, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(!transports[0].fatal);
        assert_eq!(transports[0].attempts, 3, "one attempt and two retries");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_second_transport_takes_over_when_the_first_keeps_failing(router) {
        let dead = dead_url();
        let url = router.rs_url();
        let (comp, mut rx) = calculator("second", vec![spec(&dead, fast()), spec(&url, fast())]);
        let handle = comp.start();
        let mut events = handle.events();
        let seen = until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
        assert!(
            matches!(&seen[0], LifecycleEvent::ConnectFailure { url, .. } if *url == dead),
            "{seen:?}"
        );
        assert!(
            matches!(&seen[1], LifecycleEvent::Connect { url: u } if *u == url),
            "{seen:?}"
        );
        assert_live(&url, "second", &mut rx).await;
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn listener_errors_and_panics_are_logged_and_the_component_goes_on(router) {
        let url = router.ws_url();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let comp = Component::builder()
            .transport(spec(&url, fast()))
            .realm("realm1")
            .on_join(|_s: Session, _d| async move {
                if true {
                    panic!("a listener panics");
                }
            })
            .on_join(move |_s: Session, _d| {
                let c = c.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>("a listener fails")
                }
            })
            .build()
            .unwrap();
        let (handle, _events) = start_ready(&comp).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the second listener ran after the panic"
        );
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn after_a_router_restart_the_component_reconnects_and_every_handler_is_live_again(router) {
        let kind = router.kind();
        let router = Arc::new(tokio::task::spawn_blocking(move || kind.start()).await.unwrap());
        for url in [router.ws_url(), router.rs_url()] {
            let (comp, mut rx) = calculator("restart", vec![spec(&url, fast())]);
            let (handle, mut events) = start_ready(&comp).await;
            let first = handle.session().unwrap().id();
            // The events so far: connect, join, ready.
            until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
            let r = router.clone();
            tokio::task::spawn_blocking(move || r.restart())
                .await
                .unwrap();
            let seen = until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
            let names: Vec<_> = seen.iter().map(LifecycleEvent::kind).collect();
            assert_eq!(&names[..2], ["leave", "disconnect"], "{names:?}");
            assert_eq!(
                &names[names.len() - 3..],
                ["connect", "join", "ready"],
                "{names:?}"
            );
            assert_ne!(handle.session().unwrap().id(), first);
            assert_live(&url, "restart", &mut rx).await;
            within(LIMIT, "stop", handle.stop()).await.unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_component_started_before_the_router_joins_once_the_router_is_up(router) {
        let kind = router.kind();
        let router = Arc::new(tokio::task::spawn_blocking(move || kind.start()).await.unwrap());
        let r = router.clone();
        tokio::task::spawn_blocking(move || r.stop()).await.unwrap();
        let url = router.rs_url();
        let (comp, mut rx) = calculator("late", vec![spec(&url, fast())]);
        let handle = comp.start();
        let mut events = handle.events();
        // It keeps trying while the router is down (the delays are checked on paused time in
        // tests/component_timing.rs).
        failures(&mut events, 3).await;
        assert!(!handle.is_ready());
        let r = router.clone();
        tokio::task::spawn_blocking(move || r.restart())
            .await
            .unwrap();
        within(LIMIT, "ready", handle.ready())
            .await
            .expect("ready once the router is up");
        assert_live(&url, "late", &mut rx).await;
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn pending_calls_fail_with_session_lost_when_the_connection_drops(router) {
        let kind = router.kind();
        let router = Arc::new(tokio::task::spawn_blocking(move || kind.start()).await.unwrap());
        let url = router.ws_url();
        // A callee that never answers, on a session of its own; it tells when each call reached
        // it.
        let callee = Session::connect(&url, "realm1").await.unwrap();
        let (invoked_tx, mut invoked) = tokio::sync::mpsc::unbounded_channel();
        callee
            .register("com.comp.never", move |_inv: wamp_client::Invocation| {
                let _ = invoked_tx.send(());
                async move { std::future::pending::<Result<wamp_client::Payload, WampError>>().await }
            })
            .await
            .unwrap();
        let comp = Component::builder()
            .transport(spec(&url, fast()))
            .realm("realm1")
            .build()
            .unwrap();
        let (handle, _events) = start_ready(&comp).await;
        let session = handle.session().unwrap();
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let s = session.clone();
                tokio::spawn(async move { s.call::<_, ()>("com.comp.never", ()).await })
            })
            .collect();
        // Every call is pending at the callee when the router dies.
        for _ in 0..20 {
            within(LIMIT, "a call reaches the callee", invoked.recv()).await;
        }
        let r = router.clone();
        tokio::task::spawn_blocking(move || r.kill()).await.unwrap();
        for call in calls {
            let result = within(LIMIT, "a pending call resolves", call)
                .await
                .unwrap();
            assert!(
                matches!(result, Err(CallError::Session(SessionError::Lost(_)))),
                "{result:?}"
            );
        }
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn stop_lets_running_invocations_finish_before_the_goodbye(router) {
        let url = router.rs_url();
        let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
        let comp = Component::builder()
            .transport(spec(&url, fast()))
            .realm("realm1")
            .procedure(
                "com.comp.drain.slow",
                move |_inv: wamp_client::Invocation| {
                    let started_tx = started_tx.clone();
                    async move {
                        let _ = started_tx.send(());
                        tokio::time::sleep(Duration::from_millis(800)).await;
                        wamp_client::Payload::args(&("done",)).map_err(|e| {
                            WampError::with_message("wamp.error.invalid_payload", e.to_string())
                        })
                    }
                },
            )
            .build()
            .unwrap();
        let (handle, _events) = start_ready(&comp).await;
        let caller = Session::connect(&url, "realm1").await.unwrap();
        let call = tokio::spawn(async move {
            let r: Result<String, _> = caller.call("com.comp.drain.slow", ()).await;
            r
        });
        within(LIMIT, "the invocation starts", started.recv()).await;
        let stopping = Instant::now();
        within(LIMIT, "stop", handle.stop()).await.unwrap();
        // The invocation had about 800 ms to go: stop waited for it.
        assert!(
            stopping.elapsed() >= Duration::from_millis(600),
            "stop returned after {:?}, before the invocation ended",
            stopping.elapsed()
        );
        let result = within(LIMIT, "the call", call).await.unwrap();
        assert_eq!(result.expect("the running invocation finished"), "done");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_opening_handshake_timeout_keeps_the_retry_loop_going(router) {
        let proxy = FaultProxy::start(router.addr(Endpoint::Ws).unwrap());
        proxy.set_mode(FaultMode::Silent);
        let config = TransportConfig::new(&proxy.url(Endpoint::Ws))
            .unwrap()
            .connect_timeout(Duration::from_millis(300));
        let comp = Component::builder()
            .transport(TransportSpec::new(config).retry(fast()))
            .realm("realm1")
            .build()
            .unwrap();
        let handle = comp.start();
        let mut events = handle.events();
        for f in failures(&mut events, 3).await {
            assert!(
                matches!(
                    &*f,
                    Failure::Join(JoinError::Connect(wamp_client::ConnectError::Timeout))
                ),
                "{f:?}"
            );
        }
        proxy.set_mode(FaultMode::Forward);
        within(LIMIT, "ready", handle.ready())
            .await
            .expect("ready once the handshake is answered");
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_http_error_during_the_handshake_keeps_the_retry_loop_going(router) {
        let proxy = FaultProxy::start(router.addr(Endpoint::Ws).unwrap());
        proxy.set_mode(FaultMode::HttpError(503));
        let comp = Component::builder()
            .transport(spec(&proxy.url(Endpoint::Ws), fast()))
            .realm("realm1")
            .build()
            .unwrap();
        let handle = comp.start();
        let mut events = handle.events();
        for f in failures(&mut events, 3).await {
            assert!(
                matches!(
                    &*f,
                    Failure::Join(JoinError::Connect(wamp_client::ConnectError::WebSocket {
                        status: Some(503),
                        ..
                    }))
                ),
                "{f:?}"
            );
        }
        proxy.set_mode(FaultMode::Forward);
        within(LIMIT, "ready", handle.ready())
            .await
            .expect("ready once the router answers");
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_dropped_connection_is_replaced_and_the_handlers_are_live_again(router) {
        for (endpoint, tag) in [(Endpoint::Ws, "dropws"), (Endpoint::Rs, "droprs")] {
            let proxy = FaultProxy::start(router.addr(endpoint).unwrap());
            let url = proxy.url(endpoint);
            let (comp, mut rx) = calculator(tag, vec![spec(&url, fast())]);
            let (handle, mut events) = start_ready(&comp).await;
            until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
            proxy.drop_connections();
            let seen = until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
            let names: Vec<_> = seen.iter().map(LifecycleEvent::kind).collect();
            assert_eq!(
                names,
                ["leave", "disconnect", "connect", "join", "ready"],
                "{names:?}"
            );
            assert!(matches!(
                &seen[1],
                LifecycleEvent::Disconnect {
                    was_clean: false,
                    ..
                }
            ));
            assert_live(&router.url(endpoint), tag, &mut rx).await;
            within(LIMIT, "stop", handle.stop()).await.unwrap();
            assert_eq!(
                proxy.accepted(),
                2,
                "one reconnect, then no more after the stop"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_half_open_connection_is_detected_by_keepalive_and_replaced(router) {
        let proxy = FaultProxy::start(router.addr(Endpoint::Ws).unwrap());
        let config = TransportConfig::new(&proxy.url(Endpoint::Ws))
            .unwrap()
            .keepalive(Duration::from_millis(300), Duration::from_millis(1000));
        let (comp, mut rx) = calculator("halfopen", vec![TransportSpec::new(config).retry(fast())]);
        let (handle, mut events) = start_ready(&comp).await;
        until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
        // Pings keep a quiet but healthy connection alive.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(handle.is_ready());
        proxy.set_mode(FaultMode::BlackHole);
        let seen = until(&mut events, |e| matches!(e, LifecycleEvent::Leave { .. })).await;
        let Some(LifecycleEvent::Leave { details, .. }) = seen.last() else {
            unreachable!()
        };
        assert_eq!(details.reason, "wamp.close.transport_lost", "{details:?}");
        assert!(
            details
                .message
                .as_deref()
                .unwrap_or("")
                .contains("keepalive"),
            "{details:?}"
        );
        proxy.set_mode(FaultMode::Forward);
        until(&mut events, |e| matches!(e, LifecycleEvent::Ready { .. })).await;
        assert_live(&router.ws_url(), "halfopen", &mut rx).await;
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    // On the current-thread runtime: the log subscriber set for this thread sees the component's
    // tasks.
    #[tokio::test]
    async fn a_procedure_still_held_by_another_session_is_retried_until_it_is_free(router) {
        let (log_tx, mut log) = tokio::sync::mpsc::unbounded_channel();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || LogLines(log_tx.clone()))
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let url = router.rs_url();
        let holder = Session::connect(&url, "realm1").await.unwrap();
        holder
            .register("com.comp.exists.add2", |a: i64, b: i64| async move {
                Ok::<_, WampError>(a - b)
            })
            .await
            .unwrap();
        let comp = Component::builder()
            .transport(spec(&url, fast()))
            .realm("realm1")
            .procedure("com.comp.exists.add2", |a: i64, b: i64| async move {
                Ok::<_, WampError>(a + b)
            })
            .build()
            .unwrap();
        let handle = comp.start();
        let mut events = handle.events();
        until(&mut events, |e| matches!(e, LifecycleEvent::Join { .. })).await;
        // Crossbar refuses the registration with `procedure_already_exists` and the component
        // retries, as its log says (the delays, and that `ready` waits for the registration, are
        // checked on paused time in tests/component_timing.rs).
        within(LIMIT, "a refused registration retried", async {
            while let Some(line) = log.recv().await {
                if line.contains("procedure still registered by another session")
                    && line.contains("com.comp.exists.add2")
                {
                    return;
                }
            }
        })
        .await;
        assert!(
            !handle.is_ready(),
            "not ready while the procedure is held elsewhere"
        );
        holder.leave().await.unwrap();
        let session = within(LIMIT, "ready", handle.ready()).await.unwrap();
        let sum: i64 = session.call("com.comp.exists.add2", (2, 3)).await.unwrap();
        assert_eq!(sum, 5, "the component's procedure answers");
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_listener_that_runs_on_holds_neither_a_stop_nor_a_reconnect(router) {
        let proxy = FaultProxy::start(router.addr(Endpoint::Rs).unwrap());
        let comp = Component::builder()
            .transport(spec(&proxy.url(Endpoint::Rs), fast()))
            .realm("realm1")
            .stop_timeout(Duration::from_millis(300))
            // Autobahn-style "main" in a listener: a loop that never ends by itself.
            .on_join(|_s: Session, _d| async move {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            })
            .build()
            .unwrap();
        let handle = comp.start();
        let mut events = handle.events();
        until(&mut events, |e| matches!(e, LifecycleEvent::Join { .. })).await;
        // The session is lost while the listener runs: the component reconnects anyway.
        proxy.drop_connections();
        until(&mut events, |e| matches!(e, LifecycleEvent::Leave { .. })).await;
        until(&mut events, |e| matches!(e, LifecycleEvent::Join { .. })).await;
        // A stop waits the stop timeout for the listener, then aborts it.
        let stopping = Instant::now();
        within(LIMIT, "stop", handle.stop()).await.unwrap();
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "{:?}",
            stopping.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_session_left_by_a_join_listener_never_becomes_ready(router) {
        let comp = Component::builder()
            .name("leaves-in-join")
            .transport(spec(&router.ws_url(), fast()))
            .realm("realm1")
            .on_join(|session: Session, _| async move {
                let _ = session.leave().await;
            })
            .build()
            .unwrap();
        let handle = comp.start();
        let events = handle.events();
        let names = rest(events).await;
        assert_eq!(names, ["connect", "join", "leave", "disconnect"]);
        assert!(matches!(
            within(LIMIT, "ready", handle.ready()).await,
            Err(ComponentError::Ended { .. })
        ));
    }
}
