//! A fault-injecting TCP proxy on loopback, to put between a client and the router.
//!
//! Plain `std::net` and `std::thread`: one accept thread polling a non-blocking listener, and
//! per connection one or two threads whose sockets have short read and write timeouts, so
//! every loop notices a stop, a [`FaultProxy::drop_connections`] or a mode change quickly.
//! Network errors inside the threads never panic: the connection is closed instead.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::router::Endpoint;

/// How often the accept thread polls its non-blocking listener.
const ACCEPT_POLL: Duration = Duration::from_millis(5);
/// Read and write timeout of every proxied socket: how often a blocked thread checks its flags.
const IO_POLL: Duration = Duration::from_millis(50);
/// Bound on connecting to the upstream for a new connection.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on listening again on the same port when leaving [`FaultMode::Refuse`].
const REBIND_TIMEOUT: Duration = Duration::from_secs(5);
/// Bounds on reading an HTTP request head in [`FaultMode::HttpError`].
const HEAD_LIMIT: usize = 16 * 1024;
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// After answering in [`FaultMode::HttpError`], how long to drain the client before closing (so
/// that closing with unread bytes does not turn into a reset that hides the answer).
const LINGER: Duration = Duration::from_secs(1);
/// Bound on waiting for the connection threads when the proxy is dropped.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// What a [`FaultProxy`] does with connections; see [`FaultProxy::set_mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultMode {
    /// Accept and forward bytes both ways (the default).
    #[default]
    Forward,
    /// Do not listen: a `connect()` fails with `ECONNREFUSED`. Live connections go on.
    Refuse,
    /// Accept, but never forward nor answer anything: the socket stays open until the client
    /// closes it or the proxy drops it (a WebSocket opening handshake that never completes).
    /// Live connections go on.
    Silent,
    /// Read and discard the bytes of both directions, keeping every TCP connection open: a
    /// half-open connection as seen by the client. Applies to live connections too; a new
    /// connection is still connected upstream, so that switching back to [`FaultMode::Forward`]
    /// heals it (the bytes discarded meanwhile are lost, and an end-of-stream is held back
    /// until then).
    BlackHole,
    /// Stop forwarding in both directions, keeping every TCP connection open and every byte:
    /// nothing is read, so the kernel's buffers fill up as they do in front of a stopped
    /// (SIGSTOP) process. Applies to live connections too; a new connection is connected
    /// upstream and frozen at once. Switching back to [`FaultMode::Forward`] delivers what
    /// waited, in order (a frozen router that is thawed).
    Freeze,
    /// Read the request head, answer `HTTP/1.1 <code> <reason>` with an empty body, and close.
    /// Live connections go on.
    HttpError(u16),
}

/// A TCP proxy on `127.0.0.1` (a free port) in front of an upstream address, which simulates
/// network faults: refused connections, silent peers, black holes, HTTP errors, latency and
/// dropped connections.
///
/// ```no_run
/// use std::time::Duration;
/// use wamp_suite::{FaultProxy, FaultMode};
///
/// let upstream = "127.0.0.1:8080".parse().unwrap(); // e.g. the router's WebSocket port
/// let proxy = FaultProxy::start(upstream);
/// let _url = format!("ws://{}/ws", proxy.addr()); // connect the client here
/// proxy.set_delay(Duration::from_millis(100)); // latency on every chunk
/// proxy.set_mode(FaultMode::BlackHole); // the client's connection goes half-open
/// proxy.drop_connections(); // the client sees its connection drop
/// proxy.set_mode(FaultMode::Refuse); // reconnects fail until another mode is set
/// ```
///
/// Every method takes `&self`, so a proxy can be shared across threads (it is `Sync`).
/// Dropping it stops listening and closes every connection, within a bounded time.
pub struct FaultProxy {
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

/// The state shared by the handle and the threads.
struct Shared {
    addr: SocketAddr,
    upstream: SocketAddr,
    /// `None` while in [`FaultMode::Refuse`] (and after the stop).
    listener: Mutex<Option<TcpListener>>,
    mode: Mutex<FaultMode>,
    delay_nanos: AtomicU64,
    stop: AtomicBool,
    accepted: AtomicUsize,
    next_id: AtomicU64,
    /// The live connections, by id.
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    /// The connection threads, joined (within a bound) on drop.
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// One proxied connection: clones of its sockets, to close them from outside.
#[derive(Default)]
struct Conn {
    closed: AtomicBool,
    streams: Mutex<Vec<TcpStream>>,
}

/// Holds a connection's registration; the last holder (of the `Arc`) unregisters it.
struct Registration {
    shared: Arc<Shared>,
    id: u64,
    conn: Arc<Conn>,
}

/// Locks a mutex, ignoring poisoning (the protected data stays consistent).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether an I/O error only means "nothing yet" (a timeout or an interrupted call).
fn is_retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Sets the timeouts and options every proxied socket uses.
fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IO_POLL))?;
    stream.set_write_timeout(Some(IO_POLL))
}

impl FaultProxy {
    /// Starts a proxy on a free port of `127.0.0.1` forwarding to `upstream`, in
    /// [`FaultMode::Forward`] with no delay.
    ///
    /// # Panics
    ///
    /// When it cannot bind a listening socket or start its accept thread.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .unwrap_or_else(|e| panic!("FaultProxy: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("FaultProxy: no local address: {e}"));
        let shared = Arc::new(Shared {
            addr,
            upstream,
            listener: Mutex::new(Some(listener)),
            mode: Mutex::new(FaultMode::Forward),
            delay_nanos: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("fault-proxy-accept-{}", addr.port()))
            .spawn(move || accept_loop(&accept_shared))
            .unwrap_or_else(|e| panic!("FaultProxy: cannot start the accept thread: {e}"));
        FaultProxy {
            shared,
            accept_thread: Some(accept_thread),
        }
    }

    /// The proxy's address (`127.0.0.1` and its port), the same in every mode.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The URL of a router's plain WebSocket or RawSocket `endpoint` through this proxy
    /// (start the proxy in front of [`Router::addr`](crate::Router::addr) of the same
    /// endpoint).
    ///
    /// # Panics
    ///
    /// For the TLS and Unix endpoints, whose URLs name the router's own host or path.
    pub fn url(&self, endpoint: Endpoint) -> String {
        match endpoint {
            Endpoint::Ws => format!("ws://{}/ws", self.addr()),
            Endpoint::Rs => format!("rs://{}", self.addr()),
            other => panic!("the proxy has no URL for the {other} endpoint: use Ws or Rs"),
        }
    }

    /// The upstream address the proxy forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.shared.upstream
    }

    /// The current mode.
    pub fn mode(&self) -> FaultMode {
        *lock(&self.shared.mode)
    }

    /// Switches the mode. It applies to every connection accepted after this returns;
    /// [`FaultMode::BlackHole`] and [`FaultMode::Freeze`] (entering or leaving them) apply to
    /// live connections too.
    ///
    /// Entering [`FaultMode::Refuse`] closes the listening socket (connections waiting in its
    /// backlog are reset); leaving it listens again on the same port before returning.
    ///
    /// # Panics
    ///
    /// When the port cannot be bound again within 5 s (another socket took it meanwhile).
    pub fn set_mode(&self, mode: FaultMode) {
        let mut listener = lock(&self.shared.listener);
        *lock(&self.shared.mode) = mode;
        if mode == FaultMode::Refuse {
            *listener = None;
        } else if listener.is_none() && !self.shared.stop.load(Ordering::SeqCst) {
            *listener = Some(rebind(self.shared.addr));
        }
    }

    /// Delays every forwarded chunk by `delay`, in both directions (`Duration::ZERO`: none).
    /// Chunks of one direction are delayed one after another, so a delay also caps the
    /// throughput. Applies to live connections.
    pub fn set_delay(&self, delay: Duration) {
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        self.shared.delay_nanos.store(nanos, Ordering::SeqCst);
    }

    /// Closes every live connection on both sides at once (`shutdown(Both)`): the client
    /// reads an end-of-stream or an error, the upstream too. New connections are unaffected.
    pub fn drop_connections(&self) {
        self.shared.close_all();
    }

    /// The number of connections accepted so far (in every mode).
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// The number of connections currently open. A closed connection leaves this count once
    /// its threads have noticed it, which takes a few milliseconds.
    pub fn live(&self) -> usize {
        lock(&self.shared.conns).len()
    }
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr())
            .field("upstream", &self.upstream())
            .field("mode", &self.mode())
            .field("accepted", &self.accepted())
            .field("live", &self.live())
            .finish()
    }
}

impl Drop for FaultProxy {
    /// Stops listening, closes every connection and waits (at most 5 s) for the threads.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        *lock(&self.shared.listener) = None;
        if let Some(accept_thread) = self.accept_thread.take() {
            let _ = accept_thread.join(); // its loop checks `stop` every ACCEPT_POLL
        }
        // After the accept thread ended, so that no connection is registered after this.
        self.shared.close_all();
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        let deadline = Instant::now() + STOP_TIMEOUT;
        for handle in threads {
            while !handle.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(2));
            }
            if handle.is_finished() {
                let _ = handle.join();
            } // else: leave it detached; it ends at its next flag check
        }
    }
}

/// Binds `addr` again, retrying for [`REBIND_TIMEOUT`] (std sets `SO_REUSEADDR` on Unix, so
/// connections of the former listener in `TIME_WAIT` do not block it).
fn rebind(addr: SocketAddr) -> TcpListener {
    let deadline = Instant::now() + REBIND_TIMEOUT;
    loop {
        match TcpListener::bind(addr).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
            Ok(listener) => return listener,
            Err(e) if Instant::now() >= deadline => {
                panic!("FaultProxy: cannot listen on {addr} again: {e}")
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn mode(&self) -> FaultMode {
        *lock(&self.mode)
    }

    fn delay(&self) -> Duration {
        Duration::from_nanos(self.delay_nanos.load(Ordering::SeqCst))
    }

    fn close_all(&self) {
        for conn in lock(&self.conns).values() {
            conn.close();
        }
    }

    /// Starts a tracked thread; `false` when stopping or when the system refuses a thread.
    fn spawn(&self, name: String, body: impl FnOnce() + Send + 'static) -> bool {
        let mut threads = lock(&self.threads);
        if self.stopped() {
            return false;
        }
        threads.retain(|t| !t.is_finished());
        match thread::Builder::new().name(name).spawn(body) {
            Ok(handle) => {
                threads.push(handle);
                true
            }
            Err(_) => false,
        }
    }
}

impl Conn {
    /// Keeps a clone of `stream` to close it from outside; `false` (and `stream` shut down)
    /// when the connection is already closed.
    fn add(&self, stream: &TcpStream) -> bool {
        let mut streams = lock(&self.streams);
        if !self.closed.load(Ordering::SeqCst) {
            if let Ok(clone) = stream.try_clone() {
                streams.push(clone);
                return true;
            }
        }
        let _ = stream.shutdown(Shutdown::Both);
        false
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for stream in lock(&self.streams).iter() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Registration {
    /// Whether the connection threads should end: closed from outside, or the proxy stops.
    fn done(&self) -> bool {
        self.conn.closed.load(Ordering::SeqCst) || self.shared.stopped()
    }

    /// Sleeps `duration` in short steps; `false` when the connection ended meanwhile.
    fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        loop {
            if self.done() {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            thread::sleep((deadline - now).min(IO_POLL));
        }
    }

    /// Writes all of `data`, retrying on timeouts; `false` on an error or when the
    /// connection ended.
    fn write_all(&self, mut to: &TcpStream, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            if self.done() {
                return false;
            }
            match to.write(data) {
                Ok(0) => return false,
                Ok(n) => data = &data[n..],
                Err(e) if is_retry(&e) => {}
                Err(_) => return false,
            }
        }
        true
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.conn.close(); // closes every socket of the connection, if not done yet
        lock(&self.shared.conns).remove(&self.id);
    }
}

/// The accept thread: polls the listener until the proxy stops.
fn accept_loop(shared: &Arc<Shared>) {
    while !shared.stopped() {
        let accepted = match lock(&shared.listener).as_ref() {
            Some(listener) => listener.accept(),
            None => Err(io::ErrorKind::WouldBlock.into()), // FaultMode::Refuse
        };
        match accepted {
            Ok((client, _)) => on_accept(shared, client),
            // Nothing to accept yet, or a transient error (e.g. too many open files).
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

/// Registers an accepted connection and starts its thread, according to the current mode.
fn on_accept(shared: &Arc<Shared>, client: TcpStream) {
    let mode = shared.mode();
    if mode == FaultMode::Refuse || configure(&client).is_err() {
        // Accepted just before the listener closed (or unusable): drop it.
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        return;
    }
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    let conn = Arc::new(Conn::default());
    lock(&shared.conns).insert(id, Arc::clone(&conn));
    // Counted once registered, so that `accepted()` never runs ahead of `live()`.
    shared.accepted.fetch_add(1, Ordering::SeqCst);
    let registration = Registration {
        shared: Arc::clone(shared),
        id,
        conn,
    };
    if !registration.conn.add(&client) {
        return;
    }
    let name = format!("fault-proxy-{}-{id}", shared.addr.port());
    // If the thread cannot start, the closure is dropped and with it the registration,
    // which closes the connection.
    shared.spawn(name, move || match mode {
        FaultMode::Forward | FaultMode::BlackHole | FaultMode::Freeze => {
            forward(registration, client)
        }
        FaultMode::Silent => drain(&registration, &client, None),
        FaultMode::HttpError(code) => http_error(&registration, &client, code),
        FaultMode::Refuse => {}
    });
}

/// Connects upstream and pumps both directions (this thread: client to upstream).
fn forward(registration: Registration, client: TcpStream) {
    let upstream =
        match TcpStream::connect_timeout(&registration.shared.upstream, UPSTREAM_CONNECT_TIMEOUT) {
            Ok(upstream) if configure(&upstream).is_ok() => upstream,
            _ => return, // the registration closes the client
        };
    if !registration.conn.add(&upstream) {
        return;
    }
    let (Ok(client2), Ok(upstream2)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let registration = Arc::new(registration);
    let back = Arc::clone(&registration);
    let shared = &registration.shared;
    let name = format!(
        "fault-proxy-{}-{}-back",
        shared.addr.port(),
        registration.id
    );
    if shared.spawn(name, move || pump(&back, &upstream2, &client2)) {
        pump(&registration, &client, &upstream);
    }
}

/// Copies `from` to `to` until an end-of-stream, an error or the end of the connection,
/// applying the delay, discarding everything while in [`FaultMode::BlackHole`] and reading
/// nothing while in [`FaultMode::Freeze`].
fn pump(registration: &Registration, mut from: &TcpStream, to: &TcpStream) {
    let shared = &registration.shared;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if registration.done() {
            return;
        }
        if shared.mode() == FaultMode::Freeze {
            // Read nothing: the bytes wait in the kernel (and the sender's buffers fill).
            registration.sleep(IO_POLL);
            continue;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if is_retry(&e) => continue,
            Err(_) => {
                registration.conn.close(); // a reset: close both sides
                return;
            }
        };
        // The mode is checked again after the delay: a chunk is discarded if a black hole
        // opened while it was delayed.
        if shared.mode() == FaultMode::BlackHole
            || !registration.sleep(shared.delay())
            || shared.mode() == FaultMode::BlackHole
        {
            continue;
        }
        if !registration.write_all(to, &buf[..n]) {
            registration.conn.close();
            return;
        }
    }
    // End-of-stream: a black hole swallows it too, until it closes.
    while shared.mode() == FaultMode::BlackHole && registration.sleep(IO_POLL) {}
    let _ = to.shutdown(Shutdown::Write);
}

/// Reads and discards until end-of-stream, an error, the end of the connection or `until`.
fn drain(registration: &Registration, mut client: &TcpStream, until: Option<Instant>) {
    let mut buf = [0u8; 4096];
    while !registration.done() && until.map_or(true, |t| Instant::now() < t) {
        match client.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if is_retry(&e) => {}
            Err(_) => return,
        }
    }
}

/// Reads the request head, answers with an HTTP error status and closes ([`FaultMode::HttpError`]).
fn http_error(registration: &Registration, mut client: &TcpStream, code: u16) {
    let deadline = Instant::now() + HEAD_TIMEOUT;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < HEAD_LIMIT {
        if registration.done() || Instant::now() >= deadline {
            break; // too slow: answer anyway
        }
        match client.read(&mut buf) {
            Ok(0) => return, // the client is gone
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if is_retry(&e) => {}
            Err(_) => return,
        }
    }
    let response = format!(
        "HTTP/1.1 {code} {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        reason(code)
    );
    if !registration.write_all(client, response.as_bytes()) {
        return;
    }
    let _ = client.shutdown(Shutdown::Write);
    // Drain until the client closes (bounded), so that the answer is not lost to a reset.
    drain(registration, client, Some(Instant::now() + LINGER));
}

/// The reason phrase of an HTTP status code (a generic one for unusual codes).
fn reason(code: u16) -> &'static str {
    match code {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        426 => "Upgrade Required",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ if code < 400 => "Unexpected",
        _ if code < 500 => "Client Error",
        _ => "Server Error",
    }
}
