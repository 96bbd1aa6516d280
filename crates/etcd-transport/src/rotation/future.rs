use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use etcd_core::{AttemptFailure, BoxError};
use http::Response;
use pin_project_lite::pin_project;

use super::AttemptError;
use super::service::{classify, server_error};
use crate::deadline::DeadlinePassed;
use crate::{Body, Endpoint, EndpointSet};

pin_project! {
    /// The response future of [`EndpointRotation`](super::EndpointRotation): the attempt, then what it means.
    ///
    /// Not boxed: with the default stack, a call through every layer allocates no future of its own (the
    /// layers' futures nest in the caller's). Only reading a 5xx answer's body, the rare case, is boxed.
    pub struct ResponseFuture<F> {
        #[pin]
        stage: Stage<F>,
        // Taken when the attempt's outcome is known.
        attempt: Option<Attempt>,
        span: tracing::Span,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped in flight because the call's deadline passed: a failure of this member like any other, so
            // the pin moves off it (a caller's own drop sets no flag, and leaves the pin alone).
            let this = this.project();
            if let Some(attempt) = this.attempt.take() {
                if attempt.moves_pin && attempt.deadline.as_ref().is_some_and(DeadlinePassed::is_set) {
                    let _entered = this.span.enter();
                    tracing::debug!("the call's deadline passed during this attempt");
                    attempt.set.unpin(&attempt.endpoint);
                }
            }
        }
    }
}

pin_project! {
    #[project = StageProj]
    enum Stage<F> {
        Sending { #[pin] response: F },
        /// The endpoint and the request's path made no URI (a base path with bytes a URI refuses).
        NotSent { error: Option<http::Error> },
        ReadingServerError { failure: Pin<Box<dyn Future<Output = AttemptFailure> + Send>> },
        Done,
    }
}

/// Where the attempt went, and whether its outcome moves the pin.
pub(super) struct Attempt {
    pub(super) set: Arc<EndpointSet>,
    pub(super) endpoint: Endpoint,
    /// False for a request sent to one endpoint with `SendTo`: it leaves the pin alone.
    pub(super) moves_pin: bool,
    /// The call's deadline flag, when it has a deadline.
    pub(super) deadline: Option<DeadlinePassed>,
}

impl<F> ResponseFuture<F> {
    pub(super) fn sending(response: F, attempt: Attempt, span: tracing::Span) -> Self {
        ResponseFuture { stage: Stage::Sending { response }, attempt: Some(attempt), span }
    }

    pub(super) fn not_sent(error: http::Error, attempt: Attempt, span: tracing::Span) -> Self {
        ResponseFuture { stage: Stage::NotSent { error: Some(error) }, attempt: Some(attempt), span }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<Body>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let Some(attempt) = this.attempt.take() else {
            return Poll::Ready(Err("a rotation future polled after it completed".into()));
        };
        let polled = match this.stage.as_mut().project() {
            StageProj::Sending { response } => match response.poll(cx) {
                Poll::Ready(Ok(response)) if !response.status().is_server_error() => {
                    this.stage.set(Stage::Done);
                    return Poll::Ready(Ok(attempt.answered(response)));
                }
                Poll::Ready(Ok(response)) => {
                    let mut failure = Box::pin(server_error(response));
                    let polled = failure.as_mut().poll(cx);
                    this.stage.set(Stage::ReadingServerError { failure });
                    polled
                }
                Poll::Ready(Err(error)) => Poll::Ready(classify(error.into())),
                Poll::Pending => Poll::Pending,
            },
            StageProj::NotSent { error } => {
                // A URI that cannot be made never left: any request may be sent elsewhere.
                let error: BoxError = match error.take() {
                    Some(error) => error.into(),
                    None => "no URI for this endpoint".into(),
                };
                Poll::Ready(AttemptFailure::Connect(error))
            }
            StageProj::ReadingServerError { failure } => failure.as_mut().poll(cx),
            StageProj::Done => Poll::Ready(AttemptFailure::Io("a rotation future polled after it completed".into())),
        };
        let Poll::Ready(failure) = polled else {
            *this.attempt = Some(attempt);
            return Poll::Pending;
        };
        this.stage.set(Stage::Done);
        Poll::Ready(Err(attempt.failed(failure)))
    }
}

impl Attempt {
    fn answered(self, mut response: Response<Body>) -> Response<Body> {
        if self.moves_pin {
            // By endpoint, not index: the list may have been replaced during the call. A no-op when the
            // endpoint is pinned already, the common case.
            self.set.pin_to(&self.endpoint);
        }
        tracing::debug!(status = response.status().as_u16(), "answered");
        response.extensions_mut().insert(self.endpoint);
        response
    }

    #[cold]
    fn failed(self, failure: AttemptFailure) -> BoxError {
        tracing::debug!(%failure, "attempt failed");
        if self.moves_pin {
            // Off a member that failed, for every call: the next one starts elsewhere even when this one cannot
            // be retried (a write that may have been applied).
            self.set.unpin(&self.endpoint);
        }
        AttemptError::new(self.endpoint, failure, self.set.endpoints()).into()
    }
}
