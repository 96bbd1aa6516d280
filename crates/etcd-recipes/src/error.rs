//! The recipes' one error type.

use std::fmt;
use std::time::Duration;

/// Why a held lock (or a waiter's place in the queue, or a leadership) was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LostReason {
    /// The key is gone: deleted by someone else, or expired.
    Gone,
    /// No keep-alive was acknowledged for a whole TTL, counted from when the last acknowledged one was sent: the
    /// key may have expired (etcd unreachable, or too slow), so another waiter may hold the lock now.
    KeepAliveFailed,
}

impl fmt::Display for LostReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LostReason::Gone => "the key was deleted or expired",
            LostReason::KeepAliveFailed => "no keep-alive was acknowledged within the TTL",
        })
    }
}

/// What a recipe can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A call to etcd failed, and the recipe could not go on (see the wrapped error's `is_*` questions).
    #[error(transparent)]
    Etcd(#[from] etcd_keys::Error),
    /// The lock (or leadership) was not acquired within the time asked for; the waiter's entry was removed.
    #[error("not acquired within {0:?}")]
    Timeout(Duration),
    /// The waiter's own entry was lost before it could hold the lock (see the reason), in
    /// [`Lock::try_lock`](crate::Lock::try_lock); [`Lock::lock`](crate::Lock::lock) queues again instead.
    #[error("the queue entry {key} was lost while waiting: {reason}")]
    Lost {
        /// The entry's key.
        key: String,
        /// Why it was lost.
        reason: LostReason,
    },
    /// A setting the recipe cannot work with (a TTL under the minimum, a directory that is a key, ...).
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
}

impl Error {
    /// Whether the time asked for ran out before the lock was acquired.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// Whether the waiter's entry was lost while it waited.
    pub fn is_lost(&self) -> bool {
        matches!(self, Error::Lost { .. })
    }

    /// The etcd error behind this one, if any.
    pub fn as_etcd(&self) -> Option<&etcd_keys::Error> {
        match self {
            Error::Etcd(e) => Some(e),
            _ => None,
        }
    }
}

/// Whether a failed write may have been applied: a create after such an error must be looked for.
pub(crate) fn may_be_applied(error: &etcd_keys::Error) -> bool {
    error.is_outcome_unknown() || error.is_deadline_exceeded() || error.is_invalid_response()
}

/// Whether a read may succeed when tried again: no member answered, or not in time.
pub(crate) fn is_transient(error: &etcd_keys::Error) -> bool {
    error.is_cluster() || error.is_timeout() || error.is_invalid_response() || error.is_outcome_unknown()
}
