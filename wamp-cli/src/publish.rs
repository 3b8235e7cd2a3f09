//! `wamp publish URI [ARGS...] [--keyword NAME VALUE]...`: an acknowledged publication.

use wamp_client::{PublishError, PublishOptions, Session};

use crate::args::PublishArgs;
use crate::error::CliError;
use crate::json;

/// Publishes and waits for the broker's acknowledgement.
pub async fn run(session: &Session, args: &PublishArgs, json_values: bool) -> Result<(), CliError> {
    let payload = json::payload(&args.args, &args.keyword, json_values)?;
    match session
        .publish_with(&args.uri, payload, PublishOptions::acknowledged())
        .await
    {
        Ok(_) => Ok(()),
        Err(PublishError::Application(e)) => Err(CliError::Application(e)),
        Err(e) => Err(CliError::fatal(format!("publish {}: {e}", args.uri))),
    }
}
