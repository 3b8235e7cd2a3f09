//! No call waits forever, through Crossbar.io 26.10.1 and through our router (every test runs
//! against both: `crossbar::NAME`, `ours::NAME`): call timeouts enforced by the client
//! (Crossbar reads the `timeout` option as seconds and, for a 3 ms timeout, interrupts the
//! callee without answering the caller), calls canceled when their future is dropped or
//! explicitly with a mode, and our callee interrupted by an Autobahn|Python caller that
//! cancels.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wamp_client::{
    CallError, CallOptions, CancelMode, Component, Invocation, JoinOptions, Payload, Session,
    TransportConfig, WampError,
};
use wamp_suite::callees::slow_callee;
use wamp_suite::{within, Endpoint, Peer, TestRouter};

const LIMIT: Duration = Duration::from_secs(20);

/// The slow callee's next report (see [`wamp_suite::callees::slow_callee`]).
async fn next(rx: &mut mpsc::UnboundedReceiver<&'static str>, want: &str) {
    wamp_suite::callees::next_report(rx, want, LIMIT).await;
}

async fn caller(router: &dyn TestRouter) -> Session {
    Session::connect(&router.rs_url(), "realm1").await.unwrap()
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_dropped_call_is_canceled_and_its_callee_interrupted(router) {
        let (_callee, mut events) = slow_callee(router, "com.cancel.dropped").await;
        let caller = caller(router).await;
        let call = caller.call_with("com.cancel.dropped", Payload::new(), CallOptions::default());
        let waiting = tokio::spawn(call);
        next(&mut events, "started").await;
        waiting.abort();
        next(&mut events, "dropped").await;
        // Nothing is left hanging: the session goes on serving calls.
        let r: Result<i64, _> = caller.call("com.cancel.nothing", ()).await;
        assert_eq!(r.unwrap_err().uri(), Some("wamp.error.no_such_procedure"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_explicit_cancel_with_kill_interrupts_the_callee_and_ends_the_call_with_canceled(router) {
        let (_callee, mut events) = slow_callee(router, "com.cancel.kill").await;
        let caller = caller(router).await;
        let call = caller.call_with("com.cancel.kill", Payload::new(), CallOptions::default());
        let canceler = call.canceler();
        let waiting = tokio::spawn(call);
        next(&mut events, "started").await;
        canceler.cancel(CancelMode::Kill);
        next(&mut events, "dropped").await;
        let result = within(LIMIT, "the killed call", waiting).await.unwrap();
        assert_eq!(
            result.unwrap_err().uri(),
            Some("wamp.error.canceled"),
            "the callee's answer to the interruption is passed on"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_explicit_cancel_with_skip_answers_the_caller_and_leaves_the_callee_running(router) {
        let (_callee, mut events) = slow_callee(router, "com.cancel.skip").await;
        let caller = caller(router).await;
        let call = caller.call_with("com.cancel.skip", Payload::new(), CallOptions::default());
        let canceler = call.canceler();
        let waiting = tokio::spawn(call);
        next(&mut events, "started").await;
        canceler.cancel(CancelMode::Skip);
        // At once, although Crossbar.io 26.10.1 never answers a `skip`.
        let result = within(LIMIT, "the skipped call", waiting).await.unwrap();
        assert!(matches!(result, Err(CallError::Canceled)), "{result:?}");
        // The callee was not interrupted.
        let quiet = tokio::time::timeout(Duration::from_millis(500), events.recv()).await;
        assert!(quiet.is_err(), "the callee was interrupted: {quiet:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_autobahn_caller_that_cancels_interrupts_our_handler(router) {
        let (_callee, mut events) = slow_callee(router, "com.cancel.autobahn").await;
        let mut args = router.peer_args(Endpoint::Ws, "json");
        args.extend([
            "--procedure".to_string(),
            "com.cancel.autobahn".to_string(),
            "--cancel-after".to_string(),
            "1".to_string(),
        ]);
        let peer = tokio::task::spawn_blocking(move || {
            let mut caller = Peer::spawn("caller.py", &args);
            let line = caller.expect_line("", LIMIT);
            caller.expect_success(LIMIT);
            line
        });
        next(&mut events, "started").await;
        next(&mut events, "dropped").await;
        let line = within(LIMIT, "the autobahn caller", peer).await.unwrap();
        assert_eq!(line, "CANCELED");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_explicit_cancel_with_killnowait_ends_the_call_at_once_and_interrupts_the_callee(router) {
        let (_callee, mut events) = slow_callee(router, "com.cancel.killnowait").await;
        let caller = caller(router).await;
        let call = caller.call_with(
            "com.cancel.killnowait",
            Payload::new(),
            CallOptions::default(),
        );
        let canceler = call.canceler();
        let waiting = tokio::spawn(call);
        next(&mut events, "started").await;
        canceler.cancel(CancelMode::KillNoWait);
        let result = within(LIMIT, "the canceled call", waiting).await.unwrap();
        assert!(matches!(result, Err(CallError::Canceled)), "{result:?}");
        next(&mut events, "dropped").await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn many_dropped_calls_leave_the_session_serving(router) {
        let counter = Arc::new(AtomicU64::new(0));
        let callee = Session::connect(&router.ws_url(), "realm1")
            .await
            .unwrap();
        let c = counter.clone();
        callee
            .register("com.cancel.many", move |_inv: Invocation| {
                let c = c.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok::<_, WampError>(Payload::new())
                }
            })
            .await
            .unwrap();
        let caller = caller(router).await;
        for _ in 0..5 {
            let calls: Vec<_> = (0..200)
                .map(|_| caller.call_with("com.cancel.many", Payload::new(), CallOptions::default()))
                .collect();
            // Each call is sent, then all are dropped at once.
            let polled = futures_util::future::select_all(calls);
            let _ = tokio::time::timeout(Duration::from_millis(200), polled).await;
        }
        let r: Result<i64, _> = within(LIMIT, "a call after", caller.call("com.cancel.none", ())).await;
        assert_eq!(r.unwrap_err().uri(), Some("wamp.error.no_such_procedure"));
        assert!(caller.is_joined() && callee.is_joined());
    }

    // The client's own call timeout, whatever the router does with the `timeout` option it is
    // sent: Crossbar.io reads it as seconds (and for 3 ms interrupts the callee without answering
    // the caller); our router reads it as milliseconds, as the spec says, and answers ERROR
    // `wamp.error.canceled` ("timeout reached") when the client's own timer is due: the call fails
    // with `CallError::Timeout` either way.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_3_ms_timeout_fails_the_call_with_timeout_whatever_the_router_answers(router) {
        let (_callee, mut events) = slow_callee(router, "com.deadline.three_ms").await;
        let caller = caller(router).await;
        let start = Instant::now();
        let result = within(
            LIMIT,
            "the timed-out call",
            caller.call_with(
                "com.deadline.three_ms",
                Payload::new(),
                CallOptions::default().timeout(Duration::from_millis(3)),
            ),
        )
        .await;
        let took = start.elapsed();
        assert!(
            matches!(result, Err(CallError::Timeout(d)) if d == Duration::from_millis(3)),
            "{result:?}"
        );
        // 3 ms plus scheduling noise on a loaded machine.
        assert!(took < Duration::from_secs(2), "took {took:?}");
        // The callee was interrupted (by Crossbar's own timeout or by our CANCEL).
        next(&mut events, "started").await;
        next(&mut events, "dropped").await;
        // The session is fine afterwards.
        let r: Result<i64, _> = caller.call("com.deadline.none", ()).await;
        assert_eq!(r.unwrap_err().uri(), Some("wamp.error.no_such_procedure"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_2000_ms_timeout_fires_after_two_seconds_whether_the_router_reads_ms_or_seconds(router) {
        let (_callee, mut events) = slow_callee(router, "com.deadline.two_s").await;
        let caller = caller(router).await;
        let start = Instant::now();
        let result = caller
            .call_with(
                "com.deadline.two_s",
                Payload::new(),
                CallOptions::default().timeout(Duration::from_millis(2000)),
            )
            .await;
        let took = start.elapsed();
        assert!(matches!(result, Err(CallError::Timeout(_))), "{result:?}");
        assert!(
            took >= Duration::from_millis(2000) && took < Duration::from_secs(4),
            "took {took:?}"
        );
        next(&mut events, "started").await;
        // Our CANCEL (killnowait) interrupts the callee, Crossbar's 2000 s would not.
        next(&mut events, "dropped").await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_session_default_call_timeout_applies_to_calls_without_their_own(router) {
        let (_callee, mut events) = slow_callee(router, "com.deadline.default").await;
        let transport = TransportConfig::new(&router.rs_url()).unwrap();
        let caller = Session::join(
            &transport,
            JoinOptions::new("realm1").call_timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();
        let result = within(
            LIMIT,
            "the call",
            caller.call::<_, ()>("com.deadline.default", ()),
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
    async fn a_component_call_timeout_bounds_the_calls_of_its_handle(router) {
        let (_callee, mut events) = slow_callee(router, "com.deadline.component").await;
        let comp = Component::builder()
            .transport(router.url(Endpoint::Rs))
            .realm("realm1")
            .call_timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let handle = comp.start();
        within(LIMIT, "ready", handle.ready()).await.unwrap();
        let result = within(
            LIMIT,
            "the call",
            handle.call::<_, ()>("com.deadline.component", ()),
        )
        .await;
        assert!(matches!(result, Err(CallError::Timeout(_))), "{result:?}");
        next(&mut events, "started").await;
        next(&mut events, "dropped").await;
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }
}
