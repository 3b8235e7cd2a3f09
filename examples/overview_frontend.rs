//! Autobahn's "overview" example, frontend: listens to `com.myapp.hello`, calls
//! `com.myapp.add2(2, 3)`, and leaves once it has the result and two events.
//!
//! ```sh
//! cargo run --example overview_backend     # first; wait for `backend ready`
//! cargo run --example overview_frontend
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
use wamp_client::{subscribe, Session};

/// How many events to wait for.
const EVENTS: usize = 2;

/// `com.myapp.hello`: prints each greeting.
#[subscribe("com.myapp.hello")]
async fn on_hello(msg: String, events: State<demo::Countdown>) {
    events.take(|| println!("Got event: {}", demo::show(&msg)));
}

/// Once subscribed: calls `add2`, waits for the events (10 s at most), leaves.
async fn ready(session: Session, events: Arc<demo::Countdown>) {
    match session.call::<_, i64>("com.myapp.add2", (2, 3)).await {
        Ok(sum) => println!("Got result: {}", demo::show(&sum)),
        Err(e) => demo::fail(format!("com.myapp.add2 failed: {e}")),
    }
    events
        .wait(Duration::from_secs(10), "events on com.myapp.hello")
        .await;
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    let events = Arc::new(demo::Countdown::new(EVENTS));
    demo::run(
        demo::component("overview_frontend")
            .attach(on_hello::handler().with_state(events.clone()))
            .on_ready(move |session, _| ready(session, events.clone())),
    );
}
