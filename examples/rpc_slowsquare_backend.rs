//! Autobahn's "rpc slowsquare" example, backend: `com.math.square(x)` answers at once,
//! `com.math.slowsquare(x, delay = 1)` answers `x * x` after `delay` seconds. Each invocation
//! runs on a task of its own, so a pending slowsquare does not hold up a square.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_slowsquare_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once both procedures are registered,
//! and serves until it is stopped. Run `rpc_slowsquare_frontend` (or Autobahn|Python's) next.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use wamp_client::{on_ready, register};

#[register("com.math.square")]
async fn square(x: i64) -> i64 {
    x * x
}

/// `delay` is in seconds, an integer or a float; it may be left out.
#[register("com.math.slowsquare")]
async fn slowsquare(x: i64, delay: Option<f64>) -> i64 {
    let delay = delay.unwrap_or(1.0).max(0.0);
    tokio::time::sleep(Duration::from_secs_f64(delay)).await;
    x * x
}

#[on_ready]
async fn ready() {
    println!("Registered com.math.slowsquare");
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(demo::component("rpc_slowsquare_backend").attach([
        square::handler(),
        slowsquare::handler(),
        ready::handler(),
    ]));
}
