use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use etcd_core::BoxError;
use pin_project_lite::pin_project;

use super::CallState;

pin_project! {
    /// The response future of [`Failover`](super::Failover): the call's attempts, then the caller's one error.
    pub struct ResponseFuture<F> {
        #[pin]
        attempts: F,
        state: CallState,
        replay_safe: bool,
        span: tracing::Span,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(attempts: F, state: CallState, replay_safe: bool, span: tracing::Span) -> Self {
        ResponseFuture { attempts, state, replay_safe, span }
    }
}

impl<F, T> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, BoxError>>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = ready!(this.attempts.poll(cx));
        Poll::Ready(result.map_err(|error| {
            tracing::debug!(%error, attempts = this.state.attempts(), "call failed");
            super::service::final_error(error, this.state, *this.replay_safe)
        }))
    }
}
