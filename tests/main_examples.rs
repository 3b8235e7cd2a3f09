//! The README's first hour: `cargo run --example component` and `cargo run --example hello`
//! with no URL embed our own router (`wamp-router`) and need nothing installed: no Python,
//! no Crossbar.io. Each runs to its end here with no router started by the harness.
//!
//! The tests run the examples' binaries, which `cargo test` (without target filters) builds
//! next to the test binaries; after `cargo test --test main_examples` alone, build them with
//! `cargo build --examples` first.
#![cfg(unix)]

use std::process::Command;
use std::time::Duration;

use wamp_suite::{example_binary, Peer};

/// How long an example may take to show each step.
const STEP: Duration = Duration::from_secs(30);

#[test]
fn the_component_example_embeds_a_router_when_given_no_url_and_stops_on_sigterm() {
    let mut example = Peer::command("component", Command::new(example_binary("component")));
    let url = example.expect_line("router listening on ws://127.0.0.1:", STEP);
    assert!(url.contains("/ws, realm realm1"), "{url}");
    assert_eq!(example.expect_line("add2(2, 3) =", STEP), "5");
    assert_eq!(
        example.expect_line("greet(\"world\") =", STEP),
        "Hello, world!"
    );
    example.expect_line("frontend done", STEP);
    example.expect_line("frontend left: wamp.close.goodbye_and_out", STEP);
    // The backend runs until it is told to stop.
    let killed = Command::new("kill")
        .args(["-TERM", &example.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let rest = example.finish(STEP);
    assert!(rest.iter().any(|l| l == "stopped"), "{rest:?}");
}

#[test]
fn the_hello_example_embeds_a_router_when_given_no_url() {
    let mut example = Peer::command("hello", Command::new(example_binary("hello")));
    assert_eq!(example.expect_line("com.example.add2(2, 3) =", STEP), "5");
    example.expect_line("event on com.example.oncounter: [Int(2)]", STEP);
    let rest = example.finish(STEP);
    assert!(
        rest.iter().any(|l| l == "left: wamp.close.goodbye_and_out"),
        "{rest:?}"
    );
}

#[test]
fn the_interceptors_example_stamps_refuses_counts_and_times_with_an_embedded_router() {
    let mut example = Peer::command("interceptors", Command::new(example_binary("interceptors")));
    // The timing hook sees the RESULT before the caller gets it.
    let timed = example.expect_line("call ", STEP);
    assert!(
        timed.contains("to com.example.add2 answered RESULT after"),
        "{timed}"
    );
    assert_eq!(example.expect_line("com.example.add2(2, 3) =", STEP), "5");
    let refused = example.expect_line("refused:", STEP);
    assert!(refused.contains("wamp.error.not_authorized"), "{refused}");
    let rest = example.finish(STEP);
    assert!(
        rest.iter().any(|l| l.starts_with("messages sent: ")),
        "{rest:?}"
    );
}
