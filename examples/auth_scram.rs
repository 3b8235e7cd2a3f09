//! Joins with `scram` (WAMP-SCRAM, as Crossbar.io implements it): the password never leaves the
//! client, and the client checks that the router knows it.
//!
//! ```sh
//! WAMP_URL=ws://127.0.0.1:8080/ws WAMP_REALM=realm1 WAMP_AUTHID=joe WAMP_SECRET=... \
//!     cargo run --example auth_scram
//! ```
//!
//! `WAMP_SECRET` is the password. Prints `joined authid=.. authrole=.. authmethod=scram` and
//! leaves; on failure prints the error and exits 1. The README shows a Crossbar.io
//! configuration for it.

#[path = "support/auth.rs"]
mod auth;

use wamp_client::AuthMethod;

fn main() {
    auth::join_with(AuthMethod::scram);
}
