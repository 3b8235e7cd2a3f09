//! The main example: one WAMP session that registers a procedure, subscribes to a topic, calls
//! and publishes, against a router.
//!
//! ```sh
//! cargo run --example hello                                # embeds our own router
//! cargo run --example hello -- ws://127.0.0.1:8080/ws realm1   # or use another router
//! ```
//!
//! Without a URL it starts our router (`wamp-router`) on the same tokio runtime, on a free
//! port of 127.0.0.1, and stops it at the end: nothing to install. Set
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
    // No URL: embed our own router for the example's lifetime, on this runtime.
    let local = match url {
        Some(_) => None,
        None => Some(
            wamp_router::Router::builder()
                .realm(&realm)
                .listen("ws://127.0.0.1:0/ws")?
                .start()
                .await?,
        ),
    };
    let url = match (url, &local) {
        (Some(url), _) => url,
        (None, Some(router)) => router.urls().remove(0),
        (None, None) => unreachable!("a router is embedded when no URL is given"),
    };

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
    if let Some(router) = local {
        router.stop().await;
    }
    Ok(())
}
