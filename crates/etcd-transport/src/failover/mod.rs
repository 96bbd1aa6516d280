//! Which endpoint an attempt goes to: the pinned one first, the others in turn when it fails.
//!
//! Every call starts at the pinned endpoint; an answer from another endpoint moves the pin there, so that a
//! client sticks with a member that works (the Go client's first caveat). A failed attempt moves the call to
//! the next endpoint, each endpoint at most once per call, when that is safe:
//!
//! - a request that certainly never left ([`ConnectError`]) goes on to the next endpoint;
//! - a request that may have reached a member (a header timeout, a connection lost) goes on only when replaying
//!   it is harmless ([`Idempotency`](crate::Idempotency)); otherwise the call ends with
//!   [`OutcomeUnknown`](etcd_core::OutcomeUnknown), naming the endpoint and why, and nothing is replayed.
//!
//! When every endpoint failed the call ends with a [`ClusterError`](etcd_core::ClusterError) listing each
//! endpoint's own cause, in the order tried. Any HTTP answer, whatever its status, ends the call here; the API
//! crates decode it.
//!
//! The requests it receives hold a path and query only; it makes them absolute for the endpoint it picks and
//! records that [`Endpoint`](crate::Endpoint) in the response's extensions.

mod endpoints;
mod layer;
mod service;

pub use endpoints::EndpointSet;
pub use layer::FailoverLayer;
pub use service::Failover;

use etcd_core::{AttemptFailure, BoxError};

use crate::ConnectError;
use crate::header_timeout::HeaderTimeoutElapsed;

/// What an attempt's error means for a retry.
fn classify(error: BoxError) -> AttemptFailure {
    let error = match error.downcast::<ConnectError>() {
        Ok(connect) => return AttemptFailure::Connect(connect.into_inner()),
        Err(other) => other,
    };
    match error.downcast::<HeaderTimeoutElapsed>() {
        Ok(elapsed) => AttemptFailure::HeaderTimeout(elapsed.timeout()),
        Err(other) => AttemptFailure::Io(other),
    }
}
