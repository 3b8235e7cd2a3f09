//! Autobahn|Python's `Component` and `run()` in Rust: two components in one process, started
//! from a plain `fn main` (no `#[tokio::main]`) by [`wamp_client::run`], their handlers and
//! listeners declared with the attribute macros (Autobahn's decorators).
//!
//! - `backend` registers `com.example.add2` and `com.example.greet` (`#[register]`) and
//!   subscribes to `com.example.ticks` (`#[subscribe]`); it runs until Ctrl-C or SIGTERM.
//! - `frontend` is a `main`-style component (Autobahn's `Component(main=...)`): its main
//!   function runs once the session is ready, calls both procedures (retrying for up to 5 s
//!   while they are not registered yet: the two components start at the same time) and
//!   publishes three ticks. Its return ends the component (the session leaves cleanly, no
//!   reconnect); its error, if any, is what `run` returns.
//!
//! ```sh
//! cargo run --example component                                   # embeds our own router
//! cargo run --example component -- ws://127.0.0.1:8080/ws realm1  # or use another router
//! ```
//!
//! Arguments: the router URL (without one, the example starts our router, `wamp-router`, in
//! the same process on a free port of 127.0.0.1: nothing to install) and the realm (default
//! `realm1`). Ctrl-C or SIGTERM stops the backend
//! gracefully (its session leaves cleanly); then `run` returns and the example prints
//! `stopped`. `run` logs to standard error, filtered by `RUST_LOG` (default `info`): set
//! `RUST_LOG=debug` to see the sessions' lifecycle.

use std::error::Error;
use std::fmt::Display;
use std::io::Write;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
#[path = "support/router.rs"]
mod router;
use router::EmbeddedRouter;

use wamp_client::{
    on_join, on_leave, on_ready, register, subscribe, CallError, CloseDetails, Component,
    ConfigError, Payload, PublishOptions, Session, SessionDetails,
};

const ADD2: &str = "com.example.add2";
const GREET: &str = "com.example.greet";
const TICKS: &str = "com.example.ticks";

/// The error of a call to a procedure nobody has registered (yet).
const NO_SUCH_PROCEDURE: &str = "wamp.error.no_such_procedure";
/// The frontend tries a call this many times while the procedure is not registered yet...
const CALL_TRIES: u32 = 50;
/// ... this long apart.
const CALL_RETRY_DELAY: Duration = Duration::from_millis(100);

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let realm = args.next().unwrap_or_else(|| "realm1".into());
    // No URL: embed our own router, on a runtime of its own (one worker thread) that serves
    // it while `run` below, which builds the components' runtime, blocks.
    let local = match url {
        Some(_) => None,
        None => Some(EmbeddedRouter::start(&realm)?),
    };
    let url = match (url, &local) {
        (Some(url), _) => url,
        (None, Some(router)) => router.url.clone(),
        (None, None) => unreachable!("a router is embedded when no URL is given"),
    };

    let backend = backend(&url, &realm)?;
    let frontend = frontend(&url, &realm)?;
    // Builds a tokio runtime and runs both components until each has ended, or until Ctrl-C
    // or SIGTERM stops them gracefully.
    let outcome = wamp_client::run(vec![backend, frontend]);
    if let Some(router) = local {
        router.stop();
    }
    match outcome {
        Err(e) => {
            say(format_args!("stopped with errors:\n{e}"));
            Err(e.into())
        }
        Ok(()) => {
            say("stopped");
            Ok(())
        }
    }
}

/// `com.example.add2`: adds two integers.
#[register("com.example.add2")]
async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

/// `com.example.greet`: greets by name.
#[register("com.example.greet")]
async fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

/// Each tick published to `com.example.ticks` (an event that does not fit, say a string, is
/// logged and counted, never handled).
#[subscribe("com.example.ticks")]
async fn tick(n: i64) {
    say(format_args!("backend got tick {n}"));
}

#[on_join]
async fn backend_joined(session: Session, details: SessionDetails) {
    say(format_args!(
        "backend joined realm {} as session {}",
        details.realm,
        session.id()
    ));
}

/// Fires once every procedure and subscription is live.
#[on_ready]
async fn backend_ready(_session: Session) {
    say("backend ready");
}

#[on_leave]
async fn backend_left(_session: Session, details: CloseDetails) {
    say(format_args!(
        "backend left: {} (clean: {})",
        details.reason,
        details.is_clean()
    ));
}

/// Offers two procedures and listens to the ticks, on every session, until stopped.
fn backend(url: &str, realm: &str) -> Result<Component, ConfigError> {
    Component::builder()
        .name("backend")
        .transport(url)
        .realm(realm)
        .attach([
            add2::handler(),
            greet::handler(),
            tick::handler(),
            backend_joined::handler(),
            backend_ready::handler(),
            backend_left::handler(),
        ])
        .build()
}

#[on_join]
async fn frontend_joined(session: Session, details: SessionDetails) {
    say(format_args!(
        "frontend joined realm {} as session {}",
        details.realm,
        session.id()
    ));
}

#[on_leave]
async fn frontend_left(_session: Session, details: CloseDetails) {
    say(format_args!(
        "frontend left: {} (clean: {})",
        details.reason,
        details.is_clean()
    ));
}

/// Calls the backend once ready (its main function), then leaves, which ends it.
fn frontend(url: &str, realm: &str) -> Result<Component, ConfigError> {
    Component::builder()
        .name("frontend")
        .transport(url)
        .realm(realm)
        .attach([frontend_joined::handler(), frontend_left::handler()])
        .main(talk)
        .build()
}

/// The frontend's main function: two calls and three acknowledged publications. Its return
/// ends the component; an error (`?` on any step) becomes `run`'s error.
async fn talk(session: Session) -> Result<(), Box<dyn Error + Send + Sync>> {
    let session = &session;
    let sum: i64 = call_when_registered(session, ADD2, (2, 3)).await?;
    say(format_args!("add2(2, 3) = {sum}"));
    let greeting: String = call_when_registered(session, GREET, ("world",)).await?;
    say(format_args!("greet(\"world\") = {greeting}"));
    say(format_args!("publishing 3 ticks to {TICKS}"));
    for i in 1..=3_i64 {
        session
            .publish_with(TICKS, Payload::args(&(i,))?, PublishOptions::acknowledged())
            .await?;
        say(format_args!("published tick {i}"));
    }
    say("frontend done");
    Ok(())
}

/// Calls `procedure`, retrying a bounded number of times while it is not registered: the
/// backend, started at the same time, may not be ready yet.
async fn call_when_registered<A, R>(
    session: &Session,
    procedure: &str,
    args: A,
) -> Result<R, CallError>
where
    A: Serialize,
    R: DeserializeOwned,
{
    let mut tries = 1;
    loop {
        match session.call(procedure, &args).await {
            Err(e) if e.uri() == Some(NO_SUCH_PROCEDURE) && tries < CALL_TRIES => {
                tries += 1;
                tokio::time::sleep(CALL_RETRY_DELAY).await;
            }
            outcome => return outcome,
        }
    }
}

/// Prints a line and flushes it at once (the example's test reads standard output).
fn say(line: impl Display) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}
