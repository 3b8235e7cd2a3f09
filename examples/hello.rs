//! The main example: one WAMP session that registers a procedure, subscribes to a topic, calls
//! and publishes, against a router.
//!
//! ```sh
//! cargo run --example hello                                # starts a local Crossbar.io
//! cargo run --example hello -- ws://127.0.0.1:8080/ws realm1   # or use your own router
//! ```
//!
//! Without a URL it starts a Crossbar.io node on 127.0.0.1 with the test harness (installing
//! Crossbar.io into a cached virtualenv with pip on first use, about two minutes). Set
//! `RUST_LOG=debug` to see the session's lifecycle.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use wamp_client::{Event, Payload, PublishOptions, Session, SubscribeOptions, WampError};

#[derive(Debug, Serialize, Deserialize)]
struct Greeting {
    name: String,
    times: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();

    let mut args = std::env::args().skip(1);
    let url = args.next();
    let realm = args.next().unwrap_or_else(|| "realm1".into());
    // No URL: run our own router for the example's lifetime.
    let local = url.is_none().then(|| {
        println!("starting a local Crossbar.io router...");
        wamp_suite::Router::start()
    });
    let url = url.unwrap_or_else(|| local.as_ref().map(|r| r.ws_url()).unwrap_or_default());

    let session = Session::connect(&url, &realm).await?;
    println!(
        "joined realm {} on {url} as session {} (role {})",
        session.details().realm,
        session.id(),
        session.details().authrole.as_deref().unwrap_or("?")
    );

    // A procedure with typed arguments, and one taking a struct.
    session
        .register("com.example.add2", |a: i64, b: i64| async move {
            Ok::<_, WampError>(a + b)
        })
        .await?;
    session
        .register("com.example.greet", |g: Greeting| async move {
            if g.times == 0 {
                return Err(WampError::with_message(
                    "com.example.error.no_greeting",
                    "times must be at least 1",
                ));
            }
            Ok(vec![format!("hello, {}!", g.name); g.times as usize])
        })
        .await?;

    // Events as a stream.
    let mut events = session
        .subscribe_stream("com.example.oncounter", SubscribeOptions::default())
        .await?;

    // Calls.
    let sum: i64 = session.call("com.example.add2", (2, 3)).await?;
    println!("com.example.add2(2, 3) = {sum}");
    let greetings: Vec<String> = session
        .call(
            "com.example.greet",
            (Greeting {
                name: "WAMP".into(),
                times: 2,
            },),
        )
        .await?;
    println!("com.example.greet -> {greetings:?}");
    match session
        .call::<_, Vec<String>>(
            "com.example.greet",
            (Greeting {
                name: "nobody".into(),
                times: 0,
            },),
        )
        .await
    {
        Err(e) => println!("com.example.greet failed as expected: {e}"),
        Ok(v) => println!("unexpected: {v:?}"),
    }

    // Publish to ourselves (exclude_me = false), acknowledged.
    for i in 0..3 {
        session
            .publish_with(
                "com.example.oncounter",
                Payload::args(&(i,))?,
                PublishOptions::acknowledged().exclude_me(false),
            )
            .await?;
    }
    for _ in 0..3 {
        let event: Option<Event> = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .ok()
            .flatten();
        match event {
            Some(e) => println!("event on {}: {:?}", e.topic, e.payload.args),
            None => println!("no event within 5 s"),
        }
    }

    let closed = session.leave().await?;
    println!("left: {}", closed.reason);
    drop(local);
    Ok(())
}
