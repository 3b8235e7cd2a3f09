//! The "rpc cancel" example, frontend: calls `com.myapp.longop(20)` asking for progressive
//! results, prints the first two, cancels the call by dropping it (the router interrupts the
//! callee), then waits until the backend reports the invocation interrupted, and leaves. The
//! pair is ours, in the style of Autobahn's suite (`tests/peers/autobahn/EXAMPLES.md`,
//! rpc_cancel); it works with the Python peers of it.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_cancel_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_cancel_backend` first. Exit status 0 when done, 1 on
//! a failure.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use futures_util::StreamExt;
use wamp_client::{on_ready, CancelMode, Session};

#[on_ready]
async fn ready(session: Session) {
    let mut call = session
        .call::<_, u64>("com.myapp.longop", (20,))
        .cancel_mode(CancelMode::Kill)
        .progress::<u64>();
    for _ in 0..2 {
        match tokio::time::timeout(Duration::from_secs(10), call.next()).await {
            Ok(Some(Ok(i))) => println!("Progress: {i}"),
            Ok(Some(Err(e))) => demo::fail(format!("a progressive result without an integer: {e}")),
            Ok(None) => demo::fail("the call ended before its second progressive result"),
            Err(_) => demo::fail("no progressive result within 10 s"),
        }
    }
    // Dropped before its result: CANCEL goes to the router, which interrupts the callee.
    drop(call);
    println!("Canceled");
    let interrupted = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match session.call::<_, u64>("com.myapp.interrupted", ()).await {
                Ok(n) if n >= 1 => return n,
                Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => demo::fail(format!("interrupted failed: {e}")),
            }
        }
    })
    .await;
    match interrupted {
        Ok(n) => println!("Interrupted: {n}"),
        Err(_) => demo::fail("the backend did not report the interruption within 10 s"),
    }
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_cancel_frontend").attach(ready::handler()));
}
