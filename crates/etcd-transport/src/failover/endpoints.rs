use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use etcd_core::{InvalidRequest, InvalidRequestKind};

use crate::Endpoint;

/// The endpoints of a client and the one it is pinned to, shared by every clone of the client.
#[derive(Debug)]
pub struct EndpointSet {
    endpoints: Vec<Endpoint>,
    pinned: AtomicUsize,
}

impl EndpointSet {
    /// A set of checked endpoints, pinned to the first.
    ///
    /// # Errors
    /// [`InvalidRequest`] when the list is empty.
    pub fn new(endpoints: Vec<Endpoint>) -> Result<Arc<Self>, InvalidRequest> {
        if endpoints.is_empty() {
            return Err(InvalidRequest::new(InvalidRequestKind::Config, "no endpoints given"));
        }
        Ok(Arc::new(EndpointSet { endpoints, pinned: AtomicUsize::new(0) }))
    }

    /// Parses and checks endpoint URLs, in the order given.
    ///
    /// # Errors
    /// [`InvalidRequest`] naming the first bad entry, or saying the list is empty.
    pub fn parse<I, S>(urls: I) -> Result<Arc<Self>, InvalidRequest>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let endpoints = urls.into_iter().map(|url| Endpoint::parse(url.as_ref())).collect::<Result<Vec<_>, _>>()?;
        EndpointSet::new(endpoints)
    }

    /// The endpoints, in rotation order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The endpoint calls start at.
    pub fn pinned(&self) -> &Endpoint {
        &self.endpoints[self.pinned_index()]
    }

    pub(crate) fn pinned_index(&self) -> usize {
        self.pinned.load(Ordering::Relaxed) % self.endpoints.len()
    }

    pub(crate) fn pin(&self, index: usize) {
        self.pinned.store(index, Ordering::Relaxed);
    }

    /// Moves the pin off `endpoint` to the next endpoint, when it is pinned: for a caller that learned the member
    /// is unwell outside a call (a watcher's liveness probe), so that the next call does not start there.
    pub fn unpin(&self, endpoint: &Endpoint) {
        let raw = self.pinned.load(Ordering::Relaxed);
        let pinned = raw % self.endpoints.len();
        if &self.endpoints[pinned] == endpoint {
            // Only if no call moved the pin meanwhile: a fresher answer wins.
            let next = (pinned + 1) % self.endpoints.len();
            let _ = self.pinned.compare_exchange(raw, next, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// Pins a random endpoint, so that clients given the same list spread over the members; the rotation order
    /// stays the list's, as the Go client's shuffle spreads first choices.
    pub(crate) fn shuffle(&self) {
        use std::hash::{BuildHasher, RandomState};
        // RandomState is seeded per process and per instance: randomness enough to spread clients, with no
        // dependency.
        let random = RandomState::new().hash_one(std::time::SystemTime::now());
        self.pin(usize::try_from(random % self.endpoints.len() as u64).unwrap_or(0));
    }
}
