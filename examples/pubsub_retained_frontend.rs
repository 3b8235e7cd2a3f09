//! Autobahn's "retained events" example, frontend: subscribes to `com.example.no_history_here`
//! and `com.example.history` with `get_retained`, prints the retained event each topic gives
//! at once (marked `retained` in its details), then leaves.
//!
//! ```sh
//! cargo run --example pubsub_retained_backend     # first; wait for `backend ready`
//! cargo run --example pubsub_retained_frontend
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

use wamp_client::handler::{EventDetails, State};
use wamp_client::{subscribe, Session, Value};

/// One retained event per topic.
const EVENTS: usize = 2;

fn print_event(text: &str, details: &EventDetails) {
    let retained = details.details.get("retained") == Some(&Value::Bool(true));
    println!(
        "Got event on {}: {} retained={retained}",
        details.topic,
        demo::show(text)
    );
}

/// `com.example.no_history_here`: its retained event.
#[subscribe("com.example.no_history_here", get_retained = true)]
async fn on_no_history(text: String, details: EventDetails, events: State<demo::Countdown>) {
    events.take(|| print_event(&text, &details));
}

/// `com.example.history`: its retained event.
#[subscribe("com.example.history", get_retained = true)]
async fn on_history(text: String, details: EventDetails, events: State<demo::Countdown>) {
    events.take(|| print_event(&text, &details));
}

/// Once subscribed: waits for both retained events (10 s at most), then leaves.
async fn ready(session: Session, events: Arc<demo::Countdown>) {
    events
        .wait(Duration::from_secs(10), "retained events")
        .await;
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    let events = Arc::new(demo::Countdown::new(EVENTS));
    demo::run(
        demo::component("pubsub_retained_frontend")
            .attach(on_no_history::handler().with_state(events.clone()))
            .attach(on_history::handler().with_state(events.clone()))
            .on_ready(move |session, _| ready(session, events.clone())),
    );
}
