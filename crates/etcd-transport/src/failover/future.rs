use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use etcd_core::BoxError;
use pin_project_lite::pin_project;

use crate::Idempotency;
use crate::rotation::AttemptError;

pin_project! {
    /// The response future of [`Failover`](super::Failover): the call's attempts, then the caller's one error.
    pub struct ResponseFuture<R, O> {
        #[pin]
        attempts: Attempts<R, O>,
        idempotency: Idempotency,
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
    pub(super) fn retrying(future: R, idempotency: Idempotency, span: tracing::Span) -> Self {
        ResponseFuture { attempts: Attempts::Retrying { future: Box::pin(future) }, idempotency, span }
    }

    pub(super) fn once(future: O, idempotency: Idempotency, span: tracing::Span) -> Self {
        ResponseFuture { attempts: Attempts::Once { future }, idempotency, span }
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
            tracing::debug!(%error, "call failed");
            // The default policies end a call with the caller's error already; a lone attempt, or a policy of the
            // user's, leaves the last attempt's failure, judged here by the same rule.
            match error.downcast::<AttemptError>() {
                Ok(attempt) => crate::retry::final_error(vec![attempt.into_endpoint_error()], *this.idempotency),
                Err(other) => other,
            }
        }))
    }
}
