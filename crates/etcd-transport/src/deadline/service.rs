use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use etcd_core::{BoxError, DeadlineExceeded, Error};
use http::Request;
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower::Service;

use super::CallTimeout;
use crate::race::poll_against_timer;

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

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
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
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let budget = request.extensions().get::<CallTimeout>().map(|t| t.0).or(self.default);
        // Boxed when there is a budget, so that a call without one (the default) does not carry a timer's room.
        ResponseFuture {
            response: self.inner.call(request),
            budget: budget.map(|b| (Box::pin(tokio::time::sleep(b)), b)),
        }
    }
}

pin_project! {
    /// The response future of [`Deadline`]: the call, raced against its budget when it has one.
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
        // The budget's timer, and the budget for the error.
        budget: Option<(Pin<Box<Sleep>>, Duration)>,
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (timer, budget) = match this.budget {
            Some((sleep, budget)) => (Some(sleep.as_mut()), *budget),
            None => (None, Duration::ZERO),
        };
        poll_against_timer(this.response, timer, cx, || Error::from(DeadlineExceeded::new(budget)).into())
    }
}
