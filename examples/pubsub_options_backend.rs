//! Autobahn's "pubsub options" example, backend: subscribes to `com.myapp.topic1` itself,
//! then publishes a counter to it every second with `acknowledge` (the router answers with
//! the publication id) and `exclude_me: false` (so the backend gets its own events too).
//!
//! ```sh
//! cargo run --example pubsub_options_backend     # prints `backend ready`, runs until killed
//! cargo run --example pubsub_options_frontend    # in another terminal
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

use wamp_client::{on_ready, subscribe, Payload, PublishOptions, Session};

/// `com.myapp.topic1`: our own events.
#[subscribe("com.myapp.topic1")]
async fn on_event(i: i64) {
    println!("Got event: {}", demo::show(&i));
}

/// Once subscribed: publishes the counter every second, forever, each time waiting for the
/// router's acknowledgement.
#[on_ready]
async fn ready(session: Session) {
    println!("backend ready");
    let options = PublishOptions {
        // Asks the router to tell subscribers who published. Crossbar ignores it: publisher
        // disclosure is its configuration's decision.
        disclose_me: Some(true),
        ..PublishOptions::acknowledged().exclude_me(false)
    };
    for counter in 0u64.. {
        let payload = Payload::args(&(counter,)).expect("an integer serializes");
        match session
            .publish_with("com.myapp.topic1", payload, options.clone())
            .await
        {
            Ok(publication) => println!(
                "Event published with publication ID {}",
                publication.expect("an acknowledged publication has an id")
            ),
            Err(e) => demo::fail(format!("cannot publish: {e}")),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn main() {
    demo::backend();
    demo::run(
        demo::component("pubsub_options_backend").attach([on_event::handler(), ready::handler()]),
    );
}
