//! Message interceptors: a chain of hooks that sees every message a session sends and
//! receives (`wamp_client::intercept`), like the extensions of a CometD client.
//!
//! ```sh
//! cargo run --example interceptors                               # embeds our own router
//! cargo run --example interceptors -- ws://127.0.0.1:8080/ws realm1   # or use another router
//! ```
//!
//! The chain here:
//! 0. adds `authextra` to HELLO (what a dynamic authenticator on the router could read; the
//!    anonymous realm here ignores it);
//! 1. stamps a correlation id into every CALL's options (`x_correlation_id`);
//! 2. refuses publications to `com.example.secret.*` with `wamp.error.not_authorized`, which
//!    the publisher sees as the router's refusal (nothing is sent);
//! 3. counts messages in each direction (an interceptor the application keeps a handle on);
//! 4. (incoming) logs how long each call took, by correlating RESULT with its CALL.
//!
//! Without a URL it starts our router (`wamp-router`) on a free port of 127.0.0.1.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use wamp_client::intercept::{Interceptor, Interceptors, Message, Verdict};
use wamp_client::{Id, JoinOptions, PublishError, Session, TransportConfig, WampError};

/// Counts messages in each direction.
#[derive(Default)]
struct Counter {
    sent: AtomicU64,
    received: AtomicU64,
}

impl Interceptor for Counter {
    fn outgoing(&self, _message: &mut Message) -> Verdict {
        self.sent.fetch_add(1, Ordering::Relaxed);
        Verdict::pass()
    }

    fn incoming(&self, _message: &mut Message) -> Verdict {
        self.received.fetch_add(1, Ordering::Relaxed);
        Verdict::pass()
    }
}

/// Times calls: CALL out, RESULT or ERROR in, matched by request id.
#[derive(Default)]
struct CallTimer {
    started: Mutex<HashMap<Id, (String, Instant)>>,
}

impl Interceptor for CallTimer {
    fn outgoing(&self, message: &mut Message) -> Verdict {
        if let Message::Call {
            request, procedure, ..
        } = message
        {
            let mut started = self.started.lock().unwrap();
            // Bounded: a call whose answer never comes is forgotten with the others.
            if started.len() >= 10_000 {
                started.clear();
            }
            started.insert(*request, (procedure.to_string(), Instant::now()));
        }
        Verdict::pass()
    }

    fn incoming(&self, message: &mut Message) -> Verdict {
        if let Message::Result { request, .. } | Message::Error { request, .. } = &*message {
            if let Some((procedure, at)) = self.started.lock().unwrap().remove(request) {
                println!(
                    "call {request} to {procedure} answered {} after {:?}",
                    message.name(),
                    at.elapsed()
                );
            }
        }
        Verdict::pass()
    }
}

fn announce_client_version(message: &mut Message) -> Verdict {
    if let Message::Hello { details, .. } = message {
        let mut extra = wamp_client::Dict::new();
        extra.insert("client_version".into(), env!("CARGO_PKG_VERSION").into());
        details.insert("authextra".into(), wamp_client::Value::Dict(extra));
    }
    Verdict::pass()
}

fn stamp_correlation_id(message: &mut Message) -> Verdict {
    if let Message::Call {
        request, options, ..
    } = message
    {
        options.insert("x_correlation_id".into(), format!("corr-{request}").into());
    }
    Verdict::pass()
}

fn refuse_secret_topics(message: &mut Message) -> Verdict {
    match message {
        Message::Publish { topic, .. } if topic.starts_with("com.example.secret.") => {
            Verdict::fail(WampError::with_message(
                "wamp.error.not_authorized",
                "publications to com.example.secret.* are refused by this client",
            ))
        }
        _ => Verdict::pass(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let realm = args.next().unwrap_or_else(|| "realm1".into());
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

    let counter = Arc::new(Counter::default());
    let chain = Interceptors::new()
        .outgoing(announce_client_version)
        .outgoing(stamp_correlation_id)
        .outgoing(refuse_secret_topics)
        .push(counter.clone())
        .push(CallTimer::default());
    let transport = TransportConfig::new(&url)?;
    let session = Session::join(&transport, JoinOptions::new(&realm).interceptors(chain)).await?;
    println!("joined realm {realm} on {url}");

    session
        .register("com.example.add2", |a: i64, b: i64| async move {
            Ok::<_, WampError>(a + b)
        })
        .await?;
    let sum: i64 = session.call("com.example.add2", (2, 3)).await?;
    println!("com.example.add2(2, 3) = {sum}");

    session
        .publish("com.example.news", ("hello",))
        .acknowledged()
        .await?;
    println!("published to com.example.news");
    match session
        .publish("com.example.secret.plans", ("world domination",))
        .acknowledged()
        .await
    {
        Err(PublishError::Application(e)) => println!("refused: {e}"),
        other => println!("unexpected: {other:?}"),
    }

    let details = session.leave().await?;
    println!("left: {}", details.reason);
    println!(
        "messages sent: {}, received: {}",
        counter.sent.load(Ordering::Relaxed),
        counter.received.load(Ordering::Relaxed)
    );
    if let Some(router) = local {
        router.stop().await;
    }
    Ok(())
}
