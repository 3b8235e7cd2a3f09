//! The "rpc cancel" example, backend: `com.myapp.longop(n)` sends `0 .. n-1` as progressive
//! results, 0.2 s apart, then the final result `n`; an invocation that the router interrupts
//! (its caller canceled the call) stops there and is counted, and `com.myapp.interrupted()`
//! returns the count. Autobahn|Python has no such example of its own (its `rpc/cancel` is a
//! copy of `rpc/arguments`): this pair is written in the suite's style
//! (`tests/peers/autobahn/EXAMPLES.md`, rpc_cancel) and works with the Python peers of it.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_cancel_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once both procedures are registered, and
//! serves until it is stopped. Run `rpc_cancel_frontend` next.

#[path = "support/demo.rs"]
mod demo;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wamp_client::handler::Progress;
use wamp_client::{on_ready, register};

/// Invocations of `com.myapp.longop` interrupted so far.
static INTERRUPTED: AtomicU64 = AtomicU64::new(0);

/// Counts an invocation dropped before its end: the client drops an invocation's future when
/// the router interrupts it.
struct Interruption {
    finished: bool,
}

impl Drop for Interruption {
    fn drop(&mut self) {
        if !self.finished {
            INTERRUPTED.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[register("com.myapp.longop")]
async fn longop(n: u64, progress: Progress) -> u64 {
    let mut interruption = Interruption { finished: false };
    for i in 0..n {
        if progress.is_wanted() {
            progress.send(i);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    interruption.finished = true;
    n
}

#[register("com.myapp.interrupted")]
async fn interrupted() -> u64 {
    INTERRUPTED.load(Ordering::SeqCst)
}

#[on_ready]
async fn ready() {
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(demo::component("rpc_cancel_backend").attach([
        longop::handler(),
        interrupted::handler(),
        ready::handler(),
    ]));
}
