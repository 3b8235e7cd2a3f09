//! Shared registrations, backend: two callees, each a session of its own, register the same
//! procedure `com.example.shared.whoami` with the invocation policy `roundrobin`, so that the
//! router hands the calls to each in turn; each answers with its name (`"a"` or `"b"`).
//! Autobahn|Python has no example of this; this pair follows the suite's conventions.
//!
//! ```sh
//! cargo run --example rpc_shared_backend     # prints `backend ready`, runs until killed
//! cargo run --example rpc_shared_frontend    # in another terminal
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this backend works with
//! Autobahn|Python's frontend too.

#[path = "support/demo.rs"]
mod demo;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wamp_client::{Component, Invocation, InvocationPolicy, Payload, RegisterOptions, WampError};

/// The callees, one session each.
const CALLEES: [&str; 2] = ["a", "b"];

/// A callee of `com.example.shared.whoami` answering `name`; the last of the callees to be
/// ready prints `backend ready`.
fn callee(name: &'static str, ready: Arc<AtomicUsize>) -> Component {
    let options = RegisterOptions::default().invoke(InvocationPolicy::RoundRobin);
    demo::component(&format!("rpc_shared_backend_{name}"))
        .procedure_with(
            "com.example.shared.whoami",
            options,
            move |_call: Invocation| async move {
                Ok::<_, WampError>(Payload::args(&(name,)).expect("a string serializes"))
            },
        )
        .on_ready(move |_session, _details| {
            let ready = ready.clone();
            async move {
                if ready.fetch_add(1, Ordering::SeqCst) + 1 == CALLEES.len() {
                    println!("backend ready");
                }
            }
        })
        .build()
        .unwrap_or_else(|e| demo::fail(e))
}

fn main() {
    demo::backend();
    let ready = Arc::new(AtomicUsize::new(0));
    let callees = CALLEES.map(|name| callee(name, ready.clone()));
    if let Err(e) = wamp_client::run(callees.into()) {
        demo::fail(e);
    }
}
