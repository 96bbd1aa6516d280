use std::future::{Ready, ready};
use std::sync::Arc;

use crate::RequestBody;
use etcd_core::BoxError;
use http::{Request, Response};
use tower::retry::Policy;
use tower::retry::budget::{Budget, TpsBudget};

use crate::rotation::AttemptError;
use crate::{Body, Idempotency};

/// The default retry policy: never replays a write that may have been applied; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct SafeRetryPolicy {
    budget: Arc<TpsBudget>,
}

impl SafeRetryPolicy {
    /// A policy with tower's default retry budget: at least 10 retries a second, and beyond that 20% of the
    /// calls of the last 10 seconds.
    pub fn new() -> Self {
        SafeRetryPolicy::with_budget(TpsBudget::default())
    }

    /// A policy with a retry budget of your own.
    pub fn with_budget(budget: TpsBudget) -> Self {
        SafeRetryPolicy { budget: Arc::new(budget) }
    }
}

impl Default for SafeRetryPolicy {
    fn default() -> Self {
        SafeRetryPolicy::new()
    }
}

impl Policy<Request<RequestBody>, Response<Body>, BoxError> for SafeRetryPolicy {
    type Future = Ready<()>;

    fn retry(
        &mut self,
        request: &mut Request<RequestBody>,
        result: &mut Result<Response<Body>, BoxError>,
    ) -> Option<Ready<()>> {
        let attempt = match result {
            Ok(_) => {
                self.budget.deposit();
                return None;
            }
            Err(error) => error.downcast_ref::<AttemptError>()?,
        };
        if attempt.endpoints_left() == 0 {
            return None;
        }
        if attempt.may_have_been_applied() && !policy_idempotency(request).is_replay_safe() {
            return None;
        }
        self.budget.withdraw().then(|| ready(()))
    }

    fn clone_request(&mut self, request: &Request<RequestBody>) -> Option<Request<RequestBody>> {
        keep_for_retry(request)
    }
}

/// A copy of the request for a later attempt. A call that can have one attempt only never reaches the retry
/// (see [`Failover`](crate::failover::Failover)), so every request here may need one.
fn keep_for_retry(request: &Request<RequestBody>) -> Option<Request<RequestBody>> {
    Some(request.clone())
}

/// The Go client's rule: every failed attempt goes on to the next endpoint, whatever the request. A write that
/// timed out on one member may be applied again on another; prefer [`SafeRetryPolicy`].
#[derive(Clone, Copy, Debug, Default)]
pub struct GoRetryPolicy;

impl Policy<Request<RequestBody>, Response<Body>, BoxError> for GoRetryPolicy {
    type Future = Ready<()>;

    fn retry(
        &mut self,
        _request: &mut Request<RequestBody>,
        result: &mut Result<Response<Body>, BoxError>,
    ) -> Option<Ready<()>> {
        let attempt = result.as_ref().err()?.downcast_ref::<AttemptError>()?;
        (attempt.endpoints_left() > 0).then(|| ready(()))
    }

    fn clone_request(&mut self, request: &Request<RequestBody>) -> Option<Request<RequestBody>> {
        keep_for_retry(request)
    }
}

/// A request's idempotency; one without the extension is taken as a write that must not be replayed.
pub(crate) fn policy_idempotency(request: &Request<RequestBody>) -> Idempotency {
    request.extensions().get::<Idempotency>().copied().unwrap_or(Idempotency::NonIdempotentWrite)
}
