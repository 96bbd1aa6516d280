//! One attempt on one endpoint: which endpoint, the absolute URI, the pin, and what a failure was.
//!
//! [`EndpointRotation`] sends a request to the endpoint it names ([`AttemptOn`], set by a retry policy, or
//! [`SendTo`]) or else to the pinned one, and makes the pin follow the outcome: an answer from another endpoint
//! moves the pin there, and a failure moves it off the failed endpoint, so that the next call goes elsewhere at
//! once, even when this one cannot be retried. It turns what went wrong into an [`AttemptError`]: the endpoint,
//! the [`AttemptFailure`](etcd_core::AttemptFailure) (a connection that could not be made, a header timeout, a
//! connection lost, a body that broke, or a 5xx answer, whose etcd error body, 300 "Raft Internal Error" or 301
//! "During Leader Election", is read and kept), and the endpoints as they were, from which a policy picks the
//! next. Any other status is an answer and goes up as it is.
//!
//! Alone, it is a client that sends every request to its pinned member and moves the pin on failure (the Go
//! client's behaviour for a one-shot request); under [`Failover`](crate::failover::Failover), a retry policy
//! decides whether the call goes on, and where.

mod error;
mod future;
mod layer;
mod service;

pub use error::AttemptError;
pub use future::ResponseFuture;
pub use layer::EndpointRotationLayer;
pub use service::EndpointRotation;

use crate::Endpoint;

/// A request extension sending a request to one endpoint only, leaving the pin where it is, whatever the outcome.
/// For requests about one member (a health probe of the member serving a watch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendTo(pub Endpoint);

/// A request extension sending the next attempt of a call to this endpoint, set by a retry policy that chose it;
/// the pin follows the outcome as for any attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptOn(pub Endpoint);
