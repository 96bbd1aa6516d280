use std::time::Duration;

use tower::Layer;

use super::{DEFAULT_MAX_RESPONSE_SIZE, WholeBody};

/// Applies [`WholeBody`] to a service.
#[derive(Clone, Copy, Debug)]
pub struct WholeBodyLayer {
    limit: usize,
    idle: Option<Duration>,
}

impl WholeBodyLayer {
    /// Bodies of at most `limit` bytes, with no idle timeout.
    pub fn new(limit: usize) -> Self {
        WholeBodyLayer { limit, idle: None }
    }

    /// The same layer, failing a body when no data arrives for `idle` while more is due.
    #[must_use]
    pub fn idle_timeout(mut self, idle: Option<Duration>) -> Self {
        self.idle = idle;
        self
    }
}

impl Default for WholeBodyLayer {
    fn default() -> Self {
        WholeBodyLayer::new(DEFAULT_MAX_RESPONSE_SIZE)
    }
}

impl<S> Layer<S> for WholeBodyLayer {
    type Service = WholeBody<S>;

    fn layer(&self, inner: S) -> WholeBody<S> {
        WholeBody::new(inner, self.limit, self.idle)
    }
}
