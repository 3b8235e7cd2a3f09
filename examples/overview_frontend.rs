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

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use wamp_client::handler::State;
use wamp_client::{subscribe, Session};

/// How many events to wait for.
const EVENTS: usize = 2;

/// The events received so far; `enough` is notified at the `EVENTS`th.
#[derive(Default)]
struct Received {
    count: AtomicUsize,
    enough: Notify,
}

/// `com.myapp.hello`: prints each greeting.
#[subscribe("com.myapp.hello")]
async fn on_hello(msg: String, received: State<Received>) {
    println!("Got event: {}", demo::show(&msg));
    if received.count.fetch_add(1, Ordering::SeqCst) + 1 == EVENTS {
        received.enough.notify_one();
    }
}

/// Once subscribed: calls `add2`, waits for the events (10 s at most), leaves.
async fn ready(session: Session, received: Arc<Received>) {
    match session.call::<_, i64>("com.myapp.add2", (2, 3)).await {
        Ok(sum) => println!("Got result: {}", demo::show(&sum)),
        Err(e) => demo::fail(format!("com.myapp.add2 failed: {e}")),
    }
    let enough = received.enough.notified();
    if tokio::time::timeout(Duration::from_secs(10), enough)
        .await
        .is_err()
    {
        demo::fail(format!(
            "{EVENTS} events on com.myapp.hello did not arrive within 10 s"
        ));
    }
    if let Err(e) = session.leave().await {
        demo::fail(format!("cannot leave: {e}"));
    }
}

fn main() {
    demo::frontend();
    let received = Arc::new(Received::default());
    demo::run(
        demo::component("overview_frontend")
            .attach(on_hello::handler().with_state(received.clone()))
            .on_ready(move |session, _| ready(session, received.clone())),
    );
}
