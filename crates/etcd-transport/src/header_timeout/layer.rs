use std::time::Duration;

use tower::Layer;

use super::HeaderTimeout;

/// Applies [`HeaderTimeout`] to a service.
#[derive(Clone, Copy, Debug)]
pub struct HeaderTimeoutLayer {
    timeout: Duration,
}

impl HeaderTimeoutLayer {
    /// A layer bounding each attempt's wait for response headers by `timeout`.
    pub fn new(timeout: Duration) -> Self {
        HeaderTimeoutLayer { timeout }
    }
}

impl<S> Layer<S> for HeaderTimeoutLayer {
    type Service = HeaderTimeout<S>;

    fn layer(&self, inner: S) -> HeaderTimeout<S> {
        HeaderTimeout::new(inner, self.timeout)
    }
}
