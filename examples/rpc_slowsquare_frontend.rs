//! Autobahn's "rpc slowsquare" example, frontend: calls `com.math.slowsquare(3, 2)` and,
//! without waiting for it, `com.math.square(3)`; prints each result as it arrives (the quick
//! one first) with the milliseconds it took, then `All finished.`, and leaves.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_slowsquare_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_slowsquare_backend` (or Autobahn|Python's) first.
//! Exit status 0 when done, 1 on a failure.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use std::time::Instant;

use serde::Serialize;
use wamp_client::{on_ready, CallError, Session, Value};

/// Calls `procedure` and prints its result and how long it took.
async fn timed(
    session: &Session,
    label: &str,
    procedure: &str,
    args: impl Serialize,
) -> Result<(), CallError> {
    let started = Instant::now();
    let result: Value = session.call(procedure, args).await?;
    let ms = (started.elapsed().as_secs_f64() * 1000.0).round() as u64;
    println!("{label}: {}, ms: {ms}", demo::show(&result));
    Ok(())
}

#[on_ready]
async fn ready(session: Session) {
    // Both calls are under way at once: the quick one overtakes the slow one.
    let both = tokio::try_join!(
        timed(&session, "Slow Square", "com.math.slowsquare", (3, 2)),
        timed(&session, "Quick Square", "com.math.square", (3,)),
    );
    if let Err(e) = both {
        demo::fail(format!("call failed: {e}"));
    }
    println!("All finished.");
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_slowsquare_frontend").attach(ready::handler()));
}
