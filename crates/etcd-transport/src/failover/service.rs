use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use etcd_core::{BoxError, ClusterError, EndpointError, Error, OutcomeUnknown};
use http::{Request, Response};
use tower::{Service, ServiceExt};

use super::{EndpointSet, classify};
use crate::{Body, Idempotency};

/// Sends each call to the pinned endpoint, and to the others in turn when that is safe; see the
/// [module docs](super).
#[derive(Clone, Debug)]
pub struct Failover<S> {
    inner: S,
    endpoints: Arc<EndpointSet>,
}

impl<S> Failover<S> {
    /// Wraps the per-attempt service `inner`.
    pub fn new(inner: S, endpoints: Arc<EndpointSet>) -> Self {
        Failover { inner, endpoints }
    }

    /// The endpoints and the pin.
    pub fn endpoints(&self) -> &Arc<EndpointSet> {
        &self.endpoints
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Service<Request<Bytes>> for Failover<S>
where
    S: Service<Request<Bytes>, Response = Response<Body>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness is awaited per attempt, on the service of that attempt.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let inner = self.inner.clone();
        let endpoints = self.endpoints.clone();
        Box::pin(send(inner, endpoints, request))
    }
}

async fn send<S>(inner: S, set: Arc<EndpointSet>, request: Request<Bytes>) -> Result<Response<Body>, BoxError>
where
    S: Service<Request<Bytes>, Response = Response<Body>> + Clone,
    S::Error: Into<BoxError>,
{
    let idempotency = request.extensions().get::<Idempotency>().copied().unwrap_or(Idempotency::NonIdempotentWrite);
    let endpoints = set.endpoints();
    let start = set.pinned_index();
    let mut errors = Vec::new();
    let mut request = Some(request);
    for attempt in 0..endpoints.len() {
        let index = (start + attempt) % endpoints.len();
        let endpoint = &endpoints[index];
        let last = attempt + 1 == endpoints.len();
        // Keep the original for the next endpoint, unless this is the last one.
        let mut this = if last {
            request.take().expect("the request is kept until the last attempt")
        } else {
            request.as_ref().expect("the request is kept until the last attempt").clone()
        };
        *this.uri_mut() = endpoint.join(this.uri())?;
        match inner.clone().oneshot(this).await {
            Ok(mut response) => {
                set.pin(index);
                response.extensions_mut().insert(endpoint.clone());
                return Ok(response);
            }
            Err(error) => {
                let failure = classify(error.into());
                let error = EndpointError::new(endpoint.as_str(), failure);
                if !error.failure().is_never_sent() && !idempotency.is_replay_safe() {
                    return Err(Error::from(OutcomeUnknown::new(error)).into());
                }
                errors.push(error);
            }
        }
    }
    Err(Error::from(ClusterError::new(errors)).into())
}
