use std::sync::{Arc, Mutex, PoisonError};

use etcd_core::EndpointError;

/// What one call has met so far, shared by its attempts through a request extension: where it started, how
/// many endpoints it tried, and each failure in full.
#[derive(Clone, Debug, Default)]
pub struct CallState {
    inner: Arc<Mutex<Attempts>>,
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
