use std::fmt;
use std::sync::Arc;

use etcd_core::{AttemptFailure, EndpointError};

use crate::Endpoint;

/// One attempt failed: where, why, and the endpoints the call can choose from. What a retry policy judges.
#[derive(Debug)]
pub struct AttemptError {
    endpoint: Endpoint,
    failure: AttemptFailure,
    endpoints: Arc<[Endpoint]>,
}

impl AttemptError {
    /// An attempt on `endpoint` that failed with `failure`, while the client's endpoints were `endpoints`.
    pub fn new(endpoint: Endpoint, failure: AttemptFailure, endpoints: Arc<[Endpoint]>) -> Self {
        AttemptError { endpoint, failure, endpoints }
    }

    /// The endpoint of the attempt.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// What went wrong there.
    pub fn failure(&self) -> &AttemptFailure {
        &self.failure
    }

    /// The client's endpoints when the attempt failed, in rotation order.
    pub fn endpoints(&self) -> &Arc<[Endpoint]> {
        &self.endpoints
    }

    /// Whether the request may have been applied there (anything but a failure to connect or an answer from
    /// another cluster).
    pub fn may_have_been_applied(&self) -> bool {
        self.failure.may_have_been_applied()
    }

    /// Whether the attempt ran out of its header timeout.
    pub fn is_timeout(&self) -> bool {
        self.failure.is_timeout()
    }

    /// The endpoint and its failure, for a cluster error.
    pub fn into_endpoint_error(self) -> EndpointError {
        EndpointError::new(self.endpoint.as_str(), self.failure)
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.endpoint, self.failure)
    }
}

/// No `source()`: `Display` already names the failure and its root cause.
impl std::error::Error for AttemptError {}
