use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use etcd_core::BoxError;
use pin_project_lite::pin_project;

use super::CallState;

pin_project! {
    /// The response future of [`Failover`](super::Failover): the call's attempts, then the caller's one error.
    pub struct ResponseFuture<R, O> {
        #[pin]
        attempts: Attempts<R, O>,
        // None for a call with one attempt at most: its attempt's error carries the failure.
        state: Option<CallState>,
        replay_safe: bool,
        span: tracing::Span,
    }
}

pin_project! {
    #[project = AttemptsProj]
    enum Attempts<R, O> {
        /// Under the retry policy, over the endpoints. Boxed: tower's retry future holds a copy of the request
        /// and of the stack, which would otherwise size (and be copied with) every call's future.
        Retrying { future: Pin<Box<R>> },
        /// One attempt: one endpoint, or a request sent to one member; no retry to prepare for.
        Once { #[pin] future: O },
    }
}

impl<R, O> ResponseFuture<R, O> {
    pub(super) fn retrying(future: R, state: CallState, replay_safe: bool, span: tracing::Span) -> Self {
        let attempts = Attempts::Retrying { future: Box::pin(future) };
        ResponseFuture { attempts, state: Some(state), replay_safe, span }
    }

    pub(super) fn once(future: O, replay_safe: bool, span: tracing::Span) -> Self {
        ResponseFuture { attempts: Attempts::Once { future }, state: None, replay_safe, span }
    }
}

impl<R, O, T> Future for ResponseFuture<R, O>
where
    R: Future<Output = Result<T, BoxError>>,
    O: Future<Output = Result<T, BoxError>>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = match this.attempts.project() {
            AttemptsProj::Retrying { future } => ready!(future.as_mut().poll(cx)),
            AttemptsProj::Once { future } => ready!(future.poll(cx)),
        };
        Poll::Ready(result.map_err(|error| {
            let attempts = this.state.as_ref().map_or(1, CallState::attempts);
            tracing::debug!(%error, attempts, "call failed");
            super::service::final_error(error, this.state.as_ref(), *this.replay_safe)
        }))
    }
}
