//! The command line: the global options of Autobahn|Python's `wamp` (plus ours), one struct per
//! subcommand, and the value parsers for durations, URLs, listen addresses and secrets.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wamp_client::{MatchPolicy, TransportConfig};

/// WAMP from a shell: call, publish, subscribe and register against a router, or run one.
///
/// Compatible with Autobahn|Python's `wamp` command: the same global options and subcommands,
/// plus `--serializer`, `--authmethod`, `--json`, `call --timeout`, `register --match/--invoke`
/// and `wamp router`.
#[derive(Debug, Parser)]
#[command(
    name = "wamp",
    version,
    // Long options may be abbreviated (`--ur`), as Python's argparse allows.
    infer_long_args = true,
    after_help = "Exit codes: 0 success, 5 application error (its URI, args and kwargs on \
                  standard error), 1 usage, connection or authentication failure."
)]
pub struct Cli {
    /// A WAMP URL to connect to, like ws://127.0.0.1:8080/ws or rs://localhost:1234
    /// (also wss://, rss://, unix:///PATH); required by call, publish, register and subscribe
    #[arg(long, value_name = "URL", value_parser = parse_client_url)]
    pub url: Option<ClientUrl>,

    /// The realm to join
    #[arg(long, short = 'r', value_name = "REALM", default_value = "default")]
    pub realm: String,

    /// Hex-encoded private key (via WAMP_PRIVATE_KEY if not provided here)
    #[arg(
        long,
        short = 'k',
        value_name = "PRIVATE_KEY",
        env = "WAMP_PRIVATE_KEY",
        hide_env_values = true,
        value_parser = parse_hidden
    )]
    pub private_key: Option<Hidden>,

    /// The authid to use, if authenticating
    #[arg(long, value_name = "AUTHID")]
    pub authid: Option<String>,

    /// The role to use, if authenticating
    #[arg(long, value_name = "AUTHROLE")]
    pub authrole: Option<String>,

    /// Failures before giving up (0 forever)
    #[arg(long, short = 'm', value_name = "MAX_FAILURES", default_value_t = 0)]
    pub max_failures: u32,

    /// The serializer to speak (default: the router's choice among cbor, msgpack and json on
    /// WebSocket; cbor on RawSocket)
    #[arg(long, value_enum, value_name = "SERIALIZER")]
    pub serializer: Option<SerializerName>,

    /// An authentication method to offer, in order of preference (repeatable); ticket, wampcra
    /// and scram take the secret from the environment variable WAMP_SECRET, cryptosign the
    /// private key (default: cryptosign when a private key is given, else anonymous)
    #[arg(long, value_enum, value_name = "METHOD")]
    pub authmethod: Vec<AuthMethodName>,

    /// Read positional arguments and keyword values as JSON (and, for register, the command's
    /// output); by default they are strings
    #[arg(long)]
    pub json: bool,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[command(subcommand_help_heading = "Subcommands")]
pub enum Command {
    /// Do a WAMP call() and print the result as one line of JSON
    Call(CallArgs),
    /// Do a WAMP publish() with the given args, kwargs (acknowledged)
    Publish(PublishArgs),
    /// Do a WAMP register() and run a command when called; its output is the result
    Register(RegisterArgs),
    /// Do a WAMP subscribe() and print one line of JSON per event
    Subscribe(SubscribeArgs),
    /// Run a WAMP router until SIGINT or SIGTERM
    Router(RouterArgs),
}

/// `wamp call`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct CallArgs {
    /// A WAMP URI to call
    pub uri: String,

    /// All additional arguments are positional args
    #[arg(value_name = "ARGS")]
    pub args: Vec<String>,

    /// Specify a keyword argument to send: name value
    #[arg(long, num_args = 2, value_names = ["NAME", "VALUE"])]
    pub keyword: Vec<String>,

    /// Fail the call when no result came within this long (e.g. 500ms, 2s, 1m); the router is
    /// asked to cancel it too
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

/// `wamp publish`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct PublishArgs {
    /// A WAMP URI to publish
    pub uri: String,

    /// All additional arguments are positional args
    #[arg(value_name = "ARGS")]
    pub args: Vec<String>,

    /// Specify a keyword argument to send: name value
    #[arg(long, num_args = 2, value_names = ["NAME", "VALUE"])]
    pub keyword: Vec<String>,
}

/// `wamp subscribe`.
#[derive(Debug, Args)]
pub struct SubscribeArgs {
    /// A WAMP URI to subscribe to
    pub uri: String,

    /// Listen for this number of events, then exit. Default: forever
    #[arg(long, value_name = "TIMES", default_value_t = 0)]
    pub times: u64,

    /// Passed in the SubscribeOptions, how to match the URI
    #[arg(long = "match", value_enum, value_name = "MATCH", default_value_t = Match::Exact)]
    pub match_: Match,
}

/// `wamp register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// A WAMP URI to register
    pub uri: String,

    /// Answer this number of calls, then exit. Default: forever
    #[arg(long, value_name = "TIMES", default_value_t = 0)]
    pub times: u64,

    /// Passed in the RegisterOptions, how to match the URI
    #[arg(long = "match", value_enum, value_name = "MATCH", default_value_t = Match::Exact)]
    pub match_: Match,

    /// Passed in the RegisterOptions, the shared registration policy
    #[arg(long, value_enum, value_name = "INVOKE", default_value_t = Invoke::Single)]
    pub invoke: Invoke,

    /// How long one run of the command may take; it is then killed (with its process group)
    /// and the call fails
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub deadline: Duration,

    /// The most bytes of standard output (and of standard error) one run may give; more
    /// output kills it and fails the call
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_output: usize,

    /// How many runs of the command may go on at once (the other calls wait their turn)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,

    /// Takes one or more args: the executable to call (looked up in PATH), and any positional
    /// arguments. As well, the following environment variables are set: WAMP_ARGS,
    /// WAMP_KWARGS and _JSON variants
    #[arg(
        value_name = "COMMAND",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

/// `wamp router`.
#[derive(Debug, Args)]
pub struct RouterArgs {
    /// Read a Crossbar.io node configuration (.crossbar/config.json): its router workers'
    /// realms, roles, transports and authentication
    #[arg(long, value_name = "FILE", conflicts_with_all = ["listen", "realm"])]
    pub config: Option<PathBuf>,

    /// Make what the router does not support in the configuration an error, not a warning
    #[arg(long, requires = "config")]
    pub strict: bool,

    /// An endpoint to listen on (repeatable): ws://HOST:PORT/PATH, rs://HOST:PORT or
    /// unix:///PATH [default: ws://127.0.0.1:8080/ws]
    #[arg(long, value_name = "URL", value_parser = parse_listen_url)]
    pub listen: Vec<ListenUrl>,

    /// A realm to serve (repeatable); anonymous sessions get every permission
    /// [default: realm1]
    #[arg(long, value_name = "NAME", value_parser = parse_realm)]
    pub realm: Vec<String>,
}

impl RouterArgs {
    /// The endpoints to listen on: those given, or `ws://127.0.0.1:8080/ws`.
    pub fn listen_or_default(&self) -> Vec<ListenUrl> {
        if self.listen.is_empty() {
            vec![parse_listen_url("ws://127.0.0.1:8080/ws").expect("the default is valid")]
        } else {
            self.listen.clone()
        }
    }

    /// The realms to serve: those given, or `realm1`.
    pub fn realms_or_default(&self) -> Vec<String> {
        if self.realm.is_empty() {
            vec!["realm1".to_owned()]
        } else {
            self.realm.clone()
        }
    }
}

/// How a subscription or registration matches URIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Match {
    /// The URI itself
    Exact,
    /// Every URI starting with it
    Prefix,
    /// Empty components match any component (`com..update`)
    Wildcard,
}

impl From<Match> for MatchPolicy {
    fn from(m: Match) -> Self {
        match m {
            Match::Exact => MatchPolicy::Exact,
            Match::Prefix => MatchPolicy::Prefix,
            Match::Wildcard => MatchPolicy::Wildcard,
        }
    }
}

/// A shared registration policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Invoke {
    /// One callee only (not shared)
    Single,
    /// The first callee registered
    First,
    /// The last callee registered
    Last,
    /// Each callee in turn
    Roundrobin,
    /// A callee at random
    Random,
}

impl Invoke {
    /// The policy's name in REGISTER.Options.
    pub fn name(self) -> &'static str {
        match self {
            Invoke::Single => "single",
            Invoke::First => "first",
            Invoke::Last => "last",
            Invoke::Roundrobin => "roundrobin",
            Invoke::Random => "random",
        }
    }
}

/// A serializer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SerializerName {
    /// JSON
    Json,
    /// MessagePack
    Msgpack,
    /// CBOR
    Cbor,
}

impl SerializerName {
    /// The name wamp-client knows it by.
    pub fn name(self) -> &'static str {
        match self {
            SerializerName::Json => "json",
            SerializerName::Msgpack => "msgpack",
            SerializerName::Cbor => "cbor",
        }
    }
}

/// An authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMethodName {
    /// No credentials
    Anonymous,
    /// A ticket (WAMP_SECRET), sent as it is
    Ticket,
    /// WAMP-CRA with a shared secret (WAMP_SECRET)
    Wampcra,
    /// WAMP-SCRAM with a password (WAMP_SECRET); needs --authid
    Scram,
    /// WAMP-Cryptosign with the private key (--private-key or WAMP_PRIVATE_KEY)
    Cryptosign,
}

/// A client URL, checked by wamp-client's transport parser.
#[derive(Clone)]
pub struct ClientUrl {
    /// The URL as given.
    pub url: String,
    /// Its transport settings (serializers, limits: the defaults).
    pub transport: TransportConfig,
}

impl fmt::Debug for ClientUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

fn parse_client_url(text: &str) -> Result<ClientUrl, String> {
    let transport = TransportConfig::new(text).map_err(|e| e.to_string())?;
    Ok(ClientUrl {
        url: text.to_owned(),
        transport,
    })
}

/// A router endpoint to listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenUrl {
    /// `ws://HOST:PORT/PATH`.
    WebSocket {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// TCP port (0: any free port).
        port: u16,
        /// The HTTP path, starting with `/`.
        path: String,
    },
    /// `rs://HOST:PORT`.
    RawSocket {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// TCP port (0: any free port).
        port: u16,
    },
    /// `unix:///PATH`.
    Unix {
        /// The socket's absolute path.
        path: PathBuf,
    },
}

impl fmt::Display for ListenUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = |h: &str| {
            if h.contains(':') {
                format!("[{h}]")
            } else {
                h.to_owned()
            }
        };
        match self {
            ListenUrl::WebSocket {
                host: h,
                port,
                path,
            } => {
                write!(f, "ws://{}:{port}{path}", host(h))
            }
            ListenUrl::RawSocket { host: h, port } => write!(f, "rs://{}:{port}", host(h)),
            ListenUrl::Unix { path } => write!(f, "unix://{}", path.display()),
        }
    }
}

/// Parses `ws://HOST:PORT/PATH`, `rs://HOST:PORT` or `unix:///PATH`.
pub fn parse_listen_url(text: &str) -> Result<ListenUrl, String> {
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| "expected ws://HOST:PORT/PATH, rs://HOST:PORT or unix:///PATH".to_owned())?;
    match scheme {
        "unix" => {
            if !rest.starts_with('/') || rest.len() < 2 {
                return Err("a unix socket needs an absolute path: unix:///PATH".to_owned());
            }
            Ok(ListenUrl::Unix {
                path: PathBuf::from(rest),
            })
        }
        "ws" | "rs" => {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let (host, port) = split_host_port(authority)?;
            if scheme == "rs" {
                if !path.is_empty() && path != "/" {
                    return Err("a rawsocket endpoint has no path: rs://HOST:PORT".to_owned());
                }
                return Ok(ListenUrl::RawSocket { host, port });
            }
            let path = if path.is_empty() { "/" } else { path };
            if path.contains(['?', '#', ' ']) {
                return Err(format!("invalid websocket path {path:?}"));
            }
            Ok(ListenUrl::WebSocket {
                host,
                port,
                path: path.to_owned(),
            })
        }
        "wss" | "rss" => Err(format!(
            "{scheme}:// (TLS) needs a certificate and key: use --config with a Crossbar.io configuration"
        )),
        other => Err(format!(
            "unsupported scheme {other:?}: expected ws, rs or unix"
        )),
    }
}

fn split_host_port(authority: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "unclosed [ in the address".to_owned())?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = port.ok_or_else(|| format!("{authority:?} needs a port: HOST:PORT"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("invalid port {port:?}"))?;
    if host.is_empty() {
        return Err("missing host".to_owned());
    }
    Ok((host.to_owned(), port))
}

fn parse_realm(text: &str) -> Result<String, String> {
    wamp_core::uri::validate_realm(text).map_err(|e| e.to_string())?;
    Ok(text.to_owned())
}

/// Parses a duration: a number with a unit `ms`, `s`, `m` or `h` (`500ms`, `2s`, `1.5m`); a
/// bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected e.g. 500ms, 2s, 1m"))?;
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "invalid duration unit {other:?}: expected ms, s, m or h"
            ))
        }
    };
    Duration::try_from_secs_f64(value * scale).map_err(|_| format!("invalid duration {text:?}"))
}

/// A secret given on the command line or in the environment: never shown by `Debug`.
#[derive(Clone)]
pub struct Hidden(pub String);

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

fn parse_hidden(text: &str) -> Result<Hidden, String> {
    Ok(Hidden(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_take_ms_s_m_and_h_and_bare_numbers_are_seconds() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("2 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn listen_urls_are_websocket_rawsocket_or_unix() {
        assert_eq!(
            parse_listen_url("ws://127.0.0.1:8080/ws"),
            Ok(ListenUrl::WebSocket {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/ws".into()
            })
        );
        assert_eq!(
            parse_listen_url("rs://[::1]:0"),
            Ok(ListenUrl::RawSocket {
                host: "::1".into(),
                port: 0
            })
        );
        assert_eq!(
            parse_listen_url("unix:///tmp/wamp.sock"),
            Ok(ListenUrl::Unix {
                path: "/tmp/wamp.sock".into()
            })
        );
        assert_eq!(
            parse_listen_url("rs://[::1]:0").unwrap().to_string(),
            "rs://[::1]:0"
        );
        assert!(parse_listen_url("ws://127.0.0.1/ws").is_err());
        assert!(parse_listen_url("http://127.0.0.1:80/").is_err());
        assert!(parse_listen_url("unix://relative").is_err());
        assert!(parse_listen_url("rs://127.0.0.1:80/path").is_err());
    }

    #[test]
    fn the_router_defaults_to_a_websocket_on_port_8080_and_realm1() {
        let cli = Cli::try_parse_from(["wamp", "router"]).unwrap();
        let Command::Router(args) = cli.command else {
            panic!("not the router")
        };
        assert_eq!(
            args.listen_or_default()[0].to_string(),
            "ws://127.0.0.1:8080/ws"
        );
        assert_eq!(args.realms_or_default(), ["realm1"]);
    }

    #[test]
    fn keywords_take_two_values_each_and_negative_numbers_are_arguments() {
        let cli = Cli::try_parse_from([
            "wamp",
            "--url",
            "ws://localhost:8080/ws",
            "call",
            "com.example.f",
            "-5",
            "--keyword",
            "a",
            "1",
            "x",
            "--keyword",
            "b",
            "2",
        ])
        .unwrap();
        let Command::Call(call) = cli.command else {
            panic!("not a call")
        };
        assert_eq!(call.args, ["-5", "x"]);
        assert_eq!(call.keyword, ["a", "1", "b", "2"]);
        assert_eq!(cli.realm, "default");
        assert_eq!(cli.max_failures, 0);
    }

    #[test]
    fn the_registered_command_keeps_its_own_options() {
        let cli = Cli::try_parse_from([
            "wamp",
            "--url",
            "rs://localhost:8081",
            "register",
            "com.example.f",
            "--times",
            "2",
            "sh",
            "-c",
            "echo --times",
        ])
        .unwrap();
        let Command::Register(reg) = cli.command else {
            panic!("not a registration")
        };
        assert_eq!(reg.times, 2);
        assert_eq!(reg.command, ["sh", "-c", "echo --times"]);
        assert_eq!(reg.deadline, Duration::from_secs(60));
    }

    #[test]
    fn long_options_may_be_abbreviated_as_argparse_allows() {
        let cli = Cli::try_parse_from([
            "wamp",
            "--ur",
            "ws://localhost:8080/ws",
            "--real",
            "realm1",
            "call",
            "com.example.f",
            "--key",
            "a",
            "1",
        ])
        .unwrap();
        assert_eq!(cli.realm, "realm1");
        let Command::Call(call) = cli.command else {
            panic!("not a call")
        };
        assert_eq!(call.keyword, ["a", "1"]);
        // Ambiguous: --authid, --authrole or --authmethod.
        assert!(Cli::try_parse_from(["wamp", "--auth", "x", "call", "f"]).is_err());
    }

    #[test]
    fn the_private_key_is_hidden_in_debug_output() {
        let cli = Cli::try_parse_from([
            "wamp",
            "--url",
            "ws://localhost:8080/ws",
            "-k",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            "call",
            "com.example.f",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        assert!(debug.contains("<hidden>"), "{debug}");
        assert!(!debug.contains("00112233"), "{debug}");
    }
}
