//! Router benchmark: our router (wamp-router) against Crossbar.io 26.10.1, measured in one run
//! with the same clients, and a raw two-hop relay as the physical floor.
//!
//! ```sh
//! cargo build --release --examples && target/release/examples/router_bench
//! target/release/examples/router_bench --quick            # a smoke run of a few seconds per router
//! target/release/examples/router_bench --router ours      # one router only
//! ```
//!
//! Crossbar.io starts through the test harness (`wamp_suite::Router::start`, which installs it
//! into a virtualenv on first use); our router runs in a child process (this program with
//! `--role ours-router`, realm1 configured as the harness configures it on Crossbar.io: every
//! permission, caller and publisher disclosed), so that the router's CPU can be read from
//! `/proc` apart from the clients'. Both are reached over RawSocket (TCP, loopback) with
//! MessagePack unless `--serializer` says otherwise.
//!
//! For each router, in this order:
//!
//! - **idle RSS**: the resident memory of the router's process tree (Crossbar.io: controller
//!   and router worker) a second after it accepts connections, before any session; RSS is
//!   the figure compared. Its PSS is printed beside it (shared pages counted in part: fairer
//!   for Crossbar.io's two Python processes, but our router child shares this program's code
//!   pages with the benchmark process, so its PSS understates);
//! - **RSS per idle session**: `--sessions N` (1000) minimal RawSocket sessions joined (HELLO,
//!   WELCOME, nothing else), the tree's resident memory read before and after, divided by N;
//!   `wamp.session.count` confirms that they are joined;
//! - **sequential calls/s**: our client (wamp-client) calls `bench.echo` on a callee of ours in
//!   a child process (`--role callee`), one call at a time, `--calls N` (5000), as
//!   `examples/bench.rs` does; **router CPU per call**: the user and system time of the
//!   router's process tree (all threads, from `/proc/PID/task/TID/schedstat`) before and
//!   after the phase, divided by the calls. Then the same calls in 10 rounds taken in turns
//!   with as many round trips through a tokio relay (below) started for the router: the ratio
//!   of the two rates, overall and per round, moves less with the machine's load than rates
//!   measured minutes apart;
//! - **pipelined calls/s**: `--pipelined N` (50000) calls from `--window N` (1000) tasks of the
//!   same session, and the router CPU per call;
//! - **round trips of minimal clients**: a blocking RawSocket caller and callee of no runtime,
//!   sequential (`--raw-calls N`, 5000: what the router alone adds to a round trip, to set
//!   beside the relay's; also in rounds interleaved with the relay's), then pipelined
//!   (`--window` calls written at once, then their results read; the callee answers what one
//!   read brought in one write), with the router's CPU;
//! - **publish→event, one subscriber**: our client's publisher publishes `--events N` (50000)
//!   events fire-and-forget to one subscriber of our client in the same process; events
//!   received per second (from the first publication to the last event), the loss, and
//!   whether the router cut the subscriber off; first at full speed, then **windowed**: the
//!   publisher kept at most `--ahead N` (1000) events ahead of what the subscriber received
//!   (the most a router with bounded queues can be asked to hold for one subscriber);
//! - **publish→event, minimal clients**: the same with a blocking publisher and a subscriber
//!   that counts frames without decoding them, so that the router is the limit;
//! - **fan-out**: one minimal publisher, `--subscribers N` (100) minimal subscribers,
//!   `--fanout-events N` (2000) publications, full speed then windowed (`--fanout-ahead N`,
//!   100 publications): events delivered per second, the loss, subscribers cut off;
//! - **sessions held** (our router only): `--held N` (10000) minimal sessions joined and held
//!   for two seconds, all checked still open and counted by `wamp.session.count`, the router's
//!   RSS with them. The descriptor limit of this process and of the router child is raised to
//!   the hard limit first (`ulimit -n` in a shell that then `exec`s: no `libc`).
//!
//! Then the **relay**: a process (`--role relay`) that accepts two TCP connections and
//! forwards whole RawSocket frames between them, knowing no WAMP: a caller on one side, an
//! echo peer (decodes each message and sends it back) on the other, both the minimal blocking
//! client. Two relays: on a multi-threaded tokio runtime like our router (one task per
//! direction, reading a socket and writing the other), and on two blocking threads; the faster
//! is the floor of a two-hop round trip on this machine. The relay frames as RawSocket does,
//! the transport both routers are measured on (a WebSocket relay pays a little more per frame
//! for masking and the longer header).
//!
//! Router CPU per event is per event delivered: when a router cut subscribers off, the few
//! delivered carry the whole cost and the figure means little.
//!
//! Last, a summary with the ratios and the targets of issue 12 beside them. Every phase is
//! bounded in count and time; figures are printed, never asserted. The machine's load moves
//! them: take figures on a quiet machine.
//!
//! **Pinned runs.** On this 2-vCPU VM a sequential round trip has two speeds, and the kernel
//! picks one: when the router's thread and the clients' threads share a CPU, each wake-up is
//! local (`perf sched timehist`: a router hop runs 13 µs, the woken client waits 4 µs); when
//! the scheduler spreads them over both CPUs, every hop wakes a halted vCPU (the router's
//! `writev` takes 14 µs instead of 6, the woken thread waits 20 µs), and a round trip takes
//! 2.5 times as long. A run flips between the two at random, relay and routers alike, which
//! made sequential ratios measured minutes apart (or even interleaved) move by 2×.
//! `--pin-cpu N` runs the whole benchmark (routers, relays, clients; Crossbar.io's processes
//! too) on CPU `N` only, through `taskset`: sequential figures are then steady to 1–2% and
//! compare the work each router does per call. Pipelined and publish figures of a pinned run
//! deny our router its second core (Crossbar.io uses one anyway): take those from an unpinned
//! run.
//!
//! Options: `--router crossbar|ours|both` (both), `--pin-cpu N`, `--serializer json|msgpack|cbor` (msgpack),
//! `--router-threads N` (our router's tokio workers; default one per core, as `wamp router`),
//! `--client-runtime multi|current` (the tokio runtime of our client's caller and callee
//! processes; default multi, what `#[tokio::main]` gives),
//! `--calls N`, `--pipelined N`, `--window N`, `--raw-calls N`, `--events N`,
//! `--subscribers N`, `--fanout-events N`, `--ahead N`, `--fanout-ahead N`, `--sessions N`,
//! `--held N`, `--relay-calls N`, `--quick` (small counts for a smoke run).
//! `--role raw-load --url rs://HOST:PORT` runs only the minimal clients' calls against a
//! router started elsewhere (to profile it: `--role ours-router` under a profiler). `RUST_LOG=warn`
//! makes our router child log (the slow consumers it cuts off, for instance).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wamp_client::{
    Invocation, JoinOptions, Payload, Session, SubscribeOptions, TransportConfig, WampError,
};
use wamp_core::message::Message;
use wamp_core::{Dict, Value};

#[path = "support/ours_child.rs"]
mod ours_child;
#[path = "support/procfs.rs"]
mod procfs;
#[path = "support/raw_wamp.rs"]
mod raw_wamp;

use raw_wamp::Wire;

/// Bound on every measured phase.
const PHASE_LIMIT: Duration = Duration::from_secs(30);
/// How long the subscribers wait for more events once nothing comes.
const IDLE_LIMIT: Duration = Duration::from_secs(3);
const REALM: &str = "realm1";

const USAGE: &str =
    "usage: router_bench [--router crossbar|ours|both] [--serializer json|msgpack|cbor] \
[--router-threads N] [--calls N] [--pipelined N] [--window N] [--raw-calls N] [--events N] \
[--subscribers N] [--fanout-events N] [--ahead N] [--fanout-ahead N] [--sessions N] [--held N] [--relay-calls N] [--pin-cpu N] [--quick]";

#[derive(Clone)]
struct Args {
    role: String,
    url: Option<String>,
    routers: Vec<String>,
    serializer: String,
    router_threads: Option<usize>,
    /// The tokio runtime of our client's processes (the caller here, the callee child).
    client_runtime: String,
    relay_kind: String,
    /// Run every process of the benchmark on this CPU only.
    pin_cpu: Option<usize>,
    calls: usize,
    pipelined: usize,
    window: usize,
    raw_calls: usize,
    events: usize,
    subscribers: usize,
    fanout_events: usize,
    sessions: usize,
    held: usize,
    relay_calls: usize,
    ahead: usize,
    fanout_ahead: usize,
}

fn parse_args() -> Args {
    let mut a = Args {
        role: "main".into(),
        url: None,
        routers: vec!["crossbar".into(), "ours".into()],
        serializer: "msgpack".into(),
        router_threads: None,
        client_runtime: "multi".into(),
        relay_kind: "tokio".into(),
        pin_cpu: None,
        calls: 5000,
        pipelined: 50_000,
        window: 1000,
        raw_calls: 5000,
        events: 50_000,
        subscribers: 100,
        fanout_events: 2000,
        sessions: 1000,
        held: 10_000,
        relay_calls: 5000,
        ahead: 1000,
        fanout_ahead: 100,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next().unwrap_or_else(|| {
                eprintln!("{flag} needs a value\n{USAGE}");
                std::process::exit(2)
            })
        };
        let number = |v: String| -> usize {
            v.parse().unwrap_or_else(|_| {
                eprintln!("{flag} needs a number, not {v}\n{USAGE}");
                std::process::exit(2)
            })
        };
        match flag.as_str() {
            "--role" => a.role = value(),
            "--url" => a.url = Some(value()),
            "--relay-kind" => a.relay_kind = value(),
            "--pin-cpu" => a.pin_cpu = Some(number(value())),
            "--router" => {
                a.routers = match value().as_str() {
                    "both" => vec!["crossbar".into(), "ours".into()],
                    "crossbar" => vec!["crossbar".into()],
                    "ours" => vec!["ours".into()],
                    other => {
                        eprintln!("--router crossbar|ours|both, not {other}\n{USAGE}");
                        std::process::exit(2)
                    }
                }
            }
            "--serializer" => a.serializer = value(),
            "--router-threads" => a.router_threads = Some(number(value())),
            "--client-runtime" => a.client_runtime = value(),
            "--calls" => a.calls = number(value()),
            "--pipelined" => a.pipelined = number(value()),
            "--window" => a.window = number(value()).max(1),
            "--raw-calls" => a.raw_calls = number(value()),
            "--events" => a.events = number(value()),
            "--subscribers" => a.subscribers = number(value()).max(1),
            "--fanout-events" => a.fanout_events = number(value()),
            "--sessions" => a.sessions = number(value()),
            "--held" => a.held = number(value()),
            "--relay-calls" => a.relay_calls = number(value()),
            "--ahead" => a.ahead = number(value()).max(1),
            "--fanout-ahead" => a.fanout_ahead = number(value()).max(1),
            "--quick" => {
                a.calls = 500;
                a.pipelined = 5000;
                a.raw_calls = 500;
                a.events = 5000;
                a.fanout_events = 200;
                a.sessions = 200;
                a.held = 1000;
                a.relay_calls = 500;
            }
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

/// The figures of one router; `None`: not measured (the phase failed, said on its line).
#[derive(Default, Clone)]
struct Figures {
    idle_rss_kib: Option<f64>,
    per_session_kib: Option<f64>,
    sequential: Option<f64>,
    sequential_cpu_us: Option<f64>,
    pipelined: Option<f64>,
    pipelined_cpu_us: Option<f64>,
    raw_sequential: Option<f64>,
    raw_sequential_cpu_us: Option<f64>,
    /// Sequential calls of our client / relay round trips, interleaved.
    relay_ratio: Option<f64>,
    /// Sequential round trips of minimal clients / relay round trips, interleaved.
    raw_relay_ratio: Option<f64>,
    raw_pipelined: Option<f64>,
    raw_pipelined_cpu_us: Option<f64>,
    /// Our client, one subscriber: full speed, then windowed.
    events: Vec<(&'static str, Flow)>,
    /// Minimal clients, one subscriber: full speed, then windowed.
    raw_events: Vec<(&'static str, Flow)>,
    /// Minimal clients, fan-out: full speed, then windowed.
    fanout: Vec<(&'static str, Flow)>,
    held: Option<(usize, usize)>,
    held_rss_kib: Option<f64>,
}

/// A router under test: its RawSocket address and the root of its process tree.
struct Target {
    name: &'static str,
    addr: String,
    pid: u32,
}

impl Target {
    fn url(&self) -> String {
        format!("rs://{}", self.addr)
    }
    /// The router's CPU time so far (0 for a router of unknown pid, 0).
    fn cpu_ns(&self) -> u64 {
        if self.pid == 0 {
            return 0;
        }
        procfs::tree_cpu_ns(self.pid)
    }
    fn rss_kib(&self) -> u64 {
        procfs::tree_rss_kib(self.pid).0
    }
}

fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

fn spawn_self(args: &[&str]) -> std::io::Result<Child> {
    Command::new(std::env::current_exe()?)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
}

/// The first line of `child`'s output starting with `prefix` (its rest), within
/// [`PHASE_LIMIT`]; the rest of the output is drained in the background.
fn read_prefixed(child: &mut Child, prefix: &str) -> Option<String> {
    let out = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    let prefix = prefix.to_owned();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(out);
        let mut line = String::new();
        let mut sent = false;
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if !sent {
                if let Some(rest) = line.trim_end().strip_prefix(&prefix) {
                    let _ = tx.send(rest.trim().to_owned());
                    sent = true;
                }
            }
            line.clear();
        }
    });
    rx.recv_timeout(PHASE_LIMIT).ok()
}

/// Closes `child`'s stdin (the helpers' signal to end), waits up to 10 s, then kills it.
fn end_child(mut child: Child) {
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn wait_stdin_closed() {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

fn echo_args() -> Vec<Value> {
    vec![Value::Int(1), Value::from("two"), Value::Float(3.0)]
}

// ---------------------------------------------------------------------------------------------
// Helper processes.

/// A tokio runtime of the flavour `--client-runtime` names: `multi` or `current`.
fn client_runtime(flavour: &str) -> tokio::runtime::Runtime {
    match flavour {
        "current" => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()
    .expect("tokio runtime")
}

/// `--role callee`: our client registers `bench.echo` and serves until stdin closes.
fn callee_role(url: &str, ser: &str, flavour: &str) {
    let runtime = client_runtime(flavour);
    runtime.block_on(async {
        let session = join(url, ser).await.expect("join the router");
        session
            .register("bench.echo", |inv: Invocation| async move {
                Ok::<_, WampError>(inv.payload)
            })
            .await
            .expect("register bench.echo");
        println!("READY");
        std::io::stdout().flush().ok();
        let _ = tokio::task::spawn_blocking(wait_stdin_closed).await;
        let _ = session.leave().await;
    });
}

/// How many leading bytes of `buf` are whole RawSocket frames (headers read as lengths only:
/// the relay knows no more of the protocol).
fn whole_frames(buf: &[u8]) -> usize {
    let mut whole = 0;
    while let Some(h) = buf.get(whole..whole + 4) {
        let len = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
        if buf.len() - whole - 4 < len {
            break;
        }
        whole += 4 + len;
    }
    whole
}

/// Forwards whole RawSocket frames read from `from` to `to` (a relay direction).
async fn forward_frames(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        match from.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
        let whole = whole_frames(&buf[..filled]);
        if whole > 0 {
            if to.write_all(&buf[..whole]).await.is_err() {
                return;
            }
            buf.copy_within(whole..filled, 0);
            filled -= whole;
        }
    }
}

/// The blocking relay direction: the same on a thread.
fn forward_frames_blocking(mut from: std::net::TcpStream, mut to: std::net::TcpStream) {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        match from.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
        let whole = whole_frames(&buf[..filled]);
        if whole > 0 {
            if to.write_all(&buf[..whole]).is_err() {
                return;
            }
            buf.copy_within(whole..filled, 0);
            filled -= whole;
        }
    }
}

/// `--role relay`: accepts two connections on a free port of 127.0.0.1 (printed as
/// `RELAY HOST:PORT`), forwards frames between them until one closes or stdin closes.
fn relay_role(kind: &str, threads: Option<usize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the relay");
    println!("RELAY {}", listener.local_addr().expect("relay address"));
    std::io::stdout().flush().ok();
    std::thread::spawn(|| {
        wait_stdin_closed();
        std::process::exit(0);
    });
    let (a, _) = listener.accept().expect("first peer");
    let (b, _) = listener.accept().expect("second peer");
    for s in [&a, &b] {
        s.set_nodelay(true).expect("nodelay");
    }
    if kind == "threads" {
        let (a2, b2) = (a.try_clone().expect("clone"), b.try_clone().expect("clone"));
        let t = std::thread::spawn(move || forward_frames_blocking(a, b2));
        forward_frames_blocking(b, a2);
        let _ = t.join();
        return;
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder.enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        a.set_nonblocking(true).expect("nonblocking");
        b.set_nonblocking(true).expect("nonblocking");
        let a = tokio::net::TcpStream::from_std(a).expect("tokio stream");
        let b = tokio::net::TcpStream::from_std(b).expect("tokio stream");
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        let one = tokio::spawn(forward_frames(ar, bw));
        let other = tokio::spawn(forward_frames(br, aw));
        let _ = tokio::join!(one, other);
    });
}

// ---------------------------------------------------------------------------------------------
// Phases with our client (wamp-client).

fn transport(url: &str, ser: &str) -> TransportConfig {
    TransportConfig::new(url)
        .expect("valid URL")
        .serializers(vec![
            wamp_core::serializer::by_name(ser).expect("json, msgpack or cbor")
        ])
}

async fn join(url: &str, ser: &str) -> Result<Session, wamp_client::JoinError> {
    Session::join(&transport(url, ser), JoinOptions::new(REALM)).await
}

/// Sequential then pipelined calls through `target` with our client, the callee in a child
/// process.
async fn calls_phase(
    target: &Target,
    args: &Args,
    fig: &mut Figures,
    relay: Option<&mut RelayLink>,
) {
    let url = target.url();
    let ser = args.serializer.as_str();
    let mut callee = match spawn_self(&[
        "--role",
        "callee",
        "--url",
        &url,
        "--serializer",
        ser,
        "--client-runtime",
        &args.client_runtime,
    ]) {
        Ok(c) => c,
        Err(e) => {
            println!("  calls: not measured, cannot spawn the callee: {e}");
            return;
        }
    };
    if read_prefixed(&mut callee, "READY").is_none() {
        println!("  calls: not measured, the callee did not register");
        end_child(callee);
        return;
    }
    let session = match join(&url, ser).await {
        Ok(s) => s,
        Err(e) => {
            println!("  calls: not measured, cannot join: {e}");
            end_child(callee);
            return;
        }
    };
    let payload = Payload::args(&(1, "two", 3.0)).expect("payload");
    for _ in 0..200 {
        if session
            .call_with("bench.echo", payload.clone(), Default::default())
            .await
            .is_err()
        {
            println!("  calls: not measured, the warm-up call failed");
            end_child(callee);
            return;
        }
    }

    // Sequential.
    let cpu = target.cpu_ns();
    let t = Instant::now();
    let mut done = 0u64;
    let mut failed = 0u64;
    for _ in 0..args.calls {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        match session
            .call_with("bench.echo", payload.clone(), Default::default())
            .await
        {
            Ok(_) => done += 1,
            Err(_) => failed += 1,
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let router_us = target.cpu_ns().saturating_sub(cpu) as f64 / 1e3 / done.max(1) as f64;
    let rate = done as f64 / wall;
    println!(
        "  sequential calls (our client, callee in a child process): {done} in {wall:.2} s = {rate:.0} calls/s, {failed} failed; router CPU {router_us:.1} us/call"
    );
    fig.sequential = Some(rate);
    fig.sequential_cpu_us = Some(router_us);

    // The same, interleaved with round trips through the relay.
    if let Some(link) = relay {
        let per = (args.calls / INTERLEAVED_ROUNDS).max(1);
        let (mut ours_s, mut relay_s, mut ratios) = (0.0, 0.0, Vec::new());
        let t = Instant::now();
        for _ in 0..INTERLEAVED_ROUNDS {
            if t.elapsed() > PHASE_LIMIT {
                break;
            }
            let round = Instant::now();
            let mut ok = true;
            for _ in 0..per {
                ok &= session
                    .call_with("bench.echo", payload.clone(), Default::default())
                    .await
                    .is_ok();
            }
            let o = round.elapsed().as_secs_f64();
            let round = Instant::now();
            // A blocking client on this thread: on the multi-thread runtime our session's task
            // runs on the other worker; on the current-thread one it is idle meanwhile.
            let relayed = match tokio::runtime::Handle::current().runtime_flavor() {
                tokio::runtime::RuntimeFlavor::MultiThread => {
                    tokio::task::block_in_place(|| link.round_trips(per))
                }
                _ => link.round_trips(per),
            };
            let r = round.elapsed().as_secs_f64();
            if !ok || relayed.is_err() {
                println!("  sequential, interleaved with the relay: a call or round trip failed");
                break;
            }
            ours_s += o;
            relay_s += r;
            ratios.push(r / o.max(1e-9));
        }
        if !ratios.is_empty() {
            let n = (ratios.len() * per) as f64;
            let (overall, median, lo, hi) = interleaved_summary(ours_s, relay_s, &mut ratios);
            println!(
                "  sequential calls interleaved with the tokio relay's round trips ({} rounds of {per}): ours {:.0}/s, relay {:.0}/s; ours/relay {overall:.2}x overall, median round {median:.2}x (rounds {lo:.2}x to {hi:.2}x)",
                ratios.len(),
                n / ours_s,
                n / relay_s
            );
            fig.relay_ratio = Some(overall);
        }
    }

    // Pipelined: `window` tasks calling one after the other.
    let window = args.window.max(1);
    let per_task = args.pipelined / window;
    let ok = Arc::new(AtomicU64::new(0));
    let bad = Arc::new(AtomicU64::new(0));
    let cpu = target.cpu_ns();
    let t = Instant::now();
    let tasks: Vec<_> = (0..window)
        .map(|_| {
            let (s, p, ok, bad) = (session.clone(), payload.clone(), ok.clone(), bad.clone());
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
                        Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(_) => bad.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let wall = t.elapsed().as_secs_f64();
    let done = ok.load(Ordering::Relaxed);
    let router_us = target.cpu_ns().saturating_sub(cpu) as f64 / 1e3 / done.max(1) as f64;
    let rate = done as f64 / wall;
    println!(
        "  pipelined calls ({window} in flight): {done} in {wall:.2} s = {rate:.0} calls/s, {} failed; router CPU {router_us:.1} us/call",
        bad.load(Ordering::Relaxed)
    );
    fig.pipelined = Some(rate);
    fig.pipelined_cpu_us = Some(router_us);
    let _ = session.leave().await;
    end_child(callee);
}

/// Publish→event with our client: a publisher and one subscriber in this process, as fast as
/// the publisher goes (fire-and-forget), or with `ahead`, the publisher kept at most `ahead`
/// events ahead of the subscriber.
async fn events_phase(target: &Target, args: &Args, ahead: Option<u64>) -> Result<Flow, String> {
    let url = target.url();
    let ser = args.serializer.as_str();
    let publisher = join(&url, ser).await.map_err(|e| e.to_string())?;
    let subscriber = join(&url, ser).await.map_err(|e| e.to_string())?;
    let received = Arc::new(AtomicU64::new(0));
    let last = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let (r, l) = (received.clone(), last.clone());
    let sub = subscriber
        .subscribe_with(
            "bench.topic",
            SubscribeOptions::default().queue_capacity(args.events.max(1)),
            move |_e: wamp_client::Event| {
                r.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut l) = l.lock() {
                    *l = Some(Instant::now());
                }
                async {}
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let events = args.events as u64;
    let cpu = target.cpu_ns();
    let t = Instant::now();
    let mut published = 0u64;
    for i in 0..events {
        if let Some(ahead) = ahead {
            while i.saturating_sub(ahead) > received.load(Ordering::Relaxed)
                && t.elapsed() < PHASE_LIMIT
            {
                tokio::time::sleep(Duration::from_micros(100)).await;
            }
        }
        if t.elapsed() > PHASE_LIMIT
            || publisher
                .publish("bench.topic", (i, "event"))
                .await
                .is_err()
        {
            break;
        }
        published += 1;
    }
    let deadline = Instant::now() + PHASE_LIMIT;
    let mut seen = 0;
    let mut progress = Instant::now();
    while received.load(Ordering::Relaxed) < published && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = received.load(Ordering::Relaxed);
        if now != seen {
            seen = now;
            progress = Instant::now();
        } else if progress.elapsed() > IDLE_LIMIT {
            break;
        }
    }
    let got = received.load(Ordering::Relaxed);
    let cpu_us = (got > 0).then(|| target.cpu_ns().saturating_sub(cpu) as f64 / 1e3 / got as f64);
    let end = last
        .lock()
        .ok()
        .and_then(|l| *l)
        .unwrap_or_else(Instant::now);
    let wall = end.duration_since(t).as_secs_f64().max(1e-9);
    let cut = usize::from(!subscriber.is_joined());
    if sub.dropped() > 0 {
        println!(
            "  (the subscriber's client dropped {} events: its queue was full)",
            sub.dropped()
        );
    }
    let _ = subscriber.leave().await;
    let _ = publisher.leave().await;
    Ok(Flow {
        rate: got as f64 / wall,
        lost: events - got.min(events),
        cpu_us,
        cut,
    })
}

// ---------------------------------------------------------------------------------------------
// Phases with minimal clients.

/// Sequential round trips of the minimal caller through the router to the minimal callee.
fn raw_calls_phase(
    target: &Target,
    args: &Args,
    fig: &mut Figures,
    relay: Option<&mut RelayLink>,
) -> Result<(), String> {
    let ser = args.serializer.as_str();
    let mut callee = Wire::join(&target.addr, ser, REALM).map_err(|e| e.to_string())?;
    callee.register("bench.raw").map_err(|e| e.to_string())?;
    let stop = callee.try_clone_stream().map_err(|e| e.to_string())?;
    let serve = std::thread::spawn(move || {
        // Bounded: ends when the socket is shut down (after the phase) or fails.
        while let Ok(msg) = callee.recv() {
            if let Message::Invocation { request, args, .. } = msg {
                let reply = Message::Yield {
                    request,
                    options: Dict::new(),
                    args,
                    kwargs: Dict::new(),
                };
                // Answers what came in one read together, as a callee in a batch.
                if callee.queue(&reply).is_err() || (!callee.buffered() && callee.flush().is_err())
                {
                    break;
                }
            }
        }
    });
    let result = (|| {
        let mut caller = Wire::join(&target.addr, ser, REALM).map_err(|e| e.to_string())?;
        for _ in 0..100 {
            caller
                .call("bench.raw", echo_args())
                .map_err(|e| e.to_string())?;
        }
        let cpu = target.cpu_ns();
        let switches = procfs::tree_switches(target.pid);
        let t = Instant::now();
        let mut done = 0u64;
        for _ in 0..args.raw_calls {
            if t.elapsed() > PHASE_LIMIT {
                break;
            }
            caller
                .call("bench.raw", echo_args())
                .map_err(|e| e.to_string())?;
            done += 1;
        }
        let wall = t.elapsed().as_secs_f64();
        let router_us = target.cpu_ns().saturating_sub(cpu) as f64 / 1e3 / done.max(1) as f64;
        let switched = procfs::tree_switches(target.pid).saturating_sub(switches) as f64;
        let rate = done as f64 / wall;
        println!(
            "  sequential round trips (minimal blocking caller and callee): {done} in {wall:.2} s = {rate:.0}/s; router CPU {router_us:.1} us/call, {:.2} context switches/call",
            switched / done.max(1) as f64
        );
        fig.raw_sequential = Some(rate);
        fig.raw_sequential_cpu_us = Some(router_us);

        // The same, interleaved with round trips through the relay.
        if let Some(link) = relay {
            let per = (args.raw_calls / INTERLEAVED_ROUNDS).max(1);
            let (mut ours_s, mut relay_s, mut ratios) = (0.0, 0.0, Vec::new());
            let t = Instant::now();
            for _ in 0..INTERLEAVED_ROUNDS {
                if t.elapsed() > PHASE_LIMIT {
                    break;
                }
                let round = Instant::now();
                for _ in 0..per {
                    caller
                        .call("bench.raw", echo_args())
                        .map_err(|e| e.to_string())?;
                }
                let o = round.elapsed().as_secs_f64();
                let round = Instant::now();
                link.round_trips(per)?;
                let r = round.elapsed().as_secs_f64();
                ours_s += o;
                relay_s += r;
                ratios.push(r / o.max(1e-9));
            }
            if !ratios.is_empty() {
                let n = (ratios.len() * per) as f64;
                let (overall, median, lo, hi) = interleaved_summary(ours_s, relay_s, &mut ratios);
                println!(
                    "  minimal round trips interleaved with the tokio relay's ({} rounds of {per}): ours {:.0}/s, relay {:.0}/s; ours/relay {overall:.2}x overall, median round {median:.2}x (rounds {lo:.2}x to {hi:.2}x)",
                    ratios.len(),
                    n / ours_s,
                    n / relay_s
                );
                fig.raw_relay_ratio = Some(overall);
            }
        }

        // Pipelined: `window` calls written at once, then their results read.
        let window = args.window.max(1);
        let rounds = (args.pipelined / window).max(1);
        let cpu = target.cpu_ns();
        let t = Instant::now();
        let mut done = 0u64;
        for _ in 0..rounds {
            if t.elapsed() > PHASE_LIMIT {
                break;
            }
            let first = caller.next_request();
            for i in 0..window as u64 {
                caller
                    .queue(&Message::Call {
                        request: first + i,
                        options: Dict::new(),
                        procedure: "bench.raw".into(),
                        args: echo_args(),
                        kwargs: Dict::new(),
                    })
                    .map_err(|e| e.to_string())?;
            }
            for _ in 1..window {
                caller.next_request();
            }
            caller.flush().map_err(|e| e.to_string())?;
            for _ in 0..window {
                match caller.recv().map_err(|e| e.to_string())? {
                    Message::Result { .. } => done += 1,
                    other => return Err(format!("pipelined call: {}", other.name())),
                }
            }
        }
        let wall = t.elapsed().as_secs_f64();
        let router_us = target.cpu_ns().saturating_sub(cpu) as f64 / 1e3 / done.max(1) as f64;
        let rate = done as f64 / wall;
        println!(
            "  pipelined calls (minimal caller, {window} written at once then their results read; minimal callee): {done} in {wall:.2} s = {rate:.0} calls/s; router CPU {router_us:.1} us/call"
        );
        fig.raw_pipelined = Some(rate);
        fig.raw_pipelined_cpu_us = Some(router_us);
        Ok(())
    })();
    let _ = stop.shutdown(std::net::Shutdown::Both);
    let _ = serve.join();
    result
}

/// What a publish→event phase measured.
#[derive(Clone, Copy)]
struct Flow {
    /// Events delivered per second, from the first publication to the last event.
    rate: f64,
    /// Events published and never delivered.
    lost: u64,
    /// Router CPU per delivered event, microseconds (`None` when none was delivered).
    cpu_us: Option<f64>,
    /// Subscribers the router disconnected.
    cut: usize,
}

impl Flow {
    fn describe(&self) -> String {
        format!(
            "{:.0} events/s, lost {}, subscribers cut off {}; router CPU {} us/event",
            self.rate,
            self.lost,
            self.cut,
            fmt_opt(self.cpu_us, 2)
        )
    }
}

/// One minimal publisher, `subscribers` minimal subscribers counting frames, `events`
/// publications, as fast as the router takes them or, with `ahead`, the publisher kept at
/// most `ahead` publications ahead of what the subscribers received.
fn fanout(
    target: &Target,
    ser: &str,
    subscribers: usize,
    events: usize,
    ahead: Option<usize>,
) -> Result<Flow, String> {
    let topic = "bench.fanout";
    let mut streams = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let mut s = Wire::join(&target.addr, ser, REALM).map_err(|e| e.to_string())?;
        s.subscribe(topic).map_err(|e| e.to_string())?;
        streams.push(s.into_stream());
    }
    let mut publisher = Wire::join(&target.addr, ser, REALM).map_err(|e| e.to_string())?;
    let done = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let (flag, progress) = (done.clone(), received.clone());
    let counter = std::thread::spawn(move || {
        raw_wamp::count_frames(
            streams,
            events as u64,
            &flag,
            &progress,
            IDLE_LIMIT,
            PHASE_LIMIT,
        )
    });
    let cpu = target.cpu_ns();
    let t = Instant::now();
    let mut sent = 0usize;
    let publish = (|| -> std::io::Result<()> {
        while sent < events && t.elapsed() < PHASE_LIMIT {
            if let Some(ahead) = ahead {
                // Bounded by the phase's limit; the subscribers' thread makes progress.
                while sent.saturating_sub(ahead) * subscribers
                    > received.load(Ordering::Acquire) as usize
                    && t.elapsed() < PHASE_LIMIT
                {
                    std::thread::sleep(Duration::from_micros(20));
                }
            }
            for _ in 0..64.min(events - sent) {
                let request = publisher.next_request();
                publisher.queue(&Message::Publish {
                    request,
                    options: Dict::new(),
                    topic: topic.into(),
                    args: vec![Value::Int(sent as i64), Value::from("event")],
                    kwargs: Dict::new(),
                })?;
                sent += 1;
            }
            publisher.flush()?;
        }
        // An acknowledged publication elsewhere: the router has routed all before it.
        let request = publisher.next_request();
        publisher.send(&Message::Publish {
            request,
            options: Dict::from([("acknowledge", Value::Bool(true))]),
            topic: "bench.fanout.done".into(),
            args: Vec::new(),
            kwargs: Dict::new(),
        })?;
        for _ in 0..10 {
            if let Message::Published { .. } = publisher.recv()? {
                break;
            }
        }
        Ok(())
    })();
    done.store(true, Ordering::Release);
    let counted = counter
        .join()
        .map_err(|_| "the counting thread panicked".to_string())?
        .map_err(|e| e.to_string())?;
    let cpu_ns = target.cpu_ns().saturating_sub(cpu);
    publish.map_err(|e| format!("publishing: {e}"))?;
    let got: u64 = counted.counts.iter().sum();
    let expected = (sent * subscribers) as u64;
    let wall = counted
        .last
        .map_or(1e-9, |l| l.duration_since(t).as_secs_f64().max(1e-9));
    Ok(Flow {
        rate: got as f64 / wall,
        lost: expected - got.min(expected),
        cpu_us: (got > 0).then(|| cpu_ns as f64 / 1e3 / got as f64),
        cut: counted.closed,
    })
}

/// Idle sessions: `n` minimal sessions joined, then held; returns the streams.
fn join_idle(target: &Target, ser: &str, n: usize) -> Result<Vec<std::net::TcpStream>, String> {
    let mut held = Vec::with_capacity(n);
    let t = Instant::now();
    for i in 0..n {
        if t.elapsed() > PHASE_LIMIT * 2 {
            return Err(format!("only {i} joined within {:?}", PHASE_LIMIT * 2));
        }
        let w =
            Wire::join(&target.addr, ser, REALM).map_err(|e| format!("session {}: {e}", i + 1))?;
        held.push(w.into_stream());
    }
    Ok(held)
}

/// `wamp.session.count` as the router answers it.
fn session_count(target: &Target, ser: &str) -> Option<i64> {
    let mut w = Wire::join(&target.addr, ser, REALM).ok()?;
    match w.call("wamp.session.count", Vec::new()).ok()?.first()? {
        Value::Int(n) => Some(*n),
        Value::UInt(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// Whether the router still holds `s` open (nothing to read, no end of stream).
fn still_open(s: &std::net::TcpStream) -> bool {
    use std::io::Read;
    if s.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let mut reader: &std::net::TcpStream = s;
    matches!(reader.read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

fn settle() {
    std::thread::sleep(Duration::from_millis(500));
}

fn idle_sessions_phase(target: &Target, args: &Args, fig: &mut Figures) {
    let n = args.sessions;
    if n == 0 {
        return;
    }
    settle();
    let before = target.rss_kib();
    match join_idle(target, &args.serializer, n) {
        Ok(held) => {
            settle();
            let after = target.rss_kib();
            let counted = session_count(target, &args.serializer);
            let per = after.saturating_sub(before) as f64 / n as f64;
            println!(
                "  {n} idle sessions: RSS {:.2} -> {:.2} MiB = {per:.1} KiB per session (wamp.session.count: {})",
                mib(before as f64),
                mib(after as f64),
                counted.map_or("no answer".to_string(), |c| c.to_string())
            );
            fig.per_session_kib = Some(per);
            drop(held);
            settle();
        }
        Err(e) => println!("  idle sessions: not measured: {e}"),
    }
}

fn held_phase(target: &Target, args: &Args, fig: &mut Figures) {
    let n = args.held;
    if n == 0 {
        return;
    }
    let limits = procfs::nofile_limits();
    let before = target.rss_kib();
    let t = Instant::now();
    match join_idle(target, &args.serializer, n) {
        Ok(held) => {
            let joined_in = t.elapsed().as_secs_f64();
            std::thread::sleep(Duration::from_secs(2));
            let open = held.iter().filter(|s| still_open(s)).count();
            let counted = session_count(target, &args.serializer);
            let rss = target.rss_kib();
            println!(
                "  {n} sessions joined in {joined_in:.2} s ({:.0}/s), held 2 s: {open} still open, wamp.session.count {}, RSS {:.2} MiB ({:.1} KiB per session over the start); descriptor limit of this process {:?}",
                n as f64 / joined_in,
                counted.map_or("no answer".to_string(), |c| c.to_string()),
                mib(rss as f64),
                rss.saturating_sub(before) as f64 / n as f64,
                limits
            );
            fig.held = Some((n, open));
            fig.held_rss_kib = Some(rss as f64);
        }
        Err(e) => {
            println!("  {n} sessions: not held: {e} (descriptor limit of this process {limits:?})");
            fig.held = Some((n, 0));
        }
    }
    settle();
}

fn raw_events_phases(target: &Target, args: &Args, fig: &mut Figures) {
    let ser = args.serializer.as_str();
    for (ahead, how) in [(None, "full speed"), (Some(args.ahead), "windowed")] {
        let window = ahead.map_or(String::new(), |a| format!(", at most {a} ahead"));
        match fanout(target, ser, 1, args.events, ahead) {
            Ok(flow) => {
                println!(
                    "  publish->event (minimal publisher, one frame-counting subscriber{window}): {} published, {}",
                    args.events,
                    flow.describe()
                );
                fig.raw_events.push((how, flow));
            }
            Err(e) => println!("  publish->event (minimal clients{window}): not measured: {e}"),
        }
        settle();
        let fan_ahead = ahead.map(|_| args.fanout_ahead);
        let fan_window = fan_ahead.map_or(String::new(), |a| format!(", at most {a} ahead"));
        match fanout(target, ser, args.subscribers, args.fanout_events, fan_ahead) {
            Ok(flow) => {
                println!(
                    "  fan-out (one minimal publisher, {} subscribers{fan_window}): {} published, {} events to deliver, {}",
                    args.subscribers,
                    args.fanout_events,
                    args.subscribers * args.fanout_events,
                    flow.describe()
                );
                fig.fanout.push((how, flow));
            }
            Err(e) => println!("  fan-out{fan_window}: not measured: {e}"),
        }
        settle();
    }
}

/// Every phase on one router.
fn measure(target: &Target, args: &Args, runtime: &tokio::runtime::Runtime) -> Figures {
    let mut fig = Figures::default();
    std::thread::sleep(Duration::from_secs(1));
    let (idle, each) = procfs::tree_rss_kib(target.pid);
    let pss: u64 = each
        .iter()
        .filter_map(|(pid, _)| procfs::pss_kib(*pid))
        .sum();
    println!(
        "  idle RSS: {:.2} MiB ({}); PSS {:.2} MiB",
        mib(idle as f64),
        each.iter()
            .map(|(pid, k)| format!("pid {pid}: {:.2} MiB", mib(*k as f64)))
            .collect::<Vec<_>>()
            .join(", "),
        mib(pss as f64),
    );
    fig.idle_rss_kib = Some(idle as f64);
    idle_sessions_phase(target, args, &mut fig);
    let mut relay = match RelayLink::start("tokio", args) {
        Ok(link) => Some(link),
        Err(e) => {
            println!("  relay for the interleaved ratios: not started: {e}");
            None
        }
    };
    runtime.block_on(calls_phase(target, args, &mut fig, relay.as_mut()));
    if let Err(e) = raw_calls_phase(target, args, &mut fig, relay.as_mut()) {
        println!("  sequential round trips (minimal clients): not measured: {e}");
    }
    if let Some(link) = relay {
        link.end();
    }
    for (ahead, how) in [(None, "full speed"), (Some(args.ahead as u64), "windowed")] {
        let window = ahead.map_or(String::new(), |a| format!(", at most {a} ahead"));
        match runtime.block_on(events_phase(target, args, ahead)) {
            Ok(flow) => {
                println!(
                    "  publish->event (our client, publisher and one subscriber{window}): {} published, {}",
                    args.events,
                    flow.describe()
                );
                fig.events.push((how, flow));
            }
            Err(e) => println!("  publish->event (our client{window}): not measured: {e}"),
        }
        settle();
    }
    raw_events_phases(target, args, &mut fig);
    fig
}

/// `--role raw-load --url rs://HOST:PORT`: only the minimal clients' calls (sequential, then
/// pipelined) against a router running elsewhere, for instance under a profiler:
/// `valgrind --tool=callgrind router_bench --role ours-router` in one shell, this in another.
fn raw_load_role(args: &Args) {
    let Some(addr) = args.url.as_deref().and_then(|u| u.strip_prefix("rs://")) else {
        eprintln!("--role raw-load needs --url rs://HOST:PORT\n{USAGE}");
        std::process::exit(2);
    };
    let target = Target {
        name: "external",
        addr: addr.to_owned(),
        pid: 0,
    };
    println!(
        "{} router at {} (its CPU is not read: 0 below)",
        target.name,
        target.url()
    );
    let mut fig = Figures::default();
    if let Err(e) = raw_calls_phase(&target, args, &mut fig, None) {
        println!("  minimal clients' calls: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The relay.

/// A relay process of a kind, its echo peer (a thread of this process) and a minimal client
/// connected through it.
struct RelayLink {
    child: Child,
    client: Wire,
    stop: std::net::TcpStream,
    serve: std::thread::JoinHandle<()>,
}

impl RelayLink {
    /// Starts a relay of `kind` (`tokio` or `threads`), connects the echo peer then the client,
    /// and warms up with 100 round trips.
    fn start(kind: &str, args: &Args) -> Result<RelayLink, String> {
        let mut extra = vec!["--role", "relay", "--relay-kind", kind];
        let threads = args.router_threads.map(|n| n.to_string());
        if let Some(n) = &threads {
            extra.extend(["--router-threads", n.as_str()]);
        }
        let mut child = spawn_self(&extra).map_err(|e| format!("cannot spawn the relay: {e}"))?;
        let connect = |child: &mut Child| -> Result<(Wire, std::net::TcpStream, _), String> {
            let addr = read_prefixed(child, "RELAY").ok_or("the relay did not start")?;
            let ser =
                wamp_core::serializer::by_name(&args.serializer).ok_or("no such serializer")?;
            let io = |e: std::io::Error| e.to_string();
            let mut echo = Wire::raw(
                std::net::TcpStream::connect(&addr).map_err(io)?,
                ser.clone(),
            )
            .map_err(io)?;
            let stop = echo.try_clone_stream().map_err(io)?;
            let serve = std::thread::spawn(move || {
                // Decodes each message and sends it back, as a callee would answer; ends when
                // the socket is shut down or fails.
                while let Ok(msg) = echo.recv() {
                    if echo.send(&msg).is_err() {
                        break;
                    }
                }
            });
            match Wire::raw(std::net::TcpStream::connect(&addr).map_err(io)?, ser) {
                Ok(client) => Ok((client, stop, serve)),
                Err(e) => {
                    let _ = stop.shutdown(std::net::Shutdown::Both);
                    let _ = serve.join();
                    Err(e.to_string())
                }
            }
        };
        match connect(&mut child) {
            Ok((client, stop, serve)) => {
                let mut link = RelayLink {
                    child,
                    client,
                    stop,
                    serve,
                };
                if let Err(e) = link.round_trips(100) {
                    link.end();
                    return Err(e);
                }
                Ok(link)
            }
            Err(e) => {
                end_child(child);
                Err(e)
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `n` sequential round trips.
    fn round_trips(&mut self, n: usize) -> Result<(), String> {
        for _ in 0..n {
            let request = self.client.next_request();
            self.client
                .send(&Message::Call {
                    request,
                    options: Dict::new(),
                    procedure: "bench.raw".into(),
                    args: echo_args(),
                    kwargs: Dict::new(),
                })
                .map_err(|e| e.to_string())?;
            self.client.recv().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn end(self) {
        let _ = self.stop.shutdown(std::net::Shutdown::Both);
        let _ = self.serve.join();
        end_child(self.child);
    }
}

/// Sequential round trips through a relay of `kind`: (round trips/s, relay CPU per round trip,
/// the relay's context switches per round trip).
fn relay_phase(kind: &str, args: &Args) -> Result<(f64, f64, f64), String> {
    let mut link = RelayLink::start(kind, args)?;
    let pid = link.pid();
    let cpu = procfs::tree_cpu_ns(pid);
    let switches = procfs::tree_switches(pid);
    let t = Instant::now();
    let mut done = 0u64;
    let mut result = Ok(());
    for _ in 0..args.relay_calls {
        if t.elapsed() > PHASE_LIMIT {
            break;
        }
        result = link.round_trips(1);
        if result.is_err() {
            break;
        }
        done += 1;
    }
    let wall = t.elapsed().as_secs_f64();
    let cpu_us = procfs::tree_cpu_ns(pid).saturating_sub(cpu) as f64 / 1e3 / done.max(1) as f64;
    let switches = procfs::tree_switches(pid).saturating_sub(switches) as f64 / done.max(1) as f64;
    link.end();
    result.map(|()| (done as f64 / wall, cpu_us, switches))
}

/// Rounds of sequential calls through the router and of round trips through the relay, in
/// turns, so that the machine's drift moves both alike.
const INTERLEAVED_ROUNDS: usize = 10;

/// The ratio of rates over interleaved rounds: (overall, median round, lowest, highest).
fn interleaved_summary(ours_s: f64, relay_s: f64, ratios: &mut [f64]) -> (f64, f64, f64, f64) {
    ratios.sort_by(f64::total_cmp);
    (
        relay_s / ours_s.max(1e-9),
        ratios.get(ratios.len() / 2).copied().unwrap_or(0.0),
        ratios.first().copied().unwrap_or(0.0),
        ratios.last().copied().unwrap_or(0.0),
    )
}

// ---------------------------------------------------------------------------------------------
// The run and the summary.

fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

fn ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(o), Some(t)) if t > 0.0 => format!("{:.2}x", o / t),
        _ => "-".into(),
    }
}

fn summary(crossbar: Option<&Figures>, ours: Option<&Figures>, relay: Option<(f64, &str)>) {
    let (c, o) = (
        crossbar.cloned().unwrap_or_default(),
        ours.cloned().unwrap_or_default(),
    );
    println!();
    println!("summary                                   | Crossbar.io | ours        | ours/Crossbar | target");
    let row = |name: &str, cv: Option<f64>, ov: Option<f64>, d: usize, target: &str| {
        println!(
            "{name:<41} | {:>11} | {:>11} | {:>13} | {target}",
            fmt_opt(cv, d),
            fmt_opt(ov, d),
            ratio(ov, cv)
        );
    };
    row(
        "sequential calls/s (our client)",
        c.sequential,
        o.sequential,
        0,
        ">= 4x Crossbar, >= 0.7x relay",
    );
    row(
        "pipelined calls/s (1000 in flight)",
        c.pipelined,
        o.pipelined,
        0,
        ">= 15x Crossbar",
    );
    row(
        "router CPU us/call, sequential",
        c.sequential_cpu_us,
        o.sequential_cpu_us,
        1,
        "",
    );
    row(
        "router CPU us/call, pipelined",
        c.pipelined_cpu_us,
        o.pipelined_cpu_us,
        1,
        "<= 15 us per routed call",
    );
    row(
        "sequential round trips/s (minimal)",
        c.raw_sequential,
        o.raw_sequential,
        0,
        "",
    );
    row(
        "router CPU us/call (minimal, sequential)",
        c.raw_sequential_cpu_us,
        o.raw_sequential_cpu_us,
        1,
        "",
    );
    row(
        "pipelined calls/s (minimal, 1000 at once)",
        c.raw_pipelined,
        o.raw_pipelined,
        0,
        "",
    );
    row(
        "router CPU us/call (minimal, pipelined)",
        c.raw_pipelined_cpu_us,
        o.raw_pipelined_cpu_us,
        1,
        "<= 15 us per routed call",
    );
    let flow =
        |list: &[(&str, Flow)], how: &str| list.iter().find(|(h, _)| *h == how).map(|(_, f)| *f);
    for (name, cl, ol, target) in [
        (
            "publish->event/s (our client)",
            &c.events,
            &o.events,
            ">= 10x Crossbar, zero loss",
        ),
        (
            "publish->event/s (minimal clients)",
            &c.raw_events,
            &o.raw_events,
            ">= 10x Crossbar, zero loss",
        ),
        (
            "fan-out to N: events delivered/s",
            &c.fanout,
            &o.fanout,
            "(reported)",
        ),
    ] {
        println!("{name}");
        for how in ["full speed", "windowed"] {
            let (cf, of) = (flow(cl, how), flow(ol, how));
            row(
                &format!("  {how}"),
                cf.map(|f| f.rate),
                of.map(|f| f.rate),
                0,
                target,
            );
            let loss =
                |f: Option<Flow>| f.map_or("-".to_string(), |f| format!("{}/{}", f.lost, f.cut));
            println!(
                "{:<41} | {:>11} | {:>11} | {:>13} |",
                "    lost events/subscribers cut off",
                loss(cf),
                loss(of),
                ""
            );
            row(
                "    router CPU us/event",
                cf.and_then(|f| f.cpu_us),
                of.and_then(|f| f.cpu_us),
                2,
                "",
            );
        }
    }
    row(
        "idle router RSS MiB",
        c.idle_rss_kib.map(mib),
        o.idle_rss_kib.map(mib),
        2,
        "<= 6 MiB",
    );
    row(
        "RSS KiB per idle joined session",
        c.per_session_kib,
        o.per_session_kib,
        1,
        "<= 20 KiB",
    );
    match o.held {
        Some((n, open)) => println!(
            "sessions held by ours: {open} of {n} open, RSS {} MiB (target: 10,000 sessions held)",
            fmt_opt(o.held_rss_kib.map(mib), 2)
        ),
        None => println!("sessions held by ours: not measured"),
    }
    if let Some((relay, kind)) = relay {
        println!(
            "relay floor ({kind}, measured apart): {relay:.0} round trips/s; ours/relay: {} with our client (target >= 0.7x), {} with minimal clients; Crossbar.io/relay: {}",
            ratio(o.sequential, Some(relay)),
            ratio(o.raw_sequential, Some(relay)),
            ratio(c.sequential, Some(relay)),
        );
    }
    println!(
        "sequential / tokio relay, interleaved rounds (steadier): ours {} with our client (target >= 0.7x), {} with minimal clients; Crossbar.io {} with our client, {} with minimal clients",
        fmt_opt(o.relay_ratio, 2),
        fmt_opt(o.raw_relay_ratio, 2),
        fmt_opt(c.relay_ratio, 2),
        fmt_opt(c.raw_relay_ratio, 2),
    );
}

fn main() {
    let args = parse_args();
    match args.role.as_str() {
        // Before any runtime of the clients': the router process holds the router alone.
        "ours-router" => return ours_child::serve(args.router_threads),
        "relay" => return relay_role(&args.relay_kind, args.router_threads),
        "raw-load" => return raw_load_role(&args),
        "callee" => {
            return callee_role(
                args.url.as_deref().expect("--url"),
                &args.serializer,
                &args.client_runtime,
            )
        }
        _ => {}
    }
    // Pinned: run again under `taskset` (once); the routers and clients started from here
    // inherit the affinity.
    if let Some(cpu) = args.pin_cpu {
        if std::env::var_os("ROUTER_BENCH_PINNED").is_none() {
            use std::os::unix::process::CommandExt;
            let exe = std::env::current_exe().expect("own path");
            let err = Command::new("taskset")
                .arg("-c")
                .arg(cpu.to_string())
                .arg(&exe)
                .args(std::env::args_os().skip(1))
                .env("ROUTER_BENCH_PINNED", "1")
                .exec();
            eprintln!("--pin-cpu needs `taskset` (util-linux): {err}");
            std::process::exit(2);
        }
    }
    // The held sessions need a descriptor each: raise the soft limit to the hard one by
    // running again through a shell's `ulimit -n` (once).
    if let Some((soft, hard)) = procfs::nofile_limits() {
        if soft < hard && std::env::var_os("ROUTER_BENCH_NOFILE").is_none() {
            use std::os::unix::process::CommandExt;
            let exe = std::env::current_exe().expect("own path");
            let err = procfs::with_raised_nofile(&exe)
                .args(std::env::args_os().skip(1))
                .env("ROUTER_BENCH_NOFILE", "1")
                .exec();
            println!("could not raise the descriptor limit ({err}); going on with {soft}");
        }
    }
    let runtime = client_runtime(&args.client_runtime);
    println!(
        "router_bench: serializer {}, RawSocket over TCP loopback, {} cores{}, descriptor limit {:?}",
        args.serializer,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.pin_cpu
            .map(|c| format!(" (every process pinned to CPU {c})"))
            .unwrap_or_default(),
        procfs::nofile_limits()
    );
    let mut crossbar_figures = None;
    let mut ours_figures = None;
    for name in args.routers.clone() {
        if name == "crossbar" {
            println!("Crossbar.io 26.10.1 (test harness, controller and router worker processes):");
            let router = match std::panic::catch_unwind(wamp_suite::Router::start) {
                Ok(r) => r,
                Err(_) => {
                    println!("  not measured: Crossbar.io did not start (see above)");
                    continue;
                }
            };
            let Some(pid) = router.pid() else {
                println!("  not measured: no controller pid");
                continue;
            };
            let target = Target {
                name: "Crossbar.io",
                addr: router.rs_url().trim_start_matches("rs://").to_owned(),
                pid,
            };
            println!("  {} at {}, pid {}", target.name, target.url(), target.pid);
            crossbar_figures = Some(measure(&target, &args, &runtime));
            drop(router);
        } else {
            let extra: Vec<String> = args
                .router_threads
                .iter()
                .flat_map(|n| ["--router-threads".to_string(), n.to_string()])
                .collect();
            println!("ours (wamp-router, child process):");
            let router = ours_child::OursChild::spawn(&extra);
            let target = Target {
                name: "ours",
                addr: router.rs_url.trim_start_matches("rs://").to_owned(),
                pid: router.pid(),
            };
            println!(
                "  {} at {} and {}, pid {}",
                target.name,
                target.url(),
                router.ws_url,
                target.pid
            );
            let mut fig = measure(&target, &args, &runtime);
            held_phase(&target, &args, &mut fig);
            ours_figures = Some(fig);
            drop(router);
        }
    }
    println!("relay (two hops, no WAMP; minimal blocking caller, echo peer):");
    let mut best: Option<(f64, &str)> = None;
    for kind in ["tokio", "threads"] {
        match relay_phase(kind, &args) {
            Ok((rate, cpu, switches)) => {
                println!(
                    "  {kind} relay: {rate:.0} sequential round trips/s, relay CPU {cpu:.1} us per round trip, {switches:.2} context switches per round trip"
                );
                if best.map_or(true, |(b, _)| rate > b) {
                    best = Some((rate, kind));
                }
            }
            Err(e) => println!("  {kind} relay: not measured: {e}"),
        }
    }
    summary(crossbar_figures.as_ref(), ours_figures.as_ref(), best);
}
