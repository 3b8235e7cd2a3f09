//! Resident memory of an idle joined client, then with 1000 registrations: a minimal client
//! binary, so that the figure is what an application pays (the benchmark runs it). It uses
//! the session API only: a binary that also holds code it does not run maps more of it
//! (the kernel maps neighbouring pages of the executable on each fault), so the memory of
//! components is measured by `examples/components_probe.rs`.
//!
//! ```sh
//! cargo run --release --example memory_probe -- rs://127.0.0.1:8081 [current|multi]
//! ```
//!
//! Prints `MEMORY <before join> <idle joined> <with 1000 registrations>` in KiB.

use std::time::Duration;

use wamp_client::{Invocation, Session, WampError};

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

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: memory_probe URL [current|multi]");
    let runtime = match args.next().as_deref() {
        Some("multi") => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    runtime.block_on(probe(&url));
}
