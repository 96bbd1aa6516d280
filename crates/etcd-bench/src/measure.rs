//! What a phase costs this process: CPU time from `getrusage` (every thread of the process, user + system),
//! wall time, context switches, and the peak resident size from `/proc/self/status`.
//!
//! Each phase runs in a child process of its own (see `main.rs`), so `VmHWM` at the end of the phase is that
//! phase's peak and nothing else's: no reset through `/proc/self/clear_refs` is needed, and memory that an
//! earlier phase freed but the allocator kept cannot inflate a later one.

use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;
use serde::{Deserialize, Serialize};

/// A reading of the process's clocks and counters.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    at: Instant,
    user: Duration,
    system: Duration,
    voluntary_switches: i64,
    involuntary_switches: i64,
}

impl Reading {
    /// Reads the clocks now.
    pub fn now() -> Reading {
        // getrusage(RUSAGE_SELF) cannot fail with a valid `who`; zeros would only make a phase look free.
        let usage = getrusage(UsageWho::RUSAGE_SELF).ok();
        Reading {
            at: Instant::now(),
            user: usage.map_or(Duration::ZERO, |u| duration(u.user_time())),
            system: usage.map_or(Duration::ZERO, |u| duration(u.system_time())),
            voluntary_switches: usage.map_or(0, |u| u.voluntary_context_switches()),
            involuntary_switches: usage.map_or(0, |u| u.involuntary_context_switches()),
        }
    }

    /// What happened between `self` and `later`, for `ops` operations.
    pub fn until(&self, later: &Reading, ops: u64) -> Sample {
        Sample {
            ops,
            wall_ns: nanos(later.at - self.at),
            user_ns: nanos(later.user.saturating_sub(self.user)),
            system_ns: nanos(later.system.saturating_sub(self.system)),
            voluntary_switches: later.voluntary_switches - self.voluntary_switches,
            involuntary_switches: later.involuntary_switches - self.involuntary_switches,
            peak_rss_kib: status_kib("VmHWM:").unwrap_or(0),
            baseline_rss_kib: 0,
            watching_rss_kib: 0,
        }
    }
}

/// One measured phase, as a child process reports it to the orchestrator (one JSON line).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Sample {
    /// Operations completed in the measured part.
    pub ops: u64,
    /// Wall time of the measured part.
    pub wall_ns: u64,
    /// User CPU time of the whole process during the measured part.
    pub user_ns: u64,
    /// System CPU time of the whole process during the measured part.
    pub system_ns: u64,
    /// Voluntary context switches (a thread went to sleep) during the measured part.
    pub voluntary_switches: i64,
    /// Involuntary context switches (a thread was preempted) during the measured part.
    pub involuntary_switches: i64,
    /// The process's peak resident size, warm-up included, in KiB.
    pub peak_rss_kib: u64,
    /// Idle watchers only: the resident size (`VmRSS`) before the first watcher started, in KiB.
    #[serde(default)]
    pub baseline_rss_kib: u64,
    /// Idle watchers only: the resident size with every watcher registered at etcd, in KiB.
    #[serde(default)]
    pub watching_rss_kib: u64,
}

impl Sample {
    /// Operations per second of wall time.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / (self.wall_ns.max(1) as f64 / 1e9)
    }

    /// User + system CPU time per operation, in microseconds.
    pub fn cpu_us_per_op(&self) -> f64 {
        (self.user_ns + self.system_ns) as f64 / 1e3 / self.ops.max(1) as f64
    }

    /// System CPU time per operation, in microseconds.
    pub fn system_us_per_op(&self) -> f64 {
        self.system_ns as f64 / 1e3 / self.ops.max(1) as f64
    }

    /// Voluntary context switches per operation.
    pub fn switches_per_op(&self) -> f64 {
        self.voluntary_switches as f64 / self.ops.max(1) as f64
    }

    /// Idle watchers: the resident size before them, in MiB.
    pub fn baseline_rss_mib(&self) -> f64 {
        self.baseline_rss_kib as f64 / 1024.0
    }

    /// Idle watchers: the resident size with them, in MiB.
    pub fn watching_rss_mib(&self) -> f64 {
        self.watching_rss_kib as f64 / 1024.0
    }

    /// Idle watchers: what they added to the resident size, in MiB.
    pub fn added_rss_mib(&self) -> f64 {
        (self.watching_rss_kib as f64 - self.baseline_rss_kib as f64) / 1024.0
    }

    /// Idle watchers: what each added to the resident size, in KiB.
    pub fn added_kib_per_op(&self) -> f64 {
        (self.watching_rss_kib as f64 - self.baseline_rss_kib as f64) / self.ops.max(1) as f64
    }

    /// Peak resident size in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// A `kB` field of `/proc/self/status` (`VmHWM:`, `VmRSS:`), in KiB; `None` off Linux.
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

fn duration(tv: TimeVal) -> Duration {
    let micros = i128::from(tv.tv_sec()) * 1_000_000 + i128::from(tv.tv_usec());
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
