//! Annotated handlers stay plain functions: called directly, without a router. (The
//! dependency is renamed `wamp` here: the expansions find it under that name.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Deserialize;
use wamp::handler::{CallDetails, EventDetails, Kwargs, Progress, State};
use wamp::{
    on_connect, on_connect_failure, on_disconnect, on_join, on_leave, on_ready, register, service,
    subscribe, CloseDetails, Component, Failure, Session, SessionDetails, WampError,
};

#[register("com.example.add2")]
async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

/// Keyword arguments of `echo`.
#[derive(Debug, Deserialize, Default)]
pub struct Opts {
    /// Answer in capitals.
    #[serde(default)]
    pub shout: bool,
}

/// Echoes every `com.example.*` procedure.
#[register(
    "com.example.",
    match = "prefix",
    invoke = "roundrobin",
    concurrency = 2,
    disclose_caller = true
)]
pub async fn echo(word: String, opts: Kwargs<Opts>) -> Result<String, WampError> {
    Ok(if opts.0.shout {
        word.to_uppercase()
    } else {
        word
    })
}

#[register("com.example.split")]
pub(crate) async fn split(name: String) -> (String, String) {
    let (a, b) = name.split_once(' ').unwrap_or((&name, ""));
    (a.to_owned(), b.to_owned())
}

#[register("com.example.count")]
async fn count(counter: State<AtomicU64>) -> u64 {
    counter.fetch_add(1, Ordering::Relaxed)
}

#[register("com.example.longop")]
async fn longop(n: u64, progress: Progress, call: CallDetails) -> u64 {
    for i in 0..n {
        progress.send(i);
    }
    let _ = call.procedure;
    n
}

#[subscribe(
    "com.example..topic",
    match = "wildcard",
    queue_capacity = 16,
    get_retained = true
)]
async fn on_topic(n: u64, details: EventDetails) {
    let _ = (n, details.publication);
}

#[on_connect]
async fn connected(url: String) {
    let _ = url;
}

#[on_join]
async fn joined(session: Session, details: SessionDetails) -> Result<(), WampError> {
    let _ = (session.id(), details.session);
    Ok(())
}

#[on_ready]
async fn ready() {}

#[on_leave]
async fn left(_session: Session, details: CloseDetails) {
    let _ = details.reason;
}

#[on_disconnect]
async fn disconnected(_url: String, _was_clean: bool) {}

#[on_connect_failure]
async fn failed(_url: String, _failure: Arc<Failure>) {}

/// A service: its methods share `&self`.
#[derive(Default)]
struct Calculator {
    calls: AtomicU64,
}

#[service]
impl Calculator {
    #[register("com.calc.add2")]
    async fn add2(&self, a: i64, b: i64) -> i64 {
        self.calls.fetch_add(1, Ordering::Relaxed);
        a + b
    }

    #[register("com.calc.version")]
    async fn version() -> &'static str {
        "1.0"
    }

    #[subscribe("com.calc.reset")]
    async fn reset(&self) {
        self.calls.store(0, Ordering::Relaxed);
    }

    #[on_join]
    async fn joined(&self, session: Session) {
        let _ = session;
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

#[tokio::test]
async fn annotated_functions_are_called_directly() {
    assert_eq!(add2(2, 3).await, 5);
    assert_eq!(
        echo("hi".into(), Kwargs(Opts { shout: true }))
            .await
            .unwrap(),
        "HI"
    );
    assert_eq!(
        split("Ada Lovelace".into()).await,
        ("Ada".into(), "Lovelace".into())
    );
    let counter = Arc::new(AtomicU64::new(7));
    assert_eq!(count(State(counter.clone())).await, 7);
    assert_eq!(counter.load(Ordering::Relaxed), 8);
}

#[tokio::test]
async fn service_methods_are_called_directly() {
    let calc = Calculator::default();
    assert_eq!(calc.add2(1, 2).await, 3);
    assert_eq!(calc.calls(), 1);
    calc.reset().await;
    assert_eq!(calc.calls(), 0);
    assert_eq!(Calculator::version().await, "1.0");
}

#[test]
fn the_declarations_attach_to_a_component() {
    let declarations = [
        add2::handler(),
        echo::handler(),
        split::handler(),
        count::handler().with_state(Arc::new(AtomicU64::new(0))),
        longop::handler(),
        on_topic::handler(),
        connected::handler(),
        joined::handler(),
        ready::handler(),
        left::handler(),
        disconnected::handler(),
        failed::handler(),
    ];
    let uris: Vec<_> = declarations.iter().filter_map(|d| d.uri()).collect();
    assert_eq!(
        uris,
        [
            "com.example.add2",
            "com.example.",
            "com.example.split",
            "com.example.count",
            "com.example.longop",
            "com.example..topic"
        ]
    );
    let comp = Component::builder()
        .transport("ws://127.0.0.1:1/ws")
        .realm("realm1")
        .attach(declarations)
        .attach(Calculator::default())
        .attach(Arc::new(Calculator::default()).clone())
        .build();
    // The same service twice declares its procedures twice: refused by name.
    let err = comp.unwrap_err().to_string();
    assert!(err.contains("com.calc.add2"), "{err}");
}

#[test]
fn a_service_declares_every_marked_method() {
    use wamp::component::Service;
    let declarations = Service::declarations(Arc::new(Calculator::default()));
    let uris: Vec<_> = declarations.iter().map(|d| d.uri()).collect();
    assert_eq!(
        uris,
        [
            Some("com.calc.add2"),
            Some("com.calc.version"),
            Some("com.calc.reset"),
            None
        ]
    );
}
