//! Autobahn's "rpc complex" example, backend: results other than one positional value.
//! `com.myapp.add_complex(a, ai, b, bi)` answers with keyword results only (`c`, `ci`);
//! `com.myapp.split_name(fullname)` answers with two positional results.
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_complex_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once both procedures are registered,
//! and serves until it is stopped. Run `rpc_complex_frontend` (or Autobahn|Python's) next.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.

#[path = "support/demo.rs"]
mod demo;

use serde::Serialize;
use wamp_client::error_uri::RUNTIME_ERROR;
use wamp_client::{on_ready, register, Payload, WampError};

/// The keyword results of `add_complex`.
#[derive(Serialize)]
struct Complex {
    c: i64,
    ci: i64,
}

/// Keyword results only: a `Payload` goes out as it is.
#[register("com.myapp.add_complex")]
async fn add_complex(a: i64, ai: i64, b: i64, bi: i64) -> Payload {
    let sum = Complex {
        c: a + b,
        ci: ai + bi,
    };
    Payload::kwargs(&sum).expect("a struct of integers serializes")
}

/// Two positional results: a tuple is several results.
#[register("com.myapp.split_name")]
async fn split_name(fullname: String) -> Result<(String, String), WampError> {
    match fullname.split_whitespace().collect::<Vec<_>>()[..] {
        [forename, surname] => Ok((forename.to_owned(), surname.to_owned())),
        _ => Err(WampError::with_message(
            RUNTIME_ERROR,
            format!("cannot split {fullname:?} into a forename and a surname"),
        )),
    }
}

#[on_ready]
async fn ready() {
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(demo::component("rpc_complex_backend").attach([
        add_complex::handler(),
        split_name::handler(),
        ready::handler(),
    ]));
}
