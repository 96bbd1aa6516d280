use std::sync::Arc;
use std::task::{Context, Poll};

use crate::RequestBody;
use etcd_core::{BoxError, ClusterError, Error, OutcomeUnknown};
use http::{Request, Response};
use tower::Service;
use tower::retry::future::ResponseFuture as RetryFuture;
use tower::retry::{Policy, Retry};

use super::{CallState, EndpointSet, ResponseFuture};
use crate::Body;
use crate::retry::SafeRetryPolicy;
use crate::rotation::{AttemptError, EndpointRotation, SendTo};

/// Runs a call's attempts under a retry policy and gives the caller one error; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct Failover<S, P = SafeRetryPolicy> {
    // The endpoints are the rotation's: one reference count fewer to move on every clone (one per call).
    retry: Retry<P, EndpointRotation<S>>,
}

impl<S, P> Failover<S, P> {
    /// Wraps the per-attempt service `inner`, sending to `endpoints` under `policy`.
    pub fn new(inner: S, endpoints: Arc<EndpointSet>, policy: P) -> Self {
        Failover { retry: Retry::new(policy, EndpointRotation::new(inner, endpoints)) }
    }

    /// The endpoints and the pin.
    pub fn endpoints(&self) -> &Arc<EndpointSet> {
        self.retry.get_ref().endpoints()
    }
}

impl<S, P> Service<Request<RequestBody>> for Failover<S, P>
where
    S: Service<Request<RequestBody>, Response = Response<Body>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    P: Policy<Request<RequestBody>, Response<Body>, BoxError> + Clone + Send + 'static,
    P::Future: Send,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = ResponseFuture<
        RetryFuture<P, EndpointRotation<S>, Request<RequestBody>>,
        crate::rotation::ResponseFuture<S::Future>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.retry.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        let one_endpoint = request.extensions().get::<SendTo>().is_some() || self.endpoints().len() < 2;
        let replay_safe = crate::retry::policy_idempotency(&request).is_replay_safe();
        let span = tracing::debug_span!("etcd.call", method = %request.method(), path = request.uri().path());
        if one_endpoint {
            // One attempt at most: no retry policy to consult, no copy of the request, no call state (the
            // attempt's error carries its failure). poll_ready readied the rotation below the retry.
            return ResponseFuture::once(self.retry.get_mut().call(request), replay_safe, span);
        }
        let state = CallState::new();
        request.extensions_mut().insert(state.clone());
        // The retry stack was made ready by poll_ready; it keeps its own copy of itself for later attempts.
        ResponseFuture::retrying(self.retry.call(request), state, replay_safe, span)
    }
}

/// The caller's error, from what every attempt met.
#[cold]
pub(super) fn final_error(error: BoxError, state: Option<&CallState>, replay_safe: bool) -> BoxError {
    let last = match error.downcast::<AttemptError>() {
        Ok(last) => last,
        Err(other) => return other,
    };
    let mut errors = state.map(CallState::take_errors).unwrap_or_default();
    if errors.is_empty() {
        // The rotation kept the failure itself when it ran without a call state (a call of one attempt).
        let endpoint = last.endpoint().as_str().to_owned();
        errors.extend(last.into_failure().map(|failure| etcd_core::EndpointError::new(endpoint, failure)));
    }
    if !replay_safe {
        if let Some(applied) = errors.iter().position(|e| e.failure().may_have_been_applied()) {
            return Error::from(OutcomeUnknown::new(errors.swap_remove(applied))).into();
        }
    }
    Error::from(ClusterError::new(errors)).into()
}
