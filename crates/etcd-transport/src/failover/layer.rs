use std::sync::Arc;

use tower::Layer;

use super::{EndpointSet, Failover};

/// Applies [`Failover`] over a set of endpoints.
#[derive(Clone, Debug)]
pub struct FailoverLayer {
    endpoints: Arc<EndpointSet>,
}

impl FailoverLayer {
    /// A layer sending each call to `endpoints`, pinned one first.
    pub fn new(endpoints: Arc<EndpointSet>) -> Self {
        FailoverLayer { endpoints }
    }
}

impl<S> Layer<S> for FailoverLayer {
    type Service = Failover<S>;

    fn layer(&self, inner: S) -> Failover<S> {
        Failover::new(inner, self.endpoints.clone())
    }
}
