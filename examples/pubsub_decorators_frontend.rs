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

use std::sync::Arc;
use std::time::Duration;

use wamp_client::handler::State;
use wamp_client::{subscribe, ReadyDetails, Session};

/// How many events on `com.myapp.topic1` to take.
const EVENTS: usize = 5;

/// `com.myapp.topic1`: prints the first `EVENTS` events.
#[subscribe("com.myapp.topic1")]
async fn on_event1(i: i64, topic1: State<demo::Countdown>) {
    topic1.take(|| println!("Got event on topic1: {}", demo::show(&i)));
}

/// `com.myapp.topic2`: prints the events until the frontend leaves.
#[subscribe("com.myapp.topic2")]
async fn on_event2(msg: String, topic1: State<demo::Countdown>) {
    if !topic1.is_done() {
        println!("Got event on topic2: {}", demo::show(&msg));
    }
}

/// Once both handlers are subscribed: prints their subscription ids, waits for the events
/// (15 s at most), then leaves.
async fn ready(session: Session, details: ReadyDetails, topic1: Arc<demo::Countdown>) {
    for s in &details.subscriptions {
        println!("Ok, subscribed handler with subscription ID {}", s.id());
    }
    topic1
        .wait(Duration::from_secs(15), "events on com.myapp.topic1")
        .await;
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    let topic1 = Arc::new(demo::Countdown::new(EVENTS));
    let handlers =
        [on_event1::handler(), on_event2::handler()].map(|h| h.with_state(topic1.clone()));
    demo::run(
        demo::component("pubsub_decorators_frontend")
            .attach(handlers)
            .on_ready(move |session, details| ready(session, details, topic1.clone())),
    );
}
