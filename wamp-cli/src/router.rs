//! `wamp router`: runs the embedded router of `wamp-router` on the endpoints and realms given
//! (or as a Crossbar.io node configuration says, read by [`wamp_router::crossbar`]), prints `listening URL` per endpoint (with the real port when 0 was given), and stops
//! gracefully on SIGINT or SIGTERM (GOODBYE `wamp.close.system_shutdown` to every session).

use wamp_router::{crossbar, Router};

use crate::args::RouterArgs;
use crate::error::CliError;
use crate::output::{self, StopSignals};

/// Runs the router until SIGINT or SIGTERM.
pub async fn run(args: &RouterArgs) -> Result<(), CliError> {
    let builder = match &args.config {
        Some(path) => {
            let (config, warnings) = crossbar::from_file(path, args.strict)
                .map_err(|e| CliError::fatal(format!("{}: {e}", path.display())))?;
            for warning in &warnings {
                eprintln!("warning: {warning}");
            }
            Router::builder().config(config)
        }
        None => {
            let mut builder = Router::builder();
            for realm in args.realms_or_default() {
                builder = builder.realm(&realm);
            }
            for url in args.listen_or_default() {
                builder = builder
                    .listen(&url.to_string())
                    .map_err(|e| CliError::fatal(format!("--listen {url}: {e}")))?;
            }
            builder
        }
    };
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
