//! The component supervisor's timing on paused time, against the fake router of
//! `wamp_client::testing`: round robin over transports, each with its own backoff, reset by a
//! join; fatal and retried failures; the retry with fresh credentials; the
//! `procedure_already_exists` backoff; the set-up timeout; the stop and leave timeouts; call
//! deadlines; the order of lifecycle events. No test waits for the wall clock: every instant
//! is virtual, and where a policy makes it deterministic the exact instant is asserted.
//! Crossbar.io runs the same behaviours for interop in `tests/component.rs` and
//! `tests/auth.rs`.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use wamp_client::component::{
    TransportOutcome, ALREADY_EXISTS_RETRY_FOR, DEFAULT_SETUP_TIMEOUT, DEFAULT_STOP_TIMEOUT,
};
use wamp_client::testing::{FakePeer, FakeRouter, Frame, RAWSOCKET_URL, WEBSOCKET_URL};
use wamp_client::{
    AuthMethod, Authentication, CallError, CallOptions, Component, ComponentError, ComponentHandle,
    Failure, Invocation, JoinError, LifecycleEvent, Payload, RegisterError, RetryPolicy, Session,
    TransportSpec, WampError,
};
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::Json;
use wamp_core::{Dict, Id, Value};

/// Far beyond every bound tested here (virtual time): a test that reaches it has hung.
const HUNG: Duration = Duration::from_secs(24 * 3600);

/// How long a test waits, in virtual time, for something that must not happen.
const AN_HOUR: Duration = Duration::from_secs(3600);

async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(HUNG, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A retry policy without jitter: its delays are exact.
fn exact(initial_ms: u64, growth: f64, max_ms: u64, max_retries: i64) -> RetryPolicy {
    RetryPolicy::default()
        .initial_retry_delay(ms(initial_ms))
        .retry_delay_growth(growth)
        .max_retry_delay(ms(max_ms))
        .retry_delay_jitter(0.0)
        .max_retries(max_retries)
}

fn on(router: &FakeRouter, policy: RetryPolicy) -> TransportSpec {
    TransportSpec::new(router.config()).retry(policy)
}

/// The connections made to the routers: (router URL, virtual time since the test started).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(String, Duration)>>>);

impl Log {
    fn note(&self, url: &str, start: Instant) {
        self.0
            .lock()
            .unwrap()
            .push((url.to_owned(), start.elapsed()));
    }

    fn taken(&self) -> Vec<(String, Duration)> {
        self.0.lock().unwrap().clone()
    }
}

/// `(url, ms)` pairs as a log's entries.
fn entries(expected: &[(&str, u64)]) -> Vec<(String, Duration)> {
    expected
        .iter()
        .map(|(u, t)| ((*u).to_owned(), ms(*t)))
        .collect()
}

/// Serves `router` as a router that is down: every connection is noted and closed at once,
/// before the transport handshake.
fn closing(mut router: FakeRouter, log: Log, start: Instant) -> JoinHandle<()> {
    let url = router.config().url().to_owned();
    tokio::spawn(async move {
        for _ in 0..1000 {
            let raw = router.accept_raw().await;
            log.note(&url, start);
            drop(raw);
        }
    })
}

/// Serves `router` by answering every HELLO with ABORT `reason`, noting each connection.
fn aborting(
    mut router: FakeRouter,
    reason: &'static str,
    log: Log,
    start: Instant,
) -> JoinHandle<()> {
    let url = router.config().url().to_owned();
    tokio::spawn(async move {
        for _ in 0..1000 {
            let mut peer = router.accept().await;
            log.note(&url, start);
            peer.expect_hello().await;
            peer.send(&abort(reason)).await;
            while peer.recv().await.is_some() {}
        }
    })
}

fn abort(reason: &str) -> Message {
    Message::Abort {
        details: Dict::new(),
        reason: reason.into(),
    }
}

/// Every lifecycle event of the component from its start, with the virtual time it came at,
/// until the component ends.
fn recorder(
    handle: &ComponentHandle,
    start: Instant,
) -> JoinHandle<Vec<(Duration, LifecycleEvent)>> {
    let mut events = handle.events();
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(e) = events.next().await {
            seen.push((start.elapsed(), e));
            assert!(seen.len() < 1000, "too many events: {seen:?}");
        }
        seen
    })
}

/// The `Retry` events: (url, attempt, delay, when).
fn retries(events: &[(Duration, LifecycleEvent)]) -> Vec<(String, u64, Duration, Duration)> {
    events
        .iter()
        .filter_map(|(at, e)| match e {
            LifecycleEvent::Retry {
                url,
                attempt,
                delay,
            } => Some((url.clone(), *attempt, *delay, *at)),
            _ => None,
        })
        .collect()
}

fn kinds(events: &[(Duration, LifecycleEvent)]) -> Vec<&'static str> {
    events.iter().map(|(_, e)| e.kind()).collect()
}

/// The transports' outcomes of a component that gave up.
fn exhausted(e: &ComponentError) -> &[TransportOutcome] {
    match e {
        ComponentError::Exhausted { transports, .. } => transports,
        other => panic!("expected Exhausted, got {other:?}"),
    }
}

/// Stops the component while `peer` answers its GOODBYE (and reads on until the client
/// closes the connection).
async fn stop_answering(
    handle: &ComponentHandle,
    peer: &mut FakePeer,
) -> Result<(), ComponentError> {
    let router = async {
        while let Some(msg) = peer.recv().await {
            if let Message::Goodbye { .. } = msg {
                peer.goodbye().await;
            }
        }
    };
    bounded("stop", async { tokio::join!(handle.stop(), router).0 }).await
}

// ---- round robin and backoff ----

#[tokio::test(start_paused = true)]
async fn attempts_alternate_over_the_transports_in_order_each_waiting_its_own_delay_grown_and_capped(
) {
    let start = Instant::now();
    let log = Log::default();
    let (a, b) = (FakeRouter::websocket(Json), FakeRouter::rawsocket(Json));
    let comp = Component::builder()
        .transport(on(&a, exact(1000, 2.0, 4000, 4)))
        .transport(on(&b, exact(500, 1.5, 1000, 4)))
        .realm("realm1")
        .build()
        .unwrap();
    let _a = closing(a, log.clone(), start);
    let _b = closing(b, log.clone(), start);
    let handle = comp.start();
    let events = recorder(&handle, start);
    let err = bounded("the component's end", handle.wait())
        .await
        .unwrap_err();
    let (a, b) = (WEBSOCKET_URL, RAWSOCKET_URL);
    // a waits 1 s, 2 s, then 4 s (8 s capped); b 500 ms, 750 ms, then 1 s (1.125 s capped).
    // Each wait starts when the attempt before it, on either transport, has failed.
    assert_eq!(
        log.taken(),
        entries(&[
            (a, 0),
            (b, 0),
            (a, 1000),
            (b, 1500),
            (a, 3500),
            (b, 4250),
            (a, 8250),
            (b, 9250),
            (a, 13_250),
            (b, 14_250),
        ])
    );
    assert_eq!(
        start.elapsed(),
        ms(14_250),
        "the end comes with the last failure"
    );
    let announced: Vec<_> = retries(&events.await.unwrap())
        .into_iter()
        .map(|(url, attempt, delay, _)| (url, attempt, delay))
        .collect();
    let want: Vec<_> = [
        (a, 2, 1000),
        (b, 2, 500),
        (a, 3, 2000),
        (b, 3, 750),
        (a, 4, 4000),
        (b, 4, 1000),
        (a, 5, 4000),
        (b, 5, 1000),
    ]
    .iter()
    .map(|(u, n, d)| ((*u).to_owned(), *n, ms(*d)))
    .collect();
    assert_eq!(announced, want);
    // Both used up their four retries; the error names each.
    let transports = exhausted(&err);
    assert_eq!(transports.len(), 2);
    for (t, url) in transports.iter().zip([a, b]) {
        assert_eq!(t.url, url);
        assert_eq!(t.attempts, 5, "{err}");
        assert!(!t.fatal, "{err}");
        assert!(
            matches!(
                t.last_failure.as_deref(),
                Some(Failure::Join(JoinError::Connect(_)))
            ),
            "{err}"
        );
    }
    let text = err.to_string();
    assert!(
        text.contains(a) && text.contains(b) && text.contains("5 attempts"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_successful_join_resets_the_delay_of_its_transport_and_not_of_the_others() {
    let start = Instant::now();
    let log = Log::default();
    let (a, mut b) = (FakeRouter::websocket(Json), FakeRouter::rawsocket(Json));
    let comp = Component::builder()
        .transport(on(&a, exact(1000, 2.0, 60_000, -1)))
        .transport(on(&b, exact(250, 2.0, 60_000, -1)))
        .realm("realm1")
        .build()
        .unwrap();
    let a_task = closing(a, log.clone(), start);
    let handle = comp.start();
    let events = recorder(&handle, start);
    let (a, b_url) = (WEBSOCKET_URL, RAWSOCKET_URL);

    // b: down, then up; the session is lost after 10 s.
    drop(bounded("accept", b.accept_raw()).await);
    log.note(b_url, start);
    let mut peer = bounded("accept", b.accept()).await;
    log.note(b_url, start);
    peer.welcome().await;
    bounded("ready", handle.ready()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    drop(peer);
    // b again: down, then up.
    drop(bounded("accept", b.accept_raw()).await);
    log.note(b_url, start);
    let mut peer = bounded("accept", b.accept()).await;
    log.note(b_url, start);
    peer.welcome().await;
    bounded("ready", handle.ready()).await.unwrap();

    // a's delays grow on (1 s, 2 s, 4 s); b starts over after its join: at once, then 250 ms.
    assert_eq!(
        log.taken(),
        entries(&[
            (a, 0),
            (b_url, 0),
            (a, 1000),
            (b_url, 1250),
            (a, 13_250),
            (b_url, 13_250),
            (a, 17_250),
            (b_url, 17_500),
        ])
    );
    stop_answering(&handle, &mut peer).await.unwrap();
    a_task.abort();
    let announced = retries(&events.await.unwrap());
    let want: Vec<_> = [
        (a, 2, 1000, 0),
        (b_url, 2, 250, 1000),
        (a, 3, 2000, 11_250),
        (a, 4, 4000, 13_250),
        (b_url, 2, 250, 17_250),
    ]
    .iter()
    .map(|(u, n, d, at)| ((*u).to_owned(), *n, ms(*d), ms(*at)))
    .collect();
    assert_eq!(announced, want);
}

#[tokio::test(start_paused = true)]
async fn with_the_default_policy_retries_wait_about_1_5_s_then_1_5_times_more_within_the_jitter() {
    let start = Instant::now();
    let log = Log::default();
    let router = FakeRouter::rawsocket(Json);
    let comp = Component::builder()
        .transport(on(&router, RetryPolicy::default().max_retries(5)))
        .realm("realm1")
        .build()
        .unwrap();
    let _router = closing(router, log.clone(), start);
    let handle = comp.start();
    let events = recorder(&handle, start);
    bounded("the component's end", handle.wait())
        .await
        .unwrap_err();
    let announced = retries(&events.await.unwrap());
    assert_eq!(announced.len(), 5);
    // 10% jitter, drawn within three standard deviations: 70% to 130% of the base.
    let mut base = 1.5;
    for (_, attempt, delay, _) in &announced {
        let d = delay.as_secs_f64();
        assert!(
            (base * 0.7..=base * 1.3).contains(&d),
            "attempt {attempt}: {d} s for a base of {base} s: {announced:?}"
        );
        base = d * 1.5;
    }
    // Each attempt comes after the announced delay (timers have a 1 ms resolution).
    let times: Vec<Duration> = log.taken().into_iter().map(|(_, t)| t).collect();
    assert_eq!(times.len(), 6);
    for (gap, (_, _, delay, _)) in times.windows(2).map(|w| w[1] - w[0]).zip(&announced) {
        assert!(
            gap >= *delay && gap <= *delay + ms(1),
            "{gap:?} after a delay of {delay:?}"
        );
    }
}

// ---- fatal and retried failures ----

#[tokio::test(start_paused = true)]
async fn an_abort_no_such_realm_ends_its_transport_after_one_attempt_while_a_transport_error_is_retried(
) {
    let start = Instant::now();
    let log = Log::default();
    let (a, b) = (FakeRouter::websocket(Json), FakeRouter::rawsocket(Json));
    let comp = Component::builder()
        .transport(on(&a, exact(1000, 1.0, 1000, 2)))
        .transport(on(&b, exact(1000, 1.0, 1000, 2)))
        .realm("realm1")
        .build()
        .unwrap();
    let _a = aborting(a, "wamp.error.no_such_realm", log.clone(), start);
    let _b = closing(b, log.clone(), start);
    let handle = comp.start();
    let err = bounded("the component's end", handle.wait())
        .await
        .unwrap_err();
    let (a, b) = (WEBSOCKET_URL, RAWSOCKET_URL);
    assert_eq!(
        log.taken(),
        entries(&[(a, 0), (b, 0), (b, 1000), (b, 2000)])
    );
    let transports = exhausted(&err);
    assert!(transports[0].fatal && transports[0].attempts == 1, "{err}");
    assert!(
        matches!(
            transports[0].last_failure.as_deref(),
            Some(Failure::Join(JoinError::Refused(d))) if d.reason == "wamp.error.no_such_realm"
        ),
        "{err}"
    );
    assert!(!transports[1].fatal && transports[1].attempts == 3, "{err}");
    assert!(
        matches!(
            transports[1].last_failure.as_deref(),
            Some(Failure::Join(JoinError::Connect(_)))
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("{a} (fatal)")) && text.contains(&format!("{b} (3 attempts)")),
        "{text}"
    );
    // Nothing is tried after the end.
    tokio::time::sleep(AN_HOUR).await;
    assert_eq!(log.taken().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn an_authentication_refusal_ends_the_transport_after_one_attempt() {
    // Refused after a challenge, and refused at once.
    for challenged in [true, false] {
        let mut router = FakeRouter::rawsocket(Json);
        let comp = Component::builder()
            .transport(on(&router, exact(1000, 1.0, 1000, -1)))
            .realm("realm1")
            .authentication(
                Authentication::new()
                    .authid("joe")
                    .method(AuthMethod::ticket("wrong-ticket")),
            )
            .build()
            .unwrap();
        let handle = comp.start();
        let mut peer = bounded("accept", router.accept()).await;
        peer.expect_hello().await;
        let reason = if challenged {
            let (signature, _) = peer.challenge("ticket", Dict::new()).await;
            assert_eq!(signature, "wrong-ticket");
            "wamp.error.authentication_failed"
        } else {
            "wamp.error.not_authorized"
        };
        peer.send(&abort(reason)).await;
        let err = bounded("the component's end", handle.wait())
            .await
            .unwrap_err();
        let t = &exhausted(&err)[0];
        assert!(t.fatal && t.attempts == 1, "{err}");
        match t.last_failure.as_deref() {
            Some(Failure::Join(JoinError::Authentication {
                method, reason: r, ..
            })) => {
                assert_eq!((method.as_str(), r.as_str()), ("ticket", reason));
            }
            other => panic!("{other:?}"),
        }
        // No second connection, however long we wait.
        let again = tokio::time::timeout(AN_HOUR, router.accept_raw()).await;
        assert!(again.is_err(), "a refused transport was tried again");
    }
}

#[tokio::test(start_paused = true)]
async fn is_fatal_can_make_refusals_retried_and_transport_errors_fatal() {
    // Refusals of the realm and of the credentials, retried with the policy's delays.
    for reason in [
        "wamp.error.no_such_realm",
        "wamp.error.authentication_failed",
    ] {
        let start = Instant::now();
        let log = Log::default();
        let router = FakeRouter::rawsocket(Json);
        let comp = Component::builder()
            .transport(on(&router, exact(1000, 2.0, 60_000, 2)))
            .realm("realm1")
            .is_fatal(|f: &Failure| {
                matches!(
                    f,
                    Failure::Join(JoinError::Refused(_) | JoinError::Authentication { .. })
                )
                .then_some(false)
            })
            .build()
            .unwrap();
        let _router = aborting(router, reason, log.clone(), start);
        let err = bounded("the component's end", comp.start().wait())
            .await
            .unwrap_err();
        let url = RAWSOCKET_URL;
        assert_eq!(
            log.taken(),
            entries(&[(url, 0), (url, 1000), (url, 3000)]),
            "{reason}"
        );
        let t = &exhausted(&err)[0];
        assert!(!t.fatal && t.attempts == 3, "{reason}: {err}");
    }
    // A transport error made fatal: one attempt.
    let start = Instant::now();
    let log = Log::default();
    let router = FakeRouter::rawsocket(Json);
    let comp = Component::builder()
        .transport(on(&router, exact(1000, 2.0, 60_000, -1)))
        .realm("realm1")
        .is_fatal(|f: &Failure| matches!(f, Failure::Join(JoinError::Connect(_))).then_some(true))
        .build()
        .unwrap();
    let _router = closing(router, log.clone(), start);
    let err = bounded("the component's end", comp.start().wait())
        .await
        .unwrap_err();
    let t = &exhausted(&err)[0];
    assert!(t.fatal && t.attempts == 1, "{err}");
    tokio::time::sleep(AN_HOUR).await;
    assert_eq!(log.taken(), entries(&[(RAWSOCKET_URL, 0)]));
}

// ---- the retry with fresh credentials ----

/// A component whose credential provider hands out `ticket-1`, `ticket-2`, ... (counted in
/// `asked`), retrying after 1 s.
fn with_a_provider(router: &FakeRouter, asked: Arc<AtomicUsize>) -> Component {
    Component::builder()
        .transport(on(router, exact(1000, 1.0, 1000, -1)))
        .realm("realm1")
        .credentials(move || {
            let n = asked.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                Ok::<_, String>(
                    Authentication::new()
                        .authid("joe")
                        .method(AuthMethod::ticket(format!("ticket-{n}"))),
                )
            }
        })
        .build()
        .unwrap()
}

/// Accepts a connection, challenges for a ticket and returns the peer with the ticket sent.
async fn challenged(router: &mut FakeRouter) -> (FakePeer, String) {
    let mut peer = bounded("accept", router.accept()).await;
    peer.expect_hello().await;
    let (ticket, _) = peer.challenge("ticket", Dict::new()).await;
    (peer, ticket)
}

#[tokio::test(start_paused = true)]
async fn after_an_authentication_refusal_the_provider_is_asked_once_more_and_a_second_refusal_is_fatal(
) {
    let mut router = FakeRouter::rawsocket(Json);
    let asked = Arc::new(AtomicUsize::new(0));
    let handle = with_a_provider(&router, asked.clone()).start();
    let mut tickets = Vec::new();
    for _ in 0..2 {
        let (mut peer, ticket) = challenged(&mut router).await;
        tickets.push(ticket);
        peer.send(&abort("wamp.error.authentication_failed")).await;
    }
    assert_eq!(tickets, ["ticket-1", "ticket-2"]);
    let err = bounded("the component's end", handle.wait())
        .await
        .unwrap_err();
    let t = &exhausted(&err)[0];
    assert!(t.fatal, "{err}");
    assert!(
        matches!(
            t.last_failure.as_deref(),
            Some(Failure::Join(JoinError::Authentication { .. }))
        ),
        "{err}"
    );
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    let again = tokio::time::timeout(AN_HOUR, router.accept_raw()).await;
    assert!(again.is_err(), "a third attempt after the second refusal");
}

#[tokio::test(start_paused = true)]
async fn fresh_credentials_accepted_after_a_refusal_join_and_the_component_gets_ready() {
    let mut router = FakeRouter::rawsocket(Json);
    let asked = Arc::new(AtomicUsize::new(0));
    let handle = with_a_provider(&router, asked.clone()).start();
    let (mut peer, stale) = challenged(&mut router).await;
    assert_eq!(stale, "ticket-1");
    peer.send(&abort("wamp.error.authentication_failed")).await;
    let (mut peer, fresh) = challenged(&mut router).await;
    assert_eq!(fresh, "ticket-2");
    peer.send_welcome(wamp_client::testing::router_details())
        .await;
    let session = bounded("ready", handle.ready()).await.unwrap();
    assert!(session.is_joined());
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    stop_answering(&handle, &mut peer).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_retry_with_fresh_credentials_is_made_at_once_without_a_retry_delay() {
    let start = Instant::now();
    let mut router = FakeRouter::rawsocket(Json);
    let asked = Arc::new(AtomicUsize::new(0));
    let handle = with_a_provider(&router, asked.clone()).start();
    let events = recorder(&handle, start);
    let (mut peer, _) = challenged(&mut router).await;
    peer.send(&abort("wamp.error.authentication_failed")).await;
    let (mut peer, _) = challenged(&mut router).await;
    assert_eq!(start.elapsed(), Duration::ZERO, "the fresh retry waited");
    peer.send(&abort("wamp.error.authentication_failed")).await;
    bounded("the component's end", handle.wait())
        .await
        .unwrap_err();
    let events = events.await.unwrap();
    assert!(retries(&events).is_empty(), "{:?}", kinds(&events));
}

#[tokio::test(start_paused = true)]
async fn the_retry_with_fresh_credentials_is_made_even_when_no_retries_are_allowed() {
    let mut router = FakeRouter::rawsocket(Json);
    let asked = Arc::new(AtomicUsize::new(0));
    let provider = asked.clone();
    let comp = Component::builder()
        .transport(on(&router, exact(1000, 1.0, 1000, 0)))
        .realm("realm1")
        .credentials(move || {
            let n = provider.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                Ok::<_, String>(
                    Authentication::new()
                        .authid("joe")
                        .method(AuthMethod::ticket(format!("ticket-{n}"))),
                )
            }
        })
        .build()
        .unwrap();
    let handle = comp.start();
    let (mut peer, _) = challenged(&mut router).await;
    peer.send(&abort("wamp.error.authentication_failed")).await;
    let second = tokio::time::timeout(AN_HOUR, challenged(&mut router)).await;
    let Ok((mut peer, ticket)) = second else {
        panic!("no retry with fresh credentials")
    };
    assert_eq!(ticket, "ticket-2");
    peer.send(&abort("wamp.error.authentication_failed")).await;
    let err = bounded("the component's end", handle.wait())
        .await
        .unwrap_err();
    assert!(exhausted(&err)[0].fatal, "{err}");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

// ---- lifecycle events ----

#[tokio::test(start_paused = true)]
async fn lifecycle_events_come_in_order_for_each_session_and_each_retry_announces_its_delay() {
    let start = Instant::now();
    let mut router = FakeRouter::rawsocket(Json);
    let heard = Arc::new(Mutex::new(Vec::new()));
    let note = |name: &'static str| {
        let heard = heard.clone();
        move || heard.lock().unwrap().push(name)
    };
    let comp = {
        let (c, j, r, l, d, f) = (
            note("connect"),
            note("join"),
            note("ready"),
            note("leave"),
            note("disconnect"),
            note("connect_failure"),
        );
        Component::builder()
            .transport(on(&router, exact(1000, 2.0, 60_000, -1)))
            .realm("realm1")
            .on_connect(move |_| {
                c();
                async {}
            })
            .on_join(move |_, _| {
                j();
                async {}
            })
            .on_ready(move |_, _| {
                r();
                async {}
            })
            .on_leave(move |_, _| {
                l();
                async {}
            })
            .on_disconnect(move |_, _| {
                d();
                async {}
            })
            .on_connect_failure(move |_, _| {
                f();
                async {}
            })
            .build()
            .unwrap()
    };
    let handle = comp.start();
    let events = recorder(&handle, start);
    // 0 s: the router is down.
    drop(bounded("accept", router.accept_raw()).await);
    // 1 s: connected, and the join refused (a retried refusal).
    let mut peer = bounded("accept", router.accept()).await;
    peer.expect_hello().await;
    peer.send(&abort("wamp.close.system_shutdown")).await;
    drop(peer);
    // 3 s: joined, and the connection lost 5 s later.
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    bounded("ready", handle.ready()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    drop(peer);
    // 8 s: at once after a lost session, joined again; stopped 1 s later.
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    bounded("ready", handle.ready()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop_answering(&handle, &mut peer).await.unwrap();

    let events = events.await.unwrap();
    let seen: Vec<(u64, &str)> = events
        .iter()
        .map(|(at, e)| (at.as_millis() as u64, e.kind()))
        .collect();
    assert_eq!(
        seen,
        [
            (0, "connect_failure"),
            (0, "retry"),
            (1000, "connect"),
            (1000, "disconnect"),
            (1000, "connect_failure"),
            (1000, "retry"),
            (3000, "connect"),
            (3000, "join"),
            (3000, "ready"),
            (8000, "leave"),
            (8000, "disconnect"),
            (8000, "connect"),
            (8000, "join"),
            (8000, "ready"),
            (9000, "leave"),
            (9000, "disconnect"),
        ]
    );
    let delays: Vec<_> = retries(&events)
        .into_iter()
        .map(|(_, attempt, delay, _)| (attempt, delay))
        .collect();
    assert_eq!(delays, [(2, ms(1000)), (3, ms(2000))]);
    let clean: Vec<bool> = events
        .iter()
        .filter_map(|(_, e)| match e {
            LifecycleEvent::Disconnect { was_clean, .. } => Some(*was_clean),
            _ => None,
        })
        .collect();
    assert_eq!(clean, [false, false, true]);
    // The listeners hear the same events in the same order, retries excepted.
    let listened: Vec<&str> = kinds(&events)
        .into_iter()
        .filter(|k| *k != "retry")
        .collect();
    assert_eq!(*heard.lock().unwrap(), listened);
}

// ---- procedure_already_exists ----

/// Reads REGISTER; returns its request id and procedure.
async fn expect_register(peer: &mut FakePeer) -> (Id, String) {
    match bounded("recv", peer.recv()).await {
        Some(Message::Register {
            request, procedure, ..
        }) => (request, procedure.into_string()),
        other => panic!("expected REGISTER, got {other:?}"),
    }
}

fn already_exists(request: Id) -> Message {
    Message::Error {
        request_type: RequestType::Register,
        request,
        details: Dict::new(),
        error: "wamp.error.procedure_already_exists".into(),
        args: vec![],
        kwargs: Dict::new(),
    }
}

fn echo_component(router: &FakeRouter, ready: Arc<AtomicUsize>) -> Component {
    Component::builder()
        .transport(on(router, exact(1000, 1.0, 1000, -1)))
        .realm("realm1")
        .procedure("com.example.echo", |inv: Invocation| async move {
            Ok::<_, WampError>(inv.payload)
        })
        .on_ready(move |_, _| {
            ready.fetch_add(1, Ordering::SeqCst);
            async {}
        })
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_procedure_still_registered_elsewhere_is_retried_from_100_ms_doubling_and_ready_fires_once_it_is_registered(
) {
    let mut router = FakeRouter::rawsocket(Json);
    let ready = Arc::new(AtomicUsize::new(0));
    let handle = echo_component(&router, ready.clone()).start();
    let events = recorder(&handle, Instant::now());
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    let joined = Instant::now();
    let mut times = Vec::new();
    for _ in 0..4 {
        let (request, procedure) = expect_register(&mut peer).await;
        assert_eq!(procedure, "com.example.echo");
        times.push(joined.elapsed());
        assert!(!handle.is_ready());
        peer.send(&already_exists(request)).await;
    }
    let (request, _) = expect_register(&mut peer).await;
    times.push(joined.elapsed());
    peer.send(&Message::Registered {
        request,
        registration: 7,
    })
    .await;
    assert_eq!(times, [0, 100, 300, 700, 1500].map(ms));
    let session = bounded("ready", handle.ready()).await.unwrap();
    assert_eq!(joined.elapsed(), ms(1500));
    assert!(session.is_joined());
    stop_answering(&handle, &mut peer).await.unwrap();
    let events = events.await.unwrap();
    assert_eq!(
        kinds(&events),
        ["connect", "join", "ready", "leave", "disconnect"]
    );
    assert_eq!(ready.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_procedure_still_registered_elsewhere_after_10_s_is_reported_with_delays_capped_at_2_s() {
    assert_eq!(ALREADY_EXISTS_RETRY_FOR, Duration::from_secs(10));
    let mut router = FakeRouter::rawsocket(Json);
    let ready = Arc::new(AtomicUsize::new(0));
    let handle = echo_component(&router, ready.clone()).start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    let joined = Instant::now();
    let mut times = Vec::new();
    let goodbye = loop {
        match bounded("recv", peer.recv()).await {
            Some(Message::Register { request, .. }) => {
                times.push(joined.elapsed());
                assert!(times.len() < 50, "{times:?}");
                peer.send(&already_exists(request)).await;
            }
            Some(Message::Goodbye { .. }) => break joined.elapsed(),
            other => panic!("{other:?}"),
        }
    };
    // 100, 200, 400, 800, 1600 ms, then 2 s while the next attempt is within 10 s.
    assert_eq!(
        times,
        [0, 100, 300, 700, 1500, 3100, 5100, 7100, 9100].map(ms)
    );
    // Reported at the last refusal: the session is left, and a refused procedure is fatal.
    assert_eq!(goodbye, ms(9100));
    peer.goodbye().await;
    let err = bounded("the component's end", handle.wait())
        .await
        .unwrap_err();
    let t = &exhausted(&err)[0];
    assert!(t.fatal, "{err}");
    match t.last_failure.as_deref() {
        Some(Failure::Register {
            procedure,
            error: RegisterError::Application(e),
        }) => {
            assert_eq!(procedure, "com.example.echo");
            assert_eq!(e.uri, "wamp.error.procedure_already_exists");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ready.load(Ordering::SeqCst), 0, "never ready");
}

// ---- the set-up timeout ----

#[tokio::test(start_paused = true)]
async fn a_subscription_never_confirmed_is_given_up_after_the_default_30_s_and_the_transport_retried_at_once(
) {
    assert_eq!(DEFAULT_SETUP_TIMEOUT, Duration::from_secs(30));
    let start = Instant::now();
    let mut router = FakeRouter::rawsocket(Json);
    // No keepalive: its first probe would come at 30 s too.
    let config = router.config().no_keepalive();
    let comp = Component::builder()
        .transport(TransportSpec::new(config).retry(exact(1000, 1.0, 1000, -1)))
        .realm("realm1")
        .subscription("com.example.topic", |_: wamp_client::Event| async {})
        .build()
        .unwrap();
    let handle = comp.start();
    let events = recorder(&handle, start);
    let mut first = bounded("accept", router.accept()).await;
    first.welcome().await;
    let Some(Message::Subscribe { .. }) = bounded("recv", first.recv()).await else {
        panic!("expected SUBSCRIBE")
    };
    // Never answered: left after 30 s.
    let Some(Message::Goodbye { .. }) = bounded("recv", first.recv()).await else {
        panic!("expected GOODBYE")
    };
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    first.goodbye().await;
    // A new session at once: the join had reset the transport's delay.
    let mut second = bounded("accept", router.accept()).await;
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    second.welcome().await;
    assert_eq!(second.answer_subscribe(5).await, "com.example.topic");
    bounded("ready", handle.ready()).await.unwrap();
    stop_answering(&handle, &mut second).await.unwrap();
    let events = events.await.unwrap();
    assert_eq!(
        kinds(&events),
        [
            "connect",
            "join",
            "leave",
            "disconnect",
            "connect",
            "join",
            "ready",
            "leave",
            "disconnect"
        ]
    );
}

// ---- stop ----

/// A component with `com.example.work`, whose handler runs `work` then answers `done`;
/// returns it with a receiver told when the handler starts.
fn worker<F, Fut>(
    router: &FakeRouter,
    work: F,
) -> (Component, tokio::sync::mpsc::UnboundedReceiver<()>)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let work = Arc::new(work);
    let (started_tx, started) = tokio::sync::mpsc::unbounded_channel();
    let comp = Component::builder()
        .transport(on(router, exact(1000, 1.0, 1000, -1)))
        .realm("realm1")
        .procedure("com.example.work", move |_: Invocation| {
            let work = work.clone();
            let _ = started_tx.send(());
            async move {
                work().await;
                Ok::<_, WampError>(Payload::args(&("done",)).unwrap())
            }
        })
        .build()
        .unwrap();
    (comp, started)
}

/// Joins, registers, and starts invocation 1 of the component's one procedure; returns once
/// its handler runs.
async fn ready_and_invoked(
    router: &mut FakeRouter,
    handle: &ComponentHandle,
    started: &mut tokio::sync::mpsc::UnboundedReceiver<()>,
) -> FakePeer {
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_register(7).await;
    bounded("ready", handle.ready()).await.unwrap();
    peer.invoke(1, 7, Dict::new(), vec![]).await;
    bounded("the handler", started.recv()).await.unwrap();
    peer
}

/// Notes when it is dropped: an aborted task drops its future, and with it this.
struct DropClock(Arc<Mutex<Option<Instant>>>);

impl Drop for DropClock {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(Instant::now());
    }
}

#[tokio::test(start_paused = true)]
async fn stop_lets_a_running_invocation_answer_then_says_goodbye() {
    let mut router = FakeRouter::rawsocket(Json);
    let (comp, mut started) = worker(&router, || tokio::time::sleep(Duration::from_secs(3)));
    let handle = comp.start();
    let mut peer = ready_and_invoked(&mut router, &handle, &mut started).await;
    let stopping = Instant::now();
    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    match bounded("recv", peer.recv()).await {
        Some(Message::Yield {
            request: 1, args, ..
        }) => {
            assert_eq!(args, [Value::from("done")]);
        }
        other => panic!("expected YIELD, got {other:?}"),
    }
    assert_eq!(stopping.elapsed(), Duration::from_secs(3));
    let Some(Message::Goodbye { .. }) = bounded("recv", peer.recv()).await else {
        panic!("expected GOODBYE")
    };
    assert_eq!(stopping.elapsed(), Duration::from_secs(3));
    peer.goodbye().await;
    bounded("stop", stop).await.unwrap().unwrap();
    assert_eq!(stopping.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn stop_with_an_invocation_still_running_says_goodbye_after_the_default_10_s_and_aborts_it() {
    assert_eq!(DEFAULT_STOP_TIMEOUT, Duration::from_secs(10));
    let mut router = FakeRouter::rawsocket(Json);
    let dropped = Arc::new(Mutex::new(None));
    let (comp, mut started) = worker(&router, {
        let dropped = dropped.clone();
        move || {
            let guard = DropClock(dropped.clone());
            async move {
                std::future::pending::<()>().await;
                drop(guard);
            }
        }
    });
    let handle = comp.start();
    let mut peer = ready_and_invoked(&mut router, &handle, &mut started).await;
    let stopping = Instant::now();
    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    let Some(Message::Goodbye { .. }) = bounded("recv", peer.recv()).await else {
        panic!("expected GOODBYE")
    };
    assert_eq!(stopping.elapsed(), DEFAULT_STOP_TIMEOUT);
    assert!(
        dropped.lock().unwrap().is_none(),
        "aborted before the GOODBYE"
    );
    peer.goodbye().await;
    bounded("stop", stop).await.unwrap().unwrap();
    assert_eq!(stopping.elapsed(), DEFAULT_STOP_TIMEOUT);
    let aborted = dropped.lock().unwrap().expect("the handler was aborted");
    assert_eq!(aborted - stopping, DEFAULT_STOP_TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn a_listener_still_running_at_stop_is_aborted_after_the_stop_timeout_then_goodbye() {
    let stop_timeout = Duration::from_secs(3);
    let mut router = FakeRouter::rawsocket(Json);
    let dropped = Arc::new(Mutex::new(None));
    let (running_tx, mut running) = tokio::sync::mpsc::unbounded_channel();
    let comp = {
        let dropped = dropped.clone();
        Component::builder()
            .transport(on(&router, exact(1000, 1.0, 1000, -1)))
            .realm("realm1")
            .stop_timeout(stop_timeout)
            .on_ready(move |_, _| {
                let guard = DropClock(dropped.clone());
                let running_tx = running_tx.clone();
                async move {
                    let _ = running_tx.send(());
                    std::future::pending::<()>().await;
                    drop(guard);
                }
            })
            .build()
            .unwrap()
    };
    let handle = comp.start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    bounded("the listener", running.recv()).await.unwrap();
    let stopping = Instant::now();
    let stop = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop().await }
    });
    let Some(Message::Goodbye { .. }) = bounded("recv", peer.recv()).await else {
        panic!("expected GOODBYE")
    };
    assert_eq!(stopping.elapsed(), stop_timeout);
    let aborted = dropped.lock().unwrap().expect("the listener was aborted");
    assert_eq!(aborted - stopping, stop_timeout);
    peer.goodbye().await;
    bounded("stop", stop).await.unwrap().unwrap();
    assert_eq!(stopping.elapsed(), stop_timeout);
}

#[tokio::test(start_paused = true)]
async fn stop_returns_after_the_5_s_leave_timeout_when_the_router_never_answers_goodbye() {
    // A router that answers nothing gets no close handshake either (it would only wait out
    // its own 2 s bound on WebSocket): both transports are dropped at the leave timeout.
    for (mut router, bound) in [
        (FakeRouter::rawsocket(Json), Duration::from_secs(5)),
        (FakeRouter::websocket(Json), Duration::from_secs(5)),
    ] {
        let comp = Component::builder()
            .transport(on(&router, exact(1000, 1.0, 1000, -1)))
            .realm("realm1")
            .build()
            .unwrap();
        let handle = comp.start();
        let mut peer = bounded("accept", router.accept()).await;
        peer.welcome().await;
        let session = bounded("ready", handle.ready()).await.unwrap();
        let stopping = Instant::now();
        let stop = tokio::spawn({
            let handle = handle.clone();
            async move { handle.stop().await }
        });
        // The router reads everything and answers nothing.
        let reader = tokio::spawn(async move {
            let mut goodbye = None;
            while let Some(frame) = peer.recv_frame().await {
                if let Frame::Message(bytes) = frame {
                    let msg = peer.serializer().decode(&bytes).unwrap();
                    assert!(matches!(msg, Message::Goodbye { .. }), "{msg:?}");
                    goodbye.get_or_insert_with(Instant::now);
                }
            }
            goodbye
        });
        bounded("stop", stop).await.unwrap().unwrap();
        assert_eq!(
            stopping.elapsed(),
            bound,
            "{}",
            session.close_details().unwrap().reason
        );
        let goodbye = bounded("reader", reader).await.unwrap();
        assert_eq!(goodbye, Some(stopping), "GOODBYE is sent at once");
        assert!(!session.is_joined());
    }
}

// ---- call deadlines ----

/// Reads CALL of `procedure`; returns its request id and its `timeout` option.
async fn expect_call(peer: &mut FakePeer, procedure: &str) -> (Id, Option<u64>) {
    match bounded("recv", peer.recv()).await {
        Some(Message::Call {
            request,
            options,
            procedure: p,
            ..
        }) => {
            assert_eq!(p, procedure);
            (request, options.get("timeout").and_then(Value::as_u64))
        }
        other => panic!("expected CALL {procedure}, got {other:?}"),
    }
}

/// Reads CANCEL of `request`.
async fn expect_cancel(peer: &mut FakePeer, request: Id) {
    match bounded("recv", peer.recv()).await {
        Some(Message::Cancel { request: r, .. }) => assert_eq!(r, request),
        other => panic!("expected CANCEL of {request}, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_component_call_timeout_bounds_the_calls_of_its_handle_unless_a_call_sets_its_own() {
    let call_timeout = Duration::from_secs(2);
    let mut router = FakeRouter::rawsocket(Json);
    let comp = Component::builder()
        .transport(on(&router, exact(1000, 1.0, 1000, -1)))
        .realm("realm1")
        .call_timeout(call_timeout)
        .build()
        .unwrap();
    let handle = comp.start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    let session = bounded("ready", handle.ready()).await.unwrap();

    let calling = Instant::now();
    let h = handle.clone();
    let call = tokio::spawn(async move { h.call::<_, i64>("com.example.slow", ()).await });
    let (request, timeout) = expect_call(&mut peer, "com.example.slow").await;
    assert_eq!(timeout, Some(2000), "the timeout goes to the router too");
    let result = bounded("call", call).await.unwrap();
    assert!(
        matches!(result, Err(CallError::Timeout(d)) if d == call_timeout),
        "{result:?}"
    );
    assert_eq!(calling.elapsed(), call_timeout);
    expect_cancel(&mut peer, request).await;

    // A call's own timeout wins.
    let calling = Instant::now();
    let own = Duration::from_secs(5);
    let call = tokio::spawn(async move {
        session
            .call_with(
                "com.example.slow",
                Payload::new(),
                CallOptions::default().timeout(own),
            )
            .await
    });
    let (request, timeout) = expect_call(&mut peer, "com.example.slow").await;
    assert_eq!(timeout, Some(5000));
    let result = bounded("call", call).await.unwrap();
    assert!(
        matches!(result, Err(CallError::Timeout(d)) if d == own),
        "{result:?}"
    );
    assert_eq!(calling.elapsed(), own);
    expect_cancel(&mut peer, request).await;
    stop_answering(&handle, &mut peer).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_component_call_timeout_bounds_the_calls_of_its_handlers_and_listeners() {
    let call_timeout = Duration::from_secs(2);
    let mut router = FakeRouter::rawsocket(Json);
    let (listener_tx, mut listener_rx) = tokio::sync::mpsc::unbounded_channel();
    let comp = Component::builder()
        .transport(on(&router, exact(1000, 1.0, 1000, -1)))
        .realm("realm1")
        .call_timeout(call_timeout)
        .procedure("com.example.relay", |inv: Invocation| async move {
            let session = inv.session().cloned().expect("the invocation's session");
            match session.call::<_, i64>("com.example.slow", ()).await {
                Ok(n) => Ok(Payload::args(&(n,)).unwrap()),
                Err(e) => Err(WampError::with_message(
                    "com.example.relay_failed",
                    e.to_string(),
                )),
            }
        })
        .on_ready(move |session: Session, _| {
            let listener_tx = listener_tx.clone();
            async move {
                let r = session.call::<_, i64>("com.example.from_ready", ()).await;
                let _ = listener_tx.send(r);
            }
        })
        .build()
        .unwrap();
    let handle = comp.start();
    let mut peer = bounded("accept", router.accept()).await;
    peer.welcome().await;
    peer.answer_register(7).await;

    // The ready listener's call.
    let (request, timeout) = expect_call(&mut peer, "com.example.from_ready").await;
    let calling = Instant::now();
    assert_eq!(timeout, Some(2000));
    let result = bounded("listener", listener_rx.recv()).await.unwrap();
    assert!(
        matches!(result, Err(CallError::Timeout(d)) if d == call_timeout),
        "{result:?}"
    );
    assert_eq!(calling.elapsed(), call_timeout);
    expect_cancel(&mut peer, request).await;

    // A handler's call.
    peer.invoke(1, 7, Dict::new(), vec![]).await;
    let calling = Instant::now();
    let (request, timeout) = expect_call(&mut peer, "com.example.slow").await;
    assert_eq!(timeout, Some(2000));
    expect_cancel(&mut peer, request).await;
    assert_eq!(calling.elapsed(), call_timeout);
    match bounded("recv", peer.recv()).await {
        Some(Message::Error {
            request_type: RequestType::Invocation,
            request: 1,
            error,
            ..
        }) => assert_eq!(error, "com.example.relay_failed"),
        other => panic!("expected the invocation's ERROR, got {other:?}"),
    }
    assert_eq!(calling.elapsed(), call_timeout);
    stop_answering(&handle, &mut peer).await.unwrap();
}
