//! Soak benchmark: the reliability suite's workload (tests/reliability.rs) for as long as you
//! like, with a fault through the fault proxy every few seconds, and the same figures.
//!
//! ```sh
//! cargo run --release --example soak -- --duration 60 --router ours
//! cargo run --release --example soak -- --duration 600 --router crossbar --fault-every 15
//! ```
//!
//! The workload ([`wamp_suite::workload`]): a component (it reconnects) registers a procedure
//! answering after 20 ms and subscribes to a topic; a caller session (joined again whenever it
//! is lost) and the component's handle keep `--calls` (1,000) calls in flight; the caller
//! publishes a stream of acknowledged publications. Both connect through fault proxies in
//! front of the router. Every `--fault-every` seconds (10) comes the next fault, in turn:
//!
//! 1. every connection dropped;
//! 2. the router frozen for 4 s (Crossbar.io: SIGSTOP to its processes; ours, which runs in
//!    this process: the proxies stop forwarding, keeping the connections open);
//! 3. the network a black hole for 4 s (half-open connections, noticed by keepalive);
//! 4. the router killed, and restarted 2 s later.
//!
//! At the end it prints calls done and failed (by cause) and hung, the longest call,
//! publications sent, acknowledged and delivered, protected publications lost (acknowledged
//! while the subscriber's session was up and stayed up, yet not delivered: see
//! [`wamp_suite::workload`]), reconnects, and resident memory at the start, at its peak and at
//! the end (of this process: with `--router ours` that includes the router). It exits with
//! status 1 when a call hung or a protected publication was lost.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use wamp_suite::measure::mib;
use wamp_suite::workload::{Workload, WorkloadConfig};
use wamp_suite::{Endpoint, FaultMode, FaultProxy, Frozen, Ours, Router, TestRouter};

/// How long a freeze or a black hole lasts, and how long a killed router stays down.
const FROZEN_FOR: Duration = Duration::from_secs(4);
const DOWN_FOR: Duration = Duration::from_secs(2);

struct Args {
    duration: Duration,
    router: String,
    fault_every: Duration,
    calls: usize,
}

const USAGE: &str =
    "usage: soak [--duration SECS] [--router ours|crossbar] [--fault-every SECS] [--calls N]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        duration: Duration::from_secs(60),
        router: "ours".into(),
        fault_every: Duration::from_secs(10),
        calls: 1_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))
        };
        let secs = |v: String| {
            v.parse::<u64>()
                .ok()
                .filter(|&s| s > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| format!("{v}: not a positive number of seconds"))
        };
        match flag.as_str() {
            "--duration" => args.duration = secs(value()?)?,
            "--fault-every" => args.fault_every = secs(value()?)?,
            "--router" => args.router = value()?,
            "--calls" => {
                let v = value()?;
                args.calls = v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 2)
                    .ok_or_else(|| format!("{v}: not a number of calls (2 or more)"))?;
            }
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}; {USAGE}")),
        }
    }
    if args.router != "ours" && args.router != "crossbar" {
        return Err(format!("--router {}: ours or crossbar", args.router));
    }
    Ok(args)
}

/// The router under test.
enum Under {
    Crossbar(Router),
    Ours(Ours),
}

impl Under {
    fn router(&self) -> &dyn TestRouter {
        match self {
            Under::Crossbar(r) => r,
            Under::Ours(r) => r,
        }
    }
}

/// Sleeps until `at`, or not at all when it has passed.
async fn sleep_until(at: Instant) {
    tokio::time::sleep(at.saturating_duration_since(Instant::now())).await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    println!(
        "soak: {} s against {}, a fault every {} s, {} calls in flight",
        args.duration.as_secs(),
        args.router,
        args.fault_every.as_secs(),
        args.calls
    );
    let under = tokio::task::block_in_place(|| match args.router.as_str() {
        "crossbar" => Under::Crossbar(Router::start()),
        _ => Under::Ours(Ours::start()),
    });
    let router = under.router();
    let (Some(ws_addr), Some(rs_addr)) = (router.addr(Endpoint::Ws), router.addr(Endpoint::Rs))
    else {
        eprintln!("the router has no TCP endpoints");
        return ExitCode::from(2);
    };
    let ws = FaultProxy::start(ws_addr);
    let rs = FaultProxy::start(rs_addr);
    let mut config = WorkloadConfig::new(&ws.url(Endpoint::Ws), &rs.url(Endpoint::Rs));
    config.calls_in_flight = args.calls;
    let workload = Workload::start(config);

    let started = Instant::now();
    let end = started + args.duration;
    let mut next_fault = started + args.fault_every;
    let mut fault = 0usize;
    while next_fault + FROZEN_FOR < end {
        sleep_until(next_fault).await;
        let lost = workload.check();
        let at = started.elapsed().as_secs_f64();
        match fault % 4 {
            0 => {
                println!("{at:7.1} s: dropping every connection");
                ws.drop_connections();
                rs.drop_connections();
            }
            1 => {
                println!("{at:7.1} s: freezing the router for {FROZEN_FOR:?}");
                let frozen = match &under {
                    Under::Crossbar(r) => r.pid().map(Frozen::process_group),
                    Under::Ours(_) => {
                        ws.set_mode(FaultMode::Freeze);
                        rs.set_mode(FaultMode::Freeze);
                        None
                    }
                };
                tokio::time::sleep(FROZEN_FOR).await;
                drop(frozen); // SIGCONT
                ws.set_mode(FaultMode::Forward);
                rs.set_mode(FaultMode::Forward);
            }
            2 => {
                println!("{at:7.1} s: a black hole for {FROZEN_FOR:?}");
                ws.set_mode(FaultMode::BlackHole);
                rs.set_mode(FaultMode::BlackHole);
                tokio::time::sleep(FROZEN_FOR).await;
                ws.set_mode(FaultMode::Forward);
                rs.set_mode(FaultMode::Forward);
            }
            _ => {
                println!("{at:7.1} s: killing the router, restarting it in {DOWN_FOR:?}");
                tokio::task::block_in_place(|| under.router().kill());
                tokio::time::sleep(DOWN_FOR).await;
                tokio::task::block_in_place(|| under.router().restart());
            }
        }
        if !lost.is_empty() {
            println!(
                "          protected publications lost so far: {}",
                lost.len()
            );
        }
        fault += 1;
        next_fault += args.fault_every;
    }
    sleep_until(end).await;
    let figures = workload.finish().await;
    println!("faults:                 {fault}\n{figures}");
    println!(
        "rss growth:             {:+.1} MiB from start to end",
        mib(figures.rss_now_kib) - mib(figures.rss_start_kib)
    );
    if figures.calls_hung > 0 || figures.lost > 0 {
        eprintln!("FAILED: hung calls or lost publications");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
