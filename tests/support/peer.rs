//! Autobahn|Python peers (tests/peers/*.py) as child processes speaking lines on stdout.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::process::{tail, wait_timeout};
use crate::venv::{python, repo_dir, SETUP_HINT};

/// How much of a peer's stderr is kept for failure messages.
const STDERR_KEEP: usize = 64 * 1024;
/// How many earlier stdout lines a failure message shows.
const SEEN_KEEP: usize = 20;

/// A running Autobahn|Python peer from `tests/peers/`, run with the virtualenv's Python.
///
/// The peer's stdout is read line by line ([`expect_line`](Peer::expect_line)); its stderr is
/// kept for failure messages. Dropping a `Peer` kills it. The peer also exits on its own after
/// its job or its `--timeout` (30 s by default), and as soon as this process dies (it watches
/// its stdin, a pipe from this process).
///
/// ```no_run
/// use std::time::Duration;
/// use wamp_suite::{router, Endpoint, Peer};
///
/// let router = router();
/// let mut args = router.peer_args(Endpoint::Ws, "json");
/// args.extend(["--prefix", "com.doc"].map(String::from));
/// let mut callee = Peer::spawn("callee.py", &args);
/// callee.expect_line("READY", Duration::from_secs(20));
///
/// let mut args = router.peer_args(Endpoint::Rs, "cbor");
/// args.extend(["--procedure", "com.doc.add2", "--args", "[2, 3]"].map(String::from));
/// let mut caller = Peer::spawn("caller.py", &args);
/// let result = caller.expect_json("RESULT", Duration::from_secs(20));
/// assert_eq!(result["args"][0], 5);
/// ```
pub struct Peer {
    name: String,
    child: Child,
    /// Held open so that the peer notices (end of file) when this process dies.
    _stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: VecDeque<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl Peer {
    /// Runs `tests/peers/<script>` with `args`, using the virtualenv's Python (installing it on
    /// first use, see [`venv`](crate::venv)).
    ///
    /// # Panics
    ///
    /// When the script does not exist or Python cannot be started.
    pub fn spawn<I, S>(script: &str, args: I) -> Peer
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Peer::spawn_with(script, |command| {
            command.args(args);
        })
    }

    /// [`spawn`](Peer::spawn), with `configure` adding arguments or environment variables to
    /// the command.
    ///
    /// ```no_run
    /// use wamp_suite::{router, Peer};
    ///
    /// let url = router().ws_url();
    /// let backend = Peer::spawn_with("autobahn/overview_backend.py", |c| {
    ///     c.env("AUTOBAHN_DEMO_ROUTER", &url);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// As [`spawn`](Peer::spawn).
    pub fn spawn_with(script: &str, configure: impl FnOnce(&mut Command)) -> Peer {
        let path = peers_dir().join(script);
        assert!(
            path.is_file(),
            "no peer script {} (peers live in tests/peers/)",
            path.display()
        );
        let python = python();
        let mut command = Command::new(&python);
        command
            .arg("-u")
            .arg(&path)
            .current_dir(peers_dir())
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("WAMP_PEER_WATCH_STDIN", "1");
        configure(&mut command);
        Peer::start(script, command, SETUP_HINT)
    }

    /// Runs any program that speaks lines on stdout, such as an example binary (see
    /// [`example_binary`]), with the same reading, failure messages and clean-up as a Python
    /// peer.
    ///
    /// ```no_run
    /// use std::process::Command;
    /// use std::time::Duration;
    /// use wamp_suite::{example_binary, Peer};
    ///
    /// let mut example = Peer::command("hello", Command::new(example_binary("hello")));
    /// let lines = example.finish(Duration::from_secs(60));
    /// ```
    ///
    /// # Panics
    ///
    /// When the program cannot be started.
    pub fn command(name: &str, command: Command) -> Peer {
        Peer::start(name, command, "")
    }

    fn start(name: &str, mut command: Command, hint: &str) -> Peer {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}\n{hint}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = line.trim_end_matches(['\n', '\r']).to_string();
                        if sender.send(text).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut kept = sink.lock().unwrap_or_else(|e| e.into_inner());
                        kept.push_str(&String::from_utf8_lossy(&buf[..n]));
                        if kept.len() > STDERR_KEEP {
                            let mut cut = kept.len() - STDERR_KEEP;
                            while !kept.is_char_boundary(cut) {
                                cut += 1;
                            }
                            kept.drain(..cut);
                        }
                    }
                }
            }
        });
        Peer {
            name: name.to_string(),
            _stdin: child.stdin.take(),
            child,
            lines,
            seen: VecDeque::new(),
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// Reads stdout lines until one starts with `prefix` and returns the rest of that line,
    /// leading whitespace trimmed (`""` for a bare `READY`). Earlier lines are skipped.
    ///
    /// # Panics
    ///
    /// After `timeout` without such a line, when the peer exits first, or when it reports
    /// `FAILED` (and `prefix` is not `FAILED`); the message shows the peer's recent output
    /// and stderr.
    pub fn expect_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.trim_start().to_string();
                    }
                    if line.starts_with("FAILED") {
                        let status = wait_timeout(&mut self.child, Duration::from_secs(2));
                        self.fail(&format!("reported {line} (exit status {status:?})"), prefix);
                    }
                    self.seen.push_back(line);
                    if self.seen.len() > SEEN_KEEP {
                        self.seen.pop_front();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.fail(&format!("printed nothing within {timeout:?}"), prefix)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = wait_timeout(&mut self.child, Duration::from_secs(5));
                    let status = status.map_or("still running".to_string(), |s| s.to_string());
                    self.fail(&format!("closed its stdout ({status})"), prefix)
                }
            }
        }
    }

    /// [`expect_line`](Peer::expect_line), with the rest of the line parsed as JSON.
    ///
    /// Binary values come as `{"__bytes__": "<hex>"}` (see [`bytes_from_json`]).
    ///
    /// # Panics
    ///
    /// As `expect_line`, or when the rest of the line is not JSON.
    pub fn expect_json(&mut self, prefix: &str, timeout: Duration) -> serde_json::Value {
        let text = self.expect_line(prefix, timeout);
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "peer {}: the {prefix} line is not JSON ({e}): {text}",
                self.name
            )
        })
    }

    /// Waits for the peer to exit by itself, at most `timeout`.
    ///
    /// # Panics
    ///
    /// When it is still running after `timeout` (it is killed then).
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        match wait_timeout(&mut self.child, timeout) {
            Some(status) => status,
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "peer {} did not exit within {timeout:?}; stderr:\n{}",
                    self.name,
                    self.stderr()
                )
            }
        }
    }

    /// Waits for the peer to exit by itself with status 0, at most `timeout`.
    ///
    /// # Panics
    ///
    /// When it does not exit in time or exits with another status.
    pub fn expect_success(&mut self, timeout: Duration) {
        let status = self.wait(timeout);
        if !status.success() {
            self.fail(&format!("exited with {status}"), "(exit status 0)");
        }
    }

    /// Waits for the peer to exit by itself with status 0, at most `timeout`, and returns the
    /// stdout lines that [`expect_line`](Peer::expect_line) has not read.
    ///
    /// # Panics
    ///
    /// As [`expect_success`](Peer::expect_success).
    pub fn finish(&mut self, timeout: Duration) -> Vec<String> {
        self.expect_success(timeout);
        // The reader thread ends at the end of stdout, which follows the exit.
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            rest.push(line);
        }
        rest
    }

    /// The peer's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything the peer wrote to stderr so far (the last 64 KiB).
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn fail(&mut self, what: &str, expected: &str) -> ! {
        // Let the stderr reader catch up if the peer has exited.
        if let Ok(Some(_)) = self.child.try_wait() {
            if let Some(reader) = self.stderr_reader.take() {
                let deadline = Instant::now() + Duration::from_secs(2);
                while !reader.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        let seen: Vec<String> = self
            .seen
            .iter()
            .map(|l| {
                if l.len() > 300 {
                    let mut cut = 300;
                    while !l.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    format!("{}...", &l[..cut])
                } else {
                    l.clone()
                }
            })
            .collect();
        panic!(
            "peer {} {what} while a line starting with {expected:?} was expected.\n\
             stdout (recent lines):\n{}\nstderr (tail):\n{}",
            self.name,
            seen.join("\n"),
            tail(&self.stderr(), 40)
        )
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("name", &self.name)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

/// The binary of example `name`, which `cargo test` (or `cargo build --examples`) builds
/// into `target/<profile>/examples/` beside the test binaries.
///
/// # Panics
///
/// When it is missing, or older than `examples/<name>.rs`, with the command that builds it.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test>-HASH -> target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} does not exist: run `cargo build --examples` (or a plain `cargo test`, which builds \
         the examples) before running this test alone",
        bin.display()
    );
    let source = repo_dir().join("examples").join(format!("{name}.rs"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(src), Some(built)) = (modified(&source), modified(&bin)) {
        assert!(
            built >= src,
            "{} is older than examples/{name}.rs: run `cargo build --examples`",
            bin.display()
        );
    }
    bin
}

/// The directory of the Python peers: `tests/peers/`.
pub fn peers_dir() -> PathBuf {
    repo_dir().join("tests").join("peers")
}

/// Decodes a peer's binary value, `{"__bytes__": "<hex>"}`; `None` for anything else.
pub fn bytes_from_json(value: &serde_json::Value) -> Option<Vec<u8>> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let hex = map.get("__bytes__")?.as_str()?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Encodes bytes the way the peers read them from `--args`/`--kwargs`: `{"__bytes__": "<hex>"}`.
pub fn bytes_to_json(bytes: &[u8]) -> serde_json::Value {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    serde_json::json!({ "__bytes__": hex })
}
