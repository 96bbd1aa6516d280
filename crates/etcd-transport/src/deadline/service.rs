use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use etcd_core::{BoxError, DeadlineExceeded, Error};
use http::Request;
use tower::Service;

use super::CallTimeout;

/// Ends a call whose budget ran out; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct Deadline<S> {
    inner: S,
    default: Option<Duration>,
}

impl<S> Deadline<S> {
    /// Wraps `inner`; calls without a [`CallTimeout`] get `default`.
    pub fn new(inner: S, default: Option<Duration>) -> Self {
        Deadline { inner, default }
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

impl<S, B> Service<Request<B>> for Deadline<S>
where
    S: Service<Request<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let budget = request.extensions().get::<CallTimeout>().map(|t| t.0).or(self.default);
        let future = self.inner.call(request);
        Box::pin(async move {
            match budget {
                None => future.await.map_err(Into::into),
                Some(budget) => match tokio::time::timeout(budget, future).await {
                    Ok(result) => result.map_err(Into::into),
                    Err(_elapsed) => Err(Error::from(DeadlineExceeded::new(budget)).into()),
                },
            }
        })
    }
}
