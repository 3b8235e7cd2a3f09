//! Autobahn's "rpc errors" example, backend: procedures that fail with WAMP errors.
//! `com.myapp.sqrt(x)` fails the way a plain Python exception does
//! (`wamp.error.runtime_error` with the message), `com.myapp.checkname(name)` with
//! application errors carrying positional or keyword arguments, and
//! `com.myapp.compare(a, b)` with an error type of its own that converts into a
//! [`WampError`] (what Autobahn's `@wamp.error` class mapping does).
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_errors_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once the procedures are registered, and
//! serves until it is stopped. Run `rpc_errors_frontend` (or Autobahn|Python's) next.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

// What Autobahn answers for an exception that has no error URI of its own.
use wamp_client::error_uri::RUNTIME_ERROR;
use wamp_client::{on_ready, register, Dict, Payload, Value, WampError};

/// What Autobahn yields for a Python procedure that returns `None`: one positional `null`.
fn none() -> Payload {
    Payload::from_parts(vec![Value::Null], Dict::new())
}

/// Always a float: `sqrt(4)` is `2.0`.
#[register("com.myapp.sqrt")]
async fn sqrt(x: f64) -> Result<f64, WampError> {
    if x == 0.0 {
        return Err(WampError::with_message(
            RUNTIME_ERROR,
            "don't ask foolish questions;)",
        ));
    }
    if x < 0.0 {
        return Err(WampError::with_message(RUNTIME_ERROR, "math domain error"));
    }
    Ok(x.sqrt())
}

#[register("com.myapp.checkname")]
async fn checkname(name: String) -> Result<Payload, WampError> {
    if name == "foo" || name == "bar" {
        // A URI alone.
        return Err(WampError::new("com.myapp.error.reserved"));
    }
    let (lower, upper) = (name.to_lowercase(), name.to_uppercase());
    if lower != upper {
        // Positional arguments (true for any name with a letter in it).
        let args = vec![lower.into(), upper.into()];
        return Err(WampError::new("com.myapp.error.mixed_case").with_args(args));
    }
    let len = name.chars().count();
    if !(3..=10).contains(&len) {
        // Keyword arguments.
        let kwargs = Dict::from([("min", Value::from(3)), ("max", Value::from(10))]);
        return Err(WampError::new("com.myapp.error.invalid_length").with_kwargs(kwargs));
    }
    Ok(none())
}

/// The application's own error, sent as `com.myapp.error1` with its value as argument.
struct AppError1(i64);

impl From<AppError1> for WampError {
    fn from(e: AppError1) -> Self {
        WampError::new("com.myapp.error1").with_args(vec![e.0.into()])
    }
}

#[register("com.myapp.compare")]
async fn compare(a: i64, b: i64) -> Result<Payload, AppError1> {
    if a < b {
        return Err(AppError1(b - a));
    }
    Ok(none())
}

#[on_ready]
async fn ready() {
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(demo::component("rpc_errors_backend").attach([
        sqrt::handler(),
        checkname::handler(),
        compare::handler(),
        ready::handler(),
    ]));
}
