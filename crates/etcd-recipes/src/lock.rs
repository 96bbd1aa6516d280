//! A fair distributed lock: a queue of in-order keys under a directory, the oldest one holding the lock.

use std::future::Future;
use std::time::Duration;

use etcd_keys::KeysApi;
use tokio::time::sleep;

use crate::error::is_transient;
use crate::keepalive::watch_until_gone;
use crate::queue::{Entry, Queue};
use crate::token::caller_value;
use crate::{Error, LostReason};

/// The TTL of a lock's keys unless set: how long a dead holder keeps the lock.
pub const DEFAULT_TTL: Duration = Duration::from_secs(10);

/// The pause before reading the queue again after no member answered.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A fair lock over etcd: waiters are served in the order they asked, each watching only the waiter before it
/// (no herd wakes when the lock is released), and the holder gets a fencing token to pass to what it protects.
///
/// Each waiter creates an in-order key under the lock's directory, with a TTL that a background task keeps
/// alive (`refresh=true`, every TTL/3) while the waiter waits and while it holds the lock. The oldest key holds
/// the lock. A holder that dies (its process killed, its host cut off) stops refreshing, and its key expires
/// within the TTL: the next waiter then gets the lock, within the TTL and the time etcd takes to expire a key
/// and tell the watcher (about a second).
///
/// The holder must stop using the lock when [`LockGuard::lost`] completes: a keep-alive that failed for a whole
/// TTL means the key may have expired and another waiter may hold the lock. The fencing token
/// ([`LockGuard::token`]) guards what the lock protects against a holder that did not notice in time: tokens
/// grow with each holder, so a resource that refuses a token smaller than the largest it saw refuses a former
/// holder.
///
/// # Examples
/// ```no_run
/// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_recipes::Error> {
/// use std::time::Duration;
/// use etcd_recipes::Lock;
///
/// let lock = Lock::new(keys, "/locks/billing").with_ttl(Duration::from_secs(10));
/// let guard = lock.lock_timeout(Duration::from_secs(30)).await?;
/// println!("holding the lock with fencing token {}", guard.token());
/// tokio::select! {
///     reason = guard.lost() => println!("lost the lock: {reason}"),
///     _ = tokio::time::sleep(Duration::from_secs(1)) => {} // the protected work
/// }
/// guard.unlock().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Lock {
    keys: KeysApi,
    dir: String,
    ttl: Duration,
    value: String,
}

/// Who holds a lock: its key, fencing token and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// The holder's key in the lock's directory.
    pub key: String,
    /// The holder's fencing token: its key's created index.
    pub token: u64,
    /// The value the holder gave ([`Lock::with_value`]): a candidate's identity for an election.
    pub value: String,
}

impl Lock {
    /// The lock whose queue is the directory `dir`, with the [`DEFAULT_TTL`] and an empty value. Every process
    /// that locks the same directory contends for the same lock; keep other keys out of it.
    pub fn new(keys: KeysApi, dir: impl Into<String>) -> Lock {
        Lock { keys, dir: dir.into(), ttl: DEFAULT_TTL, value: String::new() }
    }

    /// The TTL of this waiter's key, rounded up to whole seconds (etcd's unit); at least a second. A dead holder
    /// blocks the others for up to this long; a live one must reach etcd at least once in that time.
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Lock {
        self.ttl = Duration::from_secs(ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0));
        self
    }

    /// A value stored in this waiter's key after its unique token, for observers ([`Lock::holder`]).
    #[must_use]
    pub fn with_value(mut self, value: impl Into<String>) -> Lock {
        self.value = value.into();
        self
    }

    /// The lock's directory.
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The TTL of the lock's keys.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Waits for the lock as long as it takes. Dropping the future leaves the queue (best effort, see
    /// [`LockGuard`]'s drop).
    ///
    /// A waiter whose entry is lost while it waits (etcd unreachable for a TTL, so that the entry may have
    /// expired, or deleted by someone) deletes what may be left of it and joins the queue again, at its end;
    /// while no member answers, it keeps trying.
    ///
    /// # Errors
    /// [`Error::Etcd`] when etcd refused a call (the directory is a key, permissions, ...).
    pub async fn lock(&self) -> Result<LockGuard, Error> {
        loop {
            let entry = self.enqueue().await?;
            let key = entry.node.key.clone();
            let lost = entry.keep_alive.lost();
            tokio::select! {
                first = self.wait_until_first(&key) => match first {
                    Ok(()) => return Ok(LockGuard { entry }),
                    Err(Error::Lost { .. }) => {}
                    Err(error) => return Err(error),
                },
                reason = lost => tracing::info!(key, %reason, "lost this waiter's entry; queueing again"),
            }
            // Gone, or about to expire: delete it so that it does not stand before the new entry.
            if let Err(error) = entry.remove().await {
                tracing::debug!(key, error = %error.report(), "could not delete a lost entry; it expires at its TTL");
            }
        }
    }

    /// Waits for the lock at most `timeout`.
    ///
    /// # Errors
    /// [`Error::Timeout`] when the time ran out (the waiter's key is deleted in the background); the errors of
    /// [`lock`](Lock::lock).
    pub async fn lock_timeout(&self, timeout: Duration) -> Result<LockGuard, Error> {
        match tokio::time::timeout(timeout, self.lock()).await {
            Ok(guard) => guard,
            Err(_) => Err(Error::Timeout(timeout)),
        }
    }

    /// Takes the lock if nobody holds it or waits for it, without waiting for it; `None` when taken.
    ///
    /// # Errors
    /// As [`lock`](Lock::lock), and [`Error::Etcd`] when no member answered the first read. Once it has joined
    /// the queue it keeps trying while no member answers, as `lock` does: bound it with a timeout if that
    /// matters.
    pub async fn try_lock(&self) -> Result<Option<LockGuard>, Error> {
        if !Queue::read(&self.keys, &self.dir).await?.entries.is_empty() {
            return Ok(None);
        }
        let entry = self.enqueue().await?;
        let key = entry.node.key.clone();
        let lost = entry.keep_alive.lost();
        let first = tokio::select! {
            first = self.is_first(&key) => first?,
            reason = lost => return Err(Error::Lost { key, reason }),
        };
        if first {
            return Ok(Some(LockGuard { entry }));
        }
        entry.remove().await?;
        Ok(None)
    }

    /// Who holds the lock now, from a quorum read; `None` when nobody does.
    ///
    /// # Errors
    /// The read's.
    pub async fn holder(&self) -> Result<Option<Holder>, Error> {
        let queue = Queue::read(&self.keys, &self.dir).await?;
        Ok(queue.entries.into_iter().next().map(|node| Holder {
            token: node.created_index,
            value: caller_value(&node.value).to_owned(),
            key: node.key,
        }))
    }

    fn check(&self) -> Result<(), Error> {
        if self.ttl.is_zero() {
            return Err(Error::InvalidSetting("a lock's TTL must be at least a second".into()));
        }
        Ok(())
    }

    async fn enqueue(&self) -> Result<Entry, Error> {
        self.check()?;
        Entry::enqueue(&self.keys, &self.dir, &self.value, self.ttl).await
    }

    /// Reads the queue until `key` is first, watching the entry before it in between.
    async fn wait_until_first(&self, key: &str) -> Result<(), Error> {
        loop {
            let queue = self.read_queue().await?;
            match queue.position(key) {
                Some(0) => return Ok(()),
                Some(position) => {
                    if let Some(before) = queue.entries.get(position - 1) {
                        tracing::debug!(key, before = before.key, "waiting for the entry before this one to go");
                        watch_until_gone(&self.keys, &before.key, queue.index, self.ttl).await;
                    }
                }
                None => return Err(Error::Lost { key: key.to_owned(), reason: LostReason::Gone }),
            }
        }
    }

    /// Whether `key` is first in the queue.
    async fn is_first(&self, key: &str) -> Result<bool, Error> {
        match self.read_queue().await?.position(key) {
            Some(position) => Ok(position == 0),
            None => Err(Error::Lost { key: key.to_owned(), reason: LostReason::Gone }),
        }
    }

    /// The queue, read again while no member answers.
    async fn read_queue(&self) -> Result<Queue, Error> {
        loop {
            match Queue::read(&self.keys, &self.dir).await {
                Ok(queue) => return Ok(queue),
                Err(error) if is_transient(&error) => sleep(RETRY_PAUSE).await,
                Err(error) => return Err(error.into()),
            }
        }
    }
}

/// The lock, held: its fencing token, a future that says when it was lost, and [`unlock`](LockGuard::unlock).
///
/// Dropping a guard without [`unlock`](LockGuard::unlock) releases the lock best effort: the keep-alive stops at
/// once, and a delete of the key is spawned on the current tokio runtime (if there is one, and if it runs long
/// enough to send it). Whatever happens to that delete, the key expires within the TTL, and the next waiter gets
/// the lock then. Call `unlock` to release it now and to know that it was released.
#[derive(Debug)]
pub struct LockGuard {
    entry: Entry,
}

impl LockGuard {
    /// The fencing token: the holder's key's created index, larger for each later holder of this lock. Pass it
    /// to the resources the lock protects, so that they refuse a former holder's late writes.
    pub fn token(&self) -> u64 {
        self.entry.node.created_index
    }

    /// The holder's key.
    pub fn key(&self) -> &str {
        &self.entry.node.key
    }

    /// Completes when the lock is lost: the key was deleted or expired, or no keep-alive was acknowledged for a
    /// TTL. Stop using the lock then. The future does not borrow the guard.
    pub fn lost(&self) -> impl Future<Output = LostReason> + Send + 'static {
        self.entry.keep_alive.lost()
    }

    /// Why the lock was lost, if it was.
    pub fn lost_reason(&self) -> Option<LostReason> {
        self.entry.keep_alive.lost_reason()
    }

    /// Releases the lock: deletes the key, so that the next waiter gets it at once.
    ///
    /// # Errors
    /// The delete's ([`Error::Etcd`]); the key then expires within the TTL, since its keep-alive stopped.
    pub async fn unlock(self) -> Result<(), Error> {
        Ok(self.entry.remove().await?)
    }
}
