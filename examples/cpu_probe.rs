//! Instructions per pipelined call, counted with callgrind: a steadier figure than CPU time on
//! a machine whose speed varies. Joins over MessagePack, then makes `CALLS` calls of
//! `bench.echo` with `WINDOW` in flight (a task each); only [`measured`] is counted.
//!
//! ```sh
//! cargo build --release --examples
//! target/release/examples/cpu_probe rs://127.0.0.1:8081 callee &      # registers bench.echo
//! valgrind --tool=callgrind --toggle-collect='cpu_probe::measured' \
//!     target/release/examples/cpu_probe rs://127.0.0.1:8081 caller 20000
//! ```
//!
//! `WINDOW=1` makes the calls one at a time; `INTERCEPTORS=N` gives the caller's session N
//! interceptors that pass every message on.
//!
//! Divide the instructions collected by the calls made (the number given plus `WINDOW` for
//! the warm-up, 1000 by default). `current` (default) or `multi` as a fourth argument picks the
//! runtime; on `multi`, collect without `--toggle-collect` and subtract two runs of different
//! sizes, since the calls then run on worker threads.

use std::time::Duration;

use wamp_client::{
    Interceptor, Interceptors, Invocation, JoinOptions, Payload, Session, TransportConfig,
    WampError,
};

/// An interceptor that passes every message on unchanged.
struct PassOn;

impl Interceptor for PassOn {}

/// Bound on the whole run.
const LIMIT: Duration = Duration::from_secs(600);

/// Runs `calls` calls, `window` at a time, on `runtime`; kept out of line for callgrind.
#[inline(never)]
fn measured(runtime: &tokio::runtime::Runtime, session: &Session, calls: usize, window: usize) {
    let payload = Payload::args(&(1, "two", 3.0)).expect("payload");
    if std::env::var_os("INLINE").is_some() {
        // The calls made by the runtime's own `block_on` future, as `#[tokio::main]` code does.
        runtime.block_on(async {
            for _ in 0..calls {
                session
                    .call_with("bench.echo", payload.clone(), Default::default())
                    .await
                    .expect("call");
            }
        });
        return;
    }
    runtime.block_on(async {
        let per_task = calls / window;
        let tasks: Vec<_> = (0..window)
            .map(|_| {
                let (session, payload) = (session.clone(), payload.clone());
                tokio::spawn(async move {
                    let start = std::time::Instant::now();
                    for _ in 0..per_task {
                        if start.elapsed() > LIMIT {
                            break;
                        }
                        session
                            .call_with("bench.echo", payload.clone(), Default::default())
                            .await
                            .expect("call");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("caller task");
        }
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: cpu_probe URL callee|caller [CALLS] [current|multi]";
    let url = args.first().expect(usage);
    let role = args.get(1).expect(usage);
    let calls: usize = args.get(2).map_or(20_000, |n| n.parse().expect(usage));
    let window: usize = std::env::var("WINDOW")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1000)
        .max(1);
    let runtime = match args.get(3).map(String::as_str) {
        Some("multi") => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    let transport = TransportConfig::new(url)
        .and_then(|t| t.serializer_names(&["msgpack"]))
        .expect(usage);
    // NO_KEEPALIVE=1: no liveness checks (and so no timer armed while calls run).
    let transport = if std::env::var_os("NO_KEEPALIVE").is_some() {
        transport.no_keepalive()
    } else {
        transport
    };
    // INTERCEPTORS=N: N interceptors that pass every message on (what the chain costs).
    let interceptors: usize = std::env::var("INTERCEPTORS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let chain = (0..interceptors).fold(Interceptors::new(), |chain, _| chain.push(PassOn));
    let options = JoinOptions::new("realm1").interceptors(chain);
    let session = runtime
        .block_on(Session::join(&transport, options))
        .expect("join");
    if role == "callee" {
        runtime.block_on(async {
            let _registration = session
                .register("bench.echo", |inv: Invocation| async move {
                    Ok::<_, WampError>(inv.payload)
                })
                .await
                .expect("register");
            println!("READY");
            tokio::time::sleep(LIMIT).await;
        });
        return;
    }
    measured(&runtime, &session, window, window); // warm-up
    measured(&runtime, &session, calls, window);
    let _ = runtime.block_on(session.leave());
}
