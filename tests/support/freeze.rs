//! Freezing a router process with SIGSTOP, and thawing it with SIGCONT, through the `kill`
//! utility (the workspace forbids `unsafe`, so no libc).

use std::fmt;
use std::process::{Command, Stdio};

/// A frozen process group: SIGSTOP when made, SIGCONT when dropped (also when a test panics
/// while it is held), so that a frozen router never outlives its test frozen.
///
/// ```no_run
/// let router = wamp_suite::Router::start();
/// {
///     let _frozen = wamp_suite::Frozen::process_group(router.pid().unwrap());
///     // ... the router takes connections but answers nothing ...
/// } // SIGCONT: it goes on
/// ```
pub struct Frozen {
    pgid: u32,
}

/// Sends `signal` (a name such as `STOP`) to the process group `pgid`; whether `kill` said
/// it was sent.
fn signal_group(signal: &str, pgid: u32) -> bool {
    Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Frozen {
    /// Stops every process of the group `pgid` (for a Crossbar.io [`Router`](crate::Router),
    /// its [`pid`](crate::Router::pid): the controller and the router worker).
    ///
    /// # Panics
    ///
    /// When the signal cannot be sent (no such group).
    pub fn process_group(pgid: u32) -> Frozen {
        assert!(
            signal_group("STOP", pgid),
            "cannot send SIGSTOP to the process group {pgid}"
        );
        Frozen { pgid }
    }

    /// The frozen process group.
    pub fn pgid(&self) -> u32 {
        self.pgid
    }
}

impl fmt::Debug for Frozen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frozen").field("pgid", &self.pgid).finish()
    }
}

impl Drop for Frozen {
    /// SIGCONT to the group (an error, such as the group being gone, is ignored).
    fn drop(&mut self) {
        let _ = signal_group("CONT", self.pgid);
    }
}
