//! Autobahn's "rpc options" example, frontend: subscribes to
//! `com.myapp.square_on_nonpositive`, calls `com.myapp.square` with 2, 0 and -2 (asking the
//! router to disclose it to the callee, a call option), then waits for the event for -2 and
//! leaves. The event for 0 never comes: the backend excludes the caller from it.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_options_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_options_backend` (or Autobahn|Python's) first.
//! Exit status 0 when done, 1 on a failure (a call error, no event for -2 within 10 s).
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use tokio::sync::Notify;
use wamp_client::{on_ready, subscribe, CallOptions, Payload, Session};

/// Set by the event handler when the event for -2 is in.
static NEGATIVE_SEEN: Notify = Notify::const_new();

#[subscribe("com.myapp.square_on_nonpositive")]
async fn on_nonpositive(val: i64) {
    println!("Someone requested to square non-positive: {val}");
    if val == -2 {
        NEGATIVE_SEEN.notify_one();
    }
}

async fn calls(session: &Session) -> Result<(), String> {
    for val in [2, 0, -2] {
        let args = Payload::args(&(val,)).expect("an integer serializes");
        // Crossbar discloses callers by its configuration; `disclose_me` asks for it.
        let options = CallOptions {
            disclose_me: Some(true),
            ..CallOptions::default()
        };
        let result = session
            .call_with("com.myapp.square", args, options)
            .await
            .map_err(|e| format!("square({val}) failed: {e}"))?;
        println!(
            "Squared {val} = {}",
            demo::show(&result.payload.into_value())
        );
    }
    tokio::time::timeout(Duration::from_secs(10), NEGATIVE_SEEN.notified())
        .await
        .map_err(|_| "no event for -2 within 10 s".to_owned())
}

/// Runs once the subscription is in place.
#[on_ready]
async fn ready(session: Session) {
    demo::finish(&session, calls(&session).await).await;
}

fn main() {
    demo::frontend();
    demo::run(
        demo::component("rpc_options_frontend")
            .attach([on_nonpositive::handler(), ready::handler()]),
    );
}
