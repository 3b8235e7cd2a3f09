//! Joins with `wampcra`: a challenge-response on a shared secret; the router may salt it
//! (PBKDF2), which the client handles.
//!
//! ```sh
//! WAMP_URL=ws://127.0.0.1:8080/ws WAMP_REALM=realm1 WAMP_AUTHID=joe WAMP_SECRET=... \
//!     cargo run --example auth_wampcra
//! ```
//!
//! `WAMP_SECRET` is the secret. Prints `joined authid=.. authrole=.. authmethod=wampcra` and
//! leaves; on failure prints the error and exits 1. The README shows a Crossbar.io
//! configuration for it.

#[path = "support/auth.rs"]
mod auth;

use wamp_client::AuthMethod;

fn main() {
    auth::join_with(AuthMethod::wampcra);
}
