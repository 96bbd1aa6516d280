use tower::Layer;

use super::{ClusterId, ClusterIdCheck};

/// Applies [`ClusterIdCheck`] to a service.
#[derive(Clone, Copy, Debug)]
pub struct ClusterIdCheckLayer {
    expected: ClusterId,
}

impl ClusterIdCheckLayer {
    /// A layer refusing answers from any cluster but `expected`.
    pub fn new(expected: ClusterId) -> Self {
        ClusterIdCheckLayer { expected }
    }
}

impl<S> Layer<S> for ClusterIdCheckLayer {
    type Service = ClusterIdCheck<S>;

    fn layer(&self, inner: S) -> ClusterIdCheck<S> {
        ClusterIdCheck::new(inner, self.expected)
    }
}
