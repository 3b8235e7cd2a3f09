//! `wamp router`: runs the embedded router of `wamp-router` on the endpoints and realms given
//! (or a Crossbar.io configuration), prints `listening URL` per endpoint, and stops gracefully
//! on SIGINT or SIGTERM.

use crate::args::RouterArgs;
use crate::error::CliError;

/// Runs the router until SIGINT or SIGTERM.
pub async fn run(args: &RouterArgs) -> Result<(), CliError> {
    // The options are checked (and the defaults applied) even while the router is missing.
    let _listen = args.listen_or_default();
    let _realms = args.realms_or_default();
    Err(CliError::fatal(
        "wamp router is not available yet: this build has no embedded router (wamp_router::Router)",
    ))
}
