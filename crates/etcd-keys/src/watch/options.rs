use std::time::Duration;

/// How a [`Watcher`](super::Watcher) watches: from which index, over a tree or one key, what it does when etcd
/// has forgotten the events it asks for, and how it checks that the member serving it is alive.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct WatcherOptions {
    pub(crate) after_index: Option<u64>,
    pub(crate) recursive: bool,
    pub(crate) recover_when_cleared: bool,
    pub(crate) liveness: Option<Liveness>,
}

/// The liveness check of the member serving a watch: a probe of its `/health` after `interval` without a byte
/// from it, failing after `timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Liveness {
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
}

/// A quiet watch probes its member this often by default.
pub const DEFAULT_LIVENESS_INTERVAL: Duration = Duration::from_secs(5);
/// A probe that got no answer in this time finds the member dead by default.
pub const DEFAULT_LIVENESS_TIMEOUT: Duration = Duration::from_secs(2);

impl Default for WatcherOptions {
    fn default() -> Self {
        WatcherOptions {
            after_index: None,
            recursive: false,
            recover_when_cleared: false,
            liveness: Some(Liveness { interval: DEFAULT_LIVENESS_INTERVAL, timeout: DEFAULT_LIVENESS_TIMEOUT }),
        }
    }
}

impl WatcherOptions {
    /// Events from now on, of the key itself, with the default liveness check.
    pub fn new() -> Self {
        WatcherOptions::default()
    }

    /// Events after `index` (modified index greater than it), so that a watch started after a read misses
    /// nothing: pass the read's [`Response::index`](crate::Response::index).
    pub fn with_after_index(mut self, index: u64) -> Self {
        self.after_index = Some(index);
        self
    }

    /// Events of every key under a directory, not only of the key itself.
    pub fn with_recursive(mut self) -> Self {
        self.recursive = true;
        self
    }

    /// When etcd no longer has the events the watch needs (it keeps about the last 1,000; error 401), read the
    /// watched key or tree, yield that read as a snapshot (a [`Response`](crate::Response) whose action is
    /// [`Action::Get`](crate::Action::Get), which no event has), and go on after it. Without this option the
    /// watcher yields the 401 error and ends: it never skips events silently.
    pub fn with_recovery_when_cleared(mut self) -> Self {
        self.recover_when_cleared = true;
        self
    }

    /// Probes the member serving the watch when it sent nothing for `interval`, and moves the watch to another
    /// member when the probe fails within `timeout` or the member says it lost the cluster. Bounds the stall
    /// when a member freezes (SIGSTOP) after the watch started: at most `interval + timeout`.
    pub fn with_liveness_probe(mut self, interval: Duration, timeout: Duration) -> Self {
        self.liveness = Some(Liveness { interval, timeout });
        self
    }

    /// No liveness probe: a member frozen after the watch started stalls the watch until it wakes.
    pub fn without_liveness_probe(mut self) -> Self {
        self.liveness = None;
        self
    }
}
