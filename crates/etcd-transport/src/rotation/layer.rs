use std::sync::Arc;

use tower::Layer;

use super::EndpointRotation;
use crate::EndpointSet;

/// Applies [`EndpointRotation`] over a set of endpoints.
#[derive(Clone, Debug)]
pub struct EndpointRotationLayer {
    endpoints: Arc<EndpointSet>,
}

impl EndpointRotationLayer {
    /// A layer sending attempts to `endpoints`.
    pub fn new(endpoints: Arc<EndpointSet>) -> Self {
        EndpointRotationLayer { endpoints }
    }
}

impl<S> Layer<S> for EndpointRotationLayer {
    type Service = EndpointRotation<S>;

    fn layer(&self, inner: S) -> EndpointRotation<S> {
        EndpointRotation::new(inner, self.endpoints.clone())
    }
}
