//! Autobahn's "rpc progress" example, backend: `com.myapp.longop(n)` sends `0 .. n-1` as
//! progressive results, one second apart, then the final result `n`, to a caller that asked
//! for progressive results; any other caller gets just `n`, after `n` seconds.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_progress_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once the procedure is registered, and
//! serves until it is stopped. Run `rpc_progress_frontend` (or Autobahn|Python's) next.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use wamp_client::handler::Progress;
use wamp_client::{on_ready, register};

/// `progress` sends progressive results, if the caller asked for them
/// (`receive_progress` in the invocation's details).
#[register("com.myapp.longop")]
async fn longop(n: u64, progress: Progress) -> u64 {
    if progress.is_wanted() {
        for i in 0..n {
            progress.send(i);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    } else {
        tokio::time::sleep(Duration::from_secs(n)).await;
    }
    n
}

#[on_ready]
async fn ready() {
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(
        demo::component("rpc_progress_backend").attach([longop::handler(), ready::handler()]),
    );
}
