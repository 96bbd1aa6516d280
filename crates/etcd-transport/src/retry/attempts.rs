use etcd_core::{AttemptFailure, BoxError, ClusterError, EndpointError, Error, OutcomeUnknown};

use crate::Idempotency;
use crate::rotation::AttemptError;

/// What one call met so far: each failed attempt's endpoint and failure, in order. A retry policy holds one; tower
/// clones the policy into each call's retry future, so every call starts with none.
#[derive(Debug, Default)]
pub(crate) struct Attempts {
    failures: Vec<EndpointError>,
}

/// A clone starts a call: tower clones a policy when a call begins, never during one (failures are not `Clone`).
impl Clone for Attempts {
    fn clone(&self) -> Self {
        Attempts::default()
    }
}

impl Attempts {
    /// Records a failed attempt, and returns the endpoint the call has not tried yet that comes after it in the
    /// client's rotation order, if any.
    pub(crate) fn record(&mut self, error: AttemptError) -> Option<crate::Endpoint> {
        let endpoints = error.endpoints().clone();
        let start = endpoints.iter().position(|e| e == error.endpoint()).map_or(0, |i| i + 1);
        self.failures.push(error.into_endpoint_error());
        let tried = |candidate: &crate::Endpoint| self.failures.iter().any(|f| f.endpoint() == candidate.as_str());
        let len = endpoints.len();
        (0..len).map(|step| &endpoints[(start + step) % len]).find(|candidate| !tried(candidate)).cloned()
    }

    /// The caller's error once the call stops: every failure in order, judged for the request's kind.
    #[cold]
    pub(crate) fn into_error(self, idempotency: Idempotency) -> BoxError {
        final_error(self.failures, idempotency)
    }
}

/// The caller's error from the failures of a call, in the order met; the last one ended the call.
///
/// - An answer that could not be read as a whole (too large, or a write whose body broke after its status said
///   what happened) is that [`InvalidResponse`](etcd_core::InvalidResponse), naming the endpoint.
/// - A write of which any attempt may have been applied is [`OutcomeUnknown`], never a [`ClusterError`], which
///   would read as "not applied": it names the last such endpoint, and keeps every other failure, in order.
/// - Anything else is a [`ClusterError`] listing every endpoint tried, in order.
#[cold]
pub(crate) fn final_error(mut failures: Vec<EndpointError>, idempotency: Idempotency) -> BoxError {
    if failures.last().is_some_and(|last| is_unreadable_answer(last.failure(), idempotency)) {
        if let Some((endpoint, AttemptFailure::InvalidResponse(invalid))) =
            failures.pop().map(EndpointError::into_parts)
        {
            return Error::from(invalid.with_endpoint(endpoint)).into();
        }
    }
    if idempotency != Idempotency::Read {
        if let Some(applied) = failures.iter().rposition(|e| e.failure().may_have_been_applied()) {
            let unknown = failures.remove(applied);
            return Error::from(OutcomeUnknown::new(unknown).with_earlier(failures)).into();
        }
    }
    Error::from(ClusterError::new(failures)).into()
}

/// Whether a failure is an answer that came but could not be read whole, and that no other member would answer
/// better: too large (the same data everywhere), or a write's (its status said it was applied, or refused).
pub(crate) fn is_unreadable_answer(failure: &AttemptFailure, idempotency: Idempotency) -> bool {
    match failure {
        AttemptFailure::InvalidResponse(invalid) => {
            invalid.kind() == etcd_core::InvalidResponseKind::TooLarge || idempotency != Idempotency::Read
        }
        _ => false,
    }
}
