//! `wamp router`: runs the embedded router of `wamp-router` on the endpoints and realms given,
//! prints `listening URL` per endpoint (with the real port when 0 was given), and stops
//! gracefully on SIGINT or SIGTERM (GOODBYE `wamp.close.system_shutdown` to every session).

use wamp_router::Router;

use crate::args::RouterArgs;
use crate::error::CliError;
use crate::output::{self, StopSignals};

/// Runs the router until SIGINT or SIGTERM.
pub async fn run(args: &RouterArgs) -> Result<(), CliError> {
    if let Some(path) = &args.config {
        return Err(CliError::fatal(format!(
            "wamp router --config {}: reading a Crossbar.io configuration is not available yet; \
             use --listen and --realm",
            path.display()
        )));
    }
    let mut builder = Router::builder();
    for realm in args.realms_or_default() {
        builder = builder.realm(&realm);
    }
    for url in args.listen_or_default() {
        builder = builder
            .listen(&url.to_string())
            .map_err(|e| CliError::fatal(format!("--listen {url}: {e}")))?;
    }
    // Watched before the first `listening` line: whoever reads it may signal at once.
    let mut stop = StopSignals::new();
    let router = builder
        .start()
        .await
        .map_err(|e| CliError::fatal(format!("cannot start the router: {e}")))?;
    for url in router.urls() {
        if let Err(e) = output::line(&format!("listening {url}")) {
            router.stop().await;
            return Err(e);
        }
    }
    stop.recv().await;
    eprintln!("stopping");
    router.stop().await;
    Ok(())
}
