//! A call over the cluster: the attempts, and the one error the caller gets when they all failed.
//!
//! [`Failover`] gives each call a [`CallState`], runs it through a
//! [`tower::retry::Retry`] of a retry policy (see [`retry`](crate::retry)) over
//! [`EndpointRotation`](crate::rotation::EndpointRotation), and, when the call fails, turns what the attempts
//! met into the caller's error:
//!
//! - [`OutcomeUnknown`](etcd_core::OutcomeUnknown) when the request is not safe to replay and an attempt may
//!   have applied it (naming that endpoint and why);
//! - else a [`ClusterError`](etcd_core::ClusterError) listing each endpoint tried with its own cause, in order.
//!
//! Every call starts at the pinned endpoint, each endpoint is tried at most once, and an answer from another
//! endpoint moves the pin there, so that a client sticks with a member that works (the Go client's first two
//! caveats).

mod endpoints;
mod future;
mod layer;
mod service;

pub use endpoints::EndpointSet;
pub(crate) use endpoints::parse_all as parse_endpoints;
pub use future::ResponseFuture;
pub use layer::FailoverLayer;
pub use service::Failover;

pub use crate::rotation::CallState;
