//! Resident memory of many components in one process, each with one procedure and one
//! subscription (the benchmark runs it).
//!
//! ```sh
//! cargo run --release --example components_probe -- rs://127.0.0.1:8081 100 [current|multi]
//! ```
//!
//! Prints `COMPONENTS <one component ready> <N more ready>` in KiB.

use std::time::Duration;

use wamp_client::{Component, Event, Invocation, WampError};

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Starts `n` components (after a first one), each with a procedure and a subscription, and
/// measures when all are ready.
async fn components(url: &str, n: usize) {
    let make = |i: usize| {
        Component::builder()
            .name(format!("probe{i}"))
            .transport(url)
            .realm("realm1")
            .procedure(format!("probe.c{i}.echo"), |inv: Invocation| async move {
                Ok::<_, WampError>(inv.payload)
            })
            .subscription(format!("probe.c{i}.topic"), |_e: Event| async {})
            .build()
            .expect("component")
    };
    let limit = Duration::from_secs(120);
    let first = make(0).start();
    tokio::time::timeout(limit, first.ready())
        .await
        .expect("ready in time")
        .expect("ready");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let one = status_kib("VmRSS:");
    let mut handles = Vec::with_capacity(n);
    for i in 1..=n {
        handles.push(make(i).start());
    }
    for h in &handles {
        tokio::time::timeout(limit, h.ready())
            .await
            .expect("ready in time")
            .expect("ready");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = status_kib("VmRSS:");
    println!("COMPONENTS {one} {all}");
    for h in handles.iter().chain([&first]) {
        let _ = h.stop().await;
    }
}

fn main() {
    let usage = "usage: components_probe URL N [current|multi]";
    let mut args = std::env::args().skip(1);
    let url = args.next().expect(usage);
    let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let runtime = match args.next().as_deref() {
        Some("multi") => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    runtime.block_on(components(&url, n));
}
