//! Resident memory of an idle joined client, then with 1000 registrations; or of many
//! components in one process: a minimal client binary, so that the figure is what an
//! application pays (the benchmark runs it).
//!
//! ```sh
//! cargo run --release --example memory_probe -- rs://127.0.0.1:8081 [current|multi]
//! cargo run --release --example memory_probe -- rs://127.0.0.1:8081 components 100 [current|multi]
//! ```
//!
//! Prints `MEMORY <before join> <idle joined> <with 1000 registrations>` in KiB; with
//! `components N`, `COMPONENTS <one component ready> <N components ready>` in KiB, each
//! component with one procedure and one subscription.

use std::time::Duration;

use wamp_client::{Component, Event, Invocation, Session, WampError};

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn probe(url: &str) {
    let before = status_kib("VmRSS:");
    let session = Session::connect(url, "realm1").await.expect("join");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = status_kib("VmRSS:");
    let mut registrations = Vec::with_capacity(1000);
    for i in 0..1000 {
        let reg = session
            .register(&format!("probe.p{i}"), |inv: Invocation| async move {
                Ok::<_, WampError>(inv.payload)
            })
            .await
            .expect("register");
        registrations.push(reg);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let registered = status_kib("VmRSS:");
    eprintln!(
        "memory detail: anonymous {} KiB, file-backed {} KiB",
        status_kib("RssAnon:"),
        status_kib("RssFile:")
    );
    println!("MEMORY {before} {idle} {registered}");
    let _ = session.leave().await;
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
    let mut args = std::env::args().skip(1);
    let usage = "usage: memory_probe URL [components N] [current|multi]";
    let url = args.next().expect(usage);
    let mut mode = args.next();
    let mut count = None;
    if mode.as_deref() == Some("components") {
        count = Some(args.next().and_then(|n| n.parse().ok()).expect(usage));
        mode = args.next();
    }
    let runtime = match mode.as_deref() {
        Some("multi") => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    match count {
        Some(n) => runtime.block_on(components(&url, n)),
        None => runtime.block_on(probe(&url)),
    }
}
