//! When a failed attempt may go to another endpoint: [`tower::retry::Policy`]s over the
//! [`AttemptError`](crate::rotation::AttemptError)s of [`EndpointRotation`](crate::rotation::EndpointRotation).
//!
//! [`SafeRetryPolicy`] is the default: it sends a request elsewhere when it certainly never left, or when
//! replaying it is harmless (a read, an unconditional set); a create, a create-in-order, a compare-and-swap or a
//! delete that may have been applied is not replayed, and the call ends with
//! [`OutcomeUnknown`](etcd_core::OutcomeUnknown). A retry budget keeps a sick cluster from being flooded.
//!
//! [`GoRetryPolicy`] does what the Go client does: every failure goes on to the next endpoint, whatever the
//! request. It can apply a write twice; it exists for users who need the old behaviour.
//!
//! Any `tower::retry::Policy<Request<RequestBody>, Response<Body>, BoxError>` can replace them
//! ([`Config::retry_policy`](crate::Config::retry_policy)); each endpoint is still tried once per round, in turn.

mod configured;
mod policy;

pub(crate) use configured::ConfiguredPolicy;
pub(crate) use policy::policy_idempotency;

pub use policy::{GoRetryPolicy, SafeRetryPolicy};
