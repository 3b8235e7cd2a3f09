//! Autobahn's "rpc timeservice" example, frontend: calls `com.timeservice.now` once, prints
//! the time and leaves.
//!
//! ```sh
//! cargo run --example rpc_timeservice_backend     # first; wait for `backend ready`
//! cargo run --example rpc_timeservice_frontend
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this frontend works with
//! Autobahn|Python's backend too.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::{on_ready, Session};

/// Once ready: one call, then leave. A call error is a failure (Autobahn's original prints
/// it and leaves normally).
#[on_ready]
async fn ready(session: Session) {
    match session.call::<_, String>("com.timeservice.now", ()).await {
        Ok(now) => println!("Current time from time service: {}", demo::show(&now)),
        Err(e) => demo::fail(format!("com.timeservice.now failed: {e}")),
    }
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_timeservice_frontend").attach(ready::handler()));
}
