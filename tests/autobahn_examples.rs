//! Autobahn's example suite in Rust, run against Crossbar.io with its `crossbardemo` realm
//! (`AUTOBAHN_DEMO_ROUTER` pointing at the test router). So far: `quickstart`.
//!
//! The examples are binaries built by `cargo test` (or `cargo build --examples`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wamp_suite::router;

const LIMIT: Duration = Duration::from_secs(60);

/// The binary of example `name`, in `target/<profile>/examples/`.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} does not exist: run `cargo build --examples` (a plain `cargo test` builds them)",
        bin.display()
    );
    bin
}

/// Runs example `name` against the test router until it exits (bounded), and returns its
/// standard output; fails if it does not exit successfully.
fn run_example(name: &str) -> String {
    let mut child = Command::new(example_binary(name))
        .env("AUTOBAHN_DEMO_ROUTER", router().ws_url())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the example") {
            break Some(status);
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    let _ = child.stdout.take().map(|mut o| o.read_to_string(&mut out));
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
    match status {
        Some(s) if s.success() => out,
        Some(s) => panic!("{name} exited with {s}\nstdout:\n{out}\nstderr:\n{err}"),
        None => panic!("{name} did not finish within {LIMIT:?}\nstdout:\n{out}\nstderr:\n{err}"),
    }
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
