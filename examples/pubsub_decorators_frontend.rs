//! Autobahn's "pubsub decorators" example, frontend: two event handlers declared with the
//! `#[subscribe]` attribute (Autobahn: methods decorated with `@wamp.subscribe`), subscribed
//! together by the component; leaves after five events on `com.myapp.topic1`.
//!
//! ```sh
//! cargo run --example pubsub_decorators_backend     # first; wait for `backend ready`
//! cargo run --example pubsub_decorators_frontend
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this frontend works with
//! Autobahn|Python's backend too.

#[path = "support/demo.rs"]
mod demo;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use wamp_client::handler::State;
use wamp_client::{subscribe, ReadyDetails, Session};

/// How many events on `com.myapp.topic1` to take.
const EVENTS: usize = 5;

/// The events received on `com.myapp.topic1` so far; `enough` is notified at the
/// `EVENTS`th.
#[derive(Default)]
struct Received {
    count: AtomicUsize,
    enough: Notify,
}

impl Received {
    fn is_enough(&self) -> bool {
        self.count.load(Ordering::SeqCst) >= EVENTS
    }
}

/// `com.myapp.topic1`: prints the first `EVENTS` events.
#[subscribe("com.myapp.topic1")]
async fn on_event1(i: i64, received: State<Received>) {
    if received.is_enough() {
        return; // leaving already
    }
    println!("Got event on topic1: {}", demo::show(&i));
    if received.count.fetch_add(1, Ordering::SeqCst) + 1 == EVENTS {
        received.enough.notify_one();
    }
}

/// `com.myapp.topic2`: prints the events until the frontend leaves.
#[subscribe("com.myapp.topic2")]
async fn on_event2(msg: String, received: State<Received>) {
    if received.is_enough() {
        return; // leaving already
    }
    println!("Got event on topic2: {}", demo::show(&msg));
}

/// Once both handlers are subscribed: prints their subscription ids, waits for the events
/// (15 s at most), then leaves.
async fn ready(session: Session, details: ReadyDetails, received: Arc<Received>) {
    for s in &details.subscriptions {
        println!("Ok, subscribed handler with subscription ID {}", s.id());
    }
    let enough = received.enough.notified();
    if tokio::time::timeout(Duration::from_secs(15), enough)
        .await
        .is_err()
    {
        demo::fail(format!(
            "{EVENTS} events on com.myapp.topic1 did not arrive within 15 s"
        ));
    }
    if let Err(e) = session.leave().await {
        demo::fail(format!("cannot leave: {e}"));
    }
}

fn main() {
    demo::frontend();
    let received = Arc::new(Received::default());
    let handlers =
        [on_event1::handler(), on_event2::handler()].map(|h| h.with_state(received.clone()));
    demo::run(
        demo::component("pubsub_decorators_frontend")
            .attach(handlers)
            .on_ready(move |session, details| ready(session, details, received.clone())),
    );
}
