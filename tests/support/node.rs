//! A Crossbar.io node run from a configuration the test gives, such as the one the README
//! tells users to start (`examples/crossbar/config.json`).

use std::fs::{self, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::router::{read_pid, shutdown, spawn_node, unique_dir, Running};
use crate::START_TIMEOUT;

/// A Crossbar.io node with a given config; dropping it stops the node and removes its
/// directory.
pub struct CrossbarNode {
    dir: PathBuf,
    log_path: PathBuf,
    running: Option<Running>,
}

impl CrossbarNode {
    /// Starts a node with `config` (a node configuration as `config.json` holds it) and waits
    /// until 127.0.0.1:`port` accepts connections.
    ///
    /// # Panics
    ///
    /// When Crossbar.io cannot be installed or started, or does not listen on `port` within
    /// [`START_TIMEOUT`], with the tail of its log.
    pub fn start(config: &serde_json::Value, port: u16) -> CrossbarNode {
        let dir = unique_dir().unwrap_or_else(|e| panic!("{e}"));
        let cbdir = dir.join(".crossbar");
        fs::create_dir(&cbdir).unwrap_or_else(|e| panic!("creating {}: {e}", cbdir.display()));
        let text = serde_json::to_string_pretty(config).expect("config serializes");
        fs::write(cbdir.join("config.json"), text).expect("writing config.json");
        let log_path = dir.join("crossbar.log");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("opening crossbar.log");
        let stderr = log.try_clone().expect("cloning the log handle");
        let running = spawn_node(&dir, false, log, stderr).unwrap_or_else(|e| panic!("{e}"));
        let mut node = CrossbarNode {
            dir,
            log_path,
            running: Some(running),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(250)).is_ok() {
                break;
            }
            let exited = node
                .running
                .as_mut()
                .is_some_and(|r| matches!(r.supervisor.try_wait(), Ok(Some(_))));
            if exited || Instant::now() >= deadline {
                panic!(
                    "Crossbar.io with the given config did not listen on {addr} ({}); log:\n{}",
                    if exited { "it exited" } else { "timed out" },
                    node.log_tail(60)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(r) = node.running.as_mut() {
            r.pid = read_pid(&node.dir);
        }
        node
    }

    /// The last `lines` lines of the node's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(&self.log_path).unwrap_or_default();
        crate::process::tail(&text, lines)
    }
}

impl Drop for CrossbarNode {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let pid = running.pid;
            shutdown(&mut running, None, pid);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago, below the range the kernel takes the
/// local ports of outgoing connections from (so that a router restarted on it finds it free).
pub fn free_port() -> u16 {
    bind_free()
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// The lowest port the harness hands out.
const LOWEST_PORT: u16 = 10_000;

/// Binds a TCP listener on 127.0.0.1 on a free port below the range the kernel takes the local
/// ports of outgoing connections from (`/proc/sys/net/ipv4/ip_local_port_range`). A router
/// killed and restarted on its ports must find them free, and a port in that range can be
/// taken meanwhile by any connection a test running beside it opens. Each call of the process
/// tries the next port of its own sequence (from a start of its own), so that ports handed out
/// and released are not handed out again at once. Where that range is unknown, port 0.
pub(crate) fn bind_free() -> std::io::Result<TcpListener> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static START: OnceLock<u32> = OnceLock::new();
    let ephemeral = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .filter(|&low| low > LOWEST_PORT + 1000);
    if let Some(ephemeral) = ephemeral {
        let span = u32::from(ephemeral - LOWEST_PORT);
        let start = *START.get_or_init(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            std::process::id().wrapping_mul(2_654_435_761) ^ nanos
        });
        for _ in 0..1000 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = LOWEST_PORT + (start.wrapping_add(n) % span) as u16;
            if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                return Ok(listener);
            }
        }
    }
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
}
