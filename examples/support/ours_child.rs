//! Our router (wamp-router) in a child process of a benchmark, so that the benchmark's CPU is
//! the client's alone and the router's can be read from `/proc/PID`.
//!
//! The child is the benchmark's own binary run with `--role ours-router`: it calls [`serve`],
//! which prints the RawSocket URL and the WebSocket URL on two lines (as `bench --role router`
//! does for Crossbar.io) and routes until its standard input closes. The parent holds an
//! [`OursChild`]; dropping it closes that pipe and waits for the child (killing it after 10 s).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use wamp_router::core::{Allow, Disclose, MatchPolicy, Permission, RealmConfig, RoleConfig};

/// `realm1` as the test harness configures it on Crossbar.io: role `anonymous` may do
/// anything, and caller and publisher are disclosed (so both routers put the same details in
/// INVOCATION and EVENT).
fn realm1() -> RealmConfig {
    RealmConfig {
        name: "realm1".into(),
        roles: vec![RoleConfig {
            name: "anonymous".into(),
            permissions: vec![Permission {
                uri: String::new(),
                match_: MatchPolicy::Prefix,
                allow: Allow::ALL,
                disclose: Disclose {
                    caller: true,
                    publisher: true,
                },
            }],
        }],
    }
}

/// `--role ours-router`: our router on `rs://127.0.0.1:0` and `ws://127.0.0.1:0/ws` with
/// `realm1`, on a multi-threaded tokio runtime (`threads` workers, default one per core, as
/// `wamp router` runs); prints the two URLs, routes until standard input closes, then stops
/// gracefully. With `RUST_LOG` set, logs to standard error.
pub fn serve(threads: Option<usize>) {
    // `RUST_LOG=wamp_router=debug`: what the router does (slow consumers cut off, ...).
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder.enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let router = wamp_router::Router::builder()
            .realm_config(realm1())
            .listen("rs://127.0.0.1:0")
            .expect("rs URL")
            .listen("ws://127.0.0.1:0/ws")
            .expect("ws URL")
            .start()
            .await
            .expect("start our router");
        for url in router.urls() {
            println!("{url}");
        }
        std::io::stdout().flush().ok();
        let _ = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await;
        let _ = tokio::time::timeout(Duration::from_secs(10), router.stop()).await;
    });
}

/// Our router running in a child process (see [`serve`]).
pub struct OursChild {
    child: Child,
    /// `rs://127.0.0.1:PORT`
    pub rs_url: String,
    /// `ws://127.0.0.1:PORT/ws`
    pub ws_url: String,
}

impl OursChild {
    /// Runs this program with `--role ours-router` and `extra` arguments, its descriptor limit
    /// raised to the hard limit (through `sh -c 'ulimit -n ...; exec ...'`, so the pid is the
    /// router's), and waits (at most 20 s) for its URLs.
    ///
    /// # Panics
    ///
    /// When it does not start.
    pub fn spawn(extra: &[String]) -> OursChild {
        let exe = std::env::current_exe().expect("own path");
        let mut child = super::procfs::with_raised_nofile(&exe)
            .args(["--role", "ours-router"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn our router");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out);
            let mut urls = Vec::new();
            let mut line = String::new();
            while urls.len() < 2 && reader.read_line(&mut line).unwrap_or(0) > 0 {
                urls.push(line.trim().to_owned());
                line.clear();
            }
            let _ = tx.send(urls);
            // Keep draining so that the child never blocks on a full pipe.
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                line.clear();
            }
        });
        let urls = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
        let rs_url = urls.iter().find(|u| u.starts_with("rs://")).cloned();
        let ws_url = urls.iter().find(|u| u.starts_with("ws://")).cloned();
        match (rs_url, ws_url) {
            (Some(rs_url), Some(ws_url)) => OursChild {
                child,
                rs_url,
                ws_url,
            },
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("our router did not print its URLs within 20 s (got {urls:?})");
            }
        }
    }

    /// The router's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for OursChild {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
