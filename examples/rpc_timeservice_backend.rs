//! Autobahn's "rpc timeservice" example, backend: registers `com.timeservice.now`, which
//! answers the current UTC time as a string, e.g. `"2025-01-31T12:34:56Z"`.
//!
//! ```sh
//! cargo run --example rpc_timeservice_backend     # prints `backend ready`, runs until killed
//! cargo run --example rpc_timeservice_frontend    # in another terminal
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this backend works with
//! Autobahn|Python's frontend too.

#[path = "support/demo.rs"]
mod demo;

use std::time::SystemTime;

use wamp_client::{on_ready, register};

/// `com.timeservice.now`: the UTC time to the second, as `%Y-%m-%dT%H:%M:%SZ`.
#[register("com.timeservice.now")]
async fn utcnow() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

#[on_ready]
async fn ready() {
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(
        demo::component("rpc_timeservice_backend").attach([utcnow::handler(), ready::handler()]),
    );
}
