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
    pub(crate) max_event_size: usize,
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

/// The longest event line a watcher takes by default: 16 MiB.
///
/// etcd refuses a write above 1.5 MiB (`--max-request-bytes`), so a value is below that, and an event carries at
/// most two (the node and the previous node): about 3 MiB of JSON, more when a value needs escaping (a control
/// byte becomes six bytes of `\u00XX`). 16 MiB leaves room for that and for a cluster whose limit was raised,
/// while a server that sends a line without end costs a watcher at most this much memory.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

impl Default for WatcherOptions {
    fn default() -> Self {
        WatcherOptions {
            after_index: None,
            recursive: false,
            recover_when_cleared: false,
            liveness: Some(Liveness { interval: DEFAULT_LIVENESS_INTERVAL, timeout: DEFAULT_LIVENESS_TIMEOUT }),
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
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

    /// The longest event (one line of etcd's stream, in bytes) the watcher takes: [`DEFAULT_MAX_EVENT_SIZE`]
    /// (16 MiB) unless set. A longer line, or one that grows past it without an end, yields an
    /// [`InvalidResponse`](crate::InvalidResponse) of kind
    /// [`EventTooLarge`](crate::InvalidResponseKind::EventTooLarge) naming the endpoint, and the watch ends:
    /// reopened, it would meet the same event, and skipping it would lose it. Raise it for a cluster whose
    /// `--max-request-bytes` was raised.
    pub fn with_max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// No liveness probe: a member frozen after the watch started stalls the watch until it wakes.
    pub fn without_liveness_probe(mut self) -> Self {
        self.liveness = None;
        self
    }
}
