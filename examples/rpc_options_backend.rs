//! Autobahn's "rpc options" example, backend: `com.myapp.square(val)` reads who called it
//! from the invocation's details (the router discloses the caller's session id) and, for a
//! non-positive `val`, publishes it to `com.myapp.square_on_nonpositive` before answering:
//! for `0` excluding the caller from that event, for a negative `val` to every subscriber.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_options_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once the procedure is registered, and
//! serves until it is stopped. Run `rpc_options_frontend` (or Autobahn|Python's) next.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::error_uri::RUNTIME_ERROR;
use wamp_client::handler::CallDetails;
use wamp_client::{on_ready, register, Payload, PublishOptions, Session, WampError};

const TOPIC: &str = "com.myapp.square_on_nonpositive";

/// `call` is the invocation's details, `session` the session it came through (to publish).
#[register("com.myapp.square")]
async fn square(val: i64, call: CallDetails, session: Session) -> Result<i64, WampError> {
    println!("square called from: {}", demo::show(&call.caller));
    let options = match val {
        // Everybody but the caller (nobody is excluded when the caller is unknown).
        0 => Some(PublishOptions {
            exclude: call.caller.into_iter().collect(),
            ..PublishOptions::default()
        }),
        v if v < 0 => Some(PublishOptions::default()),
        _ => None,
    };
    if let Some(options) = options {
        let event = Payload::args(&(val,)).expect("an integer serializes");
        session
            .publish_with(TOPIC, event, options)
            .await
            .map_err(|e| WampError::with_message(RUNTIME_ERROR, e.to_string()))?;
    }
    Ok(val * val)
}

#[on_ready]
async fn ready() {
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(demo::component("rpc_options_backend").attach([square::handler(), ready::handler()]));
}
