//! Autobahn's "rpc errors" example, frontend: calls `com.myapp.sqrt`, `com.myapp.checkname`
//! and `com.myapp.compare` with arguments that make them fail, and prints each result or
//! WAMP error (URI, args, kwargs), then leaves.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_errors_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_errors_backend` (or Autobahn|Python's) first.
//! Exit status 0 when done, 1 on a failure other than a WAMP error reply.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use serde::Serialize;
use wamp_client::{on_ready, CallError, Session, Value};

/// Calls `procedure` and prints its result, or the WAMP error it answered with.
async fn try_call(
    session: &Session,
    label: &str,
    procedure: &str,
    args: impl Serialize,
) -> Result<(), CallError> {
    match session.call::<_, Value>(procedure, args).await {
        Ok(result) => println!("{label}: {}", demo::show(&result)),
        Err(CallError::Application(e)) => println!(
            "{label} failed: {} args={} kwargs={}",
            e.uri,
            demo::show(&e.args),
            demo::show(&e.kwargs)
        ),
        Err(e) => return Err(e),
    }
    Ok(())
}

async fn calls(session: &Session) -> Result<(), CallError> {
    for x in [2, 0, -2] {
        try_call(session, &format!("sqrt({x})"), "com.myapp.sqrt", (x,)).await?;
    }
    for name in ["foo", "a", "***********", "Hello"] {
        let label = format!("checkname({})", demo::show(name));
        try_call(session, &label, "com.myapp.checkname", (name,)).await?;
    }
    try_call(session, "compare(3, 17)", "com.myapp.compare", (3, 17)).await
}

#[on_ready]
async fn ready(session: Session) {
    if let Err(e) = calls(&session).await {
        demo::fail(format!("call failed: {e}"));
    }
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_errors_frontend").attach(ready::handler()));
}
