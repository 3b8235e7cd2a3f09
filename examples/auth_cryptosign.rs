//! Joins with `cryptosign`: an Ed25519 key; the router knows the public key, the private key
//! never leaves the client. `CryptosignKey::file(path)` reads a hex seed or an OpenSSH key file
//! instead.
//!
//! ```sh
//! WAMP_URL=ws://127.0.0.1:8080/ws WAMP_REALM=realm1 WAMP_AUTHID=joe WAMP_SECRET=... \
//!     cargo run --example auth_cryptosign
//! ```
//!
//! `WAMP_SECRET` is the 32-byte seed in hex. Prints `joined authid=.. authrole=..
//! authmethod=cryptosign` and leaves; on failure prints the error and exits 1. The README shows
//! a Crossbar.io configuration for it.

#[path = "support/auth.rs"]
mod auth;

use wamp_client::{AuthMethod, CryptosignKey};

fn main() {
    auth::join_with(|seed| AuthMethod::cryptosign(CryptosignKey::hex(seed)));
}
