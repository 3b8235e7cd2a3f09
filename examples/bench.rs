//! Client benchmark: call latency and throughput, publish-to-event rate and loss, connect+join
//! time, client CPU per call, and resident memory, against a real router.
//!
//! ```sh
//! cargo build --release --examples
//! target/release/examples/bench                             # starts a local Crossbar.io
//! target/release/examples/bench --router ours                # starts our router (wamp-router)
//! target/release/examples/bench --url rs://127.0.0.1:8081 --serializer msgpack
//! ```
//!
//! `--role router` only starts a local Crossbar.io, prints its RawSocket and WebSocket URLs
//! and keeps it running until standard input closes; `--role ours-router` does the same with
//! our router (realm1 as the harness configures it on Crossbar.io).
//!
//! Options: `--url URL` (default: start a local router), `--router crossbar|ours` (the local
//! router: Crossbar.io through the test harness, the default, or ours, wamp-router, in a child
//! process of this program, `--role ours-router`, so that the CPU measured is the client's
//! alone; `--router-threads N`: its tokio worker threads, default one per core; the
//! reconnect phase kills and restarts a router of its own of the same kind, ours in this
//! process through the test harness, `wamp_suite::Ours`),
//! `--serializer json|msgpack|cbor` (default msgpack), `--calls N` (sequential calls, default
//! 5000), `--pipelined N` (pipelined calls, default 100000), `--window N` (calls in flight,
//! default 1000), `--events N` (default 100000), `--runtime multi|current` (the tokio runtime
//! flavour, default multi).
//!
//! The callee runs in a separate process (this program with `--role callee`) so that the CPU
//! time measured is the caller's alone; memory is measured in a fresh process of a minimal
//! client, `examples/memory_probe.rs` (build both with `cargo build --release --examples`). Every loop is bounded in count and time. The figures are printed, never
//! asserted.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cpu_time::ProcessTime;
use wamp_client::{
    Invocation, JoinOptions, Payload, Session, SubscribeOptions, TransportConfig, WampError,
};
use wamp_core::serializer;
use wamp_suite::RouterKind;

#[path = "support/ours_child.rs"]
mod ours_child;
#[allow(dead_code)] // shared with router_bench, which reads more of /proc
#[path = "support/procfs.rs"]
mod procfs;

/// Bound on every measured phase.
const PHASE_LIMIT: Duration = Duration::from_secs(60);

struct Args {
    url: Option<String>,
    router: String,
    router_threads: Option<usize>,
    serializer: String,
    role: String,
    calls: usize,
    pipelined: usize,
    window: usize,
    events: usize,
    runtime: String,
}

const USAGE: &str =
    "usage: bench [--url URL | --router crossbar|ours [--router-threads N]] [--serializer json|msgpack|cbor] [--runtime multi|current] \
[--calls N] [--pipelined N] [--window N] [--events N] | bench --role router|ours-router";

fn parse_args() -> Args {
    let mut a = Args {
        url: None,
        router: "crossbar".into(),
        router_threads: None,
        serializer: "msgpack".into(),
        role: "main".into(),
        calls: 5000,
        pipelined: 100_000,
        window: 1000,
        events: 100_000,
        runtime: "multi".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = Some(value()),
            "--router" => a.router = value(),
            "--router-threads" => {
                a.router_threads = Some(value().parse().expect("--router-threads N"))
            }
            "--serializer" => a.serializer = value(),
            "--role" => a.role = value(),
            "--calls" => a.calls = value().parse().expect("--calls N"),
            "--pipelined" => a.pipelined = value().parse().expect("--pipelined N"),
            "--window" => a.window = value().parse().expect("--window N"),
            "--events" => a.events = value().parse().expect("--events N"),
            "--runtime" => a.runtime = value(),
            "--bench" => {} // passed by `cargo bench`
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown option {other}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    a
}

fn transport(url: &str, ser: &str) -> TransportConfig {
    TransportConfig::new(url)
        .expect("valid URL")
        .serializers(vec![
            serializer::by_name(ser).expect("json, msgpack or cbor")
        ])
}

async fn join(url: &str, ser: &str) -> Session {
    Session::join(&transport(url, ser), JoinOptions::new("realm1"))
        .await
        .expect("join the router")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// How the floor client waits for the router.
#[derive(Clone, Copy)]
enum Wait {
    /// Blocking reads: a write and a read per call, the least the kernel allows.
    Blocking,
    /// A non-blocking socket and `epoll_wait` (through mio) before a read when the last read
    /// drained the socket, as every event loop reads (tokio too): a write, a wait and a read
    /// per call, the floor of any client that serves more than one socket or task from one
    /// thread.
    Readiness,
}

/// The floor client's socket.
enum FloorSocket {
    Blocking(std::net::TcpStream),
    Readiness {
        sock: mio::net::TcpStream,
        poll: mio::Poll,
        events: mio::Events,
        /// Whether the socket may hold bytes (the last read filled its buffer).
        readable: bool,
    },
}

impl FloorSocket {
    fn new(sock: std::net::TcpStream, wait: Wait) -> std::io::Result<Self> {
        Ok(match wait {
            Wait::Blocking => {
                sock.set_read_timeout(Some(Duration::from_secs(10)))?;
                FloorSocket::Blocking(sock)
            }
            Wait::Readiness => {
                sock.set_nonblocking(true)?;
                let mut sock = mio::net::TcpStream::from_std(sock);
                let poll = mio::Poll::new()?;
                poll.registry().register(
                    &mut sock,
                    mio::Token(0),
                    mio::Interest::READABLE | mio::Interest::WRITABLE,
                )?;
                FloorSocket::Readiness {
                    sock,
                    poll,
                    events: mio::Events::with_capacity(4),
                    readable: false,
                }
            }
        })
    }

    /// Waits (at most 10 s) for an event of the socket.
    fn wait(poll: &mut mio::Poll, events: &mut mio::Events) -> std::io::Result<()> {
        poll.poll(events, Some(Duration::from_secs(10)))?;
        if events.is_empty() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        Ok(())
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        match self {
            FloorSocket::Blocking(sock) => sock.write_all(bytes),
            FloorSocket::Readiness {
                sock, poll, events, ..
            } => {
                for _ in 0..100_000 {
                    if bytes.is_empty() {
                        return Ok(());
                    }
                    match sock.write(bytes) {
                        Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                        Ok(n) => bytes = &bytes[n..],
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            Self::wait(poll, events)?
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(std::io::ErrorKind::TimedOut.into())
            }
        }
    }
}

impl std::io::Read for FloorSocket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            FloorSocket::Blocking(sock) => sock.read(buf),
            FloorSocket::Readiness {
                sock,
                poll,
                events,
                readable,
            } => {
                for _ in 0..1000 {
                    if !*readable {
                        Self::wait(poll, events)?;
                        *readable = true;
                    }
                    match sock.read(buf) {
                        Ok(n) => {
                            // A short read drained the socket: wait before the next.
                            *readable = n == buf.len();
                            return Ok(n);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => *readable = false,
                        Err(e) => return Err(e),
                    }
                }
                Err(std::io::ErrorKind::TimedOut.into())
            }
        }
    }
}

/// Appends `msg` to `out` as a RawSocket message frame (`encoded` is scratch space).
fn frame(
    serializer: &dyn serializer::Serializer,
    msg: &wamp_core::message::Message,
    encoded: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Option<()> {
    use wamp_core::framing::rawsocket::{encode_header, TYPE_MESSAGE};
    encoded.clear();
    serializer.encode(msg, encoded).ok()?;
    out.extend_from_slice(&encode_header(TYPE_MESSAGE, encoded.len()));
    out.extend_from_slice(encoded);
    Some(())
}

/// The payload length of a RawSocket frame header.
fn frame_len(header: [u8; 4]) -> Option<usize> {
    use wamp_core::framing::rawsocket::{parse_header, MAX_LEN};
    parse_header(header, MAX_LEN).ok().map(|h| h.len)
}

/// The CALL of `bench.echo` that every client of the benchmark makes, with request id `request`.
fn echo_call(request: u64) -> wamp_core::message::Message {
    use wamp_core::{Dict, Value};
    wamp_core::message::Message::Call {
        request,
        options: Dict::new(),
        procedure: "bench.echo".into(),
        args: vec![Value::Int(1), Value::from("two"), Value::Float(3.0)],
        kwargs: Dict::new(),
    }
}

/// A minimal client for the floors: no runtime and no session logic: RawSocket over TCP,
/// messages encoded with the serializer into one reused buffer, reads through a 64 KiB
/// buffer.
struct FloorClient {
    reader: BufReader<FloorSocket>,
    serializer: Arc<dyn wamp_core::serializer::Serializer>,
    encoded: Vec<u8>,
    out: Vec<u8>,
    body: Vec<u8>,
    request: u64,
}

impl FloorClient {
    /// Connects to `url` (rs:// only) and joins realm1.
    fn join(url: &str, ser: &str, wait: Wait) -> Option<Self> {
        use wamp_core::message::Message;
        use wamp_core::{Dict, Value};

        let addr = url.strip_prefix("rs://")?;
        let serializer = serializer::by_name(ser)?;
        let sock = std::net::TcpStream::connect(addr).ok()?;
        sock.set_nodelay(true).ok()?;
        let mut reader = BufReader::with_capacity(1 << 16, FloorSocket::new(sock, wait).ok()?);
        reader
            .get_mut()
            .write_all(&[0x7f, 0xf0 | serializer.rawsocket_id(), 0, 0])
            .ok()?;
        let mut hs = [0u8; 4];
        std::io::Read::read_exact(&mut reader, &mut hs).ok()?;
        let mut client = FloorClient {
            reader,
            serializer,
            encoded: Vec::new(),
            out: Vec::new(),
            body: Vec::new(),
            request: 0,
        };
        let mut details = Dict::new();
        details.insert(
            "roles".into(),
            Value::Dict(wamp_core::session::default_roles()),
        );
        client.queue(&Message::Hello {
            realm: "realm1".into(),
            details,
        })?;
        client.flush()?;
        matches!(client.recv()?, Message::Welcome { .. }).then_some(client)
    }

    fn queue(&mut self, msg: &wamp_core::message::Message) -> Option<()> {
        frame(&*self.serializer, msg, &mut self.encoded, &mut self.out)
    }

    fn queue_call(&mut self) -> Option<()> {
        self.request += 1;
        self.queue(&echo_call(self.request))
    }

    /// The joined socket and the serializer, for a client of another kind to go on with.
    fn into_parts(self) -> Option<(std::net::TcpStream, Arc<dyn serializer::Serializer>)> {
        if !self.reader.buffer().is_empty() {
            return None;
        }
        match self.reader.into_inner() {
            FloorSocket::Blocking(sock) => Some((sock, self.serializer)),
            FloorSocket::Readiness { .. } => None,
        }
    }

    fn flush(&mut self) -> Option<()> {
        self.reader.get_mut().write_all(&self.out).ok()?;
        self.out.clear();
        Some(())
    }

    fn recv(&mut self) -> Option<wamp_core::message::Message> {
        use std::io::Read;
        let mut h = [0u8; 4];
        self.reader.read_exact(&mut h).ok()?;
        self.body.resize(frame_len(h)?, 0);
        self.reader.read_exact(&mut self.body).ok()?;
        self.serializer.decode(&self.body).ok()
    }

    /// `window` calls written at once, then their results read.
    fn calls(&mut self, window: usize) -> Option<()> {
        for _ in 0..window {
            self.queue_call()?;
        }
        self.flush()?;
        for _ in 0..window {
            self.recv()?;
        }
        Some(())
    }
}

/// A floor: the CPU the minimal client spends per call on this machine on one thread,
/// waiting as `wait` says. Sequential (one call per round trip), then batched (`window` calls
/// written at once, then their results read).
fn raw_floor(url: &str, ser: &str, calls: usize, window: usize, wait: Wait) -> Option<(f64, f64)> {
    let mut client = FloorClient::join(url, ser, wait)?;
    let cpu = ProcessTime::now();
    for _ in 0..calls {
        client.calls(1)?;
    }
    let sequential = cpu.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64;
    let rounds = (calls * 10 / window.max(1)).max(1);
    let cpu = ProcessTime::now();
    for _ in 0..rounds {
        client.calls(window)?;
    }
    let batched = cpu.elapsed().as_secs_f64() * 1e6 / (rounds * window.max(1)) as f64;
    Some((sequential, batched))
}

/// The hand-off floor: the minimal blocking client on a thread of its own, asked for each
/// sequential call by the calling thread through a channel and answering through another,
/// as a call from `block_on` (`#[tokio::main]`) to a session's task on a worker of the
/// multi-thread runtime crosses threads. CPU per call, both threads counted.
fn handoff_floor(url: &str, ser: &str, calls: usize) -> Option<f64> {
    let mut client = FloorClient::join(url, ser, Wait::Blocking)?;
    let (ask, asked) = std::sync::mpsc::sync_channel::<()>(1);
    let (answer, answered) = std::sync::mpsc::sync_channel::<bool>(1);
    let io = std::thread::spawn(move || {
        while asked.recv().is_ok() {
            if answer.send(client.calls(1).is_some()).is_err() {
                break;
            }
        }
    });
    let cpu = ProcessTime::now();
    let mut ok = true;
    for _ in 0..calls {
        ok = ask.send(()).is_ok()
            && answered
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or(false);
        if !ok {
            break;
        }
    }
    let per_call = cpu.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64;
    drop(ask);
    let _ = io.join();
    ok.then_some(per_call)
}

/// The async floor: the least a tokio client shaped like ours can cost on the runtime it runs
/// on. One task owns the socket, a table from request id to a oneshot, and a command channel;
/// a call sends its oneshot through the channel and awaits it. No session logic, no options,
/// no deadlines: the channels, the wake-ups and the IO that every call from a task of its own
/// must pay on this runtime. CPU per call: `calls` sequential calls from the calling task,
/// then `total` calls from `window` tasks.
async fn async_floor(
    url: &str,
    ser: &str,
    calls: usize,
    total: usize,
    window: usize,
) -> Option<(f64, f64)> {
    use std::collections::HashMap;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::{mpsc, oneshot};
    use wamp_core::message::Message;

    let (sock, serializer) = FloorClient::join(url, ser, Wait::Blocking)?.into_parts()?;
    sock.set_nonblocking(true).ok()?;
    let mut stream = tokio::net::TcpStream::from_std(sock).ok()?;
    let window = window.max(1);
    let (calls_tx, mut calls_rx) = mpsc::channel::<oneshot::Sender<()>>(window * 2);
    let io = tokio::spawn(async move {
        let mut pending: HashMap<u64, oneshot::Sender<()>> = HashMap::new();
        let (mut input, mut filled) = (vec![0u8; 1 << 16], 0);
        let (mut out, mut encoded, mut request) = (Vec::new(), Vec::new(), 0u64);
        loop {
            tokio::select! {
                call = calls_rx.recv() => {
                    let mut next = call;
                    if next.is_none() {
                        break;
                    }
                    while let Some(reply) = next {
                        request += 1;
                        pending.insert(request, reply);
                        if frame(&*serializer, &echo_call(request), &mut encoded, &mut out).is_none() {
                            return;
                        }
                        next = calls_rx.try_recv().ok();
                    }
                    if stream.write_all(&out).await.is_err() {
                        return;
                    }
                    out.clear();
                }
                read = stream.read(&mut input[filled..]) => {
                    match read {
                        Ok(0) | Err(_) => return,
                        Ok(n) => filled += n,
                    }
                    let mut at = 0;
                    while filled - at >= 4 {
                        let header = [input[at], input[at + 1], input[at + 2], input[at + 3]];
                        let Some(len) = frame_len(header) else {
                            return;
                        };
                        if filled - at - 4 < len {
                            break;
                        }
                        if let Ok(Message::Result { request, .. }) =
                            serializer.decode(&input[at + 4..at + 4 + len])
                        {
                            if let Some(reply) = pending.remove(&request) {
                                let _ = reply.send(());
                            }
                        }
                        at += 4 + len;
                    }
                    input.copy_within(at..filled, 0);
                    filled -= at;
                    if filled == input.len() {
                        input.resize(input.len() * 2, 0);
                    }
                }
            }
        }
    });
    let call = |calls_tx: mpsc::Sender<oneshot::Sender<()>>| async move {
        let (reply, replied) = oneshot::channel();
        calls_tx.send(reply).await.ok()?;
        tokio::time::timeout(Duration::from_secs(10), replied)
            .await
            .ok()?
            .ok()
    };
    let cpu = ProcessTime::now();
    for _ in 0..calls {
        call(calls_tx.clone()).await?;
    }
    let sequential = cpu.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64;
    let per_task = total / window;
    let cpu = ProcessTime::now();
    let tasks: Vec<_> = (0..window)
        .map(|_| {
            let calls_tx = calls_tx.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    call(calls_tx.clone()).await?;
                }
                Some(())
            })
        })
        .collect();
    let mut ok = true;
    for task in tasks {
        ok &= matches!(task.await, Ok(Some(())));
    }
    let pipelined = cpu.elapsed().as_secs_f64() * 1e6 / (per_task * window).max(1) as f64;
    drop(calls_tx);
    let _ = tokio::time::timeout(Duration::from_secs(10), io).await;
    ok.then_some((sequential, pipelined))
}

/// Sequential calls of the client and of the blocking floor in turns, `ROUNDS` rounds each, so
/// that the machine's drift (other processes, frequency, the router's pace) moves both alike:
/// the steadiest form of the ratio of their CPU per call.
async fn interleaved_ratio(
    session: &Session,
    payload: &Payload,
    url: &str,
    ser: &str,
    calls: usize,
) {
    const ROUNDS: usize = 20;
    let Some(mut floor) = FloorClient::join(url, ser, Wait::Blocking) else {
        println!("interleaved ratio: not measured (needs an rs:// URL)");
        return;
    };
    let per_round = (calls / ROUNDS).max(1);
    let (mut ratios, mut ours_total, mut floor_total) = (Vec::new(), 0.0, 0.0);
    let t = Instant::now();
    for _ in 0..ROUNDS {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        let cpu = ProcessTime::now();
        for _ in 0..per_round {
            session
                .call_with("bench.echo", payload.clone(), Default::default())
                .await
                .expect("call");
        }
        let ours = cpu.elapsed().as_secs_f64();
        let cpu = ProcessTime::now();
        for _ in 0..per_round {
            if floor.calls(1).is_none() {
                println!("interleaved ratio: the floor client lost its connection");
                return;
            }
        }
        let theirs = cpu.elapsed().as_secs_f64();
        ratios.push(ours / theirs.max(1e-9));
        ours_total += ours;
        floor_total += theirs;
    }
    ratios.sort_by(f64::total_cmp);
    let done = (ratios.len() * per_round).max(1) as f64;
    println!(
        "sequential, interleaved with the blocking floor ({} rounds of {per_round} calls): client {:.2} us, floor {:.2} us CPU per call; client/floor {:.2}x overall, median round {:.2}x (rounds {:.2}x to {:.2}x)",
        ratios.len(),
        ours_total * 1e6 / done,
        floor_total * 1e6 / done,
        ours_total / floor_total.max(1e-9),
        ratios.get(ratios.len() / 2).copied().unwrap_or(0.0),
        ratios.first().copied().unwrap_or(0.0),
        ratios.last().copied().unwrap_or(0.0),
    );
}

/// Passes every message on unchanged: what the chain costs when it does nothing.
struct NoOp;

impl wamp_client::Interceptor for NoOp {}

/// CPU per call of a session with one no-op interceptor against `plain` (no interceptor),
/// in interleaved rounds (the machine's drift hits both alike): sequential calls, then
/// batches of 100 calls in flight.
async fn interceptor_cost(plain: &Session, payload: &Payload, url: &str, ser: &str, calls: usize) {
    const ROUNDS: usize = 20;
    const BATCH: usize = 100;
    let options =
        JoinOptions::new("realm1").interceptors(wamp_client::Interceptors::new().push(NoOp));
    let intercepted = Session::join(&transport(url, ser), options)
        .await
        .expect("join the router");
    let per_round = (calls / ROUNDS).max(BATCH);
    let sequential = |s: Session| {
        let p = payload.clone();
        async move {
            let cpu = ProcessTime::now();
            for _ in 0..per_round {
                s.call_with("bench.echo", p.clone(), Default::default())
                    .await
                    .expect("call");
            }
            cpu.elapsed().as_secs_f64()
        }
    };
    let batched = |s: Session| {
        let p = payload.clone();
        async move {
            let cpu = ProcessTime::now();
            for _ in 0..per_round / BATCH {
                let calls =
                    (0..BATCH).map(|_| s.call_with("bench.echo", p.clone(), Default::default()));
                for r in futures_util::future::join_all(calls).await {
                    r.expect("call");
                }
            }
            cpu.elapsed().as_secs_f64()
        }
    };
    let (mut seq, mut bat) = ([0.0f64; 2], [0.0f64; 2]);
    let t = Instant::now();
    let mut rounds = 0;
    for _ in 0..ROUNDS {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        seq[0] += sequential(plain.clone()).await;
        seq[1] += sequential(intercepted.clone()).await;
        bat[0] += batched(plain.clone()).await;
        bat[1] += batched(intercepted.clone()).await;
        rounds += 1;
    }
    let n = (rounds * per_round).max(1) as f64;
    let us = |total: f64| total * 1e6 / n;
    println!(
        "one no-op interceptor ({rounds} interleaved rounds of {per_round} calls): sequential {:.2} vs {:.2} us CPU per call ({:+.1}%), {BATCH} in flight {:.2} vs {:.2} us ({:+.1}%)",
        us(seq[1]),
        us(seq[0]),
        (seq[1] / seq[0].max(1e-12) - 1.0) * 100.0,
        us(bat[1]),
        us(bat[0]),
        (bat[1] / bat[0].max(1e-12) - 1.0) * 100.0,
    );
    let _ = intercepted.leave().await;
}

/// `--role callee`: registers `bench.echo` and serves until stdin closes.
async fn callee(url: &str, ser: &str) {
    let session = join(url, ser).await;
    session
        .register("bench.echo", |inv: Invocation| async move {
            Ok::<_, WampError>(inv.payload)
        })
        .await
        .expect("register bench.echo");
    println!("READY");
    std::io::stdout().flush().ok();
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await
    .ok();
    let _ = session.leave().await;
}

fn spawn_role(role: &str, url: &str, ser: &str, runtime: &str) -> std::process::Child {
    let exe = std::env::current_exe().expect("own path");
    Command::new(exe)
        .args([
            "--role",
            role,
            "--url",
            url,
            "--serializer",
            ser,
            "--runtime",
            runtime,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn a benchmark helper process")
}

fn read_line_with_prefix(child: &mut std::process::Child, prefix: &str) -> String {
    let out = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(out);
    let deadline = Instant::now() + PHASE_LIMIT;
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(rest) = line.trim_end().strip_prefix(prefix) {
            let rest = rest.trim().to_owned();
            child.stdout = None;
            // Keep draining in the background so the child never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut sink = String::new();
                while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                    sink.clear();
                }
            });
            return rest;
        }
    }
    panic!("helper process did not print {prefix}");
}

async fn run_main(args: &Args, url: &str) {
    let ser = args.serializer.as_str();
    println!(
        "router {url}, serializer {ser}, tokio runtime {}",
        args.runtime
    );

    // Connect + join.
    let mut joins = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let s = join(url, ser).await;
        joins.push(t.elapsed());
        let _ = s.leave().await;
    }
    joins.sort();
    println!(
        "connect+join: p50 {:.2} ms, p99 {:.2} ms (20 joins)",
        percentile(&joins, 0.5).as_secs_f64() * 1e3,
        percentile(&joins, 0.99).as_secs_f64() * 1e3
    );

    let mut callee = spawn_role("callee", url, ser, &args.runtime);
    read_line_with_prefix(&mut callee, "READY");
    let session = join(url, ser).await;
    let payload = Payload::args(&(1, "two", 3.0)).expect("payload");

    if std::env::var_os("WAMP_BENCH_SHOW_RESULT").is_some() {
        let r = session
            .call_with("bench.echo", payload.clone(), Default::default())
            .await
            .expect("call");
        println!("RESULT details {:?}", r.details);
    }
    // Warm up.
    for _ in 0..200 {
        session
            .call_with("bench.echo", payload.clone(), Default::default())
            .await
            .expect("call");
    }

    // Sequential calls.
    let mut lat = Vec::with_capacity(args.calls);
    let cpu = ProcessTime::now();
    let t = Instant::now();
    for _ in 0..args.calls {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        let c = Instant::now();
        session
            .call_with("bench.echo", payload.clone(), Default::default())
            .await
            .expect("call");
        lat.push(c.elapsed());
    }
    let wall = t.elapsed();
    let cpu = cpu.elapsed();
    let n = lat.len();
    let sequential_cpu = cpu.as_secs_f64() * 1e6 / n.max(1) as f64;
    lat.sort();
    println!(
        "sequential calls: {n} in {:.2} s = {:.0} calls/s, latency p50 {:.1} us, p99 {:.1} us, client CPU {:.2} us/call",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e6,
        percentile(&lat, 0.99).as_secs_f64() * 1e6,
        sequential_cpu
    );
    interleaved_ratio(&session, &payload, url, ser, args.calls).await;
    interceptor_cost(&session, &payload, url, ser, args.calls).await;

    // Pipelined calls: `window` in flight.
    let total = args.pipelined;
    let window = args.window.max(1);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let cpu = ProcessTime::now();
    let t = Instant::now();
    let per_task = total / window;
    let tasks: Vec<_> = (0..window)
        .map(|_| {
            let s = session.clone();
            let p = payload.clone();
            let done = done.clone();
            let failed = failed.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                for _ in 0..per_task {
                    if start.elapsed() > PHASE_LIMIT {
                        break;
                    }
                    match s
                        .call_with("bench.echo", p.clone(), Default::default())
                        .await
                    {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let wall = t.elapsed();
    let cpu = cpu.elapsed();
    let n = done.load(Ordering::Relaxed);
    let pipelined_cpu = cpu.as_secs_f64() * 1e6 / n.max(1) as f64;
    println!(
        "pipelined calls ({window} in flight): {n} in {:.2} s = {:.0} calls/s, {} failed, client CPU {:.2} us/call",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        failed.load(Ordering::Relaxed),
        pipelined_cpu
    );

    // The floors for comparison: minimal clients on this machine, blocking, waiting for
    // readiness, and handing each call to a thread of their own.
    let n = args.calls.min(5000);
    match (
        raw_floor(url, ser, n, window, Wait::Blocking),
        raw_floor(url, ser, n, window, Wait::Readiness),
        handoff_floor(url, ser, n),
    ) {
        (Some((seq, batched)), Some((ready_seq, ready_batched)), Some(handoff)) => {
            println!(
                "floor (blocking RawSocket client, no runtime, one thread): {seq:.2} us CPU per sequential call, {batched:.2} us per call in batches of {window}"
            );
            println!(
                "readiness floor (the same, non-blocking, epoll_wait before a read): {ready_seq:.2} us CPU per sequential call, {ready_batched:.2} us per call in batches of {window}"
            );
            println!(
                "hand-off floor (the blocking client on its own thread, each call handed to it): {handoff:.2} us CPU per sequential call"
            );
            // The machine's speed moves the floors and the client together; the ratios are
            // the steadier figures from run to run.
            println!(
                "client CPU relative to the floor: sequential {:.2}x, pipelined {:.2}x; to the readiness floor: sequential {:.2}x, pipelined {:.2}x; to the hand-off floor: sequential {:.2}x",
                sequential_cpu / seq,
                pipelined_cpu / batched,
                sequential_cpu / ready_seq,
                pipelined_cpu / ready_batched,
                sequential_cpu / handoff
            );
        }
        _ => println!("floor: not measured (needs an rs:// URL)"),
    }
    match async_floor(url, ser, n, args.pipelined, window).await {
        Some((seq, pipelined)) => println!(
            "async floor (a minimal tokio client shaped like ours, {} runtime): {seq:.2} us CPU per sequential call, {pipelined:.2} us per pipelined call ({window} tasks); client CPU relative to it: sequential {:.2}x, pipelined {:.2}x",
            args.runtime,
            sequential_cpu / seq,
            pipelined_cpu / pipelined
        ),
        None => println!("async floor: not measured (needs an rs:// URL)"),
    }

    // Publications alone (nobody subscribed): what one costs the publisher, fire-and-forget
    // (queued and returned; the session's task encodes and writes them, and its CPU counts:
    // the acknowledged publication after them waits until they are all written), then
    // acknowledged ones, one at a time.
    let n = (args.events as u64).min(50_000);
    let cpu = ProcessTime::now();
    let t = Instant::now();
    for i in 0..n {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        session
            .publish("bench.nobody", (i, "event"))
            .await
            .expect("publish");
    }
    session
        .publish_with(
            "bench.nobody",
            Payload::new(),
            wamp_client::PublishOptions::acknowledged(),
        )
        .await
        .expect("acknowledged publish");
    println!(
        "publish, fire-and-forget: {n} in {:.3} s, client CPU {:.2} us/event",
        t.elapsed().as_secs_f64(),
        cpu.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64
    );
    let acked = (args.calls as u64).min(5_000);
    let mut lat = Vec::with_capacity(acked as usize);
    let cpu = ProcessTime::now();
    let t = Instant::now();
    for i in 0..acked {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        let c = Instant::now();
        session
            .publish_with(
                "bench.nobody",
                Payload::args(&(i, "event")).expect("payload"),
                wamp_client::PublishOptions::acknowledged(),
            )
            .await
            .expect("acknowledged publish");
        lat.push(c.elapsed());
    }
    lat.sort();
    println!(
        "publish, acknowledged, one at a time: {} in {:.2} s, latency p50 {:.1} us, client CPU {:.2} us/event",
        lat.len(),
        t.elapsed().as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e6,
        cpu.elapsed().as_secs_f64() * 1e6 / lat.len().max(1) as f64
    );

    // Publish -> event, at full speed, fire-and-forget.
    let subscriber = join(url, ser).await;
    let received = Arc::new(AtomicU64::new(0));
    let r = received.clone();
    let sub = subscriber
        .subscribe_with(
            "bench.topic",
            SubscribeOptions::default().queue_capacity(args.events.max(1)),
            move |_e: wamp_client::Event| {
                r.fetch_add(1, Ordering::Relaxed);
                async {}
            },
        )
        .await
        .expect("subscribe");
    let events = args.events as u64;
    let t = Instant::now();
    for i in 0..events {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        session
            .publish("bench.topic", (i, "event"))
            .await
            .expect("publish");
    }
    let published_in = t.elapsed();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = 0;
    let mut idle_since = Instant::now();
    while received.load(Ordering::Relaxed) < events && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = received.load(Ordering::Relaxed);
        if now != last {
            last = now;
            idle_since = Instant::now();
        } else if idle_since.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    let wall = t.elapsed();
    let got = received.load(Ordering::Relaxed);
    println!(
        "publish->event: {events} published in {:.2} s, {got} received in {:.2} s = {:.0} events/s, lost {}, dropped by the client {}",
        published_in.as_secs_f64(),
        wall.as_secs_f64(),
        got as f64 / wall.as_secs_f64(),
        events - got.min(events),
        sub.dropped()
    );
    let _ = subscriber.leave().await;
    let _ = session.leave().await;
    drop(callee.stdin.take());
    let _ = callee.wait();

    // Memory, in a fresh process of a minimal client binary (examples/memory_probe.rs, built
    // beside this one by `cargo build --release --examples`).
    let probe_path = std::env::current_exe()
        .expect("own path")
        .with_file_name("memory_probe");
    let Ok(mut probe) = Command::new(&probe_path)
        .args([url, args.runtime.as_str()])
        .stdout(Stdio::piped())
        .spawn()
    else {
        println!(
            "resident memory: not measured, {} missing (cargo build --release --examples)",
            probe_path.display()
        );
        return;
    };
    let line = read_line_with_prefix(&mut probe, "MEMORY");
    let _ = probe.wait();
    let kib: Vec<u64> = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    if let [before, idle, registered] = kib[..] {
        println!(
            "resident memory: {:.2} MiB before joining, {:.2} MiB idle joined, {:.2} MiB with 1000 registrations (+{:.2} MiB)",
            before as f64 / 1024.0,
            idle as f64 / 1024.0,
            registered as f64 / 1024.0,
            registered.saturating_sub(idle) as f64 / 1024.0
        );
    }
    const COMPONENTS: usize = 100;
    if let Ok(mut probe) = Command::new(probe_path.with_file_name("components_probe"))
        .args([url, &COMPONENTS.to_string(), args.runtime.as_str()])
        .stdout(Stdio::piped())
        .spawn()
    {
        let line = read_line_with_prefix(&mut probe, "COMPONENTS");
        let kib: Vec<u64> = line
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        if let [one, all] = kib[..] {
            println!(
                "components: {:.2} MiB with one ready, {:.2} MiB with {} more = {:.1} KiB each (one procedure and one subscription each)",
                one as f64 / 1024.0,
                all as f64 / 1024.0,
                COMPONENTS,
                all.saturating_sub(one) as f64 / COMPONENTS as f64
            );
        }
        let _ = probe.wait();
    }
}

/// Reconnect after a router restart, on a router of its own (of `kind`, through the test
/// harness): how long after the router accepts connections again the component is ready,
/// against the retry delay then in effect.
async fn reconnect_phase(kind: RouterKind, runtime: &str) {
    use wamp_client::{Component, LifecycleEvent};
    let router = tokio::task::spawn_blocking(move || kind.start())
        .await
        .expect("router");
    let router = Arc::new(router);
    for url in [router.rs_url(), router.ws_url()] {
        let comp = Component::builder()
            .name("reconnect")
            .transport(url.as_str())
            .realm("realm1")
            .procedure("bench.reconnect.echo", |inv: Invocation| async move {
                Ok::<_, WampError>(inv.payload)
            })
            .build()
            .expect("component");
        let handle = comp.start();
        // A task of its own reads and timestamps the events as they come, while this one
        // waits for the router's restart.
        let mut events = handle.events();
        let reader = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(e) = events.next().await {
                seen.push((Instant::now(), e));
            }
            seen
        });
        tokio::time::timeout(PHASE_LIMIT, handle.ready())
            .await
            .expect("ready in time")
            .expect("ready");
        let r = router.clone();
        tokio::task::spawn_blocking(move || r.kill())
            .await
            .expect("kill");
        let killed = Instant::now();
        // Restart after a while, as after a real outage, so that a retry delay is running.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let r = router.clone();
        tokio::task::spawn_blocking(move || r.restart())
            .await
            .expect("restart");
        let up = Instant::now();
        let deadline = Instant::now() + PHASE_LIMIT;
        while handle.session().map_or(true, |_| !handle.is_ready()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = handle.stop().await;
        let seen = reader.await.unwrap_or_default();
        let ready = seen
            .iter()
            .filter(|(_, e)| matches!(e, LifecycleEvent::Ready { .. }))
            .map(|(t, _)| *t)
            .nth(1);
        let last_retry = seen
            .iter()
            .rfind(|(t, e)| matches!(e, LifecycleEvent::Retry { .. }) && Some(*t) < ready);
        if let (Some(ready), Some((at, LifecycleEvent::Retry { delay, .. }))) = (ready, last_retry)
        {
            let fired = *at + *delay;
            println!(
                "reconnect over {url} ({runtime}): ready {:.0} ms after the router accepted again (restarted {:.1} s after the kill); the retry delay then in effect was {:.0} ms (target: ready within it + 50 ms); ready {:.1} ms after that retry fired",
                ready.duration_since(up).as_secs_f64() * 1e3,
                up.duration_since(killed).as_secs_f64(),
                delay.as_secs_f64() * 1e3,
                ready.saturating_duration_since(fired).as_secs_f64() * 1e3,
            );
        } else {
            println!("reconnect over {url}: not ready again within {PHASE_LIMIT:?}");
        }
    }
}

fn main() {
    let args = parse_args();
    if args.role == "ours-router" {
        // Before any runtime of the client's: the router process holds the router alone.
        ours_child::serve(args.router_threads);
        return;
    }
    let runtime = match args.runtime.as_str() {
        "current" => tokio::runtime::Builder::new_current_thread(),
        "multi" => tokio::runtime::Builder::new_multi_thread(),
        other => panic!("--runtime current|multi, not {other}"),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    let url_given = args.url.clone();
    match args.role.as_str() {
        "callee" => runtime.block_on(callee(
            url_given.as_deref().expect("--url"),
            &args.serializer,
        )),
        "router" => {
            // Keeps a local Crossbar.io running for manual runs until stdin closes.
            let router = wamp_suite::Router::start();
            println!("{}\n{}", router.rs_url(), router.ws_url());
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        }
        _ => {
            let kind = match args.router.as_str() {
                "crossbar" => RouterKind::Crossbar,
                "ours" => RouterKind::Ours,
                other => {
                    eprintln!("--router crossbar|ours, not {other}\n{USAGE}");
                    std::process::exit(2);
                }
            };
            let crossbar = (url_given.is_none() && kind == RouterKind::Crossbar)
                .then(wamp_suite::Router::start);
            let ours = (url_given.is_none() && kind == RouterKind::Ours).then(|| {
                let threads = args.router_threads.map(|n| n.to_string());
                let extra: Vec<String> = threads
                    .into_iter()
                    .flat_map(|n| ["--router-threads".to_string(), n])
                    .collect();
                ours_child::OursChild::spawn(&extra)
            });
            if let Some(ours) = &ours {
                println!(
                    "our router (wamp-router) in a child process, pid {}, {}",
                    ours.pid(),
                    ours.ws_url
                );
            }
            let url = url_given.unwrap_or_else(|| {
                crossbar
                    .as_ref()
                    .map(|r| r.rs_url())
                    .or_else(|| ours.as_ref().map(|r| r.rs_url.clone()))
                    .unwrap_or_default()
            });
            runtime.block_on(run_main(&args, &url));
            drop(crossbar);
            drop(ours);
            if args.url.is_none() {
                runtime.block_on(reconnect_phase(kind, &args.runtime));
            } else {
                println!("reconnect: not measured (needs the local router: run without --url)");
            }
        }
    }
}
