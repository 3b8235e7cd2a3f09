//! A client you can watch, through Crossbar.io 26.10.1 and through our router (`crossbar::NAME`,
//! `ours::NAME`): a `tracing` span per call, invocation, publication and event delivery, with
//! the URI, the request (or publication) id, the session id and the realm, lasting the
//! operation and carrying the error URI of a failure; and the metrics of the `metrics` feature
//! (calls, call latency, errors by class, invocations, events delivered and dropped,
//! reconnects, time to ready).
//!
//! This binary installs its own `tracing` subscriber (a layer that records every span's name,
//! fields and close) and its own metrics recorder (`metrics-util`'s debugging recorder); both
//! are process-wide, so the tests take turns ([`TURN`]) and look at what was recorded since
//! they started ([`Watch`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use wamp_client::{
    CallError, Component, LifecycleEvent, Overflow, RetryPolicy, Session, SubscribeOptions,
    TransportConfig, TransportSpec, WampError,
};
use wamp_suite::{within, Endpoint, FaultProxy, TestRouter};

const LIMIT: Duration = Duration::from_secs(30);

/// The tests take turns: the subscriber and the recorder are the process's.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------------------------------------
// Spans, as a capturing layer sees them

/// One span: its name, its fields (as text), and how long it lived once closed.
#[derive(Debug, Clone)]
struct SeenSpan {
    name: &'static str,
    fields: BTreeMap<String, String>,
    opened: Instant,
    lasted: Option<Duration>,
}

impl SeenSpan {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    fn number(&self, name: &str) -> u64 {
        self.field(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number {name} in {self:?}"))
    }
}

#[derive(Default)]
struct Seen {
    live: HashMap<Id, usize>,
    spans: Vec<SeenSpan>,
}

fn seen() -> MutexGuard<'static, Seen> {
    static SEEN: OnceLock<Mutex<Seen>> = OnceLock::new();
    SEEN.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// Records the client's spans (`wamp_*`) in [`seen`].
struct Capture;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let name = attrs.metadata().name();
        if !name.starts_with("wamp_") {
            return;
        }
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut seen = seen();
        let index = seen.spans.len();
        seen.spans.push(SeenSpan {
            name,
            fields,
            opened: Instant::now(),
            lasted: None,
        });
        seen.live.insert(id.clone(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut seen = seen();
        if let Some(&i) = seen.live.get(id) {
            values.record(&mut Fields(&mut seen.spans[i].fields));
        }
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        let mut seen = seen();
        if let Some(i) = seen.live.remove(&id) {
            let opened = seen.spans[i].opened;
            seen.spans[i].lasted = Some(opened.elapsed());
        }
    }
}

/// The metrics snapshotter; the first use installs the subscriber and the recorder.
fn install() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::filter::LevelFilter::DEBUG)
            .with(Capture);
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("the only recorder");
        snapshotter
    })
}

/// The closed spans named `name` whose `uri` is `uri`.
fn closed(name: &str, uri: &str) -> Vec<SeenSpan> {
    seen()
        .spans
        .iter()
        .filter(|s| s.name == name && s.field("uri") == Some(uri) && s.lasted.is_some())
        .cloned()
        .collect()
}

/// Waits (bounded) until `n` spans named `name` with `uri` have closed; a span may close just
/// after the operation's future returned (an invocation's, once its task ends).
async fn wait_closed(name: &str, uri: &str, n: usize) -> Vec<SeenSpan> {
    let deadline = Instant::now() + LIMIT;
    loop {
        let spans = closed(name, uri);
        if spans.len() >= n {
            return spans;
        }
        assert!(
            Instant::now() < deadline,
            "{n} closed {name} spans of {uri} expected, got {spans:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics, as the debugging recorder has them

/// The counters (by name and sorted labels) and the histograms' values.
#[derive(Debug, Default, Clone)]
struct Metrics {
    counters: HashMap<String, u64>,
    histograms: HashMap<String, Vec<f64>>,
}

fn key(name: &str, labels: &[(&str, &str)]) -> String {
    let mut labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    labels.sort();
    format!("{name}{{{}}}", labels.join(","))
}

impl Metrics {
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.counters.get(&key(name, labels)).copied().unwrap_or(0)
    }

    fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> &[f64] {
        self.histograms
            .get(&key(name, labels))
            .map_or(&[], Vec::as_slice)
    }
}

/// The metrics from a test's start on. A snapshot of the debugging recorder drains it (the
/// counters' increments and the histograms' values since the last one): a watch adds them up.
struct Watch {
    since: Metrics,
}

impl Watch {
    fn start() -> Watch {
        let _ = install().snapshot();
        Watch {
            since: Metrics::default(),
        }
    }

    /// The counters' growth and the histograms' values since the start.
    fn now(&mut self) -> Metrics {
        for (composite, _, _, value) in install().snapshot().into_vec() {
            let (_, k) = composite.into_parts();
            let labels: Vec<(&str, &str)> = k.labels().map(|l| (l.key(), l.value())).collect();
            let name = key(k.name(), &labels);
            match value {
                DebugValue::Counter(c) => *self.since.counters.entry(name).or_default() += c,
                DebugValue::Histogram(values) => self
                    .since
                    .histograms
                    .entry(name)
                    .or_default()
                    .extend(values.into_iter().map(|v| v.into_inner())),
                DebugValue::Gauge(_) => {}
            }
        }
        self.since.clone()
    }
}

// ---------------------------------------------------------------------------------------------

/// Waits (bounded) for the component's next `ready`.
async fn ready(events: &mut wamp_client::LifecycleEvents) {
    let next = async {
        loop {
            match events.next().await {
                Some(LifecycleEvent::Ready { .. }) => return,
                Some(_) => {}
                None => panic!("the component ended"),
            }
        }
    };
    within(LIMIT, "ready", next).await
}

async fn session(router: &dyn TestRouter) -> Session {
    Session::connect(&router.rs_url(), "realm1").await.unwrap()
}

/// A procedure `uri` that sleeps `ms` milliseconds and answers its argument, or fails with
/// `com.example.error.refused` for a negative one.
async fn callee(
    router: &dyn TestRouter,
    uri: &str,
    ms: u64,
) -> (Session, wamp_client::Registration) {
    let s = session(router).await;
    let reg = s
        .register(uri, move |n: i64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if n < 0 {
                Err(WampError::with_message(
                    "com.example.error.refused",
                    "negative",
                ))
            } else {
                Ok(n)
            }
        })
        .await
        .unwrap();
    (s, reg)
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_call_and_its_invocation_have_spans_with_uri_request_session_and_realm_lasting_the_call(router) {
        install();
        let _turn = TURN.lock().await;
        let uri = &format!("com.observe.{}.slow", router.kind());
        let (callee, reg) = callee(router, uri, 60).await;
        let caller = session(router).await;
        let n: i64 = within(LIMIT, "the call", caller.call(uri, (7,))).await.unwrap();
        assert_eq!(n, 7);

        let call = wait_closed("wamp_call", uri, 1).await.remove(0);
        assert_eq!(call.number("session"), caller.id(), "{call:?}");
        assert_eq!(call.field("realm"), Some("realm1"));
        assert!(call.number("request") > 0, "{call:?}");
        assert_eq!(call.field("error"), None, "{call:?}");
        assert!(
            call.lasted.unwrap() >= Duration::from_millis(60),
            "the span lasts the call (the callee sleeps 60 ms): {call:?}"
        );

        let inv = wait_closed("wamp_invocation", uri, 1).await.remove(0);
        assert_eq!(inv.number("session"), callee.id(), "{inv:?}");
        assert_eq!(inv.number("registration"), reg.id());
        assert_eq!(inv.field("realm"), Some("realm1"));
        assert!(inv.number("request") > 0, "{inv:?}");
        assert!(inv.lasted.unwrap() >= Duration::from_millis(60), "{inv:?}");
        // Payloads are not span fields.
        assert!(!call.fields.values().chain(inv.fields.values()).any(|v| v == "7"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_call_records_the_error_uri_on_its_span_and_on_its_invocations(router) {
        install();
        let _turn = TURN.lock().await;
        let uri = &format!("com.observe.{}.refusing", router.kind());
        let (_callee, _reg) = callee(router, uri, 0).await;
        let caller = session(router).await;
        let e = caller.call::<_, i64>(uri, (-1,)).await.unwrap_err();
        assert_eq!(e.uri(), Some("com.example.error.refused"));
        assert!(e.to_string().contains("com.example.error.refused"), "{e}");

        let call = wait_closed("wamp_call", uri, 1).await.remove(0);
        assert_eq!(call.field("error"), Some("com.example.error.refused"), "{call:?}");
        let inv = wait_closed("wamp_invocation", uri, 1).await.remove(0);
        assert_eq!(inv.field("error"), Some("com.example.error.refused"), "{inv:?}");

        let missing = &format!("com.observe.{}.missing", router.kind());
        let e = caller.call::<_, i64>(missing, ()).await.unwrap_err();
        assert_eq!(e.uri(), Some("wamp.error.no_such_procedure"));
        let call = wait_closed("wamp_call", missing, 1).await.remove(0);
        assert_eq!(call.field("error"), Some("wamp.error.no_such_procedure"), "{call:?}");

        let slow = &format!("com.observe.{}.timeout", router.kind());
        let (_slow_callee, _slow_reg) = callee(router, slow, 3_000).await;
        let e = caller
            .call::<_, i64>(slow, (1,))
            .timeout(Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(e, CallError::Timeout(_)), "{e:?}");
        let call = wait_closed("wamp_call", slow, 1).await.remove(0);
        assert_eq!(call.field("error"), Some("wamp.error.timeout"), "{call:?}");

        // A call dropped by its caller is canceled: so says its span.
        let dropped = tokio::time::timeout(
            Duration::from_millis(100),
            caller.call::<_, i64>(slow, (2,)),
        )
        .await;
        assert!(dropped.is_err(), "{dropped:?}");
        let calls = wait_closed("wamp_call", slow, 2).await;
        assert_eq!(calls[1].field("error"), Some("wamp.error.canceled"), "{calls:?}");
        // Both invocations were interrupted (the timed-out call is canceled at the router too).
        let invocations = wait_closed("wamp_invocation", slow, 2).await;
        for inv in &invocations {
            assert_eq!(inv.field("error"), Some("wamp.error.canceled"), "{invocations:?}");
            assert!(inv.lasted.unwrap() < Duration::from_secs(3), "{inv:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_publication_and_each_event_delivery_have_spans_with_the_publication_id(router) {
        install();
        let _turn = TURN.lock().await;
        let topic = &format!("com.observe.{}.topic", router.kind());
        let subscriber = session(router).await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sub = subscriber
            .subscribe(topic, move |n: u64| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(n);
                }
            })
            .await
            .unwrap();
        let publisher = session(router).await;
        let publication = publisher.publish(topic, (5,)).acknowledged().await.unwrap();
        assert_eq!(within(LIMIT, "the event", rx.recv()).await, Some(5));

        let publish = wait_closed("wamp_publish", topic, 1).await.remove(0);
        assert_eq!(publish.number("publication"), publication, "{publish:?}");
        assert_eq!(publish.number("session"), publisher.id());
        assert_eq!(publish.field("realm"), Some("realm1"));
        assert!(publish.number("request") > 0, "{publish:?}");

        let event = wait_closed("wamp_event", topic, 1).await.remove(0);
        assert_eq!(event.number("publication"), publication, "{event:?}");
        assert_eq!(event.number("subscription"), sub.id());
        assert_eq!(event.number("session"), subscriber.id());
        assert_eq!(event.field("realm"), Some("realm1"));

        // A publication without acknowledgement has its span too (until it is handed over).
        publisher.publish(topic, (6,)).await.unwrap();
        assert_eq!(within(LIMIT, "the event", rx.recv()).await, Some(6));
        wait_closed("wamp_publish", topic, 2).await;
        wait_closed("wamp_event", topic, 2).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn calls_latency_errors_by_class_and_invocations_are_counted(router) {
        install();
        let _turn = TURN.lock().await;
        let realm = [("realm", "realm1")];
        let uri = &format!("com.observe.{}.counted", router.kind());
        let slow = &format!("com.observe.{}.counted_slow", router.kind());
        let (_callee, _reg) = callee(router, uri, 20).await;
        let (_slow_callee, _slow_reg) = callee(router, slow, 3_000).await;
        let caller = session(router).await;
        let mut watch = Watch::start();

        for n in 0..3 {
            let r: i64 = caller.call(uri, (n,)).await.unwrap();
            assert_eq!(r, n);
        }
        let e = caller.call::<_, i64>(uri, (-1,)).await.unwrap_err();
        assert_eq!(e.uri(), Some("com.example.error.refused"));
        let missing = &format!("com.observe.{}.counted_missing", router.kind());
        let e = caller.call::<_, i64>(missing, ()).await.unwrap_err();
        assert_eq!(e.uri(), Some("wamp.error.no_such_procedure"));
        let e = caller
            .call::<_, i64>(slow, (1,))
            .timeout(Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(e, CallError::Timeout(_)), "{e:?}");
        // The invocations' outcomes are counted once their answers are sent.
        let deadline = Instant::now() + LIMIT;
        let after = loop {
            let after = watch.now();
            let ended = |o| after.counter("wamp_client_invocations_total", &[("realm", "realm1"), ("outcome", o)]);
            if ended("ok") >= 3 && ended("error") >= 1 {
                break after;
            }
            assert!(Instant::now() < deadline, "invocations not counted: {after:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };

        assert_eq!(after.counter("wamp_client_calls_total", &realm), 6, "{after:?}");
        let errors = |class| {
            after.counter("wamp_client_call_errors_total", &[("realm", "realm1"), ("error", class)])
        };
        assert_eq!(errors("application"), 1, "{after:?}");
        assert_eq!(errors("wamp.error.no_such_procedure"), 1, "{after:?}");
        assert_eq!(errors("timeout"), 1, "{after:?}");
        let outcome = |o| after.counter("wamp_client_invocations_total", &[("realm", "realm1"), ("outcome", o)]);
        assert_eq!(outcome("ok"), 3, "{after:?}");
        assert_eq!(outcome("error"), 1, "{after:?}");

        let latencies = after.histogram("wamp_client_call_duration_seconds", &realm);
        assert_eq!(latencies.len(), 6, "one latency per answered call: {latencies:?}");
        assert!(
            latencies.iter().filter(|s| **s >= 0.020).count() >= 4,
            "the callee sleeps 20 ms, the timeout is 100 ms: {latencies:?}"
        );
        assert!(latencies.iter().all(|s| *s < 10.0), "{latencies:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn events_delivered_and_dropped_are_counted(router) {
        install();
        let _turn = TURN.lock().await;
        let realm = [("realm", "realm1")];
        let topic = &format!("com.observe.{}.flood", router.kind());
        let subscriber = session(router).await;
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let handled = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (g, h) = (gate.clone(), handled.clone());
        let options = SubscribeOptions::default()
            .queue_capacity(1)
            .overflow(Overflow::DropNewest);
        let sub = subscriber
            .subscribe_with(topic, options, move |_n: u64| {
                let (g, h) = (g.clone(), h.clone());
                async move {
                    if let Ok(p) = g.acquire().await {
                        p.forget();
                    }
                    h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
            .await
            .unwrap();
        let publisher = session(router).await;
        let mut watch = Watch::start();
        const N: u64 = 20;
        for n in 0..N {
            publisher.publish(topic, (n,)).acknowledged().await.unwrap();
        }
        let deadline = Instant::now() + LIMIT;
        let after = loop {
            let after = watch.now();
            if after.counter("wamp_client_events_delivered_total", &realm) >= N {
                break after;
            }
            assert!(Instant::now() < deadline, "events not counted: {after:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        gate.add_permits(N as usize);
        assert_eq!(after.counter("wamp_client_events_delivered_total", &realm), N);
        let dropped = after.counter("wamp_client_events_dropped_total", &realm);
        assert_eq!(dropped, sub.dropped(), "{after:?}");
        // One handled at a time, one waiting: the rest dropped.
        assert!((N - 2..=N - 1).contains(&dropped), "{dropped} dropped");
        let deadline = Instant::now() + LIMIT;
        while handled.load(std::sync::atomic::Ordering::SeqCst) + dropped < N {
            assert!(Instant::now() < deadline, "the events kept were not handled");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_component_counts_its_reconnects_and_its_time_to_ready(router) {
        install();
        let _turn = TURN.lock().await;
        let realm = [("realm", "realm1")];
        let proxy = FaultProxy::start(router.addr(Endpoint::Rs).unwrap());
        let retry = RetryPolicy::default().initial_retry_delay(Duration::from_millis(50));
        let comp = Component::builder()
            .transport(
                TransportSpec::new(TransportConfig::new(&proxy.url(Endpoint::Rs)).unwrap())
                    .retry(retry),
            )
            .realm("realm1")
            .procedure(format!("com.observe.{}.component", router.kind()), |a: i64| async move {
                Ok::<_, WampError>(a)
            })
            .build()
            .unwrap();
        let mut watch = Watch::start();
        let handle = comp.start();
        let mut events = handle.events();
        ready(&mut events).await;
        for _ in 0..2 {
            proxy.drop_connections();
            ready(&mut events).await;
        }
        let after = watch.now();
        handle.stop().await.unwrap();
        assert_eq!(after.counter("wamp_client_reconnects_total", &realm), 2, "{after:?}");
        let ready_times = after.histogram("wamp_client_time_to_ready_seconds", &realm);
        assert_eq!(ready_times.len(), 3, "{ready_times:?}");
        assert!(ready_times.iter().all(|s| *s > 0.0 && *s < 10.0), "{ready_times:?}");
    }
}
