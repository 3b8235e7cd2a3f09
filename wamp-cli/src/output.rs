//! Standard output: one line per result or event, written at once; and the signals that stop
//! a command that runs until told to.

use std::io::{self, Write};

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

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                tracing::warn!(error = %e, "cannot watch for SIGINT");
                std::future::pending::<()>().await
            }
        }
        () = terminate => {}
    }
}
