//! Service registration: a key with a TTL, kept alive, written again when it expired, removed on shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use etcd_keys::{KeysApi, PrevExist, SetOptions, WatcherOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use crate::Error;
use crate::error::is_transient;
use crate::keepalive::is_removal;

/// The pause before trying again after a write found no member.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A key that says a service instance is alive (`/services/api/10.0.0.7:8080` = its address, ...), with a TTL
/// kept alive by a background task, so that the key disappears within the TTL when the instance dies.
///
/// The task refreshes the key every TTL/3 (`refresh=true`: watchers of the directory are not woken). When the
/// key is gone (it expired while etcd was unreachable for a TTL, or someone deleted it), the task writes it
/// again, with its value, at once when a watch of the key sees it go and otherwise at the next refresh.
/// [`shutdown`](Registration::shutdown) deletes the key; dropping the registration stops the task and deletes
/// the key best effort (a spawned delete), the TTL bounding the rest.
///
/// # Examples
/// ```no_run
/// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_recipes::Error> {
/// use std::time::Duration;
/// use etcd_recipes::Registration;
///
/// let registration =
///     Registration::start(keys, "/services/api/10.0.0.7:8080", "http://10.0.0.7:8080", Duration::from_secs(10))
///         .await?;
/// // ... serve ...
/// registration.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Registration {
    keys: KeysApi,
    key: String,
    task: JoinHandle<()>,
    written: Arc<AtomicU64>,
    registered: watch::Receiver<bool>,
    shut_down: bool,
}

impl Registration {
    /// Writes `key` = `value` with `ttl` (rounded up to whole seconds; at least a second), replacing what was
    /// there, and keeps it alive until shut down or dropped.
    ///
    /// # Errors
    /// The first write's: the instance is not registered then, and nothing runs in the background.
    pub async fn start(
        keys: KeysApi,
        key: impl Into<String>,
        value: impl Into<String>,
        ttl: Duration,
    ) -> Result<Registration, Error> {
        let (key, value) = (key.into(), value.into());
        if ttl.is_zero() {
            return Err(Error::InvalidSetting("a registration's TTL must be at least a second".into()));
        }
        let ttl = Duration::from_secs(ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0));
        let sent_at = Instant::now();
        let written = keys.set(&key, &value, Some(SetOptions::new().with_ttl(ttl))).await?;
        let (tell, registered) = watch::channel(true);
        let writes = Arc::new(AtomicU64::new(1));
        // Each write is bounded, so that the task notices within about a TTL/3 that the key may have expired.
        let bounded = keys.with_timeout((ttl / 3).max(Duration::from_secs(1)));
        let keeper = Keeper { keys: bounded, key: key.clone(), value, ttl, writes: writes.clone(), tell };
        let task = tokio::spawn(keeper.run(sent_at, written.index));
        Ok(Registration { keys, key, task, written: writes, registered, shut_down: false })
    }

    /// The registered key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How many times the key was written whole: 1 at the start, one more each time it was found gone.
    pub fn writes(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Whether the key is believed to be there: false from a TTL after the last acknowledged write or refresh
    /// was sent, or from when it was seen gone, until it is written again.
    pub fn is_registered(&self) -> bool {
        *self.registered.borrow()
    }

    /// Stops keeping the key alive and deletes it.
    ///
    /// # Errors
    /// The delete's; the key then expires within its TTL.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        self.shut_down = true;
        self.task.abort();
        match self.keys.delete(&self.key, None).await {
            Err(error) if !error.is_key_not_found() => Err(error.into()),
            _ => Ok(()),
        }
    }
}

impl Drop for Registration {
    /// Best effort, as [`Registration`] says: the task stops, and a delete is spawned on the current runtime.
    fn drop(&mut self) {
        self.task.abort();
        if self.shut_down {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (keys, key) = (self.keys.clone(), std::mem::take(&mut self.key));
            runtime.spawn(async move {
                if let Err(error) = keys.delete(&key, None).await {
                    tracing::debug!(key, error = %error.report(), "delete on drop failed; the key expires at its TTL");
                }
            });
        }
    }
}

/// The background task's state.
struct Keeper {
    keys: KeysApi,
    key: String,
    value: String,
    ttl: Duration,
    writes: Arc<AtomicU64>,
    tell: watch::Sender<bool>,
}

/// What woke the keeper.
enum Wake {
    Refresh,
    Gone,
}

impl Keeper {
    async fn run(self, sent_at: Instant, after_index: u64) {
        let interval = self.ttl / 3;
        let refresh = SetOptions::new().with_ttl(self.ttl).with_refresh().with_prev_exist(PrevExist::Exists);
        let probe = interval.max(Duration::from_millis(500));
        let watch = WatcherOptions::new().with_liveness_probe(probe, probe.min(Duration::from_secs(2)));
        let mut watcher = self.keys.watcher(&self.key, Some(watch.clone().with_after_index(after_index)));
        let (mut acknowledged, mut next, mut written_at) = (sent_at, sent_at + interval, after_index);
        loop {
            let wake = tokio::select! {
                _ = sleep_until(next) => Wake::Refresh,
                _ = sleep_until(acknowledged + self.ttl), if *self.tell.borrow() => {
                    self.tell.send_replace(false);
                    continue;
                }
                event = watcher.next() => match event {
                    // A removal older than the last write is the one that write answered.
                    Some(Ok(event)) if is_removal(&event.action) && event.index > written_at => Wake::Gone,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => {
                        // Cleared or ended: the refreshes find out whether the key is there; watch from now.
                        watcher = self.keys.watcher(&self.key, Some(watch.clone()));
                        continue;
                    }
                },
            };
            let sent = Instant::now();
            let result = match wake {
                Wake::Refresh => match self.keys.set(&self.key, "", Some(refresh.clone())).await {
                    Err(error) if error.is_key_not_found() => self.write_again().await.map(Some),
                    other => other.map(|_| None),
                },
                Wake::Gone => self.write_again().await.map(Some),
            };
            match result {
                Ok(rewritten) => {
                    written_at = rewritten.unwrap_or(written_at);
                    acknowledged = sent;
                    next = sent + interval;
                    self.tell.send_replace(true);
                }
                Err(error) => {
                    if !is_transient(&error) {
                        tracing::warn!(key = self.key, error = %error.report(), "registration write refused");
                    }
                    next = Instant::now() + RETRY_PAUSE.min(interval);
                }
            }
        }
    }

    /// Writes the key whole; returns the write's index.
    async fn write_again(&self) -> Result<u64, etcd_keys::Error> {
        self.tell.send_replace(false);
        let written = self.keys.set(&self.key, &self.value, Some(SetOptions::new().with_ttl(self.ttl))).await?;
        self.writes.fetch_add(1, Ordering::Relaxed);
        tracing::info!(key = self.key, "registration written again after it was gone");
        Ok(written.index)
    }
}
