//! `wamp call URI [ARGS...] [--keyword NAME VALUE]... [--timeout DURATION]`: prints the result
//! as one line `{"args": [...], "kwargs": {...}}`.

use wamp_client::{error_uri, CallError, CallOptions, Session, WampError};

use crate::args::CallArgs;
use crate::error::CliError;
use crate::{json, output};

/// Calls the procedure and prints its result.
pub async fn run(session: &Session, args: &CallArgs, json_values: bool) -> Result<(), CliError> {
    let payload = json::payload(&args.args, &args.keyword, json_values)?;
    let mut options = CallOptions::default();
    if let Some(timeout) = args.timeout {
        options = options.timeout(timeout);
    }
    match session.call_with(&args.uri, payload, options).await {
        Ok(result) => output::line(&json::payload_line(
            &result.payload.args,
            &result.payload.kwargs,
        )),
        Err(CallError::Application(e)) => Err(CliError::Application(e)),
        // The client's deadline passed before the router's answer: the same error the router
        // would have given.
        Err(CallError::Timeout(after)) => Err(CliError::Application(WampError::with_message(
            error_uri::TIMEOUT,
            format!("no result within {after:?}"),
        ))),
        Err(e) => Err(CliError::fatal(format!("call {}: {e}", args.uri))),
    }
}
