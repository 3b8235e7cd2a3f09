//! The Python virtualenv with Crossbar.io and Autobahn|Python, installed on first use.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::{tail, wait_timeout};

/// How long the installer may take: waiting for another process's install (up to 15 minutes,
/// the script's own `flock -w`) plus an install of its own (about 1 to 2 minutes).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// What to tell a developer whose machine cannot run the router.
pub(crate) const SETUP_HINT: &str = "the integration tests need Python 3 with pip (and the venv \
module) and access to PyPI; the harness installs Crossbar.io with scripts/crossbar-venv.sh";

/// The root of the repository (the `wamp-suite` package), where `scripts/` and `tests/` live.
pub fn repo_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv holding Crossbar.io 26.10.1 and Autobahn|Python.
///
/// Runs `scripts/crossbar-venv.sh` once per process, which installs the pinned packages of
/// `tests/support/crossbar-requirements.txt` on first use (about two minutes) and is a no-op
/// afterwards. The location is `$WAMP_VENV` if set, else
/// `${XDG_CACHE_HOME:-~/.cache}/wamp-rs/venv-crossbar-26.10.1`.
///
/// # Panics
///
/// When the installer fails, with its output and advice on how to set the machine up. Every
/// later call in the same process panics with the same message (the install is not retried).
pub fn venv() -> PathBuf {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match VENV.get_or_init(install) {
        Ok(path) => path.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// The virtualenv's Python interpreter (with Autobahn|Python importable).
///
/// # Panics
///
/// As [`venv`].
pub fn python() -> PathBuf {
    venv().join("bin").join("python")
}

/// The virtualenv's `crossbar` executable.
pub(crate) fn crossbar() -> PathBuf {
    venv().join("bin").join("crossbar")
}

fn install() -> Result<PathBuf, String> {
    let script = repo_dir().join("scripts").join("crossbar-venv.sh");
    let fail = |what: String| {
        format!(
            "could not install Crossbar.io into a virtualenv: {what}\n\
             {SETUP_HINT}; run scripts/crossbar-venv.sh to see why"
        )
    };
    let mut child = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run bash {}: {e}", script.display())))?;
    // Drain both pipes on threads so a chatty pip cannot fill a pipe and stall.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        // Echo the script's own progress lines to the terminal as they come (a first install
        // takes minutes; std::io::stderr is not captured by the test runner), keep everything.
        let mut all = String::new();
        for line in BufReader::new(&mut stderr).lines().map_while(Result::ok) {
            if line.starts_with("crossbar-venv.sh:") {
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let Some(status) = wait_timeout(&mut child, INSTALL_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(fail(format!(
            "{} did not finish within {} minutes",
            script.display(),
            INSTALL_TIMEOUT.as_secs() / 60
        )));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        return Err(fail(format!(
            "{} exited with {status}; its last output:\n{}",
            script.display(),
            tail(&stderr, 30)
        )));
    }
    let path = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim);
    let Some(path) = path.map(PathBuf::from) else {
        return Err(fail(format!("{} printed no path", script.display())));
    };
    if !path.join("bin").join("crossbar").exists() {
        return Err(fail(format!(
            "{} reported {} but it has no bin/crossbar",
            script.display(),
            path.display()
        )));
    }
    Ok(path)
}
