//! The `web_publisher` example as a user runs it: its HTTP endpoints publish to a real
//! Crossbar.io and to our router (`crossbar::NAME`, `ours::NAME`), answer 503 while it has no
//! session, serve the client's metrics in Prometheus text format, and SIGTERM stops it
//! cleanly.
//!
//! The test runs the example's binary, which `cargo test` (without target filters) builds
//! next to the test binaries; after `cargo test --test web_publisher` alone, build it with
//! `cargo build --examples` first.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wamp_client::{Session, SubscribeOptions};
use wamp_suite::example_binary;

/// The bound of every wait.
const LIMIT: Duration = Duration::from_secs(30);

const TOPIC: &str = "com.example.web.hits";

/// A running example; killed when dropped, so that a failing test leaves no process behind.
struct Example {
    child: Child,
    /// Its stdout, line by line.
    stdout: mpsc::Receiver<String>,
    /// Its stdout and stderr so far, for failure messages.
    output: Arc<Mutex<Vec<String>>>,
    /// The HTTP address, once read.
    addr: Option<SocketAddr>,
}

impl Example {
    fn start(router_url: &str) -> Example {
        let mut child = Command::new(example_binary("web_publisher"))
            .args([router_url, "--realm", "realm1", "--http-port", "0"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start the web_publisher example");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, stdout) = mpsc::channel();
        let out = child.stdout.take().expect("piped stdout");
        let log = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let err = child.stderr.take().expect("piped stderr");
        let log = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line);
            }
        });
        let mut example = Example {
            child,
            stdout,
            output,
            addr: None,
        };
        example.addr = Some(example.read_address());
        example
    }

    /// Waits (bounded) for `listening on http://ADDR` on stdout.
    fn read_address(&mut self) -> SocketAddr {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                        return addr
                            .parse()
                            .unwrap_or_else(|e| panic!("bad address in {line:?}: {e}"));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => self.fail(&format!(
                    "no `listening on http://...` line within {LIMIT:?}"
                )),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Give the stderr reader a moment to collect the reason.
                    std::thread::sleep(Duration::from_millis(200));
                    self.fail("the example closed its stdout without printing its address")
                }
            }
        }
    }

    fn addr(&self) -> SocketAddr {
        self.addr.expect("the address was read at start")
    }

    fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        http(self.addr(), method, path, body)
            .unwrap_or_else(|e| self.fail(&format!("{method} {path}: {e}")))
    }

    /// `GET path`: the status and the body as text.
    fn get_text(&self, path: &str) -> (u16, String) {
        http_text(self.addr(), "GET", path, None)
            .unwrap_or_else(|e| self.fail(&format!("GET {path}: {e}")))
    }

    /// Waits (bounded) for the process to exit.
    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(None) => self.fail(&format!("still running {limit:?} after SIGTERM")),
                Err(e) => self.fail(&format!("cannot wait for the example: {e}")),
            }
        }
    }

    fn output(&self) -> String {
        let lines = self.output.lock().unwrap_or_else(|p| p.into_inner());
        let tail = &lines[lines.len().saturating_sub(40)..];
        tail.join("\n")
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "web_publisher example: {what}\n--- its output (last 40 lines) ---\n{}",
            self.output()
        )
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the JSON body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, Value)> {
    let (status, text) = http_text(addr, method, path, body)?;
    let json = serde_json::from_str(&text).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a body that is not JSON ({e}): {text:?}"),
        )
    })?;
    Ok((status, json))
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the body as text.
fn http_text(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let timeout = Duration::from_secs(10);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    stream.write_all(request.as_bytes())?;

    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8(response)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let bad = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{what} in response {response:?}"),
        )
    };
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(bad("a chunked body (expected Content-Length)"));
    }
    Ok((status, body.to_owned()))
}

/// Polls `GET /health` until it answers 200 (bounded).
fn wait_healthy(example: &Example) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let (status, body) = example.request("GET", "/health", None);
        if status == 200 {
            assert_eq!(body, json!({ "wamp": "ready" }));
            return;
        }
        assert_eq!(status, 503, "GET /health: {body}");
        assert_eq!(body, json!({ "wamp": "not ready" }));
        if Instant::now() > deadline {
            example.fail(&format!("GET /health not 200 within {LIMIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `f` on `rt` for at most [`LIMIT`]; `None` when it takes longer.
fn bounded<T>(rt: &tokio::runtime::Runtime, f: impl std::future::Future<Output = T>) -> Option<T> {
    rt.block_on(async { tokio::time::timeout(LIMIT, f).await.ok() })
}

#[test]
fn without_a_session_requests_are_refused_at_once_with_503() {
    // A router URL where nothing listens: the component keeps retrying in the background.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let example = Example::start(&format!("ws://127.0.0.1:{port}/ws"));

    let started = Instant::now();
    let (status, body) = example.request("POST", &format!("/publish/{TOPIC}"), Some(r#"{"a":1}"#));
    assert_eq!(
        (status, &body),
        (503, &json!({ "error": "not connected to the router" }))
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "503 took {:?}: a request must not wait for a reconnect",
        started.elapsed()
    );

    let (status, body) = example.request("GET", "/health", None);
    assert_eq!((status, &body), (503, &json!({ "wamp": "not ready" })));
}

wamp_suite::on_both_routers! {
    #[test]
    fn posts_are_published_to_the_router_and_sigterm_stops_the_example(router) {
        let url = router.ws_url();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let subscriber = bounded(&rt, Session::connect(&url, "realm1"))
            .expect("subscriber: join timed out")
            .expect("subscriber: join failed");
        let mut events = bounded(
            &rt,
            subscriber.subscribe_stream(TOPIC, SubscribeOptions::default()),
        )
        .expect("subscribe timed out")
        .expect("subscribe failed");

        let mut example = Example::start(&url);
        wait_healthy(&example);

        let hit = json!({ "page": "/index.html", "visitor": 42, "tags": ["a", "b"], "new": true });
        let (status, body) =
            example.request("POST", &format!("/publish/{TOPIC}"), Some(&hit.to_string()));
        assert_eq!((status, &body), (202, &json!({ "published": true })));
        let event = bounded(&rt, events.next())
            .unwrap_or_else(|| example.fail(&format!("no event within {LIMIT:?}")))
            .expect("the subscription ended");
        assert_eq!(event.topic, TOPIC);
        assert_eq!(event.payload.args.len(), 1, "{:?}", event.payload.args);
        assert_eq!(event.payload.arg::<Value>(0).unwrap(), hit);

        // The client's metrics, in Prometheus text format (with the `metrics` feature, on by
        // default): the publication is counted, and the component's time to ready is there.
        if cfg!(feature = "metrics") {
            let (status, metrics) = example.get_text("/metrics");
            assert_eq!(status, 200, "{metrics}");
            let has = |prefix: &str| metrics.lines().any(|l| l.starts_with(prefix));
            assert!(
                has(r#"wamp_client_publications_total{realm="realm1"} 1"#),
                "no publication counted:\n{metrics}"
            );
            assert!(has("wamp_client_time_to_ready_seconds"), "{metrics}");
        }

        // A URI the session refuses: 400 with the error's text.
        let (status, body) = example.request("POST", "/publish/com..bad", Some("1"));
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );

        // SIGTERM: the HTTP server stops, the session leaves, the process exits with success.
        #[cfg(unix)]
        {
            let pid = example.child.id().to_string();
            let killed = Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("cannot run kill");
            assert!(killed.success(), "kill -TERM {pid}: {killed}");
            let status = example.wait_exit(LIMIT);
            assert!(
                status.success(),
                "exit status {status}\n{}",
                example.output()
            );
        }

        bounded(&rt, subscriber.leave())
            .expect("leave timed out")
            .expect("leave failed");
    }
}
