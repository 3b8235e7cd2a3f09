//! `wamp register URI [--times N] [--match ..] [--invoke ..] COMMAND [ARGS...]`: runs the
//! command for each call, with `WAMP_ARGS`, `WAMP_KWARGS`, `WAMP_ARGS_JSON` and
//! `WAMP_KWARGS_JSON` in its environment, and returns its standard output as the result.
//!
//! As Autobahn's `wamp register`: `called: ...` on standard error for each call, the command's
//! standard output and error passed on, `Failed with exit-code N` on standard error. Beyond
//! it: the caller gets the output (one string argument, trailing newlines removed; with
//! `--json` the JSON value it holds; none when empty; binary when not UTF-8), and a failing
//! command is `wamp.error.runtime_error` with `exit_code` and `stderr` in its kwargs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};
use wamp_client::{
    error_uri, Dict, Invocation, Payload, RegisterError, RegisterOptions, Session, Value, WampError,
};
use wamp_core::Str;

use crate::args::RegisterArgs;
use crate::command::{self, Limits, Outcome, Program};
use crate::error::CliError;
use crate::output::StopSignals;
use crate::{json, output};

/// What each call runs, and the count of calls taken and answered (across sessions).
pub struct Runner {
    program: Program,
    limits: Limits,
    json: bool,
    /// How many runs may go on at once.
    permits: Semaphore,
    /// `--times` (0: forever).
    times: u64,
    /// Calls taken (each claims one of `times` before it runs, and gives it back if it is
    /// interrupted before answering).
    claimed: AtomicU64,
    /// Calls answered.
    answered: AtomicU64,
    /// Told after each answer.
    answered_notify: Notify,
}

impl Runner {
    /// The runner of `register`'s command.
    pub fn new(args: &RegisterArgs, program: Program, json: bool) -> Arc<Runner> {
        Arc::new(Runner {
            program,
            limits: Limits {
                deadline: args.deadline,
                max_output: args.max_output,
            },
            json,
            permits: Semaphore::new(usize::try_from(args.concurrency).unwrap_or(1)),
            times: args.times,
            claimed: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            answered_notify: Notify::new(),
        })
    }

    fn done(&self) -> bool {
        self.times > 0 && self.answered.load(Ordering::Acquire) >= self.times
    }
}

/// Registers the procedure and answers calls until `--times` of them were answered (forever
/// with 0), SIGINT or SIGTERM, or the session ends ([`CliError::SessionLost`]).
pub async fn run(
    session: &Session,
    args: &RegisterArgs,
    runner: Arc<Runner>,
    stop: &mut StopSignals,
) -> Result<(), CliError> {
    let options = RegisterOptions::default()
        .match_policy(args.match_.into())
        .invoke(args.invoke.name());
    let handler = {
        let runner = runner.clone();
        move |inv: Invocation| {
            let runner = runner.clone();
            async move { runner.invoke(inv).await }
        }
    };
    let registration = match session.register_with(&args.uri, options, handler).await {
        Ok(r) => r,
        Err(RegisterError::Application(e)) => return Err(CliError::Application(e)),
        Err(RegisterError::Session(_)) => return Err(crate::session_ended(session)),
        Err(e) => return Err(CliError::fatal(format!("register {}: {e}", args.uri))),
    };
    eprintln!("registered: {}", args.uri);

    let closed = session.closed();
    tokio::pin!(closed);
    loop {
        let answered = runner.answered_notify.notified();
        tokio::pin!(answered);
        // Registers the waiter before looking at the count, so no answer is missed.
        answered.as_mut().enable();
        if runner.done() {
            break;
        }
        tokio::select! {
            () = &mut answered => {}
            () = stop.recv() => break,
            _ = &mut closed => return Err(crate::session_ended(session)),
        }
    }
    // The last answer was queued to the session before the count reached `times` (this
    // runtime has one thread and the handler does not yield in between); the session sends
    // queued answers before later commands, so the unregistration and the leave go after it.
    let _ = registration.unregister().await;
    Ok(())
}

/// One of `--times` taken by a call; given back when the call ends without an answer (its
/// session was lost, or the router interrupted it).
struct Claim<'a> {
    runner: &'a Runner,
    answered: bool,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.runner.claimed.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Runner {
    async fn invoke(&self, inv: Invocation) -> Result<Payload, WampError> {
        let mut claim = None;
        if self.times > 0 {
            if self.claimed.fetch_add(1, Ordering::AcqRel) >= self.times {
                self.claimed.fetch_sub(1, Ordering::AcqRel);
                return Err(WampError::with_message(
                    error_uri::UNAVAILABLE,
                    "the procedure answers no more calls",
                ));
            }
            claim = Some(Claim {
                runner: self,
                answered: false,
            });
        }
        let result = self.run_once(&inv.payload).await;
        if let Some(claim) = &mut claim {
            claim.answered = true;
        }
        self.answered.fetch_add(1, Ordering::AcqRel);
        self.answered_notify.notify_one();
        result
    }

    async fn run_once(&self, payload: &Payload) -> Result<Payload, WampError> {
        let _permit = self.permits.acquire().await.map_err(|_| {
            WampError::with_message(error_uri::UNAVAILABLE, "the procedure is going away")
        })?;
        let args_json = json::list_to_string(&payload.args);
        let kwargs_json = json::dict_to_string(&payload.kwargs);
        eprintln!("called: args={args_json}, kwargs={kwargs_json}");
        let env = environment(payload);
        let outcome = command::run(&self.program, &env, self.limits).await;
        match outcome {
            Outcome::Exited {
                status,
                stdout,
                stderr,
            } => {
                // Passed on as Autobahn does; a closed output must not fail the call.
                let _ = output::raw(&stdout);
                eprint!("{}", String::from_utf8_lossy(&stderr));
                if status.success() {
                    return self.result(stdout);
                }
                let message = match (status.code(), signal(&status)) {
                    (Some(code), _) => {
                        eprintln!("Failed with exit-code {code}");
                        format!("command exited with code {code}")
                    }
                    (None, Some(sig)) => {
                        eprintln!("Failed with signal {sig}");
                        format!("command was killed by signal {sig}")
                    }
                    (None, None) => "command failed".to_owned(),
                };
                Err(failure(
                    message,
                    status.code().map(|c| Value::Int(c.into())),
                    &stderr,
                ))
            }
            Outcome::Deadline { stderr } => {
                let message = format!("command did not finish within {:?}", self.limits.deadline);
                eprintln!("{message}");
                Err(failure(message, None, &stderr))
            }
            Outcome::TooMuchOutput { stderr } => {
                let message = format!("command wrote more than {} bytes", self.limits.max_output);
                eprintln!("{message}");
                Err(failure(message, None, &stderr))
            }
            Outcome::Failed(e) => {
                let message = format!("cannot run {}: {e}", self.program.path.display());
                eprintln!("{message}");
                Err(failure(message, None, b""))
            }
        }
    }

    /// The result of a run that succeeded: its standard output.
    fn result(&self, stdout: Vec<u8>) -> Result<Payload, WampError> {
        let value = match String::from_utf8(stdout) {
            Ok(text) => {
                let text = text.trim_end_matches(['\n', '\r']);
                if text.is_empty() {
                    return Ok(Payload::new());
                }
                if self.json {
                    json::parse_value(text, true, "the command's output").map_err(|_| {
                        WampError::with_message(
                            error_uri::RUNTIME_ERROR,
                            "the command's output is not json",
                        )
                    })?
                } else {
                    Value::String(Str::new(text))
                }
            }
            Err(e) => Value::Bytes(e.into_bytes()),
        };
        Ok(Payload::from_parts(vec![value], Dict::new()))
    }
}

/// `wamp.error.runtime_error` with the message, and `exit_code` and `stderr` in the kwargs.
fn failure(message: String, exit_code: Option<Value>, stderr: &[u8]) -> WampError {
    let mut kwargs = Dict::new();
    kwargs.insert(Str::new("exit_code"), exit_code.unwrap_or(Value::Null));
    kwargs.insert(
        Str::new("stderr"),
        Value::String(Str::new(&String::from_utf8_lossy(stderr))),
    );
    WampError::with_message(error_uri::RUNTIME_ERROR, message).with_kwargs(kwargs)
}

fn signal(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

/// The command's environment, as Autobahn's `wamp register` sets it: `WAMP_ARGS` the
/// arguments joined by spaces, `WAMP_KWARGS` `name=value` pairs joined by spaces (strings as
/// they are, other values as JSON), and both as JSON in `WAMP_ARGS_JSON` and
/// `WAMP_KWARGS_JSON`.
fn environment(payload: &Payload) -> Vec<(&'static str, String)> {
    let args = payload
        .args
        .iter()
        .map(json::plain)
        .collect::<Vec<_>>()
        .join(" ");
    let kwargs = payload
        .kwargs
        .iter()
        .map(|(k, v)| format!("{}={}", k.as_str(), json::plain(v)))
        .collect::<Vec<_>>()
        .join(" ");
    vec![
        ("WAMP_ARGS", args),
        ("WAMP_ARGS_JSON", json::list_to_string(&payload.args)),
        ("WAMP_KWARGS", kwargs),
        ("WAMP_KWARGS_JSON", json::dict_to_string(&payload.kwargs)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_matches_autobahns_formats() {
        let mut kwargs = Dict::new();
        kwargs.insert(Str::new("name"), Value::String(Str::new("joe")));
        kwargs.insert(Str::new("n"), Value::Int(2));
        let payload =
            Payload::from_parts(vec![Value::String(Str::new("a b")), Value::Int(1)], kwargs);
        let env = environment(&payload);
        let get = |k: &str| env.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("WAMP_ARGS"), "a b 1");
        assert_eq!(get("WAMP_ARGS_JSON"), r#"["a b", 1]"#);
        // Keyword arguments come in key order (Python keeps the order they arrived in).
        assert_eq!(get("WAMP_KWARGS"), "n=2 name=joe");
        assert_eq!(get("WAMP_KWARGS_JSON"), r#"{"n": 2, "name": "joe"}"#);
    }
}
