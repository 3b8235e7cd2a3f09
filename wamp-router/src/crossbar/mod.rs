//! Crossbar.io's node configuration (`.crossbar/config.json`) read into a [`RouterConfig`], so
//! that the same file runs on both routers.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::Path;
//! use wamp_router::{crossbar, Router};
//!
//! let (config, warnings) = crossbar::from_file(Path::new(".crossbar/config.json"), false)?;
//! for w in &warnings {
//!     eprintln!("warning: {w}");
//! }
//! let router = Router::start(config).await?;
//! # router.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! # What is read
//!
//! - `version` 2 (absent means 1, which Crossbar.io refuses too; any other version is an
//!   error).
//! - Every worker of `"type": "router"`. Several router workers are **merged** into one
//!   router: their realms and transports all go to it. Crossbar.io runs each worker as a
//!   separate router, so a realm defined by two workers is one realm here, with the roles of
//!   the first definition (the second gets a warning).
//! - `realms`: `name` and `roles`; a role's `name` and `permissions`: `uri`, `match` (absent:
//!   Crossbar's starred URIs, `com.example.*` is a prefix, other stars make a wildcard),
//!   `allow` (`call`, `register`, `publish`, `subscribe`) and `disclose` (`caller`,
//!   `publisher`), each `false` when absent. A realm without roles exists, but only the
//!   built-in role `trusted` may do anything in it (as in Crossbar.io: a client whose role the
//!   realm lacks is refused with `wamp.error.no_such_role`). A role named twice: the last
//!   definition counts, as in Crossbar.io (with a warning).
//! - Transports `websocket`, `rawsocket`, and `web` (its first `websocket` path in key order,
//!   served at `/<key>`, or `/` for the key `/`).
//! - Endpoints `tcp` (`port`, or `"$VAR"` for a port from the environment; `interface`,
//!   default all interfaces; `version` 4 or 6; `tls` with `key`, `certificate` and
//!   `chain_certificates`) and `unix` (`path`, with `$VAR`/`${VAR}` expanded). Relative file
//!   paths are relative to the base directory, which is the directory of the config file as
//!   Crossbar.io resolves them against its node directory (`--cbdir`, where `config.json` is).
//! - `serializers` (`json`, `msgpack`, `cbor`; absent: all three).
//! - `options`: `max_message_size`; for WebSocket also `auto_ping_interval`,
//!   `auto_ping_timeout` (milliseconds; an interval without a timeout waits a day for the
//!   pong, [`NO_PING_TIMEOUT`]) and `open_handshake_timeout` (the listener's handshake
//!   deadline).
//! - `auth` per transport ([`AuthConfig`], with ticket and WAMP-CRA secrets given as
//!   `"${VAR}"` read from the environment as Crossbar.io does); no `auth`, or an empty one,
//!   means anonymous with role `anonymous` (as Crossbar.io). Methods left out because they
//!   are not supported are off: a transport whose methods are all unsupported lets nobody in.
//!
//! # What is not
//!
//! Everything else is named in **one [`Warning`] per key** (a path such as
//! `workers[0].transports[1].paths./`), never dropped silently: other worker types, the
//! `controller`'s settings, router `components`, realm `options`, a permission's `cache: true`
//! and `validate`, dynamic authorizers, other transport types and web services, endpoint
//! `backlog`, `portrange` or other endpoint types (the transport is then not started), TLS
//! `ciphers`, `dhparam` and `ca_certificates`, other WebSocket options, authentication
//! methods and principal keys [`AuthConfig::unsupported_keys`] lists, what
//! [`AuthConfig::problems`] finds, and dynamic authenticators (WAMP procedures, which this
//! router does not call; an embedding application gives a [`RouterBuilder::authenticator`]
//! instead). Strict reading ([`from_file`] with `strict`, or [`refuse_warnings`]) turns them
//! into an error.
//!
//! Keys that only name things (`id`, `$schema`) are accepted silently, as are settings whose
//! value asks for what this router does anyway (`cache: false`, `debug: false`, the realm
//! option `enable_meta_api: true`).
//!
//! What is wrong rather than unsupported (a value of the wrong type, an unknown `match`, a
//! missing `name`, a TLS file that cannot be read or holds no PEM certificate or key, an unset
//! environment variable, two transports on one endpoint) is a [`CrossbarConfigError`] naming
//! the path of the key.
//!
//! [`Warning`]: crate::crossbar::Warning
//! [`CrossbarConfigError`]: crate::crossbar::CrossbarConfigError
//! [`NO_PING_TIMEOUT`]: crate::crossbar::NO_PING_TIMEOUT
//! [`from_file`]: crate::crossbar::from_file
//! [`refuse_warnings`]: crate::crossbar::refuse_warnings
//! [`AuthConfig`]: crate::core::AuthConfig
//! [`AuthConfig::unsupported_keys`]: crate::core::AuthConfig::unsupported_keys
//! [`AuthConfig::problems`]: crate::core::AuthConfig::problems
//! [`RouterBuilder::authenticator`]: crate::RouterBuilder::authenticator

mod node;
mod transport;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::RouterConfig;

/// The pong deadline of WebSocket pings configured with `auto_ping_interval` but without
/// `auto_ping_timeout` (Crossbar.io then never closes the connection for a missing pong; this
/// router waits this long).
pub const NO_PING_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Something in the config the router does not support and ignores: `path` names the key
/// (`workers[0].transports[1].paths./`), `message` what is ignored.
///
/// Displays as `path: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where in the config: keys joined with `.`, list indices in brackets.
    pub path: String,
    /// What is not supported (lowercase, no final period).
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A Crossbar.io config this router cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrossbarConfigError {
    /// The config file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The text is not JSON (the message has the line and column).
    #[error("invalid json: {0}")]
    Json(#[source] serde_json::Error),
    /// A key has a value the router cannot use (wrong type, unknown version, missing name,
    /// unreadable file, ...).
    #[error("{path}: {problem}")]
    Invalid {
        /// Where in the config (`workers[0].realms[0].roles[0].permissions[2].match`).
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// Strict reading, and the config has settings the router does not support.
    #[error("{} unsupported setting{} (strict): {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, join(.0))]
    Unsupported(Vec<Warning>),
    /// No transport the router can listen on.
    #[error(
        "no transport to listen on (a router worker with a websocket, rawsocket or web \
         transport on a tcp or unix endpoint)"
    )]
    NoListener,
}

fn join(warnings: &[Warning]) -> String {
    warnings
        .iter()
        .map(Warning::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads Crossbar.io's node configuration from its JSON text. Relative file paths in it (TLS
/// keys and certificates, Unix socket paths) are relative to `base_dir`, Crossbar.io's node
/// directory (the one holding `config.json`). TLS files are read now; `$VAR` ports and
/// `${VAR}` secrets come from the environment.
///
/// Returns the router's config and one [`Warning`] per unsupported key (see the
/// [module docs](self) for what is read).
///
/// ```
/// use std::path::Path;
/// use wamp_router::crossbar::read_crossbar_config;
///
/// let json = r#"{"version": 2, "workers": [{"type": "router",
///     "realms": [{"name": "realm1", "roles": [{"name": "anonymous", "permissions": [
///         {"uri": "", "match": "prefix", "allow": {"call": true, "subscribe": true}}]}]}],
///     "transports": [{"type": "web", "endpoint": {"type": "tcp", "port": 8080},
///         "paths": {"/": {"type": "static", "directory": ".."},
///                   "ws": {"type": "websocket"}}}]}]}"#;
/// let (config, warnings) = read_crossbar_config(json, Path::new(".crossbar")).unwrap();
/// assert_eq!(config.core.realms[0].name, "realm1");
/// assert_eq!(config.listeners[0].path.as_deref(), Some("/ws"));
/// assert_eq!(warnings[0].to_string(), r#"workers[0].transports[0].paths./: type "static" is not supported"#);
/// ```
pub fn read_crossbar_config(
    json: &str,
    base_dir: &Path,
) -> Result<(RouterConfig, Vec<Warning>), CrossbarConfigError> {
    read_with_env(json, base_dir, &|name| std::env::var(name).ok())
}

/// Reads the config file at `path` (see [`read_crossbar_config`]), relative file paths in it
/// being relative to its directory. With `strict`, any warning is an error
/// ([`CrossbarConfigError::Unsupported`], listing them all).
pub fn from_file(
    path: &Path,
    strict: bool,
) -> Result<(RouterConfig, Vec<Warning>), CrossbarConfigError> {
    if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    ) {
        return Err(CrossbarConfigError::Invalid {
            path: path.display().to_string(),
            problem: "yaml configs are not supported (`crossbar convert` makes a json one)".into(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| CrossbarConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (config, warnings) = read_crossbar_config(&text, base)?;
    if strict {
        refuse_warnings(&warnings)?;
    }
    Ok((config, warnings))
}

/// Strict mode: an error listing `warnings` if there are any.
///
/// ```
/// use wamp_router::crossbar::{refuse_warnings, Warning};
///
/// assert!(refuse_warnings(&[]).is_ok());
/// let w = Warning { path: "controller.id".into(), message: "not supported".into() };
/// assert_eq!(
///     refuse_warnings(&[w]).unwrap_err().to_string(),
///     "1 unsupported setting (strict): controller.id: not supported"
/// );
/// ```
pub fn refuse_warnings(warnings: &[Warning]) -> Result<(), CrossbarConfigError> {
    if warnings.is_empty() {
        Ok(())
    } else {
        Err(CrossbarConfigError::Unsupported(warnings.to_vec()))
    }
}

/// [`read_crossbar_config`] with the environment given (tests).
pub(crate) fn read_with_env(
    json: &str,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(RouterConfig, Vec<Warning>), CrossbarConfigError> {
    let root: Value = serde_json::from_str(json).map_err(CrossbarConfigError::Json)?;
    let mut reader = Reader {
        base: base_dir.to_path_buf(),
        env,
        warnings: Vec::new(),
    };
    let config = node::read_node(&mut reader, &root)?;
    if config.listeners.is_empty() {
        return Err(CrossbarConfigError::NoListener);
    }
    Ok((config, reader.warnings))
}

/// The state of one reading: where relative paths start, the environment, the warnings.
pub(crate) struct Reader<'e> {
    base: PathBuf,
    env: &'e dyn Fn(&str) -> Option<String>,
    warnings: Vec<Warning>,
}

impl Reader<'_> {
    fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A file path of the config, relative to the base directory.
    fn file(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    /// The value of `${VAR}` or `$VAR` in `text` (as Python's `os.path.expandvars`: an unset
    /// variable stays as written).
    fn expand_vars(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, len) = if let Some(braced) = after.strip_prefix('{') {
                match braced.find('}') {
                    Some(end) => (&braced[..end], end + 2),
                    None => ("", 0),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            };
            match (!name.is_empty()).then(|| (self.env)(name)).flatten() {
                Some(value) => {
                    out.push_str(&value);
                    rest = &after[len..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// `parent.key` (or `key` at the top).
fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[i]`.
fn index_path(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

fn invalid(path: &str, problem: impl Into<String>) -> CrossbarConfigError {
    CrossbarConfigError::Invalid {
        path: if path.is_empty() {
            "the top level".to_owned()
        } else {
            path.to_owned()
        },
        problem: problem.into(),
    }
}

/// What a JSON value is, for error messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

type Res<T> = std::result::Result<T, CrossbarConfigError>;

/// A JSON object being read: remembers which keys were read, so that [`Obj::rest`] warns
/// about every other one.
struct Obj<'v> {
    path: String,
    map: &'v Map<String, Value>,
    used: Vec<&'v str>,
}

impl<'v> Obj<'v> {
    fn new(value: &'v Value, path: &str) -> Res<Self> {
        match value {
            Value::Object(map) => Ok(Obj {
                path: path.to_owned(),
                map,
                used: Vec::new(),
            }),
            other => Err(invalid(
                path,
                format!("expected an object, found {}", kind(other)),
            )),
        }
    }

    fn at(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    /// The value of `key`, marked as read.
    fn take(&mut self, key: &str) -> Option<&'v Value> {
        let (k, v) = self.map.get_key_value(key)?;
        self.used.push(k.as_str());
        Some(v)
    }

    /// Accepts `key` silently (a name only).
    fn skip(&mut self, key: &str) {
        self.take(key);
    }

    /// Marks every key as read (the whole object is ignored under one warning elsewhere).
    fn skip_all(&mut self) {
        self.used = self.map.keys().map(String::as_str).collect();
    }

    fn string(&mut self, key: &str) -> Res<Option<&'v str>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(invalid(
                &self.at(key),
                format!("expected a string, found {}", kind(other)),
            )),
        }
    }

    fn required_string(&mut self, key: &str) -> Res<&'v str> {
        self.string(key)?
            .ok_or_else(|| invalid(&self.path, format!("missing {key:?}")))
    }

    fn boolean(&mut self, key: &str) -> Res<Option<bool>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(invalid(
                &self.at(key),
                format!("expected true or false, found {}", kind(other)),
            )),
        }
    }

    /// A non-negative integer.
    fn integer(&mut self, key: &str) -> Res<Option<u64>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                invalid(
                    &self.at(key),
                    format!("expected a non-negative integer, found {v}"),
                )
            }),
        }
    }

    fn list(&mut self, key: &str) -> Res<Option<&'v Vec<Value>>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(invalid(
                &self.at(key),
                format!("expected a list, found {}", kind(other)),
            )),
        }
    }

    fn object(&mut self, key: &str) -> Res<Option<Obj<'v>>> {
        let path = self.at(key);
        self.take(key).map(|v| Obj::new(v, &path)).transpose()
    }

    /// Warns about `key` if present.
    fn unsupported(&mut self, r: &mut Reader, key: &str, message: &str) {
        if self.take(key).is_some() {
            r.warn(self.at(key), message);
        }
    }

    /// Warns about each key of the object at `key` (`options`, `controller`), if present.
    fn unsupported_each(&mut self, r: &mut Reader, key: &str, message: &str) -> Res<()> {
        if let Some(mut o) = self.object(key)? {
            o.rest_with(r, message);
        }
        Ok(())
    }

    /// Warns about each key not read.
    fn rest(mut self, r: &mut Reader) {
        self.rest_with(r, "not supported");
    }

    fn rest_with(&mut self, r: &mut Reader, message: &str) {
        for key in self.map.keys() {
            if !self.used.contains(&key.as_str()) {
                r.warn(self.at(key), message);
            }
        }
        self.skip_all();
    }
}
