//! Process-wide resource counts for the reliability tests and the soak benchmark: resident
//! memory (now, and its peak sampled by a thread), open file descriptors and live tokio tasks.
//! Linux only (`/proc/self`); elsewhere every count reads 0.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The resident set size of this process, in KiB (`/proc/self/statm`; 0 when unreadable).
pub fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// The number of open file descriptors of this process (`/proc/self/fd`; 0 when unreadable).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Tasks, descriptors and memory at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Live tasks of the current tokio runtime (0 outside one).
    pub tasks: usize,
    /// Open file descriptors.
    pub fds: usize,
    /// Resident memory, KiB.
    pub rss_kib: u64,
}

impl Counts {
    /// The counts now (tasks: of the runtime this is called from).
    pub fn now() -> Counts {
        Counts {
            tasks: tokio::runtime::Handle::try_current()
                .map(|h| h.metrics().num_alive_tasks())
                .unwrap_or(0),
            fds: open_fds(),
            rss_kib: rss_kib(),
        }
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tasks, {} fds, {:.1} MiB resident",
            self.tasks,
            self.fds,
            mib(self.rss_kib)
        )
    }
}

/// KiB as MiB, for printing.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Samples the resident memory every `period` on a thread of its own and keeps the peak
/// (and the first sample); the thread ends when the sampler is dropped.
///
/// ```no_run
/// use std::time::Duration;
/// let sampler = wamp_suite::measure::RssSampler::start(Duration::from_millis(10));
/// // ... the work to measure ...
/// println!("peak {} KiB", sampler.peak_kib());
/// ```
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    start: u64,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    /// Starts sampling now.
    pub fn start(period: Duration) -> RssSampler {
        let start = rss_kib();
        let peak = Arc::new(AtomicU64::new(start));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("rss-sampler".into())
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        peak.fetch_max(rss_kib(), Ordering::SeqCst);
                        std::thread::sleep(period);
                    }
                })
                .ok()
        };
        RssSampler {
            peak,
            start,
            stop,
            thread,
        }
    }

    /// The resident memory when sampling started, KiB.
    pub fn start_kib(&self) -> u64 {
        self.start
    }

    /// The highest resident memory seen so far (this call samples once more), KiB.
    pub fn peak_kib(&self) -> u64 {
        let now = rss_kib();
        self.peak.fetch_max(now, Ordering::SeqCst).max(now)
    }

    /// Forgets the peak so far: the peak starts again from the memory now.
    pub fn reset(&self) {
        self.peak.store(rss_kib(), Ordering::SeqCst);
    }
}

impl fmt::Debug for RssSampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RssSampler")
            .field("start_kib", &self.start)
            .field("peak_kib", &self.peak.load(Ordering::SeqCst))
            .finish()
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join(); // it checks `stop` every period
        }
    }
}
