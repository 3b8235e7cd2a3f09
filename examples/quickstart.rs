//! Quickstart: one component that subscribes to `com.myapp.hello`, registers
//! `com.myapp.add2`, and once ready publishes a greeting and calls the procedure, then leaves.
//! The handlers are async fns with typed parameters, declared with the macros.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example quickstart
//! ```
//!
//! Like Autobahn's examples it joins the realm `crossbardemo` on the router given by
//! `AUTOBAHN_DEMO_ROUTER` (default `ws://127.0.0.1:8080/ws`); start one first, for instance
//! `cargo run --example bench -- --role router` prints the URLs of a local Crossbar.io that
//! has that realm.

use std::time::Duration;

use wamp_client::handler::EventDetails;
use wamp_client::WampError;
use wamp_client::{on_ready, register, subscribe, Component, Payload, PublishOptions, Session};

/// `com.myapp.add2`: adds two integers.
#[register("com.myapp.add2")]
async fn add2(x: i64, y: i64) -> i64 {
    x + y
}

/// `com.myapp.hello`: prints each greeting.
#[subscribe("com.myapp.hello")]
async fn hello(msg: String, details: EventDetails) {
    println!(
        "event received: {msg} (publication {})",
        details.publication
    );
}

/// Once ready: greet everybody (ourselves included), then call our own procedure.
#[on_ready]
async fn ready(session: Session) -> Result<(), WampError> {
    println!("session ready");
    let greeting = Payload::args(&("Hello, world",)).expect("a string serializes");
    let options = PublishOptions::acknowledged().exclude_me(false);
    if let Err(e) = session
        .publish_with("com.myapp.hello", greeting, options)
        .await
    {
        println!("publish failed: {e}");
    }
    match session.call::<_, i64>("com.myapp.add2", (2, 3)).await {
        Ok(sum) => println!("call result: {sum}"),
        Err(e) => println!("call failed: {e}"),
    }
    // Give our own event a moment to arrive, then leave: a clean leave ends the component.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = session.leave().await;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("AUTOBAHN_DEMO_ROUTER")
        .unwrap_or_else(|_| "ws://127.0.0.1:8080/ws".to_owned());
    let comp = Component::builder()
        .name("quickstart")
        .transport(url.as_str())
        .realm("crossbardemo")
        .attach([hello::handler(), add2::handler(), ready::handler()])
        .build()?;
    wamp_client::run(vec![comp])?;
    println!("done");
    Ok(())
}
