//! Autobahn's "rpc arguments" example, frontend: calls the `com.arguments.*` procedures with
//! no, positional and keyword arguments, printing each result, then leaves.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_arguments_frontend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`); start `rpc_arguments_backend` (or Autobahn|Python's) first.
//! Exit status 0 when done, 1 on a failure (a call error, a result that is not one
//! positional value).
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use serde::Serialize;
use serde_json::json;
use wamp_client::{on_ready, CallOptions, Payload, Session, Value};

/// A payload of positional arguments (a tuple, `()` for none) and keyword arguments (a JSON
/// object, `null` for none).
fn payload(args: impl Serialize, kwargs: serde_json::Value) -> Payload {
    Payload::args(&args)
        .and_then(|p| p.with_kwargs(&kwargs))
        .expect("numbers and strings serialize")
}

/// Calls `procedure` and returns its single positional result; anything else is an error.
async fn call(session: &Session, procedure: &str, payload: Payload) -> Result<Value, String> {
    let result = session
        .call_with(procedure, payload, CallOptions::default())
        .await
        .map_err(|e| format!("{procedure} failed: {e}"))?;
    let Payload { args, kwargs } = result.payload;
    match (args.as_slice(), kwargs.is_empty()) {
        ([value], true) => Ok(value.clone()),
        _ => Err(format!(
            "{procedure}: one positional result expected, got args={} kwargs={}",
            demo::show(&args),
            demo::show(&kwargs)
        )),
    }
}

async fn calls(session: &Session) -> Result<(), String> {
    // No arguments and no result to speak of (`[]` or `[null]`).
    let () = session
        .call("com.arguments.ping", ())
        .await
        .map_err(|e| format!("com.arguments.ping failed: {e}"))?;
    println!("Pinged!");

    // (label, procedure under `com.arguments.`, arguments)
    #[rustfmt::skip]
    let table = [
        ("Add2", "add2", payload((2, 3), json!(null))),
        ("Starred 1", "stars", payload((), json!(null))),
        ("Starred 2", "stars", payload((), json!({"nick": "Homer"}))),
        ("Starred 3", "stars", payload((), json!({"stars": 5}))),
        ("Starred 4", "stars", payload((), json!({"nick": "Homer", "stars": 5}))),
        ("Orders 1", "orders", payload(("coffee",), json!(null))),
        ("Orders 2", "orders", payload(("coffee",), json!({"limit": 10}))),
        ("Arglen 1", "arglen", payload((), json!(null))),
        ("Arglen 2", "arglen", payload((1, 2, 3), json!(null))),
        ("Arglen 3", "arglen", payload((), json!({"a": 1, "b": 2, "c": 3}))),
        ("Arglen 4", "arglen", payload((1, 2, 3), json!({"a": 1, "b": 2, "c": 3}))),
    ];
    for (label, name, payload) in table {
        let result = call(session, &format!("com.arguments.{name}"), payload).await?;
        println!("{label}: {}", demo::show(&result));
    }
    Ok(())
}

#[on_ready]
async fn ready(session: Session) {
    demo::finish(&session, calls(&session).await).await;
}

fn main() {
    demo::frontend();
    demo::run(demo::component("rpc_arguments_frontend").attach(ready::handler()));
}
