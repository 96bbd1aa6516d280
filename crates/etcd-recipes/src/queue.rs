//! A fair queue under a directory: entries created in order, each with a TTL kept alive and a unique value.
//!
//! A create whose outcome is unknown (the member may have applied it) is looked for by its unique value in a
//! quorum listing of the directory: found, it is this waiter's entry; not found, it was not applied before the
//! listing and a new entry (with a new value) is created. One that is applied after the listing (a request held
//! by a frozen member and proposed when it wakes) has no keep-alive: it expires within its TTL of being created,
//! and blocks the queue no longer than that.

use std::time::Duration;

use etcd_keys::{CreateInOrderOptions, DeleteOptions, GetOptions, KeysApi, Node};
use tokio::time::{Instant, sleep};

use crate::Error;
use crate::error::{is_transient, may_be_applied};
use crate::keepalive::KeepAlive;
use crate::token::{entry_value, new_token};

/// The pause before trying again after a call found no member.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// The entries of a queue at one index, oldest first.
#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) entries: Vec<Node>,
    /// etcd's index when it answered: a watch after it misses nothing.
    pub(crate) index: u64,
}

impl Queue {
    /// A quorum read of the directory, so that no member's stale copy hides an entry; empty when the directory
    /// does not exist.
    pub(crate) async fn read(keys: &KeysApi, dir: &str) -> Result<Queue, etcd_keys::Error> {
        match keys.get(dir, Some(GetOptions::new().with_quorum().with_sort())).await {
            Ok(read) => {
                let mut entries: Vec<Node> = read.node.nodes.into_iter().filter(|n| !n.dir).collect();
                entries.sort_by_key(|n| n.created_index);
                Ok(Queue { entries, index: read.index })
            }
            Err(error) if error.is_key_not_found() => {
                let index = error.as_etcd().map(|e| e.index()).unwrap_or_default();
                Ok(Queue { entries: Vec::new(), index })
            }
            Err(error) => Err(error),
        }
    }

    /// The position of `key` in the queue.
    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|n| n.key == key)
    }
}

/// This process's entry in a queue, kept alive until removed or dropped.
#[derive(Debug)]
pub(crate) struct Entry {
    keys: KeysApi,
    pub(crate) node: Node,
    pub(crate) keep_alive: KeepAlive,
    ttl: Duration,
    removed: bool,
}

impl Entry {
    /// Joins the queue at `dir` with `value` (behind a unique token), trying again while no member answers.
    pub(crate) async fn enqueue(keys: &KeysApi, dir: &str, value: &str, ttl: Duration) -> Result<Entry, Error> {
        let options = CreateInOrderOptions::new().with_ttl(ttl);
        loop {
            let value = entry_value(&new_token(), value);
            let sent_at = Instant::now();
            let node = match keys.create_in_order(dir, &value, Some(options.clone())).await {
                Ok(created) => Some(created.node),
                Err(error) if may_be_applied(&error) => {
                    tracing::debug!(dir, error = %error.report(), "create in order: outcome unknown; looking for it");
                    find(keys, dir, &value).await?
                }
                Err(error) if error.is_cluster() => {
                    tracing::debug!(dir, error = %error.report(), "create in order: no member answered; again");
                    sleep(RETRY_PAUSE).await;
                    None
                }
                Err(error) => return Err(error.into()),
            };
            if let Some(node) = node {
                let keep_alive = KeepAlive::start(keys.clone(), node.key.clone(), ttl, sent_at, node.modified_index);
                return Ok(Entry { keys: keys.clone(), node, keep_alive, ttl, removed: false });
            }
        }
    }

    /// Leaves the queue: deletes the entry (a plain delete: in-order keys are never reused, so it cannot remove
    /// another's entry), trying again for up to a TTL while no member answers or the outcome is unknown (after
    /// that the entry has expired anyway). An entry already gone is fine.
    ///
    /// # Errors
    /// The last delete's; the entry then expires within its TTL, since its keep-alive stopped.
    pub(crate) async fn remove(mut self) -> Result<(), etcd_keys::Error> {
        self.removed = true;
        let give_up = Instant::now() + self.ttl;
        loop {
            match self.keys.delete(&self.node.key, None::<DeleteOptions>).await {
                Ok(_) => return Ok(()),
                Err(error) if error.is_key_not_found() => return Ok(()),
                Err(error) if is_transient(&error) && Instant::now() + RETRY_PAUSE < give_up => {
                    tracing::debug!(key = self.node.key, error = %error.report(), "delete failed; again");
                    sleep(RETRY_PAUSE).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

impl Drop for Entry {
    /// Best effort: the keep-alive stops (with the [`KeepAlive`]), and a delete is spawned on the current tokio
    /// runtime, if there is one. Whatever happens to it, the entry expires within its TTL.
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (keys, key) = (self.keys.clone(), std::mem::take(&mut self.node.key));
            runtime.spawn(async move {
                if let Err(error) = keys.delete(&key, None).await {
                    tracing::debug!(key, error = %error.report(), "delete on drop failed; the key expires at its TTL");
                }
            });
        }
    }
}

/// After an unknown outcome: the entry whose value is `value`, looked for until a listing answers.
async fn find(keys: &KeysApi, dir: &str, value: &str) -> Result<Option<Node>, Error> {
    loop {
        match Queue::read(keys, dir).await {
            Ok(queue) => return Ok(queue.entries.into_iter().find(|n| n.value == value)),
            Err(error) if error.is_cluster() || may_be_applied(&error) => sleep(RETRY_PAUSE).await,
            Err(error) => return Err(error.into()),
        }
    }
}
