//! Test support for the WAMP workspace: a real Crossbar.io router, our own router embedded,
//! and Autobahn|Python peers.
//!
//! Shared by the integration tests in `tests/`, the examples and the benchmark. Everything is
//! synchronous (`std::process`, `std::net`), so it works from plain `#[test]`s and from tokio
//! tests alike.
//!
//! ```no_run
//! use std::time::Duration;
//! use wamp_suite::{router, Endpoint, Peer};
//!
//! let router = router(); // one Crossbar.io node per test binary, started on first use
//! println!("{} {} {}", router.ws_url(), router.rs_url(), router.unix_path().display());
//!
//! // A Python callee for cross-implementation tests.
//! let mut args = router.peer_args(Endpoint::Ws, "msgpack");
//! args.extend(["--prefix".to_string(), "com.mytest".to_string()]);
//! let mut callee = Peer::spawn("callee.py", &args);
//! callee.expect_line("READY", Duration::from_secs(20));
//! // ... call com.mytest.echo from Rust ...
//! ```
//!
//! # Setup
//!
//! The first use installs Crossbar.io 26.10.1 and Autobahn|Python into a virtualenv with
//! `scripts/crossbar-venv.sh` (about two minutes, once per machine; needs Python 3 with pip
//! and access to PyPI). A test that needs the router fails, never skips, when that is not
//! possible, with a message saying what is missing.
//!
//! # Environment
//!
//! - `WAMP_VENV`: where the virtualenv lives (default
//!   `~/.cache/wamp-rs/venv-crossbar-26.10.1`); `WAMP_PYTHON`: the interpreter that creates it.
//! - `WAMP_SUITE_KEEP_DIR=1`: keep each node's temporary directory (config, `crossbar.log`).
//! - `WAMP_SUITE_CROSSBAR_LOGLEVEL`: Crossbar.io's log level (default `info`).
//!
//! # Modules
//!
//! - [`router()`], [`Router`], [`Endpoint`]: the Crossbar.io node and its URLs.
//! - [`ours()`], [`Ours`]: our router (wamp-router) in the test process, with the same
//!   endpoints, realms, roles and authenticated transports.
//! - [`RouterKind`], [`TestRouter`], [`on_both_routers!`]: a test written once, run against
//!   both routers (`crossbar::NAME` and `ours::NAME`).
//! - [`AuthTransport`], [`auth`]: the node's authenticated endpoints (ticket, wampcra,
//!   cryptosign, scram) and the credentials of their principals.
//! - [`Peer`]: a Python peer from `tests/peers/` (callee, caller, publisher, subscriber).
//! - [`CrossbarNode`]: a Crossbar.io node with a config of the test's own (the README's).
//! - [`venv()`], [`python()`]: the virtualenv.
//! - [`within`]: a wait in a test, bounded in time.
//! - [`callees`]: callees the tests of calls share (one that runs until interrupted).
//! - [`FaultProxy`], [`FaultMode`]: a TCP proxy that injects network faults (refused connections,
//!   silence, black holes, frozen connections, HTTP errors, latency, dropped connections).
//! - [`Frozen`]: a Crossbar.io node stopped with SIGSTOP until dropped (SIGCONT).
//! - [`measure`]: resident memory (and its sampled peak), file descriptors, tokio tasks.
//! - [`workload`]: the reliability suite's and the soak benchmark's workload (calls in flight,
//!   acknowledged publications) and its figures.

pub mod auth;
pub mod callees;
mod certs;
mod freeze;
mod log;
pub mod measure;
mod node;
mod ours;
mod peer;
mod process;
mod proxy;
mod router;
mod target;
mod venv;
pub mod workload;

pub use freeze::Frozen;
pub use log::CapturedLog;
pub use node::{free_port, CrossbarNode};
pub use ours::{ours, Ours, OursNode};
pub use peer::{bytes_from_json, bytes_to_json, example_binary, peers_dir, Peer};
pub use proxy::{FaultMode, FaultProxy};
pub use router::{
    router, AuthTransport, Endpoint, Router, DEMO_REALM, REALM, RS_MAX_MESSAGE_SIZE, START_TIMEOUT,
    WS_MAX_MESSAGE_SIZE,
};
pub use target::{RouterKind, TestRouter};
pub use venv::{python, repo_dir, venv};

/// Awaits `f` for at most `limit`, and panics naming `what` when it takes longer: every wait
/// in a test is bounded.
///
/// # Panics
///
/// When `f` does not finish within `limit`.
pub async fn within<T>(
    limit: std::time::Duration,
    what: &str,
    f: impl std::future::Future<Output = T>,
) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {limit:?}"))
}

/// The README's Rust examples, compiled as doc tests (`cargo test --doc`) so that they stay
/// true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
