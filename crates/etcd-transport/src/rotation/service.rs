use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::RequestBody;
use etcd_core::{AttemptFailure, BoxError, decode};
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};
use tower::Service;

use super::future::{Attempt, ResponseFuture};
use super::{CallState, SendTo};
use crate::cluster_id::ForeignClusterAnswer;
use crate::header_timeout::HeaderTimeoutElapsed;
use crate::{Body, ConnectError, EndpointSet};

/// How long a 5xx answer's body may take to arrive, and how much of it is read: etcd's error bodies are a few
/// hundred bytes, sent with the headers.
const SERVER_ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(1);
const SERVER_ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Sends each attempt to the next endpoint of its call and judges the outcome; see the [module docs](super).
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
        let state = request.extensions().get::<CallState>().cloned();
        let target = request.extensions().get::<SendTo>().map(|to| to.0.clone());
        let pins = target.is_none();
        let (endpoint, endpoints_left, attempt) = match (target, &state) {
            (Some(endpoint), Some(state)) => (endpoint, 0, state.count_attempt()),
            (Some(endpoint), None) => (endpoint, 0, 1),
            (None, Some(state)) => state.next_endpoint(&set),
            (None, None) => (set.pinned(), 0, 1),
        };
        let span = tracing::debug_span!("etcd.attempt", endpoint = %endpoint, attempt);
        let uri = endpoint.join(std::mem::take(request.uri_mut()));
        // The first attempt of a call goes to the pinned endpoint: pinning it again would change nothing (but a
        // concurrent call's move, which is as recent). A later attempt that is answered moves the pin.
        let pins = pins && attempt > 1;
        let attempt = Attempt { set, state, endpoint, pins, endpoints_left };
        match uri {
            Ok(uri) => {
                *request.uri_mut() = uri;
                ResponseFuture::sending(self.inner.call(request), attempt, span)
            }
            Err(error) => ResponseFuture::not_sent(error, attempt, span),
        }
    }
}

/// What an attempt's transport error means for a retry.
#[cold]
pub(super) fn classify(error: BoxError) -> AttemptFailure {
    let error = match error.downcast::<ConnectError>() {
        Ok(connect) => return AttemptFailure::Connect(connect.into_inner()),
        Err(other) => other,
    };
    let error = match error.downcast::<ForeignClusterAnswer>() {
        Ok(foreign) => {
            let (expected, answered) = (foreign.expected().to_string(), foreign.answered().to_owned());
            return AttemptFailure::ForeignCluster { expected, answered };
        }
        Err(other) => other,
    };
    match error.downcast::<HeaderTimeoutElapsed>() {
        Ok(elapsed) => AttemptFailure::HeaderTimeout(elapsed.timeout()),
        Err(other) => AttemptFailure::Io(other),
    }
}

/// A 5xx answer, with etcd's error body when it sent one (read briefly and with a size limit).
pub(super) async fn server_error(response: Response<Body>) -> AttemptFailure {
    let (parts, body) = response.into_parts();
    let read = Limited::new(body, SERVER_ERROR_BODY_LIMIT).collect();
    let etcd = match tokio::time::timeout(SERVER_ERROR_BODY_TIMEOUT, read).await {
        Ok(Ok(collected)) => decode::etcd_error(parts.status, &collected.to_bytes()),
        _ => None,
    };
    AttemptFailure::ServerError { status: parts.status, etcd }
}
