use std::sync::{Arc, Mutex, PoisonError};

use etcd_core::EndpointError;

use crate::{Endpoint, EndpointSet};

/// What one call has met so far, shared by its attempts through a request extension: the endpoints it works on,
/// where it started, how many endpoints it tried, and each failure in full.
#[derive(Clone, Debug, Default)]
pub struct CallState {
    inner: Arc<Mutex<Attempts>>,
}

#[derive(Debug, Default)]
struct Attempts {
    /// The endpoints as they were at the call's first attempt, and the one pinned then: every attempt of the
    /// call works on that list, even if it is replaced meanwhile.
    endpoints: Option<(Arc<[Endpoint]>, usize)>,
    tried: usize,
    errors: Vec<EndpointError>,
}

impl CallState {
    /// A call with no attempt yet.
    pub fn new() -> Self {
        CallState::default()
    }

    /// Claims the next attempt: the endpoint (the one pinned in `set` on the first attempt, then the ones after
    /// it in turn), how many endpoints are left untried after it, and the attempt's number (from 1).
    pub(crate) fn next_endpoint(&self, set: &EndpointSet) -> (Endpoint, usize, usize) {
        let mut attempts = self.lock();
        let tried = attempts.tried;
        let (endpoints, start) = attempts.endpoints.get_or_insert_with(|| {
            let endpoints = set.endpoints();
            let pinned = set.pinned_index(&endpoints);
            (endpoints, pinned)
        });
        let endpoint = endpoints[(*start + tried) % endpoints.len()].clone();
        let left = endpoints.len().saturating_sub(tried + 1);
        attempts.tried += 1;
        (endpoint, left, attempts.tried)
    }

    /// Counts an attempt sent to one endpoint only (`SendTo`); returns its number.
    pub(crate) fn count_attempt(&self) -> usize {
        let mut attempts = self.lock();
        attempts.tried += 1;
        attempts.tried
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
