//! The `component` example as a user runs it: two components in one process under
//! `wamp_client::run`, against a real Crossbar.io and against our router (`crossbar::NAME`,
//! `ours::NAME`) over WebSocket and RawSocket. The frontend
//! uses the backend, leaves cleanly and is not reconnected; SIGTERM then stops the backend
//! gracefully and the process exits with success.
//!
//! The test runs the example's binary, which `cargo test` (without target filters) builds
//! next to the test binaries; after `cargo test --test run_signal` alone, build it with
//! `cargo build --examples` first.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use wamp_suite::example_binary;

/// How long the example may take to show that both components did their work.
const WORK_LIMIT: Duration = Duration::from_secs(60);
/// How long the process may take to exit after SIGTERM.
const EXIT_LIMIT: Duration = Duration::from_secs(30);
/// How long the backend may take to print the ticks it received.
const TICK_LIMIT: Duration = Duration::from_secs(10);
/// How long the test watches for a reconnect after the frontend left.
const RECONNECT_WATCH: Duration = Duration::from_secs(1);

/// The tests share the process's router and its one realm, where the example's procedures
/// can be registered by one session at a time: they run one after the other.
static SERIAL: Mutex<()> = Mutex::new(());

/// A running example; killed when dropped, so that a failing test leaves no process behind.
struct Example {
    child: Child,
    /// Its stdout, line by line, as it comes.
    stdout: mpsc::Receiver<String>,
    /// The stdout lines received so far.
    lines: Vec<String>,
    /// Its stdout and stderr so far, interleaved, for failure messages.
    output: Arc<Mutex<Vec<String>>>,
}

impl Example {
    fn start(router_url: &str) -> Example {
        let mut child = Command::new(example_binary("component"))
            .args([router_url, "realm1"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start the component example");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, stdout) = mpsc::channel();
        let out = child.stdout.take().expect("piped stdout");
        let log = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line.clone());
                let _ = tx.send(line);
            }
        });
        let err = child.stderr.take().expect("piped stderr");
        let log = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
        });
        Example {
            child,
            stdout,
            lines: Vec::new(),
            output,
        }
    }

    /// Reads stdout until `done` holds for the lines so far; fails after `limit`, when the
    /// example's stdout closes first, or at once when the frontend reports a failure.
    fn wait_until(&mut self, what: &str, limit: Duration, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(&self.lines) {
            if let Some(failed) = self.lines.iter().find(|l| l.starts_with("frontend failed")) {
                self.fail(&format!("{failed:?} while waiting for {what}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => self.lines.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.fail(&format!("no {what} within {limit:?}"))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Give the stderr reader a moment to collect the reason.
                    std::thread::sleep(Duration::from_millis(200));
                    self.fail(&format!("the example closed its stdout before {what}"))
                }
            }
        }
    }

    /// Reads stdout for `period`, or until it closes.
    fn watch(&mut self, period: Duration) {
        let deadline = Instant::now() + period;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => self.lines.push(line),
                Err(_) => return,
            }
        }
    }

    /// Reads the rest of stdout of an exited example (bounded).
    fn read_to_end(&mut self) {
        let deadline = Instant::now() + EXIT_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => self.lines.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => self.fail(&format!(
                    "stdout still open {EXIT_LIMIT:?} after the example exited"
                )),
            }
        }
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap_or_else(|e| self.fail(&format!("cannot run kill: {e}")));
        if !killed.success() {
            self.fail(&format!("kill -TERM {pid}: {killed}"));
        }
    }

    /// Waits (bounded) for the process to exit.
    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(None) => self.fail(&format!("still running {limit:?} after SIGTERM")),
                Err(e) => self.fail(&format!("cannot wait for the example: {e}")),
            }
        }
    }

    /// How many stdout lines start with `prefix`.
    fn count(&self, prefix: &str) -> usize {
        self.lines.iter().filter(|l| l.starts_with(prefix)).count()
    }

    /// The index of the first stdout line starting with `prefix`.
    fn position(&self, prefix: &str) -> Option<usize> {
        self.lines.iter().position(|l| l.starts_with(prefix))
    }

    fn output(&self) -> String {
        let lines = self.output.lock().unwrap_or_else(PoisonError::into_inner);
        let tail = &lines[lines.len().saturating_sub(40)..];
        tail.join("\n")
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "component example: {what}\n--- its output (last 40 lines) ---\n{}",
            self.output()
        )
    }

    fn check(&self, ok: bool, what: &str) {
        if !ok {
            self.fail(what);
        }
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn has(lines: &[String], prefix: &str) -> bool {
    lines.iter().any(|l| l.starts_with(prefix))
}

/// Runs the example against `url` and checks its whole life, up to the exit after SIGTERM.
fn run_and_terminate(url: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let mut example = Example::start(url);

    example.wait_until(
        "`backend ready`, `frontend done` and the frontend's leave",
        WORK_LIMIT,
        |lines| {
            has(lines, "backend ready")
                && has(lines, "frontend done")
                && has(lines, "frontend left")
        },
    );
    example.check(
        example.count("add2(2, 3) = 5") == 1,
        "expected the line `add2(2, 3) = 5` once",
    );
    example.check(
        example.count("greet(\"world\") = Hello, world!") == 1,
        "expected the line `greet(\"world\") = Hello, world!` once",
    );
    example.check(
        example.count("published tick ") == 3,
        "expected 3 `published tick N` lines",
    );
    example.check(
        example.position("frontend left") > example.position("frontend done"),
        "the frontend left before it was done",
    );
    example.check(
        example
            .lines
            .iter()
            .any(|l| l.starts_with("frontend left") && l.ends_with("(clean: true)")),
        "the frontend's leave was not clean",
    );

    // The backend got the ticks, when its subscription was live before the first publication
    // (the frontend only waits for the procedures).
    let subscribed = example.position("backend ready");
    let publishing = example.position("publishing 3 ticks");
    if subscribed < publishing {
        example.wait_until("the 3 ticks at the backend", TICK_LIMIT, |lines| {
            (1..=3).all(|i| lines.iter().any(|l| l == &format!("backend got tick {i}")))
        });
    }

    // A clean leave ends the component: no second frontend session (a reconnect would be
    // immediate).
    example.watch(RECONNECT_WATCH);
    example.check(
        example.count("frontend joined") == 1,
        "expected exactly one `frontend joined` (a clean leave must not reconnect)",
    );

    // SIGTERM: `run` stops the backend gracefully and returns; main prints `stopped`.
    example.terminate();
    let status = example.wait_exit(EXIT_LIMIT);
    example.check(status.success(), &format!("exit status {status}"));
    example.read_to_end();
    example.check(
        example.lines.last().map(String::as_str) == Some("stopped"),
        "expected `stopped` as the last line",
    );
    example.check(
        example
            .lines
            .iter()
            .any(|l| l.starts_with("backend left") && l.ends_with("(clean: true)")),
        "the backend did not leave cleanly on SIGTERM",
    );
    example.check(
        example.count("backend joined") == 1 && example.count("frontend joined") == 1,
        "expected one session per component",
    );
}

wamp_suite::on_both_routers! {
    #[test]
    fn two_components_over_websocket_run_until_sigterm(router) {
        run_and_terminate(&router.ws_url());
    }

    #[test]
    fn two_components_over_rawsocket_run_until_sigterm(router) {
        run_and_terminate(&router.rs_url());
    }
}
