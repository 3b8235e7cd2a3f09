//! Autobahn's "rpc decorators" example, frontend: calls `com.mathservice.add2`, `.mul2` and
//! `.div2` with `(2, 3)`, prints each result, and leaves.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_decorators_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_decorators_backend` (or Autobahn|Python's) first.
//! Exit status 0 when done, 1 on a failure (a call error).
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use wamp_client::{on_ready, Session, Value};

const PROCEDURES: [&str; 3] = [
    "com.mathservice.add2",
    "com.mathservice.mul2",
    "com.mathservice.div2",
];

#[on_ready]
async fn ready(session: Session) {
    for procedure in PROCEDURES {
        match session.call::<_, Value>(procedure, (2, 3)).await {
            Ok(result) => println!("{procedure}: {}", demo::show(&result)),
            Err(e) => demo::fail(format!("{procedure} failed: {e}")),
        }
    }
    demo::leave(&session).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_decorators_frontend").attach(ready::handler()));
}
