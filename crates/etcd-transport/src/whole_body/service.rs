use std::task::{Context, Poll};
use std::time::Duration;

use etcd_core::BoxError;
use http::{Request, Response};
use tower::Service;

use super::ResponseFuture;
use crate::{Body, LongPoll};

/// Answers with bodies read whole, at most `limit` bytes, each piece within the idle timeout; see the
/// [module docs](super).
#[derive(Clone, Debug)]
pub struct WholeBody<S> {
    inner: S,
    limit: usize,
    idle: Option<Duration>,
}

impl<S> WholeBody<S> {
    /// Wraps `inner`: bodies of at most `limit` bytes, and when `idle` is set no gap longer than it between
    /// pieces.
    pub fn new(inner: S, limit: usize, idle: Option<Duration>) -> Self {
        WholeBody { inner, limit, idle }
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

impl<S, B> Service<Request<B>> for WholeBody<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let streams = request.extensions().get::<LongPoll>().is_some();
        ResponseFuture::new(self.inner.call(request), streams, self.limit, self.idle)
    }
}
