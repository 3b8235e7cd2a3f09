//! `wamp subscribe URI [--times N] [--match exact|prefix|wildcard]`: one line
//! `{"args": [...], "kwargs": {...}}` per event.

use wamp_client::{Session, SubscribeError, SubscribeOptions};

use crate::args::SubscribeArgs;
use crate::error::CliError;
use crate::output::StopSignals;
use crate::{json, output};

/// Subscribes and prints events until `--times` of them came (forever with 0; `seen` counts
/// them across sessions), SIGINT or SIGTERM, or the session ends
/// ([`CliError::SessionLost`]).
pub async fn run(
    session: &Session,
    args: &SubscribeArgs,
    seen: &mut u64,
    stop: &mut StopSignals,
) -> Result<(), CliError> {
    let options = SubscribeOptions::default().match_policy(args.match_.into());
    let mut events = match session.subscribe_stream(&args.uri, options).await {
        Ok(events) => events,
        Err(SubscribeError::Application(e)) => return Err(CliError::Application(e)),
        Err(SubscribeError::Session(_)) => return Err(crate::session_ended(session)),
        Err(e) => return Err(CliError::fatal(format!("subscribe {}: {e}", args.uri))),
    };
    eprintln!("subscribed: {}", args.uri);
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else {
                    return Err(crate::session_ended(session));
                };
                output::line(&json::payload_line(&event.payload.args, &event.payload.kwargs))?;
                *seen += 1;
                if args.times > 0 && *seen >= args.times {
                    return Ok(());
                }
            }
            () = stop.recv() => return Ok(()),
        }
    }
}
