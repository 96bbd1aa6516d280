use std::sync::{Arc, Mutex, PoisonError};

use etcd_core::EndpointError;

/// What one call has met so far, shared by its attempts through a request extension: where it started, how
/// many endpoints it tried, and each failure in full.
#[derive(Clone, Debug, Default)]
pub struct CallState {
    inner: Arc<Mutex<Attempts>>,
    may_retry: bool,
}

#[derive(Debug, Default)]
struct Attempts {
    start: Option<usize>,
    tried: usize,
    errors: Vec<EndpointError>,
}

impl CallState {
    /// A call with no attempt yet.
    pub fn new() -> Self {
        CallState::default()
    }

    /// A call that may try more than one endpoint (`false` when there is one endpoint, or when the request goes to
    /// one endpoint only): a retry policy need not keep a copy of its request.
    pub fn may_retry(&self) -> bool {
        self.may_retry
    }

    pub(crate) fn with_retries(mut self, may_retry: bool) -> Self {
        self.may_retry = may_retry;
        self
    }

    /// Claims the next attempt: the index of the endpoint to try (starting at `pinned` on the first attempt, then
    /// the ones after it in turn) and how many endpoints are left untried after this one.
    pub(crate) fn next_attempt(&self, pinned: usize, endpoints: usize) -> (usize, usize) {
        let mut attempts = self.lock();
        let start = *attempts.start.get_or_insert(pinned);
        let index = (start + attempts.tried) % endpoints;
        attempts.tried += 1;
        (index, endpoints.saturating_sub(attempts.tried))
    }

    pub(crate) fn record(&self, error: EndpointError) {
        self.lock().errors.push(error);
    }

    /// Takes every failure recorded so far, in the order met.
    pub fn take_errors(&self) -> Vec<EndpointError> {
        std::mem::take(&mut self.lock().errors)
    }

    /// How many attempts the call made.
    pub fn attempts(&self) -> usize {
        self.lock().tried
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Attempts> {
        // The state is plain data; a panic elsewhere cannot leave it half-written.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
