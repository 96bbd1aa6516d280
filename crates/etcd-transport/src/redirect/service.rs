use std::sync::Arc;
use std::task::{Context, Poll};

use crate::RequestBody;
use etcd_core::BoxError;
use http::header::{AUTHORIZATION, COOKIE, HeaderName, LOCATION, PROXY_AUTHORIZATION};
use http::{Request, Response, StatusCode, Uri};
use tower::{Service, ServiceExt};

use super::{CredentialsWithheld, RedirectAttempt, RedirectPolicy, ResponseFuture};
use crate::LongPoll;

/// Follows redirects as its policy allows; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct FollowRedirects<S> {
    inner: S,
    /// A copy of the service as built, cloned only when a redirect must be followed, so that a call without a
    /// redirect costs no clone; and the policy. One `Arc`, so that a call costs one reference count.
    shared: Arc<(S, RedirectPolicy)>,
}

impl<S: Clone> FollowRedirects<S> {
    /// Wraps `inner`, following what `policy` allows.
    pub fn new(inner: S, policy: RedirectPolicy) -> Self {
        FollowRedirects { shared: Arc::new((inner.clone(), policy)), inner }
    }
}

impl<S> FollowRedirects<S> {
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

impl<S, B> Service<Request<RequestBody>> for FollowRedirects<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = ResponseFuture<S, S::Future, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        // What a redirected request needs: its parts without the extensions, which the layers below (auth, the
        // transport) do not read, but for the transport's LongPoll hint; the headers' one allocation, the URI
        // and the body are reference-counted.
        let again = copy_for_redirect(&request);
        ResponseFuture::new(self.inner.call(request), again, self.shared.clone())
    }
}

fn copy_for_redirect(request: &Request<RequestBody>) -> Request<RequestBody> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    if !request.headers().is_empty() {
        *copy.headers_mut() = request.headers().clone();
    }
    if request.extensions().get::<LongPoll>().is_some() {
        copy.extensions_mut().insert(LongPoll);
    }
    if request.extensions().get::<CredentialsWithheld>().is_some() {
        copy.extensions_mut().insert(CredentialsWithheld);
    }
    copy
}

/// Takes the credentials off a request bound elsewhere: the headers that carry them, any header marked sensitive,
/// and (through the marker) the basic auth the layer below would add.
fn withhold_credentials(request: &mut Request<RequestBody>) {
    let headers = request.headers_mut();
    for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
        headers.remove(name);
    }
    let sensitive: Vec<HeaderName> =
        headers.iter().filter(|(_, value)| value.is_sensitive()).map(|(name, _)| name.clone()).collect();
    for name in sensitive {
        headers.remove(name);
    }
    request.extensions_mut().insert(CredentialsWithheld);
}

/// Follows a redirect `response` to `request`, and the ones after it, as `policy` allows.
pub(super) async fn follow<S, B>(
    inner: S,
    policy: RedirectPolicy,
    mut request: Request<RequestBody>,
    mut response: Response<B>,
) -> Result<Response<B>, BoxError>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
{
    let mut visited: Vec<Uri> = Vec::new();
    loop {
        let status = response.status();
        if !is_redirect(status) {
            return Ok(response);
        }
        let location = response.headers().get(LOCATION).and_then(|l| l.to_str().ok());
        let Some(next) = location.and_then(|location| super::location::resolve(request.uri(), location)) else {
            return Ok(response);
        };
        visited.push(request.uri().clone());
        if !policy.allows(&RedirectAttempt { status, next: &next, previous: &visited }) {
            return Ok(response);
        }
        tracing::debug!(%status, location = %next, "following a redirect");
        if !policy.sends_credentials(request.uri(), &next) {
            withhold_credentials(&mut request);
        }
        *request.uri_mut() = next;
        let again = copy_for_redirect(&request);
        response = inner.clone().oneshot(request).await.map_err(Into::into)?;
        request = again;
    }
}

pub(super) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}
