//! Autobahn's "retained events" example, backend: publishes one event to each of
//! `com.example.history` and `com.example.no_history_here`, asking the router to retain it
//! (`retain`, acknowledged), then stays joined. A frontend that subscribes later with
//! `get_retained` receives each topic's retained event at once.
//!
//! ```sh
//! cargo run --example pubsub_retained_backend     # prints `backend ready`, runs until killed
//! cargo run --example pubsub_retained_frontend    # in another terminal, any time later
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this backend works with
//! Autobahn|Python's frontend too.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::{on_ready, Payload, PublishOptions, Session};

/// The topics, in the order Autobahn's backend publishes to them.
const TOPICS: [&str; 2] = ["com.example.history", "com.example.no_history_here"];

/// Once joined: one retained, acknowledged publication per topic, then `backend ready`.
#[on_ready]
async fn ready(session: Session) {
    for topic in TOPICS {
        let text = format!("some data, topic was '{topic}'");
        let payload = Payload::args(&(text,)).expect("a string serializes");
        let options = PublishOptions::acknowledged().retain(true);
        match session.publish_with(topic, payload, options).await {
            Ok(Some(id)) => {
                println!("published '{topic}' as retained event with publication ID {id}")
            }
            Ok(None) => demo::fail("an acknowledged publication came back without an id"),
            Err(e) => demo::fail(format!("cannot publish to {topic}: {e}")),
        }
    }
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(demo::component("pubsub_retained_backend").attach(ready::handler()));
}
