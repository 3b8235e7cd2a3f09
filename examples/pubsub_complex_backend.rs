//! Autobahn's "pubsub complex" example, backend: every second, an event without payload to
//! `com.myapp.heartbeat`, then an event with positional and keyword arguments to
//! `com.myapp.topic2`.
//!
//! ```sh
//! cargo run --example pubsub_complex_backend     # prints `backend ready`, runs until killed
//! cargo run --example pubsub_complex_frontend    # in another terminal
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

use serde_json::json;
use wamp_client::{on_ready, Payload, PublishOptions, Session};

/// Once joined: publishes both events every second, forever.
#[on_ready]
async fn ready(session: Session) {
    println!("backend ready");
    for counter in 0u64.. {
        println!("publish: com.myapp.heartbeat");
        if let Err(e) = session.publish("com.myapp.heartbeat", ()).await {
            demo::fail(format!("cannot publish: {e}"));
        }

        // args [a, 23], kwargs {"c": "Hello", "d": {"counter": counter, "foo": [1, 2, 3]}}
        let payload = Payload::args(&(rand::random_range(0..=100u64), 23))
            .and_then(|p| {
                p.with_kwargs(&json!({"c": "Hello", "d": {"counter": counter, "foo": [1, 2, 3]}}))
            })
            .expect("integers and strings serialize");
        println!("publish: com.myapp.topic2");
        if let Err(e) = session
            .publish_with("com.myapp.topic2", payload, PublishOptions::default())
            .await
        {
            demo::fail(format!("cannot publish: {e}"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn main() {
    demo::backend();
    demo::run(demo::component("pubsub_complex_backend").attach(ready::handler()));
}
