//! `run(vec![comp])`: the blocking entry point for `fn main`.

use futures_util::future::join_all;

use crate::component::{Component, ComponentError};

/// Why [`run`] failed: the error of every component that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The tokio runtime could not be built.
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(std::io::Error),
    /// One or more components failed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Components(Vec<ComponentError>),
}

/// Runs the components until every one has finished, or until the process receives SIGINT
/// (Ctrl-C) or SIGTERM, which stops them all gracefully (see
/// [`ComponentHandle::stop`](crate::ComponentHandle::stop)). Builds a multi-thread tokio
/// runtime, and (with the default feature `tracing-subscriber`) sets up `tracing` output to
/// standard error, filtered by `RUST_LOG` (default `info`), unless the application installed
/// a subscriber already. Nothing the client logs, at any level, carries a message's payload
/// or a secret, whatever subscriber is installed.
///
/// Returns an error listing every component that failed.
///
/// ```no_run
/// use wamp_client::Component;
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let comp = Component::builder()
///         .transport("ws://127.0.0.1:8080/ws")
///         .realm("realm1")
///         .build()?;
///     wamp_client::run(vec![comp])?;
///     Ok(())
/// }
/// ```
pub fn run(components: Vec<Component>) -> Result<(), RunError> {
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    runtime.block_on(run_until_signal(components))
}

/// [`run`] inside a tokio runtime the application already has: starts the components and
/// waits for them, stopping them all on SIGINT or SIGTERM.
pub async fn run_until_signal(components: Vec<Component>) -> Result<(), RunError> {
    let handles: Vec<_> = components.iter().map(Component::start).collect();
    let results = tokio::select! {
        results = join_all(handles.iter().map(|h| h.wait())) => results,
        signal = shutdown_signal() => {
            tracing::info!(signal, "stopping every component");
            join_all(handles.iter().map(|h| h.stop())).await
        }
    };
    let failures: Vec<ComponentError> = results.into_iter().filter_map(Result::err).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(RunError::Components(failures))
    }
}

/// Waits for SIGINT or SIGTERM and names it.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops the components");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Logs to standard error, filtered by `RUST_LOG`, unless a subscriber is already set.
#[cfg(feature = "tracing-subscriber")]
fn init_tracing() {
    if tracing::dispatcher::has_been_set() {
        return;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Without the `tracing-subscriber` feature, the application's own subscriber (if any) logs.
#[cfg(not(feature = "tracing-subscriber"))]
fn init_tracing() {}
