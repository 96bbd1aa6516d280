//! When a failed attempt may go to another endpoint, and which: [`tower::retry::Policy`]s over the
//! [`AttemptError`](crate::rotation::AttemptError)s of [`EndpointRotation`](crate::rotation::EndpointRotation).
//!
//! The policy is where a call is decided: it keeps what the call met (tower clones the policy into each call's
//! retry future, so the state is the call's own), picks the next endpoint (the next untried one in rotation
//! order, set as an [`AttemptOn`](crate::rotation::AttemptOn) extension), and when it stops, turns the call's
//! failures into the caller's one error: [`ClusterError`](etcd_core::ClusterError) listing every endpoint in
//! order, or [`OutcomeUnknown`](etcd_core::OutcomeUnknown) when a write may have been applied.
//!
//! [`SafeRetryPolicy`] is the default, and linearizable: a write goes elsewhere only when its attempt certainly
//! did not apply it (the connection was never made, or another cluster answered). After a header timeout, a
//! lost connection or a 5xx, any write (an unconditional set or delete included) ends with `OutcomeUnknown`:
//! replaying it could apply it twice, or let a frozen member apply the first copy late, over a newer write of
//! someone else's. Reads go on to the next member after any failure, a body cut mid-way included. A retry
//! budget keeps a sick cluster from being flooded.
//!
//! [`GoRetryPolicy`] does what the Go client does (at least once): every failure goes on to the next endpoint,
//! except creates and deletes. It can apply a write twice; its docs say what that costs.
//!
//! Any `tower::retry::Policy<Request<RequestBody>, Response<Body>, BoxError>` can replace them
//! ([`Config::retry_policy`](crate::Config::retry_policy)). Its attempts go to the pinned endpoint unless it sets
//! [`AttemptOn`](crate::rotation::AttemptOn); a call it gives up on ends with the last attempt's failure, judged
//! as above.

mod attempts;
mod configured;
mod policy;

pub(crate) use attempts::final_error;
pub(crate) use configured::ConfiguredPolicy;
pub(crate) use policy::policy_idempotency;

pub use policy::{GoRetryPolicy, SafeRetryPolicy};

#[cfg(test)]
mod tests;
