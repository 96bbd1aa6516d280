use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use etcd_core::{InvalidRequest, InvalidRequestKind};

use crate::Endpoint;

/// The endpoints of a client and the one it is pinned to, shared by every clone of the client.
///
/// The list can be replaced while calls run (a sync with the cluster's members): a call works on the list it
/// started with, the next calls on the new one.
#[derive(Debug)]
pub struct EndpointSet {
    endpoints: RwLock<Arc<[Endpoint]>>,
    /// The list's length, readable without the lock: every call asks it (whether it can be retried).
    len: AtomicUsize,
    pinned: AtomicUsize,
}

impl EndpointSet {
    /// A set of checked endpoints, pinned to the first.
    ///
    /// # Errors
    /// [`InvalidRequest`] when the list is empty.
    pub fn new(endpoints: Vec<Endpoint>) -> Result<Arc<Self>, InvalidRequest> {
        if endpoints.is_empty() {
            return Err(no_endpoints());
        }
        let len = AtomicUsize::new(endpoints.len());
        Ok(Arc::new(EndpointSet { endpoints: RwLock::new(endpoints.into()), len, pinned: AtomicUsize::new(0) }))
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
        EndpointSet::new(parse_all(urls)?)
    }

    /// The endpoints, in rotation order, as they are now.
    pub fn endpoints(&self) -> Arc<[Endpoint]> {
        self.endpoints.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The endpoint calls start at.
    pub fn pinned(&self) -> Endpoint {
        // Under the read lock, without a clone of the list: this runs on every call.
        let endpoints = self.endpoints.read().unwrap_or_else(PoisonError::into_inner);
        endpoints[self.pinned.load(Ordering::Relaxed) % endpoints.len()].clone()
    }

    /// How many endpoints there are now.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Never: a set always has an endpoint. For symmetry with [`EndpointSet::len`].
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Replaces the endpoints (the Go client's `SetEndpoints`). The pin stays on its endpoint when the new list
    /// has it, and goes to the first endpoint otherwise.
    ///
    /// # Errors
    /// [`InvalidRequest`] when the list is empty; the set is then unchanged, so a client never has none.
    pub fn replace(&self, endpoints: Vec<Endpoint>) -> Result<(), InvalidRequest> {
        if endpoints.is_empty() {
            return Err(no_endpoints());
        }
        let pinned = self.pinned();
        let index = endpoints.iter().position(|e| *e == pinned).unwrap_or(0);
        let mut current = self.endpoints.write().unwrap_or_else(PoisonError::into_inner);
        self.len.store(endpoints.len(), Ordering::Relaxed);
        *current = endpoints.into();
        self.pinned.store(index, Ordering::Relaxed);
        Ok(())
    }

    /// Pins `endpoint`, when the set has it (the leader, in leader-first selection); returns whether it did.
    pub fn pin_to(&self, endpoint: &Endpoint) -> bool {
        // Every answer pins its endpoint, and it almost always is the pinned one already: then nothing is written,
        // so that the cores running calls do not take the pin's cache line from each other.
        let endpoints = self.endpoints.read().unwrap_or_else(PoisonError::into_inner);
        let pinned = self.pinned.load(Ordering::Relaxed);
        if endpoints.get(pinned % endpoints.len()) == Some(endpoint) {
            return true;
        }
        match endpoints.iter().position(|e| e == endpoint) {
            Some(index) => {
                self.pin(index);
                true
            }
            None => false,
        }
    }

    /// Moves the pin off `endpoint` to the next endpoint, when it is pinned: for a caller that learned the member
    /// is unwell outside a call (a watcher's liveness probe), so that the next call does not start there.
    pub fn unpin(&self, endpoint: &Endpoint) {
        let endpoints = self.endpoints();
        let raw = self.pinned.load(Ordering::Relaxed);
        let pinned = raw % endpoints.len();
        if &endpoints[pinned] == endpoint {
            // Only if no call moved the pin meanwhile: a fresher answer wins.
            let next = (pinned + 1) % endpoints.len();
            let _ = self.pinned.compare_exchange(raw, next, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    pub(crate) fn pin(&self, index: usize) {
        self.pinned.store(index, Ordering::Relaxed);
    }

    /// Pins a random endpoint, so that clients given the same list spread over the members; the rotation order
    /// stays the list's, as the Go client's shuffle spreads first choices.
    pub(crate) fn shuffle(&self) {
        self.pin(fastrand::usize(..self.endpoints().len()));
    }
}

/// Parses and checks endpoint URLs, in the order given.
pub(crate) fn parse_all<I, S>(urls: I) -> Result<Vec<Endpoint>, InvalidRequest>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    urls.into_iter().map(|url| Endpoint::parse(url.as_ref())).collect()
}

fn no_endpoints() -> InvalidRequest {
    InvalidRequest::new(InvalidRequestKind::Config, "no endpoints given")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(urls: &[&str]) -> Arc<EndpointSet> {
        EndpointSet::parse(urls).unwrap()
    }

    #[test]
    fn replacing_keeps_the_pin_on_its_endpoint_and_never_empties_the_set() {
        let endpoints = set(&["http://a:1", "http://b:2", "http://c:3"]);
        endpoints.pin(1);
        let new = parse_all(["http://c:3", "http://b:2"]).unwrap();
        endpoints.replace(new).unwrap();
        assert_eq!(endpoints.pinned().as_str(), "http://b:2");
        endpoints.replace(parse_all(["http://d:4"]).unwrap()).unwrap();
        assert_eq!(endpoints.pinned().as_str(), "http://d:4", "the pinned endpoint left: the first one");
        assert!(endpoints.replace(Vec::new()).is_err());
        assert_eq!(endpoints.endpoints().len(), 1, "unchanged");
    }

    #[test]
    fn pin_to_and_unpin() {
        let endpoints = set(&["http://a:1", "http://b:2"]);
        assert!(endpoints.pin_to(&Endpoint::parse("http://b:2").unwrap()));
        assert!(!endpoints.pin_to(&Endpoint::parse("http://z:9").unwrap()));
        endpoints.unpin(&Endpoint::parse("http://a:1").unwrap());
        assert_eq!(endpoints.pinned().as_str(), "http://b:2", "a is not pinned: nothing moves");
        endpoints.unpin(&Endpoint::parse("http://b:2").unwrap());
        assert_eq!(endpoints.pinned().as_str(), "http://a:1");
    }
}
