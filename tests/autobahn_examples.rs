//! Autobahn's example suite in Rust, run against Crossbar.io with its `crossbardemo` realm
//! (`AUTOBAHN_DEMO_ROUTER` pointing at the test router). So far: `quickstart`.
//!
//! The examples are binaries built by `cargo test` (or `cargo build --examples`).

use std::process::Command;
use std::time::Duration;

use wamp_suite::{example_binary, router, Peer};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs example `name` against the test router until it exits successfully (bounded), and
/// returns its standard output.
fn run_example(name: &str) -> String {
    let mut command = Command::new(example_binary(name));
    command
        .env("AUTOBAHN_DEMO_ROUTER", router().ws_url())
        .env("NO_COLOR", "1");
    Peer::command(name, command).finish(LIMIT).join("\n")
}

#[test]
fn quickstart_subscribes_registers_publishes_calls_and_leaves() {
    let out = run_example("quickstart");
    for line in [
        "session ready",
        "event received: Hello, world",
        "call result: 5",
        "done",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
}
