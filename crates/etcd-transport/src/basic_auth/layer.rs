use http::HeaderValue;
use tower::Layer;

use super::{BasicAuth, Credentials};

/// Applies [`BasicAuth`] to a service.
#[derive(Clone)]
pub struct BasicAuthLayer {
    header: Option<HeaderValue>,
}

impl BasicAuthLayer {
    /// A layer that authenticates every request with `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        BasicAuthLayer { header: credentials.header_value() }
    }
}

impl std::fmt::Debug for BasicAuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuthLayer").finish_non_exhaustive()
    }
}

impl<S> Layer<S> for BasicAuthLayer {
    type Service = BasicAuth<S>;

    fn layer(&self, inner: S) -> BasicAuth<S> {
        BasicAuth::from_header(inner, self.header.clone())
    }
}
