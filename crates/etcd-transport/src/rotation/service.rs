use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::RequestBody;
use etcd_core::{AttemptFailure, BoxError, EndpointError, decode};
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};
use tower::Service;
use tracing::Instrument;

use super::{AttemptError, CallState, SendTo};
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
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        let set = self.endpoints.clone();
        let state = request.extensions().get::<CallState>().cloned();
        let endpoints = set.endpoints();
        let target = request.extensions().get::<SendTo>().map(|to| to.0.clone());
        let (index, endpoints_left) = match (&target, &state) {
            (Some(_), Some(state)) => (state.next_attempt(0, 1).0, 0),
            (Some(_), None) => (0, 0),
            (None, Some(state)) => state.next_attempt(set.pinned_index(&endpoints), endpoints.len()),
            (None, None) => (set.pinned_index(&endpoints), 0),
        };
        let pins = target.is_none();
        let endpoint = target.unwrap_or_else(|| endpoints[index].clone());
        let attempt = state.as_ref().map_or(1, CallState::attempts);
        let span = tracing::debug_span!("etcd.attempt", endpoint = %endpoint, attempt);
        let sent = endpoint.join(std::mem::take(request.uri_mut())).map(|uri| {
            *request.uri_mut() = uri;
            self.inner.call(request)
        });
        let outcome = async move {
            let failure = match sent {
                Err(e) => AttemptFailure::Io(e.into()),
                Ok(future) => match future.await.map_err(Into::into) {
                    Ok(response) if !response.status().is_server_error() => {
                        if pins {
                            // By endpoint, not index: the list may have been replaced during the call.
                            set.pin_to(&endpoint);
                        }
                        let mut response = response;
                        response.extensions_mut().insert(endpoint);
                        tracing::debug!(status = response.status().as_u16(), "answered");
                        return Ok(response);
                    }
                    Ok(response) => server_error(response).await,
                    Err(error) => classify(error),
                },
            };
            tracing::debug!(%failure, "attempt failed");
            let error = AttemptError::new(endpoint.clone(), &failure, endpoints_left);
            Err(match state {
                Some(state) => {
                    state.record(EndpointError::new(endpoint.as_str(), failure));
                    error
                }
                None => error.with_failure(failure),
            }
            .into())
        };
        Box::pin(outcome.instrument(span))
    }
}

/// What an attempt's transport error means for a retry.
fn classify(error: BoxError) -> AttemptFailure {
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
async fn server_error(response: Response<Body>) -> AttemptFailure {
    let (parts, body) = response.into_parts();
    let read = Limited::new(body, SERVER_ERROR_BODY_LIMIT).collect();
    let etcd = match tokio::time::timeout(SERVER_ERROR_BODY_TIMEOUT, read).await {
        Ok(Ok(collected)) => decode::etcd_error(parts.status, &collected.to_bytes()),
        _ => None,
    };
    AttemptFailure::ServerError { status: parts.status, etcd }
}
