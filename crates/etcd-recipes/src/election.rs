//! Leader election: a lock whose holder is the leader, and whose value is the candidate's identity.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use etcd_keys::KeysApi;
use futures_core::Stream;

use crate::token::caller_value;
use crate::{Cache, Changes, Error, Holder, Lock, LockGuard, LostReason};

/// Leader election among candidates that campaign under one directory: the oldest campaign is the leader, the
/// others wait in line (a [`Lock`] whose value is the candidate's identity).
///
/// A leader that dies stops keeping its key alive, and the next candidate leads within the TTL. A leader must
/// stop acting as one when [`Leadership::lost`] completes; its [`token`](Leadership::token) (larger for each
/// later leader) lets what it drives refuse a former leader.
///
/// # Examples
/// ```no_run
/// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_recipes::Error> {
/// use etcd_recipes::Election;
///
/// let election = Election::new(keys, "/elections/scheduler", "node-1");
/// let leadership = election.campaign().await?;
/// println!("leading with token {}", leadership.token());
/// let reason = leadership.lost().await; // lead until this completes (or resign)
/// println!("no longer leading: {reason}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Election {
    lock: Lock,
    keys: KeysApi,
    identity: String,
}

/// A leader, as observers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leader {
    /// The identity the leader campaigned with.
    pub identity: String,
    /// The leader's token: its key's created index, larger for each later leader.
    pub token: u64,
    /// The leader's key in the election's directory.
    pub key: String,
}

impl From<Holder> for Leader {
    fn from(holder: Holder) -> Leader {
        Leader { identity: holder.value, token: holder.token, key: holder.key }
    }
}

impl Election {
    /// The election at `dir`, for a candidate named `identity` (what observers see as the leader), with the
    /// lock's [default TTL](crate::DEFAULT_TTL).
    pub fn new(keys: KeysApi, dir: impl Into<String>, identity: impl Into<String>) -> Election {
        let identity = identity.into();
        Election { lock: Lock::new(keys.clone(), dir).with_value(identity.clone()), keys, identity }
    }

    /// The TTL of the candidate's key: how long a dead leader keeps leading (see [`Lock::with_ttl`]).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Election {
        self.lock = self.lock.with_ttl(ttl);
        self
    }

    /// The candidate's identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Waits in line until this candidate leads. Dropping the future leaves the line (best effort).
    ///
    /// # Errors
    /// As [`Lock::lock`].
    pub async fn campaign(&self) -> Result<Leadership, Error> {
        Ok(Leadership { guard: self.lock.lock().await? })
    }

    /// The leader now, from a quorum read; `None` when nobody campaigns.
    ///
    /// # Errors
    /// The read's.
    pub async fn leader(&self) -> Result<Option<Leader>, Error> {
        Ok(self.lock.holder().await?.map(Leader::from))
    }

    /// The leader now, then each change of leader (`None`: nobody leads), for observers: a stream
    /// ([`futures_core::Stream`]; also [`LeaderChanges::next`]) over a [`Cache`] of the election's directory.
    ///
    /// # Errors
    /// The first read's.
    pub async fn observe(&self) -> Result<LeaderChanges, Error> {
        let cache = Cache::start(self.keys.clone(), self.lock.dir()).await?;
        let changes = cache.changes();
        Ok(LeaderChanges { cache, changes, told: None })
    }
}

/// Leading an election: the [`LockGuard`] of the candidate's key.
#[derive(Debug)]
pub struct Leadership {
    guard: LockGuard,
}

impl Leadership {
    /// The leader's token: larger for each later leader; pass it to what the leader drives.
    pub fn token(&self) -> u64 {
        self.guard.token()
    }

    /// The leader's key.
    pub fn key(&self) -> &str {
        self.guard.key()
    }

    /// Completes when the leadership is lost (see [`LockGuard::lost`]): stop leading then.
    pub fn lost(&self) -> impl Future<Output = LostReason> + Send + 'static {
        self.guard.lost()
    }

    /// Steps down: the next candidate in line leads at once.
    ///
    /// # Errors
    /// As [`LockGuard::unlock`].
    pub async fn resign(self) -> Result<(), Error> {
        self.guard.unlock().await
    }
}

/// The leader of an election, then each change of leader; see [`Election::observe`].
#[derive(Debug)]
pub struct LeaderChanges {
    cache: Cache,
    changes: Changes,
    /// The last leader yielded; `None` before the first.
    told: Option<Option<Leader>>,
}

impl LeaderChanges {
    /// The next leader (the current one first), or `None` if the stream ended.
    pub async fn next(&mut self) -> Option<Option<Leader>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The leader as the cache has it: the oldest entry of the directory.
    fn leader(&self) -> Option<Leader> {
        self.cache.shared().with_map(|map| {
            map.values().min_by_key(|n| n.created_index).map(|node| Leader {
                identity: caller_value(&node.value).to_owned(),
                token: node.created_index,
                key: node.key.clone(),
            })
        })
    }
}

impl Stream for LeaderChanges {
    type Item = Option<Leader>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Option<Leader>>> {
        loop {
            let leader = self.leader();
            if self.told.as_ref() != Some(&leader) {
                self.told = Some(leader.clone());
                return Poll::Ready(Some(leader));
            }
            if ready!(Pin::new(&mut self.changes).poll_next(cx)).is_none() {
                return Poll::Ready(None);
            }
        }
    }
}
