//! Autobahn's "pubsub options" example, frontend: subscribes to `com.myapp.topic1` and
//! prints, for five events, the publication id and the publisher (when the router disclosed
//! it) from the event details, then leaves.
//!
//! ```sh
//! cargo run --example pubsub_options_backend     # first; wait for `backend ready`
//! cargo run --example pubsub_options_frontend
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
use wamp_client::{subscribe, Session};

/// How many events to take.
const EVENTS: usize = 5;

/// `com.myapp.topic1`: prints the first `EVENTS` events with their details.
#[subscribe("com.myapp.topic1")]
async fn on_event(i: i64, details: EventDetails, events: State<demo::Countdown>) {
    let publication = details.publication;
    events.take(|| match details.publisher {
        Some(publisher) => println!(
            "Got event with publisher disclosed: {} publication={publication} publisher={publisher}",
            demo::show(&i)
        ),
        None => println!(
            "Got event without publisher: {} publication={publication}",
            demo::show(&i)
        ),
    });
}

/// Once subscribed: waits for the events (15 s at most), then leaves.
async fn ready(session: Session, events: Arc<demo::Countdown>) {
    events
        .wait(Duration::from_secs(15), "events on com.myapp.topic1")
        .await;
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    let events = Arc::new(demo::Countdown::new(EVENTS));
    demo::run(
        demo::component("pubsub_options_frontend")
            .attach(on_event::handler().with_state(events.clone()))
            .on_ready(move |session, _| ready(session, events.clone())),
    );
}
