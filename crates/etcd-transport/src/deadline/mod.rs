//! The caller's budget for a whole call, across every attempt and endpoint (the Go client's context deadline).
//!
//! When it passes, the call ends with [`DeadlineExceeded`](etcd_core::DeadlineExceeded), whatever the attempts had
//! met, and the attempt in flight is dropped, which closes its connection. A write may have been applied. The
//! budget comes from the request's [`CallTimeout`] extension, else from the client's default
//! ([`Config::call_timeout`](crate::Config::call_timeout)); without either, calls have no deadline.
//!
//! It is not the per-attempt header timeout, which bounds one attempt so that one slow endpoint does not eat
//! the whole budget; the two errors say which fired.
//!
//! Why not `tower::timeout`: the budget comes per request (the [`CallTimeout`] extension) as well as per client,
//! a call without one must carry no timer, and the caller's error is the typed
//! [`DeadlineExceeded`](etcd_core::DeadlineExceeded) with its budget, not tower's `Elapsed`.

mod layer;
mod service;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use layer::DeadlineLayer;
pub use service::{Deadline, ResponseFuture};

/// A request extension setting the budget of one call, overriding the client's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallTimeout(pub Duration);

/// Set when a call's deadline passed, shared by every attempt of the call (a request extension, cloned with the
/// request): the attempt in flight then is dropped, and [`rotation`](crate::rotation) moves the pin off its
/// member when it sees the flag, as it does after any failure there. Without it, a deadline shorter than the
/// header timeout would leave every call starting at a frozen pinned member, and ending there. A call its caller
/// drops carries no set flag and leaves the pin alone.
#[derive(Clone, Debug, Default)]
pub(crate) struct DeadlinePassed(Arc<AtomicBool>);

impl DeadlinePassed {
    /// The flag of `request`, inserted when it has none yet (the per-call timer and the layer share one).
    pub(crate) fn of<B>(request: &mut http::Request<B>) -> DeadlinePassed {
        if let Some(flag) = request.extensions().get::<DeadlinePassed>() {
            return flag.clone();
        }
        let flag = DeadlinePassed::default();
        request.extensions_mut().insert(flag.clone());
        flag
    }

    pub(crate) fn set(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}
