use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use etcd_core::{AttemptFailure, BoxError, EndpointError};
use http::Response;
use pin_project_lite::pin_project;

use super::service::{classify, server_error};
use super::{AttemptError, CallState};
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

/// Where the attempt went, and what its outcome changes.
pub(super) struct Attempt {
    pub(super) set: Arc<EndpointSet>,
    pub(super) state: Option<CallState>,
    pub(super) endpoint: Endpoint,
    /// Whether an answer moves the pin here: for a later attempt of a call (the first went to the pinned
    /// endpoint), not for a request sent to one endpoint with `SendTo`.
    pub(super) pins: bool,
    pub(super) endpoints_left: usize,
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
        let failure = match this.stage.as_mut().project() {
            StageProj::Sending { response } => match ready!(response.poll(cx)) {
                Ok(response) if !response.status().is_server_error() => {
                    this.stage.set(Stage::Done);
                    return Poll::Ready(Ok(take(this.attempt).answered(response)));
                }
                Ok(response) => {
                    let mut failure = Box::pin(server_error(response));
                    let polled = failure.as_mut().poll(cx);
                    this.stage.set(Stage::ReadingServerError { failure });
                    ready!(polled)
                }
                Err(error) => classify(error.into()),
            },
            StageProj::NotSent { error } => {
                AttemptFailure::Io(error.take().expect("a rotation future polled after it completed").into())
            }
            StageProj::ReadingServerError { failure } => ready!(failure.as_mut().poll(cx)),
            StageProj::Done => panic!("a rotation future polled after it completed"),
        };
        this.stage.set(Stage::Done);
        Poll::Ready(Err(take(this.attempt).failed(failure)))
    }
}

fn take(attempt: &mut Option<Attempt>) -> Attempt {
    attempt.take().expect("a rotation future polled after it completed")
}

impl Attempt {
    fn answered(self, mut response: Response<Body>) -> Response<Body> {
        if self.pins {
            // By endpoint, not index: the list may have been replaced during the call.
            self.set.pin_to(&self.endpoint);
        }
        tracing::debug!(status = response.status().as_u16(), "answered");
        response.extensions_mut().insert(self.endpoint);
        response
    }

    #[cold]
    fn failed(self, failure: AttemptFailure) -> BoxError {
        tracing::debug!(%failure, "attempt failed");
        let error = AttemptError::new(self.endpoint.clone(), &failure, self.endpoints_left);
        match &self.state {
            Some(state) => {
                state.record(EndpointError::new(self.endpoint.as_str(), failure));
                error.into()
            }
            None => error.with_failure(failure).into(),
        }
    }
}
