use std::time::Duration;

use tower::Layer;

use super::Deadline;

/// Applies [`Deadline`] to a service.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeadlineLayer {
    default: Option<Duration>,
}

impl DeadlineLayer {
    /// A layer bounding each call by its [`CallTimeout`](super::CallTimeout), else by `default`.
    pub fn new(default: Option<Duration>) -> Self {
        DeadlineLayer { default }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline::new(inner, self.default)
    }
}
