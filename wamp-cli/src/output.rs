//! Standard output: one line per result or event, written at once; and the signals that stop
//! a command that runs until told to.

use std::io::{self, Write};

use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::error::CliError;

/// Writes `line` and a newline to standard output and flushes it. A closed standard output
/// (`wamp subscribe ... | head -1`) is [`CliError::OutputClosed`].
pub fn line(line: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    let written = out
        .write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    written.map_err(output_error)
}

/// Writes bytes as they are to standard output (a registered command's output).
pub fn raw(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(output_error)
}

fn output_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::fatal(format!("cannot write to standard output: {e}"))
    }
}

/// SIGINT (Ctrl-C) and SIGTERM, watched from creation on: make it before saying that a
/// command is ready, so that a signal sent right after is seen.
pub struct StopSignals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl StopSignals {
    /// Starts watching SIGINT and SIGTERM (a signal that cannot be watched is logged and keeps
    /// its default action).
    pub fn new() -> Self {
        let watch = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for {name}");
                None
            }
        };
        StopSignals {
            interrupt: watch(SignalKind::interrupt(), "SIGINT"),
            terminate: watch(SignalKind::terminate(), "SIGTERM"),
        }
    }

    /// Resolves on the next SIGINT or SIGTERM.
    pub async fn recv(&mut self) {
        async fn next(s: &mut Option<Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = next(&mut self.interrupt) => {}
            () = next(&mut self.terminate) => {}
        }
    }
}
