//! Autobahn's "pubsub decorators" example, backend: every second, a counter to
//! `com.myapp.topic1` and `"Hello world."` to `com.myapp.topic2`.
//!
//! ```sh
//! cargo run --example pubsub_decorators_backend     # prints `backend ready`, runs until killed
//! cargo run --example pubsub_decorators_frontend    # in another terminal
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

/// What goes to `com.myapp.topic2`.
const GREETING: &str = "Hello world.";

/// Once joined: publishes to both topics every second, forever.
#[on_ready]
async fn ready(session: Session) {
    println!("backend ready");
    for counter in 0u64.. {
        println!("publish: com.myapp.topic1 {counter}");
        if let Err(e) = session.publish("com.myapp.topic1", (counter,)).await {
            demo::fail(format!("cannot publish: {e}"));
        }
        println!("publish: com.myapp.topic2 {}", demo::show(GREETING));
        if let Err(e) = session.publish("com.myapp.topic2", (GREETING,)).await {
            demo::fail(format!("cannot publish: {e}"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn main() {
    demo::backend();
    demo::run(demo::component("pubsub_decorators_backend").attach(ready::handler()));
}
