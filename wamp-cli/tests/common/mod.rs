//! Running the `wamp` binary in tests: to its end, or line by line while it runs; every wait
//! bounded.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

/// The bound on one run of `wamp` that should end by itself.
pub const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The bound on a line we wait for.
pub const LINE_LIMIT: Duration = Duration::from_secs(20);

/// Awaits `f` for at most `limit`, panicking with `what` after that.
pub async fn within<T>(limit: Duration, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {limit:?}"))
}

/// What a run of `wamp` gave.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// `wamp` with these arguments and no secret or key in its environment.
pub fn wamp(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wamp"));
    command
        .args(args)
        .env_remove("WAMP_SECRET")
        .env_remove("WAMP_PRIVATE_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs `command` to its end, within [`RUN_LIMIT`].
pub async fn output(mut command: Command) -> Output {
    let out = within(RUN_LIMIT, "wamp to exit", command.output())
        .await
        .expect("wamp runs");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A `wamp` that keeps running (router, subscribe, register), read line by line.
pub struct Running {
    pub child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
}

impl Running {
    /// Starts `wamp` with these arguments.
    pub fn spawn(args: &[&str]) -> Running {
        let mut child = wamp(args).spawn().expect("wamp starts");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("piped")).lines();
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for a line on standard error that contains `text`.
    pub async fn stderr_line(&mut self, text: &str) -> String {
        within(LINE_LIMIT, &format!("{text:?} on stderr"), async {
            loop {
                match self.stderr.next_line().await {
                    Ok(Some(line)) if line.contains(text) => return line,
                    Ok(Some(_)) => {}
                    other => panic!("stderr ended before {text:?}: {other:?}"),
                }
            }
        })
        .await
    }

    /// The next line on standard output.
    pub async fn stdout_line(&mut self) -> String {
        within(LINE_LIMIT, "a line on stdout", self.stdout.next_line())
            .await
            .expect("stdout readable")
            .expect("a line before the end of stdout")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("still running");
        let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("pid")).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("kill");
    }

    /// Waits for the process to exit by itself and gives its exit code.
    pub async fn exit_code(mut self) -> Option<i32> {
        within(RUN_LIMIT, "wamp to exit", self.child.wait())
            .await
            .expect("wait")
            .code()
    }
}
