//! Our own router (wamp-router), embedded in the test process with the same endpoints, realms,
//! roles and authenticated transports as the Crossbar.io node of [`crate::router()`].
//!
//! It runs on a thread of its own with its own multi-threaded tokio runtime, so it serves plain
//! `#[test]`s and every flavour of `#[tokio::test]` alike, and outlives each test's runtime.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use wamp_core::auth::server::{dynamic_identity, Identity, Refusal};
use wamp_core::Value;
use wamp_router::{crossbar, AuthRequest, RouterBuilder};

use crate::auth::{AUTHENTICATED_ROLE, TICKET_ROTATING_AUTHID, TICKET_ROTATING_INITIAL};
use crate::certs;
use crate::router::{
    free_ports, node_config, unique_dir, unique_dir_base, write_valid_tickets, Ports,
    VALID_TICKETS_FILE,
};
use crate::{AuthTransport, Endpoint, REALM};

/// Bound on starting (or stopping) our router: it binds its sockets in milliseconds.
const OURS_TIMEOUT: Duration = Duration::from_secs(20);

/// How to set our router up when it does not start.
const OURS_HINT: &str = "our router (wamp-router) runs inside the test process and needs no \
     setup: only free TCP ports on 127.0.0.1 and a writable temp dir; run with \
     RUST_LOG=wamp_router=debug to see what it does";

/// A running instance: the thread that owns its runtime, and how to end it.
struct Running {
    stop: tokio::sync::oneshot::Sender<bool>,
    thread: JoinHandle<()>,
}

impl Running {
    /// Starts the router `builder` describes on a new thread with its own runtime; returns
    /// once it listens, with its URLs.
    fn start(builder: RouterBuilder) -> Result<(Running, Vec<String>), String> {
        let (ready_tx, ready_rx) = mpsc::channel::<Result<Vec<String>, String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<bool>();
        let thread = std::thread::Builder::new()
            .name("wamp-suite-ours".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("wamp-suite-ours-worker")
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot build a tokio runtime: {e}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let router = match builder.start().await {
                        Ok(router) => router,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("our router did not start: {e}")));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(router.urls()));
                    // `true`: graceful stop; `false` or the handle gone: drop (a crash).
                    if let Ok(true) = stop_rx.await {
                        let _ = tokio::time::timeout(OURS_TIMEOUT, router.stop()).await;
                    } else {
                        drop(router);
                    }
                });
                // Dropping the runtime aborts what is left and closes every socket.
            })
            .map_err(|e| format!("cannot spawn our router's thread: {e}"))?;
        match ready_rx.recv_timeout(OURS_TIMEOUT) {
            Ok(Ok(urls)) => Ok((
                Running {
                    stop: stop_tx,
                    thread,
                },
                urls,
            )),
            Ok(Err(message)) => {
                let _ = thread.join();
                Err(message)
            }
            Err(_) => Err(format!(
                "our router did not start within {OURS_TIMEOUT:?}; {OURS_HINT}"
            )),
        }
    }

    /// Ends the router, gracefully or not, and waits for its thread.
    fn end(self, graceful: bool) {
        let _ = self.stop.send(graceful);
        let _ = self.thread.join();
    }
}

/// Our router with a configuration of the test's own (such as the README's), on a thread of
/// its own with its own runtime; dropping it ends it at once.
///
/// ```no_run
/// let node = wamp_suite::OursNode::start(
///     wamp_router::Router::builder().realm("realm1").listen("ws://127.0.0.1:0/ws").unwrap(),
/// );
/// let url = &node.urls()[0];
/// # let _ = url;
/// ```
pub struct OursNode {
    urls: Vec<String>,
    running: Mutex<Option<Running>>,
}

impl OursNode {
    /// Starts the router `builder` describes; returns once it listens.
    ///
    /// # Panics
    ///
    /// When it does not start, with the reason.
    pub fn start(builder: RouterBuilder) -> OursNode {
        let (running, urls) = Running::start(builder).unwrap_or_else(|e| panic!("{e}"));
        OursNode {
            urls,
            running: Mutex::new(Some(running)),
        }
    }

    /// The URL of each listener, with the real ports (`Router::urls`).
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Stops the router gracefully and waits until it is gone.
    pub fn stop(&self) {
        let taken = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(running) = taken {
            running.end(true);
        }
    }
}

impl fmt::Debug for OursNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OursNode")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl Drop for OursNode {
    fn drop(&mut self) {
        let taken = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(running) = taken {
            running.end(false);
        }
    }
}

/// Our router (wamp-router) with the same shape as the Crossbar.io [`Router`](crate::Router):
/// the very node config the harness gives Crossbar.io, read by `wamp_router::crossbar`: realms
/// `realm1` and `crossbardemo` (roles `anonymous` and `authenticated`, all permissions,
/// caller and publisher disclosed), five anonymous endpoints (ws, wss, rs, rss, Unix socket;
/// json, msgpack, cbor) and one WebSocket endpoint per [`AuthTransport`]. The dynamic ticket
/// authenticator of
/// [`AuthTransport::TicketRotating`] is Rust code with the Python authenticator's rules,
/// reading [`valid_tickets_path`](Ours::valid_tickets_path) on every authentication.
///
/// Get the shared one with [`ours()`], or a private one with [`Ours::start`] (which a test may
/// [`kill`](Ours::kill), [`stop`](Ours::stop) and [`restart`](Ours::restart)).
pub struct Ours {
    dir: PathBuf,
    ports: Mutex<Ports>,
    unix_path: PathBuf,
    ca_pem: String,
    ca_der: Vec<u8>,
    ca_path: PathBuf,
    running: Mutex<Option<Running>>,
}

/// Our router shared by all tests of this process, started on first use (in milliseconds).
///
/// Do not [`kill`](Ours::kill), [`stop`](Ours::stop) or [`restart`](Ours::restart) it: other
/// tests run in parallel against it. Use [`Ours::start`] for that.
///
/// # Panics
///
/// When it cannot start, with the reason; every later call panics with the same message.
pub fn ours() -> &'static Ours {
    static OURS: OnceLock<Result<Ours, String>> = OnceLock::new();
    match OURS.get_or_init(Ours::try_start) {
        Ok(ours) => ours,
        Err(message) => panic!("{message}"),
    }
}

impl Ours {
    /// Starts a private instance on fresh ports; dropping it stops it at once.
    ///
    /// # Panics
    ///
    /// When it cannot start, with the reason.
    pub fn start() -> Ours {
        Ours::try_start().unwrap_or_else(|message| panic!("{message}"))
    }

    fn try_start() -> Result<Ours, String> {
        sweep_dead_dirs();
        let dir = unique_dir()?;
        let _ = fs::write(dir.join(MARKER), "");
        let io = |what: &str, e: std::io::Error| format!("{what} in {}: {e}", dir.display());
        let tls = certs::generate();
        let ca_path = dir.join("ca.pem");
        fs::write(&ca_path, &tls.ca_pem).map_err(|e| io("writing ca.pem", e))?;
        // The node config names them relative to the node directory.
        fs::write(dir.join("server.crt"), &tls.server_cert_pem)
            .map_err(|e| io("writing server.crt", e))?;
        // Like the Crossbar.io node's directory: the key only readable by us.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.join("server.key"))
            .and_then(|mut f| f.write_all(tls.server_key_pem.as_bytes()))
            .map_err(|e| io("writing server.key", e))?;
        write_valid_tickets(&dir, &[TICKET_ROTATING_INITIAL])
            .map_err(|e| io("writing the valid tickets", e))?;
        // Ports of the harness's own range, not 0: a restart binds them again, and one in the
        // kernel's range for outgoing connections could be taken meanwhile.
        let ports = free_ports().map_err(|e| io("finding free ports", e))?;
        let ours = Ours {
            unix_path: dir.join("rs.sock"),
            ca_pem: tls.ca_pem,
            ca_der: tls.ca_der,
            ca_path,
            dir,
            ports: Mutex::new(ports),
            running: Mutex::new(None),
        };
        let running = ours.launch()?;
        *ours.lock() = Some(running);
        Ok(ours)
    }

    /// Binds every endpoint (the ports of the previous start, or free ones the first time) on
    /// a new thread and runtime.
    fn launch(&self) -> Result<Running, String> {
        let ports = *self.ports.lock().unwrap_or_else(|e| e.into_inner());
        let (running, urls) = Running::start(self.builder(ports)?)
            .map_err(|e| format!("{e} ({}); {OURS_HINT}", self.dir.display()))?;
        *self.ports.lock().unwrap_or_else(|e| e.into_inner()) = ports_of(&urls)?;
        Ok(running)
    }

    /// The router's configuration, on `ports` (0: any free port): the very node config the
    /// harness gives Crossbar.io ([`node_config`]), read by `wamp_router::crossbar`, plus the
    /// Rust twin of the Python ticket authenticator (Crossbar.io runs that one as a router
    /// component, which our router does not: the reader warns about both, as expected).
    fn builder(&self, ports: Ports) -> Result<RouterBuilder, String> {
        let config = node_config(ports, &self.unix_path, &self.dir);
        let text = serde_json::to_string(&config).expect("the node config serializes");
        // The TLS files are relative to the node directory, as for Crossbar.io's `.crossbar`.
        let (config, warnings) = crossbar::read_crossbar_config(&text, &self.dir)
            .map_err(|e| format!("our router cannot read the harness's Crossbar.io config: {e}"))?;
        let unexpected: Vec<String> = warnings
            .iter()
            .filter(|w| !expected_warning(w))
            .map(ToString::to_string)
            .collect();
        if !unexpected.is_empty() {
            return Err(format!(
                "our router does not support all of the harness's Crossbar.io config: {}",
                unexpected.join("; ")
            ));
        }
        let tickets_file = self.valid_tickets_path();
        Ok(wamp_router::Router::builder()
            .config(config)
            .authenticator(move |req: AuthRequest| {
                let tickets_file = tickets_file.clone();
                async move { rotating_ticket(&tickets_file, &req) }
            }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ports(&self) -> Ports {
        *self.ports.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the running instance, gracefully or not, and waits for its thread.
    fn end(&self, graceful: bool) {
        let taken = self.lock().take();
        if let Some(running) = taken {
            running.end(graceful);
        }
    }

    /// Ends the router at once, like a crash: connections close without a WAMP GOODBYE.
    /// Returns when every socket is closed. Does nothing if it is not running.
    pub fn kill(&self) {
        self.end(false);
    }

    /// Stops the router gracefully (GOODBYE `wamp.close.system_shutdown` to every session).
    /// Returns when it is gone. Does nothing if it is not running.
    pub fn stop(&self) {
        self.end(true);
    }

    /// Starts the router again on the same ports, Unix socket, certificates and realms,
    /// killing it first if it runs. Sessions and registrations of the previous run are gone.
    ///
    /// # Panics
    ///
    /// When it does not come back (for instance when another process took one of its ports).
    pub fn restart(&self) {
        self.kill();
        let running = self
            .launch()
            .unwrap_or_else(|e| panic!("restarting our router failed: {e}"));
        *self.lock() = Some(running);
    }

    /// Whether the router is running.
    pub fn is_running(&self) -> bool {
        self.lock().is_some()
    }

    /// `ws://127.0.0.1:P/ws`
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.ports().ws)
    }

    /// `wss://127.0.0.1:P/ws` (trust [`ca_cert_pem`](Ours::ca_cert_pem))
    pub fn wss_url(&self) -> String {
        format!("wss://127.0.0.1:{}/ws", self.ports().wss)
    }

    /// `rs://127.0.0.1:P`
    pub fn rs_url(&self) -> String {
        format!("rs://127.0.0.1:{}", self.ports().rs)
    }

    /// `rss://127.0.0.1:P` (trust [`ca_cert_pem`](Ours::ca_cert_pem))
    pub fn rss_url(&self) -> String {
        format!("rss://127.0.0.1:{}", self.ports().rss)
    }

    /// The Unix domain socket of the RawSocket endpoint.
    pub fn unix_path(&self) -> &Path {
        &self.unix_path
    }

    /// The Unix socket in Autobahn's URL form: `rs://unix:/tmp/wamp-suite-.../rs.sock`.
    pub fn unix_url(&self) -> String {
        format!("rs://unix:{}", self.unix_path.display())
    }

    /// The URL of `endpoint` (for [`Endpoint::Unix`], [`unix_url`](Ours::unix_url)).
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
        let p = self.ports();
        let port = match endpoint {
            Endpoint::Ws => p.ws,
            Endpoint::Wss => p.wss,
            Endpoint::Rs => p.rs,
            Endpoint::Rss => p.rss,
            Endpoint::Unix => return None,
        };
        Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    }

    /// `ws://127.0.0.1:P/ws`, the WebSocket endpoint that authenticates as `transport` says.
    pub fn auth_url(&self, transport: AuthTransport) -> String {
        format!("ws://127.0.0.1:{}/ws", self.ports().auth[transport.index()])
    }

    /// The TCP address of [`auth_url`](Ours::auth_url).
    pub fn auth_addr(&self, transport: AuthTransport) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.ports().auth[transport.index()]))
    }

    /// Arguments that connect a Python peer (tests/peers) to `endpoint` with `serializer`:
    /// `--url`, `--realm`, `--serializer` and `--ca`.
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

    /// Arguments that connect a Python peer to `transport` with `serializer`: `--url`,
    /// `--realm` and `--serializer`.
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

    /// Makes `tickets` the only tickets that [`AuthTransport::TicketRotating`] accepts, from
    /// the next authentication on (as [`Router::set_valid_tickets`](crate::Router::set_valid_tickets)).
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

    /// The file holding the valid tickets of [`AuthTransport::TicketRotating`].
    pub fn valid_tickets_path(&self) -> PathBuf {
        self.dir.join(VALID_TICKETS_FILE)
    }

    /// The PEM of the CA that signed the TLS endpoints' certificate.
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The same CA certificate, DER encoded.
    pub fn ca_cert_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// A file holding [`ca_cert_pem`](Ours::ca_cert_pem).
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_path
    }

    /// The realm: `realm1`.
    pub fn realm(&self) -> &str {
        REALM
    }

    /// The instance's temporary directory (`ca.pem`, the valid tickets, the Unix socket).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl fmt::Debug for Ours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ours")
            .field("ws", &self.ws_url())
            .field("rs", &self.rs_url())
            .field("unix", &self.unix_path)
            .field("auth", &self.ports().auth)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        self.end(false);
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The file that marks a directory as one of our router's (for [`sweep_dead_dirs`]).
const MARKER: &str = "wamp-suite-ours";

/// Removes the directories of our routers whose process is gone: the shared one is a static,
/// never dropped, so its directory outlives the test binary (Crossbar.io's supervisor cleans
/// up its own). A directory is ours if it has the [`MARKER`] (or, from before the marker,
/// valid tickets but no `.crossbar`, which a Crossbar.io node directory has from its start),
/// and its process, the `<pid>` of its name `wamp-suite-<pid>-...`, is gone.
fn sweep_dead_dirs() {
    let base = unique_dir_base();
    let Ok(entries) = fs::read_dir(&base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("wamp-suite-"))
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        let ours = dir.join(MARKER).exists()
            || (dir.join(VALID_TICKETS_FILE).exists() && !dir.join(".crossbar").exists());
        if ours && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

/// Whether `w` is one of the warnings the harness's Crossbar.io config is expected to give:
/// what is Crossbar.io's business only (the router worker's `pythonpath` and its component,
/// the Python ticket authenticator; permissions' `cache`; WebSocket `max_frame_size`) and the
/// dynamic ticket authenticator, which [`rotating_ticket`] stands in for.
fn expected_warning(w: &crossbar::Warning) -> bool {
    w.path.ends_with(".options.pythonpath")
        || w.path.contains(".components[")
        || w.path.ends_with(".cache")
        || w.path.ends_with(".options.max_frame_size")
        || (w.path.ends_with(".auth") && w.message.starts_with("ticket: type \"dynamic\""))
}

/// The bound ports, from the listeners' URLs in the order [`Ours::builder`] adds them.
fn ports_of(urls: &[String]) -> Result<Ports, String> {
    let port = |i: usize| -> Result<u16, String> {
        let url = urls
            .get(i)
            .ok_or_else(|| format!("our router listens on {} endpoints only", urls.len()))?;
        let authority = url.split("://").nth(1).unwrap_or("");
        let authority = authority.split('/').next().unwrap_or("");
        authority
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .ok_or_else(|| format!("no port in our router's url {url}"))
    };
    // 0 ws, 1 wss, 2 rs, 3 rss, 4 unix, then one per auth transport.
    let mut auth = [0; AuthTransport::ALL.len()];
    for (i, slot) in auth.iter_mut().enumerate() {
        *slot = port(5 + i)?;
    }
    Ok(Ports {
        ws: port(0)?,
        wss: port(1)?,
        rs: port(2)?,
        rss: port(3)?,
        auth,
    })
}

/// The dynamic authenticator of [`AuthTransport::TicketRotating`], with the rules of the
/// Python one Crossbar.io runs (`auth::AUTHENTICATOR_PY`): only
/// [`TICKET_ROTATING_AUTHID`], a ticket listed in `tickets_file` (read afresh), role
/// `authenticated` or the `<name>` of a ticket ending in `#role=<name>`.
fn rotating_ticket(tickets_file: &Path, req: &AuthRequest) -> Result<Identity, Refusal> {
    if req.authid != TICKET_ROTATING_AUTHID {
        return Err(Refusal::not_authorized(format!(
            "no principal with authid \"{}\" exists",
            req.authid
        )));
    }
    let valid: Vec<String> = fs::read_to_string(tickets_file)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
        .map_err(|e| Refusal::not_authorized(format!("cannot read the valid tickets: {e}")))?;
    let ticket = req.details.get("ticket").and_then(|t| t.as_str());
    match ticket {
        Some(ticket) if valid.iter().any(|v| v == ticket) => {
            let role = match ticket.split_once("#role=") {
                Some((_, role)) => role,
                None => AUTHENTICATED_ROLE,
            };
            dynamic_identity(&req.method, &req.authid, &Value::from(role))
        }
        _ => Err(Refusal::not_authorized(
            "ticket in dynamic WAMP-Ticket authentication is invalid",
        )),
    }
}
