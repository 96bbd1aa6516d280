//! One attempt on one endpoint: which endpoint, the absolute URI, the pin, and what a failure means.
//!
//! [`EndpointRotation`] sends an attempt to the endpoint its call has not tried yet, starting at the pinned one,
//! and moves the pin to any endpoint that answers. It turns what went wrong into an [`AttemptError`] that a
//! retry policy can judge without knowing the transport: a connection that could not be made (never sent), a
//! header timeout, a connection lost, or a 5xx answer, whose etcd error body (300 "Raft Internal Error", 301
//! "During Leader Election", ...) is read and kept. Any other status is an answer and goes up as it is.
//!
//! The full failure of every attempt is kept in the call's [`CallState`], from which [`Failover`] builds the
//! final [`ClusterError`](etcd_core::ClusterError) or [`OutcomeUnknown`](etcd_core::OutcomeUnknown).
//!
//! [`Failover`]: crate::failover::Failover

mod error;
mod future;
mod layer;
mod service;
mod state;

pub use error::AttemptError;
pub use future::ResponseFuture;
pub use layer::EndpointRotationLayer;
pub use service::EndpointRotation;
pub use state::CallState;

use crate::Endpoint;

/// A request extension sending a request to one endpoint only: no rotation, and the pin stays where it is. For
/// requests about one member (a health probe of the member serving a watch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendTo(pub Endpoint);
