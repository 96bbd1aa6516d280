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

use std::time::Duration;

pub use layer::DeadlineLayer;
pub use service::{Deadline, ResponseFuture};

/// A request extension setting the budget of one call, overriding the client's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallTimeout(pub Duration);
