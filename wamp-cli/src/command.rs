//! One run of a registered command: its environment, a deadline, a cap on its output, and the
//! kill of its whole process group when it overruns either.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// How long to wait for a killed command to be reaped.
const REAP_TIMEOUT: Duration = Duration::from_secs(2);

/// The executable to run and its arguments, checked once at start.
#[derive(Debug, Clone)]
pub struct Program {
    /// The executable as given (the command's `argv[0]`).
    pub name: String,
    /// The executable, resolved: an absolute path.
    pub path: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

impl Program {
    /// Resolves `command[0]`: a path with a `/` (relative to the current directory), or a name
    /// looked up in `PATH`. Fails when no such executable file exists.
    pub fn resolve(command: &[String]) -> Result<Program, String> {
        let (name, args) = command
            .split_first()
            .ok_or_else(|| "a command to run is required".to_owned())?;
        let path = if name.contains('/') {
            let p = Path::new(name);
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                std::env::current_dir()
                    .map_err(|e| format!("cannot read the current directory: {e}"))?
                    .join(p)
            };
            is_executable(&p).then_some(p)
        } else {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|p| is_executable(p))
            })
        };
        let path = path.ok_or_else(|| format!("executable not found: {name}"))?;
        Ok(Program {
            name: name.clone(),
            path,
            args: args.to_vec(),
        })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long it may take.
    pub deadline: Duration,
    /// How many bytes of standard output (and of standard error) it may write.
    pub max_output: usize,
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// It exited (with any code) or was killed by a signal not of ours.
    Exited {
        /// Its status.
        status: ExitStatus,
        /// Its standard output.
        stdout: Vec<u8>,
        /// Its standard error (the first `max_output` bytes).
        stderr: Vec<u8>,
    },
    /// It overran the deadline and was killed.
    Deadline {
        /// Its standard error so far.
        stderr: Vec<u8>,
    },
    /// It wrote more than `max_output` bytes to standard output and was killed.
    TooMuchOutput {
        /// Its standard error so far.
        stderr: Vec<u8>,
    },
    /// It could not be started or watched.
    Failed(io::Error),
}

/// Runs `program` once with `env` added to this process's environment, standard input
/// closed, in a process group of its own (killed whole when the run overruns).
pub async fn run(program: &Program, env: &[(&str, String)], limits: Limits) -> Outcome {
    let mut command = tokio::process::Command::new(&program.path);
    command
        .arg0(&program.name)
        .args(&program.args)
        .envs(
            env.iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Outcome::Failed(e),
    };
    let mut group = GroupKiller(child.id());
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Outcome::Failed(io::Error::other("the command's output is not piped"));
    };
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let finished = {
        let work = async {
            tokio::try_join!(
                read_capped(out, &mut stdout, limits.max_output, true),
                read_capped(err, &mut stderr, limits.max_output, false),
            )?;
            child.wait().await
        };
        tokio::time::timeout(limits.deadline, work).await
    };
    let outcome = match finished {
        Ok(Ok(status)) => {
            group.disarm();
            return Outcome::Exited {
                status,
                stdout,
                stderr,
            };
        }
        Ok(Err(e)) if e.get_ref().is_some_and(|inner| inner.is::<TooMuchOutput>()) => {
            Outcome::TooMuchOutput { stderr }
        }
        Ok(Err(e)) => Outcome::Failed(e),
        Err(_) => Outcome::Deadline { stderr },
    };
    group.kill();
    let _ = child.start_kill();
    let _ = tokio::time::timeout(REAP_TIMEOUT, child.wait()).await;
    outcome
}

/// Reads `reader` to its end into `buf`, keeping at most `max` bytes. Past `max`, a `fatal`
/// stream fails with [`TooMuchOutput`]; another one is read on and dropped.
async fn read_capped(
    mut reader: impl AsyncRead + Unpin,
    buf: &mut Vec<u8>,
    max: usize,
    fatal: bool,
) -> io::Result<()> {
    let mut chunk = [0u8; 8192];
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        let room = max.saturating_sub(buf.len());
        if n > room {
            if fatal {
                return Err(io::Error::other(TooMuchOutput));
            }
            buf.extend_from_slice(&chunk[..room]);
        } else {
            buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The error of a stream that gave more than its cap.
#[derive(Debug)]
struct TooMuchOutput;

impl std::fmt::Display for TooMuchOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("too much output")
    }
}

impl std::error::Error for TooMuchOutput {}

/// Kills the process group of a run that overran (or was dropped), unless disarmed.
struct GroupKiller(Option<u32>);

impl GroupKiller {
    fn disarm(&mut self) {
        self.0 = None;
    }

    fn kill(&mut self) {
        // Never 0 or 1: kill(-1) would signal every process we may signal.
        if let Some(pid) = self.0.take().filter(|&p| p > 1) {
            if let Some(pid) = i32::try_from(pid)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
        }
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Program {
        Program::resolve(&["sh".into(), "-c".into(), script.into()]).unwrap()
    }

    const LIMITS: Limits = Limits {
        deadline: Duration::from_secs(10),
        max_output: 1024,
    };

    #[test]
    fn a_command_name_is_looked_up_in_path_and_a_missing_one_is_refused() {
        assert!(sh("true").path.is_absolute());
        let e = Program::resolve(&["no-such-command-wamp-cli".into()]).unwrap_err();
        assert_eq!(e, "executable not found: no-such-command-wamp-cli");
        assert!(Program::resolve(&["./no/such/file".into()]).is_err());
    }

    #[tokio::test]
    async fn the_environment_reaches_the_command_and_its_output_comes_back() {
        let out = run(
            &sh("echo \"$WAMP_ARGS\" \"$0\"; echo oops >&2; exit 3"),
            &[("WAMP_ARGS", "a b".into())],
            LIMITS,
        )
        .await;
        let Outcome::Exited {
            status,
            stdout,
            stderr,
        } = out
        else {
            panic!("{out:?}")
        };
        assert_eq!(status.code(), Some(3));
        assert_eq!(stdout, b"a b sh\n");
        assert_eq!(stderr, b"oops\n");
    }

    #[tokio::test]
    async fn a_command_past_its_deadline_is_killed_with_its_children() {
        let limits = Limits {
            deadline: Duration::from_millis(300),
            ..LIMITS
        };
        let started = std::time::Instant::now();
        let out = run(&sh("echo started >&2; sleep 30 & sleep 30"), &[], limits).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        let Outcome::Deadline { stderr } = out else {
            panic!("{out:?}")
        };
        assert_eq!(stderr, b"started\n");
    }

    #[tokio::test]
    async fn too_much_output_kills_the_command() {
        let out = run(&sh("yes"), &[], LIMITS).await;
        assert!(matches!(out, Outcome::TooMuchOutput { .. }), "{out:?}");
    }

    #[tokio::test]
    async fn standard_error_is_kept_up_to_the_limit() {
        let out = run(&sh("head -c 5000 /dev/zero >&2"), &[], LIMITS).await;
        let Outcome::Exited { stderr, .. } = out else {
            panic!("{out:?}")
        };
        assert_eq!(stderr.len(), 1024);
    }
}
