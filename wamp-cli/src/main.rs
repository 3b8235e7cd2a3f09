//! `wamp`: a WAMP router, and call, publish, subscribe and register from a shell, compatible
//! with Autobahn|Python's `wamp` command.
//!
//! ```sh
//! wamp router                                             # ws://127.0.0.1:8080/ws, realm1
//! wamp router --config .crossbar/config.json              # as Crossbar.io would
//! wamp --url ws://127.0.0.1:8080/ws -r realm1 --json call com.example.add2 2 3
//! wamp --url ws://127.0.0.1:8080/ws -r realm1 subscribe com.example. --match prefix
//! wamp --url rs://127.0.0.1:8081 -r realm1 register com.example.date date
//! WAMP_SECRET=... wamp --url ws://... -r realm1 --authid joe --authmethod wampcra call ...
//! ```
//!
//! The global options (`--url`, `--realm`, `--json`, ...) come before the subcommand, as in
//! Autobahn's `wamp`.
//!
//! Exit codes: 0 success, 5 application error (its URI, args and kwargs on standard error),
//! 1 usage, connection or authentication failure. Logs go to standard error (`RUST_LOG`,
//! default `warn`).

mod args;
mod call;
mod command;
mod connect;
mod crossbar;
mod error;
mod json;
mod output;
mod publish;
mod register;
mod router;
mod subscribe;

use std::process::ExitCode;

use clap::Parser;
use wamp_client::Session;

use crate::args::{Cli, Command};
use crate::command::Program;
use crate::connect::Target;
use crate::error::{CliError, EXIT_FAILURE};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output with 0; usage errors exit with 1 (clap's
            // own code is 2), as the other failures.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_FAILURE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    let runtime = match &cli.command {
        // The router uses every core; a client command runs on one thread, so that the answer
        // of a registered procedure is queued before the session leaves (see register.rs).
        Command::Router(_) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) | Err(CliError::OutputClosed) => ExitCode::SUCCESS,
        Err(e) => {
            e.report();
            e.exit_code()
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Router(args) = &cli.command {
        return router::run(args).await;
    }
    let target = Target::from_cli(&cli)?;
    // As Autobahn, the command must exist before we connect.
    let program = match &cli.command {
        Command::Register(args) => Some(Program::resolve(&args.command).map_err(CliError::Fatal)?),
        _ => None,
    };
    let session = target.join().await?;
    let result = match (&cli.command, program) {
        (Command::Call(args), _) => call::run(&session, args, cli.json).await,
        (Command::Publish(args), _) => publish::run(&session, args, cli.json).await,
        (Command::Subscribe(args), _) => subscribe::run(&session, args).await,
        (Command::Register(args), Some(program)) => {
            register::run(&session, args, program, cli.json).await
        }
        _ => Err(CliError::fatal("unexpected subcommand")),
    };
    if session.is_joined() {
        // `leave` waits at most 5 s for the router's GOODBYE.
        let _ = session.leave().await;
    }
    result
}

/// The error of a session that ended while a command still needed it.
pub(crate) fn session_ended(session: &Session) -> CliError {
    match session.close_details() {
        Some(d) => CliError::fatal(format!(
            "session ended: {}{}",
            d.reason,
            d.message.map(|m| format!(" ({m})")).unwrap_or_default()
        )),
        None => CliError::fatal("session ended"),
    }
}
