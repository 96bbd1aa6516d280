//! Syncing a client's endpoints on an interval, with the seeds kept as a fallback.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use etcd_core::Error;
use etcd_transport::Client;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::{ClusterSync, SelectionMode, SyncOptions};

/// How often [`AutoSync`] syncs unless told otherwise.
pub const DEFAULT_AUTO_SYNC_INTERVAL: Duration = Duration::from_secs(30);

/// The shortest time a sync round may take before it is abandoned, whatever the interval.
const MIN_ROUND_TIMEOUT: Duration = Duration::from_secs(10);

/// Keeps a client's endpoints in line with the cluster's members: a sync now, then one per interval (the Go
/// client's `AutoSync`, which stops at the first error; this one goes on).
///
/// The client's endpoints when the `AutoSync` is made are its seeds: every sync keeps them after the members'
/// client URLs, so that a client whose members advertise URLs it cannot reach (behind a tunnel, a proxy, a
/// container network) still gets through. A failed sync leaves the endpoints as they were; they are never
/// empty.
///
/// Nothing syncs unless you run it: [`run`](AutoSync::run) is a future to spawn, and
/// [`spawn`](AutoSync::spawn) spawns it on the current tokio runtime and gives a handle that stops it when
/// dropped. A client that must keep its configured endpoints (advertised URLs unreachable and no wish to try
/// them) simply does not run one.
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), etcd_core::Error> {
/// use std::time::Duration;
/// use etcd_members::{AutoSync, SelectionMode};
/// use etcd_transport::Client;
///
/// let client = Client::builder(["http://10.0.0.1:2379"]).build()?;
/// let auto_sync = AutoSync::new(&client)
///     .interval(Duration::from_secs(10))
///     .selection_mode(SelectionMode::LeaderFirst)
///     .spawn();
/// // ... use `client` and its clones; the endpoints follow the members ...
/// auto_sync.stop();
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "an AutoSync does nothing until it is run or spawned"]
pub struct AutoSync {
    client: Client,
    interval: Duration,
    options: SyncOptions,
}

impl AutoSync {
    /// Syncs `client` (and every clone of it) every [`DEFAULT_AUTO_SYNC_INTERVAL`] with random selection, its
    /// current endpoints kept as fallback.
    pub fn new(client: &Client) -> Self {
        let seeds = client.endpoints().map(|set| set.endpoints().to_vec()).unwrap_or_default();
        AutoSync {
            client: client.clone(),
            interval: DEFAULT_AUTO_SYNC_INTERVAL,
            options: SyncOptions::new().with_fallback(seeds),
        }
    }

    /// How long from one sync to the next. A round that takes longer than the interval (and at least 10 s) is
    /// abandoned and counted as failed.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Where calls start after each sync; see [`SelectionMode`].
    pub fn selection_mode(mut self, mode: SelectionMode) -> Self {
        self.options = self.options.selection_mode(mode);
        self
    }

    /// Other seeds to keep as fallback than the client's endpoints when this `AutoSync` was made.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming a bad endpoint.
    pub fn seeds<I, S>(mut self, seeds: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.options = self.options.fallback_endpoints(seeds)?;
        Ok(self)
    }

    /// Keeps no seed: the endpoints become exactly what the members advertise (the Go client's behaviour).
    pub fn without_seeds(mut self) -> Self {
        self.options = self.options.with_fallback(Vec::new());
        self
    }

    /// The options of each sync: selection mode and seeds.
    pub fn options(&self) -> &SyncOptions {
        &self.options
    }

    /// Syncs now and then once per interval, forever: spawn it, and abort the task to stop it. Errors are
    /// logged (`tracing`, at `warn`) and counted in the report of [`spawn`](AutoSync::spawn)'s handle.
    pub async fn run(self) {
        self.run_reporting(Arc::default()).await;
    }

    async fn run_reporting(self, report: Arc<Mutex<AutoSyncReport>>) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let round_timeout = self.interval.max(MIN_ROUND_TIMEOUT);
        loop {
            ticks.tick().await;
            let result = match tokio::time::timeout(round_timeout, self.client.sync_with(&self.options)).await {
                Ok(result) => result.map_err(Arc::new),
                Err(_) => Err(Arc::new(Error::from(etcd_core::DeadlineExceeded::new(round_timeout)))),
            };
            let mut report = report.lock().unwrap_or_else(PoisonError::into_inner);
            match result {
                Ok(outcome) => {
                    if outcome.changed() {
                        tracing::info!(endpoints = ?outcome.endpoints(), pinned = %outcome.pinned(), "auto-sync: endpoints changed");
                    }
                    report.syncs += 1;
                }
                Err(error) => {
                    tracing::warn!(%error, "auto-sync failed; the endpoints stay as they were");
                    report.failures += 1;
                    report.last_error = Some(error);
                }
            }
        }
    }

    /// Spawns [`run`](AutoSync::run) on the current tokio runtime; the returned handle stops it when dropped.
    ///
    /// # Panics
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn spawn(self) -> AutoSyncHandle {
        let report = Arc::<Mutex<AutoSyncReport>>::default();
        AutoSyncHandle { task: tokio::spawn(self.run_reporting(report.clone())), report }
    }
}

/// A running [`AutoSync`]: stops it when dropped (or with [`stop`](AutoSyncHandle::stop)), and tells how its
/// syncs went.
#[derive(Debug)]
#[must_use = "auto-sync stops when its handle is dropped"]
pub struct AutoSyncHandle {
    task: JoinHandle<()>,
    report: Arc<Mutex<AutoSyncReport>>,
}

impl AutoSyncHandle {
    /// Stops syncing; the endpoints stay as the last sync left them.
    pub fn stop(self) {
        // Drop aborts.
    }

    /// How the syncs went so far.
    pub fn report(&self) -> AutoSyncReport {
        self.report.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for AutoSyncHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How an [`AutoSync`]'s rounds went: how many synced, how many failed, and the last failure.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct AutoSyncReport {
    /// Rounds that synced (the endpoints may or may not have changed).
    pub syncs: u64,
    /// Rounds that failed, leaving the endpoints as they were.
    pub failures: u64,
    /// The last failure, if any.
    pub last_error: Option<Arc<Error>>,
}
