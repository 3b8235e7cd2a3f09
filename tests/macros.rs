//! Handlers declared with the macros, attached to a component and used through Crossbar.io
//! and our router (`crossbar::NAME`, `ours::NAME`) by Autobahn|Python peers: procedures with
//! options, tuple and keyword results, shared state, a `#[service]` type, subscriptions and
//! lifecycle listeners.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use wamp_client::handler::{CallDetails, EventDetails, Kwargs, State};
use wamp_client::{
    on_join, on_ready, register, service, subscribe, Component, Payload, Session, WampError,
};
use wamp_suite::{Endpoint, Peer, TestRouter};

const LIMIT: Duration = Duration::from_secs(30);

#[register("com.macros.split")]
async fn split(name: String) -> (String, String) {
    match name.split_once(' ') {
        Some((first, last)) => (first.to_owned(), last.to_owned()),
        None => (name, String::new()),
    }
}

#[derive(Deserialize)]
struct Complex {
    a: i64,
    ai: i64,
}

#[register("com.macros.conjugate")]
async fn conjugate(z: Kwargs<Complex>) -> Result<Payload, WampError> {
    Payload::kwargs(&json!({"a": z.0.a, "ai": -z.0.ai}))
        .map_err(|e| WampError::with_message("com.macros.error", e.to_string()))
}

#[register(
    "com.macros.any.",
    match = "prefix",
    invoke = "single",
    concurrency = 4
)]
async fn any(call: CallDetails) -> String {
    call.procedure
}

#[register("com.macros.next")]
async fn next(counter: State<AtomicU64>) -> u64 {
    counter.fetch_add(1, Ordering::Relaxed)
}

#[register("com.macros.fail")]
async fn fail(code: i64) -> Result<(), WampError> {
    Err(WampError::new("com.macros.error.failed").with_args(vec![code.into()]))
}

/// A service: its handlers share `&self`.
struct Calculator {
    calls: AtomicU64,
}

#[service]
impl Calculator {
    #[register("com.macros.calc.add2")]
    async fn add2(&self, a: i64, b: i64) -> i64 {
        self.calls.fetch_add(1, Ordering::Relaxed);
        a + b
    }

    #[register("com.macros.calc.calls")]
    async fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

/// Calls `procedure` from an Autobahn|Python caller and returns its RESULT (or ERROR) line.
fn python_call(
    router: &dyn TestRouter,
    procedure: &str,
    args: serde_json::Value,
    kwargs: serde_json::Value,
) -> String {
    let mut peer_args = router.peer_args(Endpoint::Ws, "msgpack");
    peer_args.extend([
        "--procedure".into(),
        procedure.into(),
        "--args".into(),
        args.to_string(),
        "--kwargs".into(),
        kwargs.to_string(),
    ]);
    let mut caller = Peer::spawn("caller.py", &peer_args);
    let lines = caller.finish(LIMIT);
    lines
        .into_iter()
        .find(|l| l.starts_with("RESULT ") || l.starts_with("ERROR "))
        .unwrap_or_else(|| panic!("{procedure}: no RESULT or ERROR line"))
}

fn result(line: &str) -> serde_json::Value {
    let json = line
        .strip_prefix("RESULT ")
        .unwrap_or_else(|| panic!("not a RESULT: {line}"));
    serde_json::from_str(json).expect("the caller prints JSON")
}

/// Serializes the runs of the test of the declared subscriptions (against each router): they
/// share [`SEEN`].
static SEEN_USER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the subscription and listeners of the test of the declared subscriptions saw.
static SEEN: std::sync::Mutex<Option<mpsc::UnboundedSender<String>>> = std::sync::Mutex::new(None);

fn seen(what: String) {
    if let Some(tx) = SEEN.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        let _ = tx.send(what);
    }
}

#[subscribe("com.macros..ticks", match = "wildcard")]
async fn on_tick(n: u64, details: EventDetails) {
    seen(format!("tick {n} on {}", details.topic));
}

#[on_join]
async fn joined(session: Session) {
    seen(format!("join {}", session.id()));
}

#[on_ready]
async fn ready(session: Session) -> Result<(), WampError> {
    seen(format!("ready {}", session.id()));
    Ok(())
}

async fn recv(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("in time")
        .expect("the channel is open")
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn declared_procedures_answer_autobahn_callers(router) {
        let counter = Arc::new(AtomicU64::new(10));
        let comp = Component::builder()
            .name("macros")
            .transport(router.rs_url())
            .realm("realm1")
            .attach([
                split::handler(),
                conjugate::handler(),
                any::handler(),
                next::handler().with_state(counter.clone()),
                fail::handler(),
            ])
            .attach(Calculator {
                calls: AtomicU64::new(0),
            })
            .build()
            .unwrap();
        let handle = comp.start();
        tokio::time::timeout(LIMIT, handle.ready())
            .await
            .expect("ready in time")
            .expect("the component is ready");

        // The Python callers run on blocking threads; the component answers meanwhile.
        let calls = tokio::task::spawn_blocking(move || {
            [
                python_call(router, "com.macros.split", json!(["Homer Simpson"]), json!({})),
                python_call(router, "com.macros.conjugate", json!([]), json!({"a": 1, "ai": 2})),
                python_call(router, "com.macros.any.thing", json!([]), json!({})),
                python_call(router, "com.macros.next", json!([]), json!({})),
                python_call(router, "com.macros.next", json!([]), json!({})),
                python_call(router, "com.macros.fail", json!([7]), json!({})),
                python_call(router, "com.macros.calc.add2", json!([2, 3]), json!({})),
                python_call(router, "com.macros.calc.calls", json!([]), json!({})),
                python_call(router, "com.macros.split", json!([1]), json!({})),
                python_call(router, "com.macros.calc.add2", json!([2]), json!({"b": 5})),
                python_call(router, "com.macros.calc.add2", json!([2, 3]), json!({"c": 1})),
            ]
        })
        .await
        .unwrap();

        // A tuple is several positional results.
        assert_eq!(result(&calls[0])["args"], json!(["Homer", "Simpson"]));
        // A Payload carries keyword results.
        assert_eq!(result(&calls[1])["kwargs"], json!({"a": 1, "ai": -2}));
        assert_eq!(result(&calls[1])["args"], json!([]));
        // A prefix registration sees the procedure actually called.
        assert_eq!(result(&calls[2])["args"], json!(["com.macros.any.thing"]));
        // Shared state.
        assert_eq!(result(&calls[3])["args"], json!([10]));
        assert_eq!(result(&calls[4])["args"], json!([11]));
        assert_eq!(counter.load(Ordering::Relaxed), 12);
        // An error with args.
        assert!(
            calls[5].starts_with("ERROR ")
                && calls[5].contains("com.macros.error.failed")
                && calls[5].contains("[7]"),
            "{}",
            calls[5]
        );
        // The service's methods share it.
        assert_eq!(result(&calls[6])["args"], json!([5]));
        assert_eq!(result(&calls[7])["args"], json!([1]));
        // Arguments that do not fit: invalid_argument, naming the parameter.
        assert!(
            calls[8].contains("wamp.error.invalid_argument")
                && calls[8].contains("parameter `name`"),
            "{}",
            calls[8]
        );
        // Keyword arguments fill the parameters of their names, as in Python.
        assert_eq!(result(&calls[9])["args"], json!([7]));
        // A keyword argument no parameter takes is refused, by name.
        assert!(
            calls[10].contains("wamp.error.invalid_argument")
                && calls[10].contains("unexpected keyword argument `c`"),
            "{}",
            calls[10]
        );
        handle.stop().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn declared_subscriptions_and_listeners_run_on_the_session(router) {
        let _serial = SEEN_USER.lock().await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        *SEEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        let comp = Component::builder()
            .transport(router.ws_url())
            .realm("realm1")
            .attach([on_tick::handler(), joined::handler(), ready::handler()])
            .build()
            .unwrap();
        let handle = comp.start();
        let session = tokio::time::timeout(LIMIT, handle.ready())
            .await
            .expect("ready in time")
            .expect("the component is ready");
        let id = session.id();
        let mut listeners = vec![recv(&mut rx).await, recv(&mut rx).await];
        listeners.sort();
        assert_eq!(listeners, [format!("join {id}"), format!("ready {id}")]);

        tokio::task::spawn_blocking(move || {
            let mut args = router.peer_args(Endpoint::Rs, "cbor");
            args.extend(
                [
                    "--topic",
                    "com.macros.left.ticks",
                    "--args",
                    "[42]",
                    "--wait-subscriber",
                ]
                .map(String::from),
            );
            Peer::spawn("publisher.py", &args).finish(LIMIT);
        })
        .await
        .unwrap();
        assert_eq!(recv(&mut rx).await, "tick 42 on com.macros.left.ticks");
        handle.stop().await.unwrap();
    }
}
