use std::task::{Context, Poll};
use std::time::Duration;

use etcd_core::BoxError;
use http::Request;
use tower::Service;

use super::ResponseFuture;

/// Fails an attempt whose response headers did not arrive within a timeout; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct HeaderTimeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S> HeaderTimeout<S> {
    /// Wraps `inner`, bounding each call's wait for response headers by `timeout`.
    pub fn new(inner: S, timeout: Duration) -> Self {
        HeaderTimeout { inner, timeout }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B> Service<Request<B>> for HeaderTimeout<S>
where
    S: Service<Request<B>>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ResponseFuture::new(self.inner.call(request), self.timeout)
    }
}
