use std::fmt;

use etcd_core::AttemptFailure;

use crate::Endpoint;

/// One attempt failed: where, whether the request may have been applied there, and how many endpoints the call
/// has not tried yet. What a retry policy judges.
#[derive(Debug)]
pub struct AttemptError {
    endpoint: Endpoint,
    may_have_been_applied: bool,
    is_timeout: bool,
    endpoints_left: usize,
    summary: String,
    /// The failure itself, when no [`CallState`](super::CallState) took it.
    failure: Option<AttemptFailure>,
}

impl AttemptError {
    pub(crate) fn new(endpoint: Endpoint, failure: &AttemptFailure, endpoints_left: usize) -> Self {
        AttemptError {
            endpoint,
            may_have_been_applied: failure.may_have_been_applied(),
            is_timeout: failure.is_timeout(),
            endpoints_left,
            summary: failure.to_string(),
            failure: None,
        }
    }

    pub(crate) fn with_failure(mut self, failure: AttemptFailure) -> Self {
        self.failure = Some(failure);
        self
    }

    /// The endpoint of the attempt.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Whether the request may have been applied there (anything but a failure to connect).
    pub fn may_have_been_applied(&self) -> bool {
        self.may_have_been_applied
    }

    /// Whether the attempt ran out of its header timeout.
    pub fn is_timeout(&self) -> bool {
        self.is_timeout
    }

    /// How many endpoints the call has not tried yet.
    pub fn endpoints_left(&self) -> usize {
        self.endpoints_left
    }

    /// The failure, when the rotation ran without a [`CallState`](super::CallState) to keep it.
    pub fn into_failure(self) -> Option<AttemptFailure> {
        self.failure
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.endpoint, self.summary)
    }
}

impl std::error::Error for AttemptError {}
