//! A call over the cluster: the attempts, and the one error the caller gets when they all failed.
//!
//! [`Failover`] runs a call through a [`tower::retry::Retry`] of a retry policy (see [`retry`](crate::retry),
//! where the call is decided) over [`EndpointRotation`](crate::rotation::EndpointRotation). A call that can have
//! one attempt only (one endpoint, or a request for one member) skips the retry machinery, and its failure is
//! judged by the same rule as the policy's: [`OutcomeUnknown`](etcd_core::OutcomeUnknown) when a write may have
//! been applied, else a [`ClusterError`](etcd_core::ClusterError).
//!
//! Every call starts at the pinned endpoint, each endpoint is tried at most once, an answer from another
//! endpoint moves the pin there, and a failure moves it off, so that a client sticks with a member that works
//! (the Go client's first two caveats).
//!
//! Why not `tower::balance`: it spreads calls over ready services by load, where etcd wants every call of a
//! client on one member (a consistent view, one connection) until that member fails, and a failed call decided
//! per request by what it may have applied.

mod endpoints;
mod future;
mod layer;
mod service;

pub use endpoints::EndpointSet;
pub(crate) use endpoints::parse_all as parse_endpoints;
pub use future::ResponseFuture;
pub use layer::FailoverLayer;
pub use service::Failover;
