//! The "session meta" example, backend: a worker session leaves a testament
//! (`com.myapp.worker_gone`, published by the router when the worker goes away), and the
//! main session registers `com.myapp.worker()`, which returns the worker's session id. The
//! frontend looks both up in the meta API and kills the worker. Autobahn's suite has no meta
//! API or testament example: this pair is ours, in its style
//! (`tests/peers/autobahn/EXAMPLES.md`, session_meta), and works with the Python peers of it.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example session_meta_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once the worker's testament is set and
//! the procedure registered, and serves until it is stopped. Run `session_meta_frontend` next.

#[path = "support/demo.rs"]
mod demo;

use std::sync::OnceLock;

use wamp_client::{
    on_ready, register, JoinOptions, Payload, PublishOptions, Session, TestamentScope,
    TransportConfig, WampError,
};

/// The worker session, kept open until the frontend kills it.
static WORKER: OnceLock<Session> = OnceLock::new();

#[register("com.myapp.worker")]
async fn worker() -> Result<u64, WampError> {
    WORKER
        .get()
        .map(Session::id)
        .ok_or_else(|| WampError::with_message("com.myapp.error.no_worker", "no worker yet"))
}

/// Joins the worker session and sets its testament, then says the backend is ready.
#[on_ready]
async fn ready() {
    let transport = TransportConfig::new(&demo::router()).unwrap_or_else(|e| demo::fail(e));
    let session = Session::join(&transport, JoinOptions::new(demo::REALM))
        .await
        .unwrap_or_else(|e| demo::fail(format!("the worker cannot join: {e}")));
    let payload = Payload::args(&("worker gone",)).unwrap_or_else(|e| demo::fail(e));
    if let Err(e) = session
        .add_testament(
            "com.myapp.worker_gone",
            payload,
            PublishOptions::default(),
            TestamentScope::Destroyed,
        )
        .await
    {
        demo::fail(format!("cannot set the worker's testament: {e}"));
    }
    let _ = WORKER.set(session);
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(
        demo::component("session_meta_backend").attach([worker::handler(), ready::handler()]),
    );
}
