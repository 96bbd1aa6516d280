use std::sync::Arc;
use std::task::{Context, Poll};

use crate::RequestBody;
use etcd_core::BoxError;
use http::header::{AUTHORIZATION, COOKIE, HeaderName, LOCATION, PROXY_AUTHORIZATION};
use http::uri::{PathAndQuery, Scheme};
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
        let Some(next) = location.and_then(|location| resolve(request.uri(), location)) else {
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

/// Resolves a `Location` against the URI it answered (RFC 3986, section 5.2, without a fragment).
pub(crate) fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    let location = location.split('#').next()?.trim();
    if location.is_empty() {
        return None;
    }
    let has_scheme = location.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    if has_scheme {
        let absolute: Uri = location.parse().ok()?;
        return absolute.authority().is_some_and(|a| !a.host().is_empty()).then_some(absolute);
    }
    let scheme = base.scheme().cloned().unwrap_or(Scheme::HTTP);
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}").parse().ok();
    }
    let authority = base.authority()?.clone();
    let path_and_query = if location.starts_with('/') {
        location.to_owned()
    } else if location.starts_with('?') {
        format!("{}{location}", base.path())
    } else {
        let directory = &base.path()[..base.path().rfind('/').map_or(0, |i| i + 1)];
        format!("{directory}{location}")
    };
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query.as_str(), None),
    };
    let mut normal = remove_dot_segments(path);
    if let Some(query) = query {
        normal.push('?');
        normal.push_str(query);
    }
    let path_and_query: PathAndQuery = normal.parse().ok()?;
    Uri::builder().scheme(scheme).authority(authority).path_and_query(path_and_query).build().ok()
}

fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') { joined } else { format!("/{joined}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_absolute_and_relative_locations() {
        let base: Uri = "http://a:1/v2/keys/dir/key?recursive=true".parse().unwrap();
        let cases = [
            ("http://b:2/v2/keys/x", "http://b:2/v2/keys/x"),
            ("https://b/v2/keys/x?y=1", "https://b/v2/keys/x?y=1"),
            ("//c:3/v2/keys/x", "http://c:3/v2/keys/x"),
            ("/v2/keys/other", "http://a:1/v2/keys/other"),
            ("sibling", "http://a:1/v2/keys/dir/sibling"),
            ("../up?q=1", "http://a:1/v2/keys/up?q=1"),
            ("./same", "http://a:1/v2/keys/dir/same"),
            ("?sorted=true", "http://a:1/v2/keys/dir/key?sorted=true"),
            ("/v2/keys/a#fragment", "http://a:1/v2/keys/a"),
            ("../../../../../../x", "http://a:1/x"),
        ];
        for (location, expected) in cases {
            assert_eq!(resolve(&base, location).map(|u| u.to_string()).as_deref(), Some(expected), "{location}");
        }
        assert_eq!(resolve(&base, ""), None);
        assert_eq!(resolve(&base, "http:///nohost"), None);
    }
}
