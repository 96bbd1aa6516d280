//! Keeping a key with a TTL alive (`refresh=true`, no value, every TTL/3) and noticing when it is lost.
//!
//! The key is lost when etcd says it is gone (a refresh finds no key, or a watch of the key sees it deleted or
//! expired), or when no refresh was acknowledged for a whole TTL counted from when the last acknowledged one
//! (or the create) was *sent*: etcd sets the expiry when it receives a write, which is after it was sent, so
//! the key cannot have expired before that moment (on clocks that agree).

use std::future::Future;
use std::time::Duration;

use etcd_keys::{Action, KeysApi, PrevExist, SetOptions, WatcherOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout_at};

use crate::LostReason;

/// The pause before another refresh after one failed, and between retries of a broken watch.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A task that keeps a key alive until dropped, and tells when the key is lost.
#[derive(Debug)]
pub(crate) struct KeepAlive {
    task: JoinHandle<()>,
    state: watch::Receiver<Option<LostReason>>,
}

impl KeepAlive {
    /// Starts keeping `key` alive; `sent_at` is when the write that set its TTL was sent, and `after_index` the
    /// index from which its deletion is watched (the key's modified index).
    pub(crate) fn start(keys: KeysApi, key: String, ttl: Duration, sent_at: Instant, after_index: u64) -> Self {
        let (tell, state) = watch::channel(None);
        let task = tokio::spawn(async move {
            let reason = tokio::select! {
                reason = refresh_until_lost(&keys, &key, ttl, sent_at) => reason,
                reason = watch_until_gone(&keys, &key, after_index, ttl) => reason,
            };
            tracing::debug!(key, %reason, "keep-alive ended: the key is lost");
            let _ = tell.send(Some(reason));
        });
        KeepAlive { task, state }
    }

    /// Why the key was lost, once it was.
    pub(crate) fn lost_reason(&self) -> Option<LostReason> {
        *self.state.borrow()
    }

    /// Completes when the key is lost. A future of its own (it does not borrow `self`), for `select!`s that
    /// outlive a borrow; it never completes while the keep-alive runs and the key is alive.
    pub(crate) fn lost(&self) -> impl Future<Output = LostReason> + Send + 'static {
        let mut state = self.state.clone();
        async move {
            loop {
                if let Some(reason) = *state.borrow_and_update() {
                    return reason;
                }
                if state.changed().await.is_err() {
                    // The task was stopped (its owner released the key): nothing more will be said.
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Refreshes every TTL/3 (sooner after a failure) until etcd says the key is gone or a TTL passed without an
/// acknowledged refresh.
async fn refresh_until_lost(keys: &KeysApi, key: &str, ttl: Duration, sent_at: Instant) -> LostReason {
    let interval = ttl / 3;
    let options = SetOptions::new().with_ttl(ttl).with_refresh().with_prev_exist(PrevExist::Exists);
    let mut acknowledged_sent_at = sent_at;
    let mut next = sent_at + interval;
    loop {
        let expires = acknowledged_sent_at + ttl;
        let refresh = async {
            sleep_until(next).await;
            let sent = Instant::now();
            (sent, keys.set(key, "", Some(options.clone())).await)
        };
        match timeout_at(expires, refresh).await {
            Err(_) => return LostReason::KeepAliveFailed,
            Ok((sent, Ok(_))) => {
                acknowledged_sent_at = sent;
                next = sent + interval;
            }
            Ok((_, Err(error))) if error.is_key_not_found() => return LostReason::Gone,
            Ok((_, Err(error))) => {
                tracing::debug!(key, error = %error.report(), "keep-alive refresh failed; trying again");
                next = Instant::now() + RETRY_PAUSE.min(interval);
            }
        }
    }
}

/// Completes when the key is deleted or expires (a refresh wakes no watcher, so only a change is seen). The
/// member serving the watch is probed after TTL/3 of quiet, so that a frozen one delays the news by less than a
/// TTL.
pub(crate) async fn watch_until_gone(keys: &KeysApi, key: &str, after_index: u64, ttl: Duration) -> LostReason {
    let probe = (ttl / 3).max(Duration::from_millis(500));
    let options = WatcherOptions::new().with_liveness_probe(probe, probe.min(Duration::from_secs(2)));
    let mut after_index = after_index;
    loop {
        let mut watcher = keys.watcher(key, Some(options.clone().with_after_index(after_index)));
        loop {
            match watcher.next().await {
                Some(Ok(event)) if is_removal(&event.action) => return LostReason::Gone,
                Some(Ok(_)) => {}
                Some(Err(error)) if error.is_event_index_cleared() => break,
                Some(Err(error)) => {
                    tracing::debug!(key, error = %error.report(), "watch failed; trying again");
                    sleep(RETRY_PAUSE).await;
                }
                None => break,
            }
        }
        // The watch ended or etcd forgot the events it needs: whether the key is still there says the rest.
        loop {
            match keys.get(key, Some(etcd_keys::GetOptions::new().with_quorum())).await {
                Ok(read) => {
                    after_index = read.index;
                    break;
                }
                Err(error) if error.is_key_not_found() => return LostReason::Gone,
                Err(_) => sleep(RETRY_PAUSE).await,
            }
        }
    }
}

/// Whether an event removed its key.
pub(crate) fn is_removal(action: &Action) -> bool {
    matches!(action, Action::Delete | Action::Expire | Action::CompareAndDelete)
}
