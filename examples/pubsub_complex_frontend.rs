//! Autobahn's "pubsub complex" example, frontend: subscribes to `com.myapp.heartbeat`
//! (events without payload: prints the publication id from the event details) and to
//! `com.myapp.topic2` (positional and keyword arguments), listens for 5 seconds and leaves.
//!
//! ```sh
//! cargo run --example pubsub_complex_backend     # first; wait for `backend ready`
//! cargo run --example pubsub_complex_frontend
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this frontend works with
//! Autobahn|Python's backend too.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use serde::Deserialize;
use wamp_client::handler::{EventDetails, Kwargs};
use wamp_client::{on_ready, subscribe, Session};

/// How long to listen.
const LISTEN: Duration = Duration::from_secs(5);

/// The keyword arguments of a `com.myapp.topic2` event.
#[derive(Deserialize)]
struct Topic2 {
    c: String,
    d: Detail,
}

/// `d` of [`Topic2`].
#[derive(Deserialize)]
struct Detail {
    counter: i64,
    foo: Vec<i64>,
}

/// `com.myapp.heartbeat`: no payload; the publication id comes from the event details.
#[subscribe("com.myapp.heartbeat")]
async fn on_heartbeat(details: EventDetails) {
    println!("Got heartbeat, publication ID: {}", details.publication);
}

/// `com.myapp.topic2`: positional arguments `[a, b]`, keyword arguments `{c, d}`.
#[subscribe("com.myapp.topic2")]
async fn on_topic2(a: i64, b: i64, kwargs: Kwargs<Topic2>) {
    let Topic2 { c, d } = kwargs.0;
    // the values that change between events (a is random, d.counter counts) come last
    println!(
        "Got event: b={} c={} d.foo={} a={} d.counter={}",
        demo::show(&b),
        demo::show(&c),
        demo::show(&d.foo),
        demo::show(&a),
        demo::show(&d.counter)
    );
}

/// Once both subscriptions are in place: listens for a while, then leaves.
#[on_ready]
async fn ready(session: Session) {
    tokio::time::sleep(LISTEN).await;
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("pubsub_complex_frontend").attach([
        on_heartbeat::handler(),
        on_topic2::handler(),
        ready::handler(),
    ]));
}
