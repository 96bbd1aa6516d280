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
}
