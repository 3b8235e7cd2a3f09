//! Autobahn's "overview" example, backend: registers the procedure `com.myapp.add2` and
//! publishes `"Hello, world!"` to the topic `com.myapp.hello` every second.
//!
//! ```sh
//! cargo run --example overview_backend     # prints `backend ready`, runs until killed
//! cargo run --example overview_frontend    # in another terminal
//! ```
//!
//! Both join the realm `crossbardemo` on the router whose URL is in `AUTOBAHN_DEMO_ROUTER`
//! (default `ws://127.0.0.1:8080/ws`). `cargo run --example bench -- --role router` starts a
//! local Crossbar.io with that realm and prints its URLs. The printed lines and the messages
//! sent are those of `tests/peers/autobahn/EXAMPLES.md`, so this backend works with
//! Autobahn|Python's frontend too.

#[path = "support/demo.rs"]
mod demo;

use std::time::Duration;

use wamp_client::{on_ready, register, ReadyDetails, Session};

/// `com.myapp.add2`: the sum of two integers.
#[register("com.myapp.add2")]
async fn add2(x: i64, y: i64) -> i64 {
    x + y
}

/// Once `add2` is registered: says so, then publishes a greeting every second, forever.
#[on_ready]
async fn ready(session: Session, details: ReadyDetails) {
    for r in &details.registrations {
        println!("registered '{}' with id {}", r.procedure(), r.id());
    }
    println!("backend ready");
    loop {
        if let Err(e) = session.publish("com.myapp.hello", ("Hello, world!",)).await {
            demo::fail(format!("cannot publish: {e}"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn main() {
    demo::backend();
    demo::run(demo::component("overview_backend").attach([add2::handler(), ready::handler()]));
}
