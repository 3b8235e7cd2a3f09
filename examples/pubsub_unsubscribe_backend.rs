//! Autobahn's "pubsub unsubscribe" example, backend: publishes a counter (0, 1, 2, ...) to
//! `com.myapp.topic1` every second.
//!
//! ```sh
//! cargo run --example pubsub_unsubscribe_backend     # prints `backend ready`, runs until killed
//! cargo run --example pubsub_unsubscribe_frontend    # in another terminal
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this backend works with
//! Autobahn|Python's frontend too.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use wamp_client::{on_ready, Session};

/// Once joined: publishes the counter every second, forever.
#[on_ready]
async fn ready(session: Session) {
    println!("backend ready");
    for counter in 0u64.. {
        if let Err(e) = session.publish("com.myapp.topic1", (counter,)).await {
            demo::fail(format!("cannot publish: {e}"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn main() {
    demo::backend();
    demo::run(demo::component("pubsub_unsubscribe_backend").attach(ready::handler()));
}
