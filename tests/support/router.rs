//! A Crossbar.io router on loopback, one node per test process or per test.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::auth::{self, AUTHENTICATED_ROLE, TICKET_ROTATING_AUTHID, TICKET_ROTATING_INITIAL};
use crate::certs;
use crate::process::{file_tail, kill_process_group, wait_timeout};
use crate::venv::{crossbar, python, SETUP_HINT};

/// The realm every router serves.
pub const REALM: &str = "realm1";

/// The realm of Autobahn's example suite, with the same permissions as [`REALM`].
pub const DEMO_REALM: &str = "crossbardemo";

/// Bound on a router start: from spawning Crossbar.io until every endpoint accepts connections.
/// A start takes about 4 s on an idle 2-core machine (Crossbar.io boots a controller and a
/// router worker, two Python processes).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest message the router accepts on its WebSocket endpoints: 64 MiB, crossbar's cap.
///
/// Crossbar.io 26.10.1 WebSocket options (`transports[].paths.ws.options`): `max_message_size`
/// defaults to 16 MiB (2^24) and may be set from 0 (unlimited) to 64 MiB; `max_frame_size`
/// defaults to 0 (unlimited) and has the same range. Outgoing messages are not fragmented
/// (`auto_fragment_size` 0) and permessage-deflate is off unless configured (it is not here).
pub const WS_MAX_MESSAGE_SIZE: u64 = 64 * 1024 * 1024;

/// The largest message the router accepts on its RawSocket endpoints: 16 MiB, the protocol cap.
///
/// WAMP RawSocket announces its receive limit in the handshake as 2^(9+n), n in 0..=15, so
/// crossbar only accepts `max_message_size` in [512, 2^24] (and 2^24 is also its default).
pub const RS_MAX_MESSAGE_SIZE: u64 = 16 * 1024 * 1024;

/// Bound on ending a node (a graceful stop may take up to 15 s before the supervisor kills it).
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// One of the router's listening endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// WebSocket: `ws://127.0.0.1:P/ws`.
    Ws,
    /// WebSocket over TLS: `wss://127.0.0.1:P/ws`.
    Wss,
    /// RawSocket over TCP: `rs://127.0.0.1:P`.
    Rs,
    /// RawSocket over TLS: `rss://127.0.0.1:P`.
    Rss,
    /// RawSocket over a Unix domain socket: `rs://unix:/tmp/.../rs.sock`.
    Unix,
}

impl Endpoint {
    /// Every endpoint, in a fixed order.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Ws,
        Endpoint::Wss,
        Endpoint::Rs,
        Endpoint::Rss,
        Endpoint::Unix,
    ];

    /// A short name: `ws`, `wss`, `rs`, `rss` or `unix`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Ws => "ws",
            Endpoint::Wss => "wss",
            Endpoint::Rs => "rs",
            Endpoint::Rss => "rss",
            Endpoint::Unix => "unix",
        }
    }

    /// Whether the endpoint speaks TLS (trust [`Router::ca_cert_pem`]).
    pub fn is_tls(self) -> bool {
        matches!(self, Endpoint::Wss | Endpoint::Rss)
    }

    /// Whether the endpoint speaks WebSocket (the others speak RawSocket).
    pub fn is_websocket(self) -> bool {
        matches!(self, Endpoint::Ws | Endpoint::Wss)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One of the router's authenticated WebSocket endpoints: `ws://127.0.0.1:P/ws`
/// ([`Router::auth_url`]), each accepting only the authentication methods named here, realm
/// `realm1` (or `crossbardemo`), role [`AUTHENTICATED_ROLE`](crate::auth::AUTHENTICATED_ROLE).
///
/// The credentials are the constants of [`crate::auth`]. Serializers: json, msgpack, cbor; no
/// TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthTransport {
    /// `ticket` only, static: [`TICKET_AUTHID`](crate::auth::TICKET_AUTHID) with
    /// [`TICKET_SECRET`](crate::auth::TICKET_SECRET).
    Ticket,
    /// `ticket` only, checked by a dynamic authenticator:
    /// [`TICKET_ROTATING_AUTHID`](crate::auth::TICKET_ROTATING_AUTHID) with any ticket given to
    /// [`Router::set_valid_tickets`], initially
    /// [`TICKET_ROTATING_INITIAL`](crate::auth::TICKET_ROTATING_INITIAL).
    TicketRotating,
    /// `wampcra` only, static: [`CRA_AUTHID`](crate::auth::CRA_AUTHID) (plain secret) and
    /// [`CRA_SALTED_AUTHID`](crate::auth::CRA_SALTED_AUTHID) (salted). Also the transport for
    /// a client offering several methods of which the router accepts only a later one (for
    /// example `["ticket", "wampcra"]`: it is challenged with `wampcra`).
    Wampcra,
    /// `cryptosign` only, static: [`CRYPTOSIGN_AUTHID`](crate::auth::CRYPTOSIGN_AUTHID) with
    /// the public key of [`CRYPTOSIGN_SEED_HEX`](crate::auth::CRYPTOSIGN_SEED_HEX).
    Cryptosign,
    /// `scram` only (Crossbar.io's WAMP-SCRAM), static, kdf `argon2id-13`:
    /// [`SCRAM_AUTHID`](crate::auth::SCRAM_AUTHID) with
    /// [`SCRAM_PASSWORD`](crate::auth::SCRAM_PASSWORD) ([`SCRAM_ARGON2`](crate::auth::SCRAM_ARGON2)).
    Scram,
    /// `scram` only, static, kdf `pbkdf2`: the same authid and password
    /// ([`SCRAM_PBKDF2`](crate::auth::SCRAM_PBKDF2)).
    ScramPbkdf2,
    /// `anonymous` (role `anonymous`) and static `ticket` (as [`AuthTransport::Ticket`]); the
    /// router takes the first of the client's `authmethods` that it accepts.
    AnonymousOrTicket,
}

impl AuthTransport {
    /// Every authenticated transport, in a fixed order.
    pub const ALL: [AuthTransport; 7] = [
        AuthTransport::Ticket,
        AuthTransport::TicketRotating,
        AuthTransport::Wampcra,
        AuthTransport::Cryptosign,
        AuthTransport::Scram,
        AuthTransport::ScramPbkdf2,
        AuthTransport::AnonymousOrTicket,
    ];

    /// A short name: `ticket`, `ticket-rotating`, `wampcra`, `cryptosign`, `scram`,
    /// `scram-pbkdf2` or `anonymous-or-ticket`.
    pub fn name(self) -> &'static str {
        match self {
            AuthTransport::Ticket => "ticket",
            AuthTransport::TicketRotating => "ticket-rotating",
            AuthTransport::Wampcra => "wampcra",
            AuthTransport::Cryptosign => "cryptosign",
            AuthTransport::Scram => "scram",
            AuthTransport::ScramPbkdf2 => "scram-pbkdf2",
            AuthTransport::AnonymousOrTicket => "anonymous-or-ticket",
        }
    }

    /// The authentication methods the transport accepts, as Crossbar.io names them.
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            AuthTransport::Ticket | AuthTransport::TicketRotating => &["ticket"],
            AuthTransport::Wampcra => &["wampcra"],
            AuthTransport::Cryptosign => &["cryptosign"],
            AuthTransport::Scram | AuthTransport::ScramPbkdf2 => &["scram"],
            AuthTransport::AnonymousOrTicket => &["anonymous", "ticket"],
        }
    }

    pub(crate) fn index(self) -> usize {
        AuthTransport::ALL
            .iter()
            .position(|&t| t == self)
            .expect("every transport is in ALL")
    }
}

impl fmt::Display for AuthTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The TCP ports of a node.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ports {
    pub(crate) ws: u16,
    pub(crate) wss: u16,
    pub(crate) rs: u16,
    pub(crate) rss: u16,
    /// One per [`AuthTransport`], in the order of [`AuthTransport::ALL`].
    pub(crate) auth: [u16; AuthTransport::ALL.len()],
}

/// The file of the tickets [`AuthTransport::TicketRotating`] accepts (a JSON list), in the
/// node's directory.
pub(crate) const VALID_TICKETS_FILE: &str = "valid-tickets.json";

/// The file the dynamic ticket authenticator writes once its procedure is registered.
const AUTHENTICATOR_READY_FILE: &str = "authenticator.ready";

/// A running node: its supervisor process and the pipe that keeps it alive.
pub(crate) struct Running {
    pub(crate) supervisor: Child,
    /// Closing this (or the test process exiting) makes the supervisor kill the node.
    control: Option<ChildStdin>,
    /// The Crossbar.io controller's pid, which is also the node's process group id.
    pub(crate) pid: Option<u32>,
}

/// A Crossbar.io 26.10.1 node listening on loopback only, with realms `realm1` and `crossbardemo`.
///
/// Get the process-wide shared node with [`router()`], or a private one with
/// [`Router::start`] for tests that stop, kill or restart it.
///
/// # Endpoints
///
/// | endpoint | URL | serializers |
/// |---|---|---|
/// | WebSocket | `ws://127.0.0.1:P/ws` | json, msgpack, cbor |
/// | WebSocket + TLS | `wss://127.0.0.1:P/ws` | json, msgpack, cbor |
/// | RawSocket | `rs://127.0.0.1:P` | json, msgpack, cbor |
/// | RawSocket + TLS | `rss://127.0.0.1:P` | json, msgpack, cbor |
/// | RawSocket, Unix socket | [`unix_path`](Router::unix_path) | json, msgpack, cbor |
/// | WebSocket, authenticated | [`auth_url`](Router::auth_url) per [`AuthTransport`] | json, msgpack, cbor |
///
/// Each `P` is a free port picked at start. TLS endpoints present a certificate for
/// `127.0.0.1`, `localhost` and `::1`, signed by a CA made for this router
/// ([`ca_cert_pem`](Router::ca_cert_pem)). Size limits: [`WS_MAX_MESSAGE_SIZE`],
/// [`RS_MAX_MESSAGE_SIZE`].
///
/// # Realm
///
/// `realm1`, and `crossbardemo` for Autobahn's example suite; in both, anonymous sessions get
/// role `anonymous`, which may call, register, publish and subscribe any URI (`"uri": "", "match": "prefix"`), with caller and publisher disclosure on.
/// The meta API (`wamp.session.*`, `wamp.registration.*`, `wamp.subscription.*`) is available.
///
/// # Authentication
///
/// The endpoints above admit anonymous sessions only. Each [`AuthTransport`] is a WebSocket
/// endpoint of its own that authenticates with one method (or, for
/// [`AnonymousOrTicket`](AuthTransport::AnonymousOrTicket), two), with the static principals
/// of [`crate::auth`]; authenticated sessions get role `authenticated`, with the same
/// permissions as `anonymous`. The tickets of
/// [`TicketRotating`](AuthTransport::TicketRotating) are checked by a dynamic authenticator (a
/// component inside the router worker, in a realm of its own, `wamp_suite.authenticator`) that
/// reads them from a file on every authentication: [`set_valid_tickets`](Router::set_valid_tickets)
/// rotates them while the router runs.
///
/// # Lifetime
///
/// Crossbar.io runs under a small Python supervisor (tests/support/supervisor.py) whose stdin
/// is a pipe held by this process. When the [`Router`] is dropped, or when the test process
/// exits in any way (even for the `static` one, which is never dropped), the pipe closes and
/// the supervisor kills the node's whole process group (controller and router worker), reaps
/// it and deletes the temporary directory. Set `WAMP_SUITE_KEEP_DIR=1` to keep the directory
/// (config, certificates, `crossbar.log`) for a post-mortem.
pub struct Router {
    dir: PathBuf,
    ports: Ports,
    unix_path: PathBuf,
    ca_pem: String,
    ca_der: Vec<u8>,
    ca_path: PathBuf,
    log_path: PathBuf,
    keep_dir: bool,
    running: Mutex<Option<Running>>,
}

/// The router shared by all tests of this process, started on first use.
///
/// Do not [`kill`](Router::kill), [`stop`](Router::stop) or [`restart`](Router::restart) it:
/// other tests run in parallel against it. Use [`Router::start`] for that.
///
/// # Panics
///
/// When Crossbar.io cannot be installed or started, with the reason and the tail of its log;
/// every later call in the same process panics with the same message.
pub fn router() -> &'static Router {
    static ROUTER: OnceLock<Result<Router, String>> = OnceLock::new();
    match ROUTER.get_or_init(Router::try_start) {
        Ok(router) => router,
        Err(message) => panic!("{message}"),
    }
}

enum LaunchError {
    /// Crossbar exited during start (bad config, port taken): worth a retry on other ports.
    Exited(String),
    /// It did not become ready in time.
    Timeout(String),
}

impl Router {
    /// Starts a private node on fresh ports; dropping the returned value stops it.
    ///
    /// Takes about 4 s (more on a loaded machine), at most [`START_TIMEOUT`] per attempt.
    ///
    /// # Panics
    ///
    /// When Crossbar.io cannot be installed or started, with the reason and its log's tail.
    pub fn start() -> Router {
        Router::try_start().unwrap_or_else(|message| panic!("{message}"))
    }

    fn try_start() -> Result<Router, String> {
        let mut failures = Vec::new();
        // A port picked free can be taken before crossbar binds it; try other ports then.
        for _attempt in 0..3 {
            let router = Router::prepare()?;
            match router.launch() {
                Ok(running) => {
                    *router.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(running);
                    return Ok(router);
                }
                Err(LaunchError::Exited(message)) => failures.push(message),
                Err(LaunchError::Timeout(message)) => return Err(message),
            }
        }
        Err(failures.join("\n\n"))
    }

    /// Creates the node directory with its certificates and config.
    fn prepare() -> Result<Router, String> {
        let dir = unique_dir()?;
        let keep_dir = std::env::var_os("WAMP_SUITE_KEEP_DIR").is_some_and(|v| v != "0");
        let cbdir = dir.join(".crossbar");
        let io = |what: &str, e: std::io::Error| format!("{what} in {}: {e}", dir.display());
        fs::create_dir(&cbdir).map_err(|e| io("creating .crossbar", e))?;

        let tls = certs::generate();
        let ca_path = dir.join("ca.pem");
        fs::write(&ca_path, &tls.ca_pem).map_err(|e| io("writing ca.pem", e))?;
        fs::write(cbdir.join("server.crt"), &tls.server_cert_pem)
            .map_err(|e| io("writing server.crt", e))?;
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(cbdir.join("server.key"))
            .and_then(|mut f| f.write_all(tls.server_key_pem.as_bytes()))
            .map_err(|e| io("writing server.key", e))?;

        let ports = free_ports().map_err(|e| format!("finding free ports on 127.0.0.1: {e}"))?;
        let unix_path = dir.join("rs.sock");
        write_valid_tickets(&dir, &[TICKET_ROTATING_INITIAL])
            .map_err(|e| io("writing the valid tickets", e))?;
        let module = format!("{}.py", auth::AUTHENTICATOR_MODULE);
        fs::write(cbdir.join(&module), auth::AUTHENTICATOR_PY)
            .map_err(|e| io(&format!("writing {module}"), e))?;
        let config = node_config(ports, &unix_path, &dir);
        let text = serde_json::to_string_pretty(&config).expect("config serializes");
        fs::write(cbdir.join("config.json"), text).map_err(|e| io("writing config.json", e))?;

        Ok(Router {
            log_path: dir.join("crossbar.log"),
            dir,
            ports,
            unix_path,
            ca_pem: tls.ca_pem,
            ca_der: tls.ca_der,
            ca_path,
            keep_dir,
            running: Mutex::new(None),
        })
    }

    /// Spawns the supervisor and crossbar, and waits until every endpoint accepts connections.
    fn launch(&self) -> Result<Running, LaunchError> {
        let started = Instant::now();
        let _ = fs::remove_file(self.dir.join("crossbar.pid"));
        let _ = fs::remove_file(self.dir.join(AUTHENTICATOR_READY_FILE));
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|e| LaunchError::Exited(format!("cannot open crossbar.log: {e}")))?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        if log_start > 0 {
            let _ = writeln!(log, "\n==== wamp-suite: starting the node again ====\n");
        }
        let stderr = log
            .try_clone()
            .map_err(|e| LaunchError::Exited(format!("cannot clone the log handle: {e}")))?;
        let mut running =
            spawn_node(&self.dir, self.keep_dir, log, stderr).map_err(LaunchError::Exited)?;

        let deadline = started + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = running.supervisor.try_wait() {
                return Err(LaunchError::Exited(format!(
                    "Crossbar.io exited during start ({status}); {}\n{}",
                    self.describe(),
                    self.log_since(log_start, 60)
                )));
            }
            if self.all_endpoints_accept() {
                break;
            }
            if Instant::now() >= deadline {
                let pid = self.read_pid();
                shutdown(&mut running, Some("kill"), pid);
                return Err(LaunchError::Timeout(format!(
                    "Crossbar.io did not accept connections on every endpoint (and start its \
                     ticket authenticator) within {}s; {}\n{}",
                    START_TIMEOUT.as_secs(),
                    self.describe(),
                    self.log_since(log_start, 60)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        running.pid = self.read_pid();
        Ok(running)
    }

    /// Whether every endpoint accepts connections and the ticket authenticator is registered.
    fn all_endpoints_accept(&self) -> bool {
        let tcp = [self.ports.ws, self.ports.wss, self.ports.rs, self.ports.rss];
        self.dir.join(AUTHENTICATOR_READY_FILE).exists()
            && tcp.iter().chain(&self.ports.auth).all(|&port| {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                TcpStream::connect_timeout(&addr, Duration::from_millis(250)).is_ok()
            })
            && UnixStream::connect(&self.unix_path).is_ok()
    }

    fn read_pid(&self) -> Option<u32> {
        read_pid(&self.dir)
    }

    fn describe(&self) -> String {
        let auth: Vec<String> = AuthTransport::ALL
            .iter()
            .map(|&t| format!("{t} {}", self.ports.auth[t.index()]))
            .collect();
        format!(
            "node directory {} (ports ws {}, wss {}, rs {}, rss {}, {}); {SETUP_HINT}. \
             Last lines of {}:",
            self.dir.display(),
            self.ports.ws,
            self.ports.wss,
            self.ports.rs,
            self.ports.rss,
            auth.join(", "),
            self.log_path.display()
        )
    }

    fn log_since(&self, offset: u64, lines: usize) -> String {
        match fs::read(&self.log_path) {
            Ok(bytes) => {
                let start = (offset as usize).min(bytes.len());
                crate::process::tail(&String::from_utf8_lossy(&bytes[start..]), lines)
            }
            Err(e) => format!("(cannot read the log: {e})"),
        }
    }

    /// `ws://127.0.0.1:P/ws`
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.ports.ws)
    }

    /// `wss://127.0.0.1:P/ws` (trust [`ca_cert_pem`](Router::ca_cert_pem))
    pub fn wss_url(&self) -> String {
        format!("wss://127.0.0.1:{}/ws", self.ports.wss)
    }

    /// `rs://127.0.0.1:P`
    pub fn rs_url(&self) -> String {
        format!("rs://127.0.0.1:{}", self.ports.rs)
    }

    /// `rss://127.0.0.1:P` (trust [`ca_cert_pem`](Router::ca_cert_pem))
    pub fn rss_url(&self) -> String {
        format!("rss://127.0.0.1:{}", self.ports.rss)
    }

    /// The Unix domain socket of the RawSocket endpoint, e.g. `/tmp/wamp-suite-1234-0-x/rs.sock`.
    pub fn unix_path(&self) -> &Path {
        &self.unix_path
    }

    /// The Unix socket in Autobahn's URL form: `rs://unix:/tmp/wamp-suite-.../rs.sock`.
    pub fn unix_url(&self) -> String {
        format!("rs://unix:{}", self.unix_path.display())
    }

    /// The URL of `endpoint` (for [`Endpoint::Unix`], [`unix_url`](Router::unix_url)).
    pub fn url(&self, endpoint: Endpoint) -> String {
        match endpoint {
            Endpoint::Ws => self.ws_url(),
            Endpoint::Wss => self.wss_url(),
            Endpoint::Rs => self.rs_url(),
            Endpoint::Rss => self.rss_url(),
            Endpoint::Unix => self.unix_url(),
        }
    }

    /// The TCP address of `endpoint`, `None` for [`Endpoint::Unix`].
    pub fn addr(&self, endpoint: Endpoint) -> Option<SocketAddr> {
        let port = match endpoint {
            Endpoint::Ws => self.ports.ws,
            Endpoint::Wss => self.ports.wss,
            Endpoint::Rs => self.ports.rs,
            Endpoint::Rss => self.ports.rss,
            Endpoint::Unix => return None,
        };
        Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    }

    /// `ws://127.0.0.1:P/ws`, the WebSocket endpoint that authenticates as `transport` says.
    pub fn auth_url(&self, transport: AuthTransport) -> String {
        format!("ws://127.0.0.1:{}/ws", self.ports.auth[transport.index()])
    }

    /// The TCP address of [`auth_url`](Router::auth_url).
    pub fn auth_addr(&self, transport: AuthTransport) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.ports.auth[transport.index()]))
    }

    /// Arguments that connect a Python peer to `transport` with `serializer`: `--url`,
    /// `--realm` and `--serializer`. Add the credentials, e.g. for `auth_join.py`:
    /// `--authmethod ticket --authid ticket-user --secret ticket-secret-1`.
    pub fn auth_peer_args(&self, transport: AuthTransport, serializer: &str) -> Vec<String> {
        vec![
            "--url".into(),
            self.auth_url(transport),
            "--realm".into(),
            REALM.into(),
            "--serializer".into(),
            serializer.into(),
        ]
    }

    /// Makes `tickets` the only tickets that [`AuthTransport::TicketRotating`] accepts for
    /// [`TICKET_ROTATING_AUTHID`], from the next authentication on (sessions already joined
    /// stay). The node need not restart: its authenticator reads them on every HELLO. An
    /// empty list refuses every ticket. The tickets survive [`restart`](Router::restart).
    ///
    /// Rotate a ticket on a private router ([`Router::start`]), not on the shared one:
    ///
    /// ```no_run
    /// use wamp_suite::{auth, AuthTransport, Router};
    ///
    /// let router = Router::start();
    /// let url = router.auth_url(AuthTransport::TicketRotating);
    /// // `auth::TICKET_ROTATING_INITIAL` is valid now.
    /// router.set_valid_tickets(&["t1", "t2"]); // both valid while clients move over
    /// router.set_valid_tickets(&["t2"]); // `t1` refused from now on
    /// # let _ = (url, auth::TICKET_ROTATING_AUTHID);
    /// ```
    ///
    /// # Panics
    ///
    /// When the file cannot be written.
    pub fn set_valid_tickets(&self, tickets: &[&str]) {
        write_valid_tickets(&self.dir, tickets).unwrap_or_else(|e| {
            panic!(
                "writing the valid tickets to {}: {e}",
                self.valid_tickets_path().display()
            )
        });
    }

    /// The file holding the valid tickets of [`AuthTransport::TicketRotating`] (a JSON list of
    /// strings; [`set_valid_tickets`](Router::set_valid_tickets) writes it).
    pub fn valid_tickets_path(&self) -> PathBuf {
        self.dir.join(VALID_TICKETS_FILE)
    }

    /// The PEM of the CA that signed the TLS endpoints' certificate.
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The same CA certificate, DER encoded (for `rustls::RootCertStore::add`).
    pub fn ca_cert_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// A file holding [`ca_cert_pem`](Router::ca_cert_pem).
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_path
    }

    /// The realm: `realm1`.
    pub fn realm(&self) -> &str {
        REALM
    }

    /// The node's temporary directory (config in `.crossbar/`, `crossbar.log`, `ca.pem`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Crossbar.io's log file (all starts of this node, appended).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last `lines` lines of the log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        file_tail(&self.log_path, lines)
    }

    /// The Crossbar.io controller's pid while the node runs (also its process group id).
    pub fn pid(&self) -> Option<u32> {
        let mut running = self.lock();
        let running = running.as_mut()?;
        match running.supervisor.try_wait() {
            Ok(None) => running.pid,
            _ => None,
        }
    }

    /// Whether the node is running (it may have been killed, stopped or have crashed).
    pub fn is_running(&self) -> bool {
        self.pid().is_some()
    }

    /// Arguments that connect a Python peer (tests/peers) to `endpoint` with `serializer`
    /// (`json`, `msgpack` or `cbor`): `--url`, `--realm`, `--serializer` and `--ca`.
    pub fn peer_args(&self, endpoint: Endpoint, serializer: &str) -> Vec<String> {
        vec![
            "--url".into(),
            self.url(endpoint),
            "--realm".into(),
            REALM.into(),
            "--serializer".into(),
            serializer.into(),
            "--ca".into(),
            self.ca_path.display().to_string(),
        ]
    }

    /// Kills the node at once (SIGKILL to all its processes), like a crash: connections drop
    /// without a WAMP goodbye or WebSocket close. Returns when no process of it is left.
    /// Does nothing if it is not running.
    pub fn kill(&self) {
        let taken = self.lock().take();
        if let Some(mut running) = taken {
            let pid = running.pid;
            shutdown(&mut running, Some("kill"), pid);
        }
    }

    /// Stops the node gracefully (SIGTERM: Crossbar.io closes its sessions and listeners),
    /// killing it if that takes over 15 s. Returns when no process of it is left.
    /// Does nothing if it is not running.
    pub fn stop(&self) {
        let taken = self.lock().take();
        if let Some(mut running) = taken {
            let pid = running.pid;
            shutdown(&mut running, Some("stop"), pid);
        }
    }

    /// Starts the node again on the same ports, Unix socket, certificates and realm, killing it
    /// first if it runs. Returns when every endpoint accepts connections. Sessions and
    /// registrations of the previous run are gone.
    ///
    /// # Panics
    ///
    /// When the node does not come back within [`START_TIMEOUT`] (for instance when another
    /// process took one of its ports meanwhile), with the tail of its log.
    pub fn restart(&self) {
        let mut guard = self.lock();
        if let Some(mut running) = guard.take() {
            let pid = running.pid;
            shutdown(&mut running, Some("kill"), pid);
        }
        match self.launch() {
            Ok(running) => *guard = Some(running),
            Err(LaunchError::Exited(message) | LaunchError::Timeout(message)) => {
                drop(guard);
                panic!("restarting the router failed: {message}")
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        // A panicking test must not poison the router for the others.
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("ws", &self.ws_url())
            .field("wss", &self.wss_url())
            .field("rs", &self.rs_url())
            .field("rss", &self.rss_url())
            .field("unix", &self.unix_path)
            .field("auth", &self.ports.auth)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        let taken = self.lock().take();
        if let Some(mut running) = taken {
            let pid = running.pid;
            shutdown(&mut running, None, pid);
        }
        if !self.keep_dir {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The Crossbar.io controller's pid, from the file the supervisor writes in the node
/// directory `dir`.
pub(crate) fn read_pid(dir: &Path) -> Option<u32> {
    fs::read_to_string(dir.join("crossbar.pid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// Starts `crossbar start` on the node directory `dir` (config in `dir/.crossbar/`) under the
/// supervisor script, which removes `dir` when the node ends unless `keep`. Its output goes to
/// `stdout` and `stderr`.
pub(crate) fn spawn_node(
    dir: &Path,
    keep: bool,
    stdout: fs::File,
    stderr: fs::File,
) -> Result<Running, String> {
    let python = python();
    let loglevel = std::env::var("WAMP_SUITE_CROSSBAR_LOGLEVEL").unwrap_or("info".into());
    let mut command = Command::new(&python);
    command
        .arg("-c")
        .arg(include_str!("supervisor.py"))
        .arg(dir)
        .arg(if keep { "keep" } else { "remove" })
        .arg(crossbar())
        .arg("start")
        .arg("--cbdir")
        .arg(dir.join(".crossbar"))
        .arg("--loglevel")
        .arg(&loglevel)
        .args(["--color", "false"])
        .current_dir(dir)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        // Out of the terminal's foreground group: Ctrl-C ends the tests, then the
        // closed pipe ends the node.
        .process_group(0);
    let mut supervisor = command.spawn().map_err(|e| {
        format!(
            "cannot run {} (the Crossbar.io supervisor): {e}\n{SETUP_HINT}",
            python.display()
        )
    })?;
    let control = supervisor.stdin.take();
    Ok(Running {
        supervisor,
        control,
        pid: None,
    })
}

/// Ends a node: sends `command` (or just closes the pipe, which kills it and removes the
/// directory) and waits for the supervisor, which exits only once the node is gone. If the
/// supervisor does not exit in time, kills it and the node's process group directly.
pub(crate) fn shutdown(running: &mut Running, command: Option<&str>, pid: Option<u32>) {
    if let Some(mut control) = running.control.take() {
        if let Some(command) = command {
            let _ = writeln!(control, "{command}");
            let _ = control.flush();
        }
        drop(control);
    }
    if wait_timeout(&mut running.supervisor, SHUTDOWN_TIMEOUT).is_none() {
        if let Some(pid) = pid {
            kill_process_group(pid);
        }
        let _ = running.supervisor.kill();
        let _ = running.supervisor.wait();
    }
}

/// Writes the valid tickets of [`AuthTransport::TicketRotating`] atomically (a reader sees the
/// old list or the new one, never a partial file).
pub(crate) fn write_valid_tickets(dir: &Path, tickets: &[&str]) -> std::io::Result<()> {
    let path = dir.join(VALID_TICKETS_FILE);
    let tmp = dir.join(format!("{VALID_TICKETS_FILE}.tmp"));
    fs::write(
        &tmp,
        serde_json::to_string(tickets).expect("strings serialize"),
    )?;
    fs::rename(&tmp, &path)
}

/// The node configuration: one router worker, realm1 and crossbardemo, five anonymous
/// transports and one per [`AuthTransport`], and the dynamic ticket authenticator in a realm of
/// its own. `dir` is the node directory (for the authenticator's files).
pub(crate) fn node_config(ports: Ports, unix_path: &Path, dir: &Path) -> serde_json::Value {
    let serializers = json!(["json", "msgpack", "cbor"]);
    let tls = json!({"key": "server.key", "certificate": "server.crt"});
    let tcp = |port: u16| json!({"type": "tcp", "interface": "127.0.0.1", "port": port});
    let tls_tcp = |port: u16| {
        let mut endpoint = tcp(port);
        endpoint["tls"] = tls.clone();
        endpoint
    };
    let websocket = json!({
        "type": "websocket",
        "serializers": serializers.clone(),
        "options": {
            "max_message_size": WS_MAX_MESSAGE_SIZE,
            "max_frame_size": WS_MAX_MESSAGE_SIZE,
        },
    });
    let rawsocket_options = json!({"max_message_size": RS_MAX_MESSAGE_SIZE});
    let allow_all = json!({"call": true, "register": true, "publish": true, "subscribe": true});
    let role = |name: &str| {
        json!({
            "name": name,
            "permissions": [{
                "uri": "",
                "match": "prefix",
                "allow": allow_all,
                "disclose": {"caller": true, "publisher": true},
                "cache": true,
            }],
        })
    };
    let mut realms: Vec<serde_json::Value> = [REALM, DEMO_REALM]
        .into_iter()
        .map(|name| json!({"name": name, "roles": [role("anonymous"), role(AUTHENTICATED_ROLE)]}))
        .collect();
    // Only the authenticator (role `trusted`, built in) and Crossbar.io's service session that
    // calls it live here.
    realms.push(json!({"name": auth::AUTHENTICATOR_REALM, "roles": []}));
    let mut transports = vec![
        json!({
            "id": "transport_ws",
            "type": "web",
            "endpoint": tcp(ports.ws),
            "paths": {"ws": websocket.clone()},
        }),
        json!({
            "id": "transport_wss",
            "type": "web",
            "endpoint": tls_tcp(ports.wss),
            "paths": {"ws": websocket.clone()},
        }),
        json!({
            "id": "transport_rs",
            "type": "rawsocket",
            "endpoint": tcp(ports.rs),
            "serializers": serializers.clone(),
            "options": rawsocket_options.clone(),
        }),
        json!({
            "id": "transport_rss",
            "type": "rawsocket",
            "endpoint": tls_tcp(ports.rss),
            "serializers": serializers.clone(),
            "options": rawsocket_options.clone(),
        }),
        json!({
            "id": "transport_unix",
            "type": "rawsocket",
            "endpoint": {"type": "unix", "path": unix_path.display().to_string()},
            "serializers": serializers,
            "options": rawsocket_options,
        }),
    ];
    for transport in AuthTransport::ALL {
        let mut ws = websocket.clone();
        ws["auth"] = auth::crossbar_auth(transport);
        transports.push(json!({
            "id": format!("transport_auth_{}", transport.name().replace('-', "_")),
            "type": "web",
            "endpoint": tcp(ports.auth[transport.index()]),
            "paths": {"ws": ws},
        }));
    }
    let path = |name: &str| dir.join(name).display().to_string();
    json!({
        "version": 2,
        "controller": {},
        "workers": [{
            "type": "router",
            // The authenticator's module is in the node's `.crossbar/` directory.
            "options": {"pythonpath": ["."]},
            "realms": realms,
            "components": [{
                "id": "ticket_authenticator",
                "type": "class",
                "classname": format!("{}.TicketAuthenticator", auth::AUTHENTICATOR_MODULE),
                "realm": auth::AUTHENTICATOR_REALM,
                "role": "trusted",
                "extra": {
                    "procedure": auth::AUTHENTICATOR_PROCEDURE,
                    "tickets_file": path(VALID_TICKETS_FILE),
                    "ready_file": path(AUTHENTICATOR_READY_FILE),
                    "authid": TICKET_ROTATING_AUTHID,
                    "role": AUTHENTICATED_ROLE,
                },
            }],
            "transports": transports,
        }],
    })
}

/// Distinct free TCP ports on 127.0.0.1 (bound at once, then released; see `node::bind_free`).
pub(crate) fn free_ports() -> std::io::Result<Ports> {
    let listeners = (0..4 + AuthTransport::ALL.len())
        .map(|_| crate::node::bind_free())
        .collect::<std::io::Result<Vec<_>>>()?;
    let port = |i: usize| listeners[i].local_addr().map(|a| a.port());
    let mut auth = [0; AuthTransport::ALL.len()];
    for (i, slot) in auth.iter_mut().enumerate() {
        *slot = port(4 + i)?;
    }
    Ok(Ports {
        ws: port(0)?,
        wss: port(1)?,
        rs: port(2)?,
        rss: port(3)?,
        auth,
    })
}

/// Where [`unique_dir`] makes its directories: the temp dir, or /tmp when `$TMPDIR` is too long
/// for a Unix socket path.
pub(crate) fn unique_dir_base() -> PathBuf {
    let base = std::env::temp_dir();
    if base.as_os_str().len() > 60 {
        PathBuf::from("/tmp")
    } else {
        base
    }
}

/// A new directory `wamp-suite-<pid>-<n>-<nanos>` in the temp dir (or /tmp when `$TMPDIR` is
/// too long for a Unix socket path, which is limited to 107 bytes).
pub(crate) fn unique_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let base = unique_dir_base();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "wamp-suite-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let dir = base.join(name);
    fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}
