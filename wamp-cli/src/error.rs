//! How a run of `wamp` fails, and the exit code of each failure.

use std::process::ExitCode;

use wamp_client::WampError;

use crate::json;

/// Exit code of an application error (an ERROR from the router or a peer), as Autobahn's.
pub const EXIT_APPLICATION: u8 = 5;
/// Exit code of a usage, connection or authentication failure.
pub const EXIT_FAILURE: u8 = 1;

/// Why `wamp` stops with a non-zero exit code.
#[derive(Debug)]
pub enum CliError {
    /// A usage, connection, authentication or local failure, with what to say.
    Fatal(String),
    /// The router or a peer answered with an ERROR.
    Application(WampError),
    /// The session ended while a command still needed it (subscribe and register join again,
    /// as Autobahn's component does).
    SessionLost(String),
    /// Standard output was closed (`wamp subscribe ... | head -1`): stop quietly, with 0.
    OutputClosed,
}

impl CliError {
    /// A fatal error with this message.
    pub fn fatal(message: impl Into<String>) -> Self {
        CliError::Fatal(message.into())
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::OutputClosed => 0,
            CliError::Fatal(_) | CliError::SessionLost(_) => EXIT_FAILURE,
            CliError::Application(_) => EXIT_APPLICATION,
        })
    }

    /// Writes the failure to standard error: `error: <message>`, or for an application error
    /// `<uri> {"args": [...], "kwargs": {...}}`.
    pub fn report(&self) {
        match self {
            CliError::OutputClosed => {}
            CliError::Fatal(message) | CliError::SessionLost(message) => {
                eprintln!("error: {message}")
            }
            CliError::Application(e) => {
                eprintln!("{} {}", e.uri, json::payload_line(&e.args, &e.kwargs))
            }
        }
    }
}
