//! Joins with `ticket`: the ticket is sent as it is, so use TLS (`wss://`) outside tests.
//!
//! ```sh
//! WAMP_URL=ws://127.0.0.1:8080/ws WAMP_REALM=realm1 WAMP_AUTHID=joe WAMP_SECRET=... \
//!     cargo run --example auth_ticket
//! ```
//!
//! `WAMP_SECRET` is the ticket. Prints `joined authid=.. authrole=.. authmethod=ticket` and
//! leaves; on failure prints the error and exits 1. The README shows a Crossbar.io
//! configuration for it.

#[path = "support/auth.rs"]
mod auth;

use wamp_client::AuthMethod;

fn main() {
    auth::join_with(AuthMethod::ticket);
}
