use std::task::{Context, Poll};

use etcd_core::BoxError;
use http::Request;
use tower::Service;

use super::{ClusterId, ResponseFuture};

/// Fails an attempt answered for another cluster than the expected one; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct ClusterIdCheck<S> {
    inner: S,
    expected: ClusterId,
}

impl<S> ClusterIdCheck<S> {
    /// Wraps `inner`, refusing answers from any cluster but `expected`.
    pub fn new(inner: S, expected: ClusterId) -> Self {
        ClusterIdCheck { inner, expected }
    }

    /// The cluster answers must come from.
    pub fn expected(&self) -> ClusterId {
        self.expected
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

impl<S, B, ResBody> Service<Request<B>> for ClusterIdCheck<S>
where
    S: Service<Request<B>, Response = http::Response<ResBody>>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ResponseFuture::new(self.inner.call(request), self.expected)
    }
}
