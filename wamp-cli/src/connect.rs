//! Joining the realm as the global options say: transport, serializer, authentication (the
//! secret from `WAMP_SECRET`, the key from `--private-key` or `WAMP_PRIVATE_KEY`), and
//! Autobahn's `--max-failures` retries of a failed connection.

use std::time::Duration;

use wamp_client::{
    AuthMethod, Authentication, CryptosignKey, JoinError, JoinOptions, Session, TransportConfig,
};

use crate::args::{AuthMethodName, Cli};
use crate::error::CliError;

/// The environment variable holding the secret of `ticket`, `wampcra` and `scram`.
pub const SECRET_ENV: &str = "WAMP_SECRET";

/// The delay before the first retry of a failed connection, as Autobahn's component.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(1500);
/// The longest delay between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// Where and how to join.
pub struct Target {
    transport: TransportConfig,
    options: JoinOptions,
    max_failures: u32,
    /// Connection failures so far, over every join of this run (as Autobahn counts them).
    failures: u64,
}

impl Target {
    /// Reads the global options and the environment. Fails, without contacting the router,
    /// when the URL is missing or the credentials cannot work.
    pub fn from_cli(cli: &Cli) -> Result<Target, CliError> {
        let url = cli.url.as_ref().ok_or_else(|| {
            CliError::fatal("the following required argument was not provided: --url <URL>")
        })?;
        let mut transport = url.transport.clone();
        if let Some(serializer) = cli.serializer {
            transport = transport
                .serializer_names(&[serializer.name()])
                .map_err(|e| CliError::fatal(e.to_string()))?;
        }
        let mut options = JoinOptions::new(cli.realm.clone());
        if let Some(auth) = authentication(cli, std::env::var(SECRET_ENV).ok())? {
            options = options.authentication(auth);
        }
        Ok(Target {
            transport,
            options,
            max_failures: cli.max_failures,
            failures: 0,
        })
    }

    /// Joins the realm, retrying a connection that failed (and may work later) until more
    /// than `--max-failures` attempts failed in this run (forever with 0, as Autobahn). Prints
    /// `connected: authrole=... authmethod=...` on standard error once joined.
    pub async fn join(&mut self) -> Result<Session, CliError> {
        let mut delay = FIRST_RETRY_DELAY;
        loop {
            match Session::join(&self.transport, self.options.clone()).await {
                Ok(session) => {
                    let d = session.details();
                    eprintln!(
                        "connected: authrole={} authmethod={}",
                        d.authrole.as_deref().unwrap_or("None"),
                        d.authmethod.as_deref().unwrap_or("None")
                    );
                    return Ok(session);
                }
                Err(e) if e.is_retryable() => {
                    self.failures += 1;
                    eprintln!("connect failure: {e}");
                    if self.max_failures > 0 && self.failures > u64::from(self.max_failures) {
                        return Err(CliError::fatal(format!(
                            "too many failures ({}), exiting",
                            self.failures
                        )));
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay.mul_f64(1.5)).min(MAX_RETRY_DELAY);
                }
                Err(e) => return Err(join_failure(e)),
            }
        }
    }
}

fn join_failure(e: JoinError) -> CliError {
    CliError::fatal(e.to_string())
}

/// The authentication the options ask for, or `None` for anonymous.
fn authentication(cli: &Cli, secret: Option<String>) -> Result<Option<Authentication>, CliError> {
    let mut methods = cli.authmethod.clone();
    if methods.is_empty() && cli.private_key.is_some() {
        methods.push(AuthMethodName::Cryptosign);
    }
    if methods.is_empty() {
        return Ok(None);
    }
    let mut auth = Authentication::new();
    if let Some(authid) = &cli.authid {
        auth = auth.authid(authid.clone());
    }
    if let Some(authrole) = &cli.authrole {
        auth = auth.authrole(authrole.clone());
    }
    let secret = |method: &str| {
        secret.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
            CliError::fatal(format!(
                "--authmethod {method} needs the secret in the environment variable {SECRET_ENV}"
            ))
        })
    };
    for method in methods {
        let method = match method {
            AuthMethodName::Anonymous => AuthMethod::Anonymous,
            AuthMethodName::Ticket => AuthMethod::ticket(secret("ticket")?),
            AuthMethodName::Wampcra => AuthMethod::wampcra(secret("wampcra")?),
            AuthMethodName::Scram => {
                if cli.authid.is_none() {
                    return Err(CliError::fatal("--authmethod scram needs --authid"));
                }
                AuthMethod::scram(secret("scram")?)
            }
            AuthMethodName::Cryptosign => {
                let key = cli.private_key.as_ref().ok_or_else(|| {
                    CliError::fatal(
                        "--authmethod cryptosign needs --private-key or WAMP_PRIVATE_KEY",
                    )
                })?;
                let key = key.0.trim();
                if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(CliError::fatal(
                        "the private key must be 64 hex digits (a 32-byte Ed25519 seed)",
                    ));
                }
                AuthMethod::cryptosign(CryptosignKey::hex(key))
            }
        };
        auth = auth.method(method);
    }
    Ok(Some(auth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        let mut all = vec!["wamp", "--url", "ws://127.0.0.1:1/ws"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["call", "com.example.f"]);
        Cli::try_parse_from(all).unwrap()
    }

    fn message(e: CliError) -> String {
        match e {
            CliError::Fatal(m) => m,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn no_method_and_no_key_is_anonymous() {
        assert!(authentication(&cli(&[]), Some("s".into()))
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_private_key_alone_offers_cryptosign() {
        let key = "00".repeat(32);
        let auth = authentication(&cli(&["-k", &key, "--authid", "joe"]), None)
            .unwrap()
            .unwrap();
        assert!(format!("{auth:?}").contains("cryptosign"));
        assert!(!format!("{auth:?}").contains(&key));
    }

    #[test]
    fn a_secret_method_without_wamp_secret_is_refused() {
        let e = authentication(&cli(&["--authmethod", "ticket"]), None).unwrap_err();
        assert!(message(e).contains("WAMP_SECRET"));
    }

    #[test]
    fn a_malformed_private_key_is_refused_without_showing_it() {
        let e = authentication(&cli(&["-k", "not-a-key-zzz"]), None).unwrap_err();
        let m = message(e);
        assert!(m.contains("64 hex digits"));
        assert!(!m.contains("not-a-key-zzz"));
    }

    #[test]
    fn scram_needs_an_authid() {
        let e = authentication(&cli(&["--authmethod", "scram"]), Some("pw".into())).unwrap_err();
        assert!(message(e).contains("--authid"));
    }

    #[test]
    fn the_secret_never_shows_in_the_authentication_debug_output() {
        let auth = authentication(
            &cli(&["--authmethod", "wampcra", "--authid", "joe"]),
            Some("very-secret-value".into()),
        )
        .unwrap()
        .unwrap();
        assert!(!format!("{auth:?}").contains("very-secret-value"));
    }
}
