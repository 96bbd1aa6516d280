use std::sync::Arc;

use tower::Layer;

use super::{EndpointSet, Failover};
use crate::retry::SafeRetryPolicy;

/// Applies [`Failover`] over a set of endpoints, with a retry policy.
#[derive(Clone, Debug)]
pub struct FailoverLayer<P = SafeRetryPolicy> {
    endpoints: Arc<EndpointSet>,
    policy: P,
}

impl FailoverLayer {
    /// A layer sending each call to `endpoints` with the [`SafeRetryPolicy`].
    pub fn new(endpoints: Arc<EndpointSet>) -> Self {
        FailoverLayer { endpoints, policy: SafeRetryPolicy::new() }
    }
}

impl<P> FailoverLayer<P> {
    /// The same layer with another retry policy.
    pub fn with_policy<Q>(self, policy: Q) -> FailoverLayer<Q> {
        FailoverLayer { endpoints: self.endpoints, policy }
    }
}

impl<S, P: Clone> Layer<S> for FailoverLayer<P> {
    type Service = Failover<S, P>;

    fn layer(&self, inner: S) -> Failover<S, P> {
        Failover::new(inner, self.endpoints.clone(), self.policy.clone())
    }
}
