use std::sync::{Arc, Mutex, PoisonError};

use etcd_core::EndpointError;

use crate::Endpoint;

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
    /// The endpoints as they were when the call started, and the pinned one, when the failover took them: every
    /// attempt of the call works on that list, even if it is replaced meanwhile.
    endpoints: Option<Arc<[Endpoint]>>,
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

    /// A call that may try each of `endpoints` (a snapshot of the set), starting at `pinned`.
    pub(crate) fn over(endpoints: Arc<[Endpoint]>, pinned: usize) -> Self {
        let attempts = Attempts { start: Some(pinned), tried: 0, errors: Vec::new(), endpoints: Some(endpoints) };
        CallState { inner: Arc::new(Mutex::new(attempts)), may_retry: true }
    }

    /// Claims the next attempt on the call's own snapshot of the endpoints, when it has one: the endpoint, how
    /// many are left untried after it, and the attempt's number (from 1).
    pub(crate) fn next_endpoint(&self) -> Option<(Endpoint, usize, usize)> {
        let mut attempts = self.lock();
        let endpoints = attempts.endpoints.as_ref()?;
        let start = attempts.start.unwrap_or(0);
        let (len, index) = (endpoints.len(), (start + attempts.tried) % endpoints.len());
        let endpoint = endpoints[index].clone();
        attempts.tried += 1;
        Some((endpoint, len.saturating_sub(attempts.tried), attempts.tried))
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
