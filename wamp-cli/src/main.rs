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
mod error;
mod json;
mod output;
mod publish;
mod register;
mod router;
mod subscribe;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use wamp_client::Session;

use crate::args::{Cli, Command, RegisterArgs, SubscribeArgs};
use crate::command::Program;
use crate::connect::Target;
use crate::error::{CliError, EXIT_FAILURE};
use crate::output::StopSignals;

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
    let mut target = Target::from_cli(&cli)?;
    match &cli.command {
        Command::Call(args) => {
            let session = target.join().await?;
            let result = call::run(&session, args, cli.json).await;
            leave(&session).await;
            result
        }
        Command::Publish(args) => {
            let session = target.join().await?;
            let result = publish::run(&session, args, cli.json).await;
            leave(&session).await;
            result
        }
        Command::Subscribe(args) => {
            until_done(&mut target, LongRunning::Subscribe { args, seen: 0 }).await
        }
        Command::Register(args) => {
            // As Autobahn, the command must exist before we connect.
            let program = Program::resolve(&args.command).map_err(CliError::Fatal)?;
            let runner = register::Runner::new(args, program, cli.json);
            until_done(&mut target, LongRunning::Register { args, runner }).await
        }
        Command::Router(_) => Err(CliError::fatal("unexpected subcommand")),
    }
}

/// How long a command that goes on waits before it joins again after its session was lost.
const REJOIN_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// A command that goes on until it is done or stopped, with what it has done so far.
enum LongRunning<'a> {
    /// `wamp subscribe`, and the events printed.
    Subscribe { args: &'a SubscribeArgs, seen: u64 },
    /// `wamp register`, and its runner (which counts the calls answered).
    Register {
        args: &'a RegisterArgs,
        runner: Arc<register::Runner>,
    },
}

impl LongRunning<'_> {
    /// Runs on one session, until done, stopped or the session is lost.
    async fn run(&mut self, session: &Session, stop: &mut StopSignals) -> Result<(), CliError> {
        match self {
            LongRunning::Subscribe { args, seen } => {
                subscribe::run(session, args, seen, stop).await
            }
            LongRunning::Register { args, runner } => {
                register::run(session, args, runner.clone(), stop).await
            }
        }
    }
}

/// Runs a command that goes on until it is done or stopped (subscribe, register): joins,
/// runs it, and when the session is lost joins again and runs it on (Autobahn's component
/// does the same), within `--max-failures`. SIGINT and SIGTERM end it with 0, while joining
/// too.
async fn until_done(target: &mut Target, mut command: LongRunning<'_>) -> Result<(), CliError> {
    let mut stop = StopSignals::new();
    loop {
        let session = tokio::select! {
            joined = target.join() => joined?,
            () = stop.recv() => return Ok(()),
        };
        let result = command.run(&session, &mut stop).await;
        leave(&session).await;
        match result {
            Err(CliError::SessionLost(why)) => {
                eprintln!("connection lost: {why}; joining again");
                // Never a tight loop, whatever the router does to the sessions it welcomes.
                tokio::select! {
                    () = tokio::time::sleep(REJOIN_DELAY) => {}
                    () = stop.recv() => return Ok(()),
                }
            }
            other => return other,
        }
    }
}

/// Leaves the session if it is still joined (waiting at most 5 s for the router's GOODBYE).
async fn leave(session: &Session) {
    if session.is_joined() {
        let _ = session.leave().await;
    }
}

/// The error of a session that ended while a command still needed it.
pub(crate) fn session_ended(session: &Session) -> CliError {
    CliError::SessionLost(match session.close_details() {
        Some(d) => format!(
            "session ended: {}{}",
            d.reason,
            d.message.map(|m| format!(" ({m})")).unwrap_or_default()
        ),
        None => "session ended".to_owned(),
    })
}
