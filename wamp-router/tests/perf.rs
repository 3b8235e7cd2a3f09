//! Router CPU per routed call and throughput, measured on the router's own thread
//! (`/proc/thread-self/schedstat`): `cargo test --release -p wamp-router --test perf -- --ignored --nocapture`.
//! Not timed tests: they print figures and only check that every call and event arrived.

use std::time::Instant;

use wamp_client::{JoinOptions, Session, TransportConfig};
use wamp_router::Router;

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

/// Starts a router on a thread of its own (a current-thread runtime); returns its URLs and a
/// handle that stops it and returns the router thread's CPU time in ns.
fn router_thread(listen: &'static [&'static str]) -> (Vec<String>, impl FnOnce() -> u64) {
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (cpu_tx, cpu_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut b = Router::builder().realm("realm1");
            for l in listen {
                b = b.listen(l).unwrap();
            }
            let router = b.start().await.unwrap();
            url_tx.send(router.urls()).unwrap();
            let _ = stop_rx.await;
            let _ = cpu_tx.send(thread_cpu_ns());
            router.stop().await;
        });
    });
    let urls = url_rx.recv().unwrap();
    (urls, move || {
        let _ = stop_tx.send(());
        let cpu = cpu_rx.recv().unwrap();
        thread.join().unwrap();
        cpu
    })
}

fn measure(url_kind: usize, serializer: &str) {
    let (urls, stop) = router_thread(&["ws://127.0.0.1:0/ws", "rs://127.0.0.1:0"]);
    let url = urls[url_kind].clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let serializer = serializer.to_string();
    let label = format!("{} {serializer}", urls[url_kind]);
    let (seq, piped, events) = rt.block_on(async move {
        let config = TransportConfig::new(&url)
            .unwrap()
            .serializer_names(&[&serializer])
            .unwrap();
        let callee = Session::join(&config, JoinOptions::new("realm1"))
            .await
            .unwrap();
        callee.register("com.example.add2", add2).await.unwrap();
        let caller = Session::join(&config, JoinOptions::new("realm1"))
            .await
            .unwrap();
        for _ in 0..1000 {
            let _: i64 = caller.call("com.example.add2", (1, 2)).await.unwrap();
        }
        // sequential
        let n = 20_000;
        let t = Instant::now();
        for i in 0..n {
            let r: i64 = caller.call("com.example.add2", (i, 1)).await.unwrap();
            assert_eq!(r, i + 1);
        }
        let seq = (n as f64 / t.elapsed().as_secs_f64(), n);
        // pipelined: 1000 in flight
        let m = 100_000;
        let t = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(1000));
        for i in 0..m {
            let caller = caller.clone();
            let permit = sem.clone().acquire_owned().await.unwrap();
            set.spawn(async move {
                let r: i64 = caller.call("com.example.add2", (i, 1)).await.unwrap();
                drop(permit);
                r
            });
            while set.try_join_next().is_some() {}
        }
        while set.join_next().await.is_some() {}
        let piped = (m as f64 / t.elapsed().as_secs_f64(), m);
        // publish -> event, one subscriber, acknowledged every 1000th to pace the publisher
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        callee
            .subscribe("com.example.topic", move |_: wamp_client::Event| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(());
                }
            })
            .await
            .unwrap();
        let e = 100_000;
        let t = Instant::now();
        for i in 0..e {
            if i % 1000 == 999 {
                caller
                    .publish_with(
                        "com.example.topic",
                        wamp_client::Payload::args(&(i,)).unwrap(),
                        wamp_client::PublishOptions::acknowledged(),
                    )
                    .await
                    .unwrap();
            } else {
                caller.publish("com.example.topic", (i,)).await.unwrap();
            }
        }
        for _ in 0..e {
            rx.recv().await.unwrap();
        }
        let events = (e as f64 / t.elapsed().as_secs_f64(), e);
        (seq, piped, events)
    });
    let cpu = stop();
    let messages = (seq.1 + piped.1 + 1000) as f64;
    println!(
        "{label}: sequential {:.0} calls/s, pipelined {:.0} calls/s, publish->event {:.0} events/s; \
         router cpu {:.2} us per routed call or event (all of them)",
        seq.0,
        piped.0,
        events.0,
        cpu as f64 / 1000.0 / (messages + events.1 as f64),
    );
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn router_cpu_per_routed_call() {
    measure(1, "msgpack");
    measure(0, "json");
}

/// Resident memory of the process, in bytes.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn router_memory_per_idle_joined_session() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use wamp_core::serializer::{Json, Serializer};

    const N: usize = 2000;
    let (urls, stop) = router_thread(&["rs://127.0.0.1:0"]);
    let addr = urls[0].trim_start_matches("rs://").to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hello = {
        let roles =
            wamp_core::Dict::from([("caller", wamp_core::Value::Dict(wamp_core::Dict::new()))]);
        let msg = wamp_core::Message::Hello {
            realm: "realm1".into(),
            details: wamp_core::Dict::from([("roles", wamp_core::Value::Dict(roles))]),
        };
        let mut bytes = Vec::new();
        Json.encode(&msg, &mut bytes).unwrap();
        let mut frame = wamp_core::framing::rawsocket::encode_header(0, bytes.len()).to_vec();
        frame.extend(bytes);
        frame
    };
    rt.block_on(async move {
        let join = |addr: String, hello: Vec<u8>| async move {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            s.write_all(&[0x7F, 0xF1, 0, 0]).await.unwrap();
            let mut reply = [0u8; 4];
            s.read_exact(&mut reply).await.unwrap();
            s.write_all(&hello).await.unwrap();
            let mut h = [0u8; 4];
            s.read_exact(&mut h).await.unwrap();
            let len = wamp_core::framing::rawsocket::parse_header(h, 1 << 24)
                .unwrap()
                .len;
            let mut welcome = vec![0u8; len];
            s.read_exact(&mut welcome).await.unwrap();
            s
        };
        // warm up: the first sessions allocate the router's tables
        let mut held = Vec::new();
        for _ in 0..100 {
            held.push(join(addr.clone(), hello.clone()).await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let before = rss_bytes();
        for _ in 0..N {
            held.push(join(addr.clone(), hello.clone()).await);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let after = rss_bytes();
        println!(
            "{N} idle joined sessions: {:.1} KiB each (process RSS, the clients' sockets included)",
            (after.saturating_sub(before)) as f64 / 1024.0 / N as f64
        );
        drop(held);
    });
    stop();
}
