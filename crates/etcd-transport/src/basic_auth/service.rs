use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use http::{HeaderValue, Request};
use tower::Service;

use super::Credentials;
use crate::redirect::CredentialsWithheld;

/// Sets the `Authorization` header of every request that has none, but a redirect to another host; see the
/// [module docs](super).
#[derive(Clone)]
pub struct BasicAuth<S> {
    inner: S,
    /// `None` for an empty user name: nothing to add.
    header: Option<HeaderValue>,
}

impl<S> BasicAuth<S> {
    /// Wraps `inner`, authenticating every request with `credentials`.
    pub fn new(inner: S, credentials: &Credentials) -> Self {
        BasicAuth::from_header(inner, credentials.header_value())
    }

    pub(crate) fn from_header(inner: S, header: Option<HeaderValue>) -> Self {
        BasicAuth { inner, header }
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

impl<S> std::fmt::Debug for BasicAuth<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth").finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for BasicAuth<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> S::Future {
        // A redirect to another host carries no credentials (see `RedirectPolicy`).
        let withheld = request.extensions().get::<CredentialsWithheld>().is_some();
        if let Some(header) = self.header.as_ref().filter(|_| !withheld) {
            request.headers_mut().entry(AUTHORIZATION).or_insert_with(|| header.clone());
        }
        self.inner.call(request)
    }
}
