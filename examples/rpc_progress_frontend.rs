//! Autobahn's "rpc progress" example, frontend: calls `com.myapp.longop(3)` asking for
//! progressive results, prints each as it arrives, then the final result, and leaves.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_progress_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_progress_backend` (or Autobahn|Python's) first.
//! Exit status 0 when done, 1 on a failure.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::{on_ready, CallOptions, CallResult, Payload, Session};

/// Prints one progressive result: its first positional value.
fn on_progress(progress: CallResult) {
    match progress.payload.args.first() {
        Some(i) => println!("Progress: {}", demo::show(i)),
        None => demo::fail(format!(
            "a progressive result without a value: {:?}",
            progress.payload
        )),
    }
}

#[on_ready]
async fn ready(session: Session) {
    let args = Payload::args(&(3,)).expect("an integer serializes");
    let result = session
        .call_with_progress(
            "com.myapp.longop",
            args,
            CallOptions::default(),
            on_progress,
        )
        .await;
    match result {
        Ok(done) => println!("Final: {}", demo::show(&done.payload.into_value())),
        Err(e) => demo::fail(format!("longop failed: {e}")),
    }
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_progress_frontend").attach(ready::handler()));
}
