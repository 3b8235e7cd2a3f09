//! Shared by the Rust ports of Autobahn's WAMP example suite (`examples/*_backend.rs`,
//! `examples/*_frontend.rs`): where the router is, the realm, and how lines are printed.
//! The conventions are those of `tests/peers/autobahn/EXAMPLES.md`, so that each Rust
//! backend works with the Autobahn|Python frontend of the same example and the reverse.

#![allow(dead_code)]

use std::io::Read;
use std::time::Duration;

use serde::Serialize;

/// Autobahn's demo realm.
pub const REALM: &str = "crossbardemo";

/// How long a frontend may run in all before it gives up (exit status 2).
pub const FRONTEND_LIFETIME: Duration = Duration::from_secs(60);

/// The router: `$AUTOBAHN_DEMO_ROUTER`, by default `ws://127.0.0.1:8080/ws`.
pub fn router() -> String {
    std::env::var("AUTOBAHN_DEMO_ROUTER").unwrap_or_else(|_| "ws://127.0.0.1:8080/ws".into())
}

/// A value as compact JSON with sorted keys, as the Python peers print it.
pub fn show<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_value(value)
        .and_then(|v| serde_json::to_string(&v))
        .unwrap_or_else(|e| format!("<unprintable: {e}>"))
}

/// Prints `reason` on stderr and exits with status 1.
pub fn fail(reason: impl std::fmt::Display) -> ! {
    eprintln!("{reason}");
    std::process::exit(1)
}

/// Call at the start of a backend: with `WAMP_PEER_WATCH_STDIN=1`, exits (status 3) when
/// stdin reaches its end, i.e. when the process that started us is gone.
pub fn backend() {
    watch_parent();
}

/// Call at the start of a frontend: as [`backend`], and exits with status 2 once the
/// frontend has run for [`FRONTEND_LIFETIME`].
pub fn frontend() {
    watch_parent();
    std::thread::spawn(|| {
        std::thread::sleep(FRONTEND_LIFETIME);
        eprintln!("still running after {FRONTEND_LIFETIME:?}: giving up");
        std::process::exit(2);
    });
}

fn watch_parent() {
    if std::env::var("WAMP_PEER_WATCH_STDIN").as_deref() != Ok("1") {
        return;
    }
    std::thread::spawn(|| {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 64];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        eprintln!("stdin closed: the parent is gone");
        std::process::exit(3);
    });
}

/// A component on the demo router and realm that does not reconnect: a connection that
/// cannot be made, or is lost, ends the example (see [`run`]).
pub fn component(name: &str) -> wamp_client::ComponentBuilder {
    wamp_client::Component::builder()
        .name(name)
        .transport(router().as_str())
        .realm(REALM)
        .is_fatal(|_| Some(true))
}

/// Builds and runs the component until it ends; a failure exits with status 1.
pub fn run(component: wamp_client::ComponentBuilder) {
    let component = component.build().unwrap_or_else(|e| fail(e));
    if let Err(e) = wamp_client::run(vec![component]) {
        fail(e);
    }
}

/// Leaves the session (which ends the component); a failure exits with status 1.
pub async fn leave(session: &wamp_client::Session) {
    if let Err(e) = session.leave().await {
        fail(format!("cannot leave: {e}"));
    }
}

/// Counts the events a frontend waits for: the first `target` are taken, later ones
/// (arriving while the frontend leaves) are ignored.
pub struct Countdown {
    target: usize,
    taken: std::sync::atomic::AtomicUsize,
    done: tokio::sync::Notify,
}

impl Countdown {
    /// Waits for `target` events.
    pub fn new(target: usize) -> Self {
        Countdown {
            target,
            taken: Default::default(),
            done: Default::default(),
        }
    }

    /// Takes one event: runs `handle` if it is among the first `target`.
    pub fn take(&self, handle: impl FnOnce()) {
        let n = self.taken.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n <= self.target {
            handle();
        }
        if n == self.target {
            self.done.notify_one();
        }
    }

    /// Whether all `target` events were taken.
    pub fn is_done(&self) -> bool {
        self.taken.load(std::sync::atomic::Ordering::SeqCst) >= self.target
    }

    /// Waits until all `target` events were taken; after `limit`, the frontend fails,
    /// naming `what` it waited for.
    pub async fn wait(&self, limit: Duration, what: &str) {
        if tokio::time::timeout(limit, self.done.notified())
            .await
            .is_err()
        {
            fail(format!(
                "{} {what} did not arrive within {limit:?}",
                self.target
            ));
        }
    }
}

/// Ends a frontend's job: a failure exits with status 1, success leaves the session.
pub async fn finish<E: std::fmt::Display>(session: &wamp_client::Session, job: Result<(), E>) {
    if let Err(e) = job {
        fail(e);
    }
    leave(session).await;
}
