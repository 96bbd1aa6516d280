use std::sync::Arc;
use std::task::{Context, Poll};

use crate::RequestBody;
use etcd_core::BoxError;
use http::{Request, Response};
use tower::Service;
use tower::retry::future::ResponseFuture as RetryFuture;
use tower::retry::{Policy, Retry};

use super::{EndpointSet, ResponseFuture};
use crate::Body;
use crate::retry::SafeRetryPolicy;
use crate::rotation::{EndpointRotation, SendTo};

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

    /// The per-attempt service.
    pub fn get_ref(&self) -> &S {
        self.retry.get_ref().get_ref()
    }

    /// The per-attempt service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        self.retry.get_mut().get_mut()
    }

    /// Unwraps the per-attempt service.
    pub fn into_inner(self) -> S {
        self.retry.into_inner().into_inner()
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

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let one_endpoint = request.extensions().get::<SendTo>().is_some() || self.endpoints().len() < 2;
        let idempotency = crate::retry::policy_idempotency(&request);
        let span = tracing::debug_span!("etcd.call", method = %request.method(), path = request.uri().path());
        if one_endpoint {
            // One attempt at most: no retry policy to consult, no copy of the request. poll_ready readied the
            // rotation below the retry.
            return ResponseFuture::once(self.retry.get_mut().call(request), idempotency, span);
        }
        // The retry stack was made ready by poll_ready; it keeps its own copy of itself for later attempts.
        ResponseFuture::retrying(self.retry.call(request), idempotency, span)
    }
}
