use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::RequestBody;
use etcd_core::{AttemptFailure, BoxError, InvalidResponse, decode};
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};
use tower::Service;

use super::future::{Attempt, ResponseFuture};
use super::{AttemptOn, SendTo};
use crate::cluster_id::ForeignClusterAnswer;
use crate::deadline::DeadlinePassed;
use crate::header_timeout::HeaderTimeoutElapsed;
use crate::{Body, ConnectError, EndpointSet};

/// How long a 5xx answer's body may take to arrive, and how much of it is read: etcd's error bodies are a few
/// hundred bytes, sent with the headers.
const SERVER_ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(1);
const SERVER_ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How much of a 5xx body that is not etcd's error the failure keeps, to say what the server said.
const SERVER_ERROR_TEXT_LIMIT: usize = 200;

/// Sends each attempt to its endpoint, makes the pin follow the outcome, and says what a failure was; see the
/// [module docs](super).
#[derive(Clone, Debug)]
pub struct EndpointRotation<S> {
    inner: S,
    endpoints: Arc<EndpointSet>,
}

impl<S> EndpointRotation<S> {
    /// Wraps the per-attempt service `inner`.
    pub fn new(inner: S, endpoints: Arc<EndpointSet>) -> Self {
        EndpointRotation { inner, endpoints }
    }

    /// The endpoints and the pin.
    pub fn endpoints(&self) -> &Arc<EndpointSet> {
        &self.endpoints
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

impl<S> Service<Request<RequestBody>> for EndpointRotation<S>
where
    S: Service<Request<RequestBody>, Response = Response<Body>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        let set = self.endpoints.clone();
        let extensions = request.extensions();
        let (endpoint, moves_pin) = if let Some(SendTo(endpoint)) = extensions.get::<SendTo>() {
            (endpoint.clone(), false)
        } else if let Some(AttemptOn(endpoint)) = extensions.get::<AttemptOn>() {
            (endpoint.clone(), true)
        } else {
            (set.pinned(), true)
        };
        let span = tracing::debug_span!("etcd.attempt", endpoint = %endpoint);
        let uri = endpoint.join(std::mem::take(request.uri_mut()));
        let deadline = request.extensions().get::<DeadlinePassed>().cloned();
        let attempt = Attempt { set, endpoint, moves_pin, deadline };
        match uri {
            Ok(uri) => {
                *request.uri_mut() = uri;
                ResponseFuture::sending(self.inner.call(request), attempt, span)
            }
            Err(error) => ResponseFuture::not_sent(error, attempt, span),
        }
    }
}

/// What an attempt's error was: the lower layers' errors each convert into an [`AttemptFailure`]; anything else
/// is a connection lost after the request may have been sent.
#[cold]
pub(crate) fn classify(error: BoxError) -> AttemptFailure {
    let error = match error.downcast::<ConnectError>() {
        Ok(connect) => return AttemptFailure::from(*connect),
        Err(other) => other,
    };
    let error = match error.downcast::<HeaderTimeoutElapsed>() {
        Ok(elapsed) => return AttemptFailure::from(*elapsed),
        Err(other) => other,
    };
    let error = match error.downcast::<InvalidResponse>() {
        Ok(invalid) => return AttemptFailure::InvalidResponse(*invalid),
        Err(other) => other,
    };
    match error.downcast::<ForeignClusterAnswer>() {
        Ok(foreign) => AttemptFailure::from(*foreign),
        Err(other) => AttemptFailure::Io(other),
    }
}

/// A 5xx answer, with etcd's error body when it sent one (read briefly and with a size limit).
pub(super) async fn server_error(response: Response<Body>) -> AttemptFailure {
    let (parts, body) = response.into_parts();
    let read = Limited::new(body, SERVER_ERROR_BODY_LIMIT).collect();
    let bytes = match tokio::time::timeout(SERVER_ERROR_BODY_TIMEOUT, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        _ => bytes::Bytes::new(),
    };
    let etcd = decode::etcd_error(parts.status, &bytes);
    let text = if etcd.is_none() { excerpt(&bytes) } else { None };
    AttemptFailure::ServerError { status: parts.status, etcd, text }
}

/// The start of a body as one line of text (at most [`SERVER_ERROR_TEXT_LIMIT`] bytes), `None` when empty.
fn excerpt(bytes: &[u8]) -> Option<String> {
    let start = &bytes[..bytes.len().min(SERVER_ERROR_TEXT_LIMIT)];
    let text = String::from_utf8_lossy(start);
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!folded.is_empty()).then_some(folded)
}
