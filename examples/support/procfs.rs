//! What the benchmarks read about other processes from Linux's `/proc`: a process tree, the
//! CPU time its threads have used, its resident memory; and the descriptor limit.
//!
//! No `libc`: plain reads of text files, so nothing here needs `unsafe`.

use std::fs;

/// The fields of `/proc/PID/stat` after the command name (which may hold spaces and
/// parentheses): index 0 is the state, 1 the parent pid, 11 `utime`, 12 `stime`.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// `root` and every process descended from it (children, grandchildren, ...), as they are
/// now. Crossbar.io runs a controller and router worker processes: the tree is the router.
pub fn process_tree(root: u32) -> Vec<u32> {
    if root == 0 {
        // The kernel's pseudo-process: not a router.
        return Vec::new();
    }
    let mut parents = Vec::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut tree = vec![root];
    // Bounded: each pass adds at least one process or stops.
    for _ in 0..parents.len() + 1 {
        let before = tree.len();
        for &(pid, ppid) in &parents {
            if tree.contains(&ppid) && !tree.contains(&pid) {
                tree.push(pid);
            }
        }
        if tree.len() == before {
            break;
        }
    }
    tree
}

/// The CPU time (user and system) the threads of `pids` have run, in nanoseconds: the sum of
/// `/proc/PID/task/TID/schedstat` (nanosecond precision; a thread that ended between two
/// readings takes its time with it, which the processes measured here do not do during a
/// phase), or `utime + stime` of `/proc/PID/stat` in clock ticks (10 ms) when schedstat is
/// missing.
pub fn cpu_ns(pids: &[u32]) -> u64 {
    let mut total = 0;
    for &pid in pids {
        let mut from_tasks = None;
        if let Ok(dir) = fs::read_dir(format!("/proc/{pid}/task")) {
            for entry in dir.flatten() {
                let path = entry.path().join("schedstat");
                if let Some(ns) = fs::read_to_string(path)
                    .ok()
                    .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
                {
                    *from_tasks.get_or_insert(0) += ns;
                }
            }
        }
        total += from_tasks.unwrap_or_else(|| {
            stat_fields(pid).map_or(0, |f| {
                let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                (tick(11) + tick(12)) * 10_000_000
            })
        });
    }
    total
}

/// The CPU time of the process tree under `root` now (see [`cpu_ns`]).
pub fn tree_cpu_ns(root: u32) -> u64 {
    cpu_ns(&process_tree(root))
}

/// The context switches (voluntary and not) of every thread of `root`'s process tree so far:
/// how often its threads went to sleep or were put off a CPU.
pub fn tree_switches(root: u32) -> u64 {
    let mut total = 0;
    for pid in process_tree(root) {
        let Ok(dir) = fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for entry in dir.flatten() {
            let Ok(status) = fs::read_to_string(entry.path().join("status")) else {
                continue;
            };
            total += status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    total
}

/// `VmRSS` of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The proportional set size of `pid` in KiB (`Pss` of `/proc/PID/smaps_rollup`: pages shared
/// with other processes counted in part), the fairer sum over several processes.
pub fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The resident memory of the process tree under `root`, in KiB, and of each process.
pub fn tree_rss_kib(root: u32) -> (u64, Vec<(u32, u64)>) {
    let each: Vec<(u32, u64)> = process_tree(root)
        .into_iter()
        .filter_map(|pid| Some((pid, rss_kib(pid)?)))
        .collect();
    (each.iter().map(|&(_, k)| k).sum(), each)
}

/// The soft and hard limits on open descriptors of this process (`Max open files` of
/// `/proc/self/limits`); `u64::MAX` for unlimited.
pub fn nofile_limits() -> Option<(u64, u64)> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut values = line["Max open files".len()..]
        .split_whitespace()
        .map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
    Some((values.next()?, values.next()?))
}

/// A command that runs `program` with its descriptor limit raised to the hard limit first
/// (`ulimit -n` in a shell that then `exec`s it: same pid, no `libc`).
pub fn with_raised_nofile(program: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$0\" \"$@\"")
        .arg(program);
    command
}
