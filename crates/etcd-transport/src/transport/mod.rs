//! The seam between the client and the network: any tower [`Service`] from `http::Request<RequestBody>` to
//! `http::Response<Body>`.

mod hyper;
mod response;

use std::fmt;

use crate::RequestBody;
use etcd_core::BoxError;
use http::{Request, Response};
use tower::Service;
use tower::util::BoxCloneSyncService;

pub(crate) use self::hyper::PoolSettings;
pub use self::hyper::{DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_POOL_MAX_IDLE_PER_HOST, HyperTransport};
pub use self::response::HyperResponseFuture;
use crate::Body;

/// A boxed, cloneable service over the client's request and response types; what every layer of the stack
/// wraps and returns.
pub type BoxedService = BoxCloneSyncService<Request<RequestBody>, Response<Body>, BoxError>;

/// What the client sends requests through: a tower [`Service`] over `http` types, cheap to clone and shareable.
///
/// Implemented for every service that fits, so a `tower::service_fn`, a `tower_test::mock` handle, or a stack of
/// your own is a `Transport` as it is. [`HyperTransport`] is the default. Requests reaching a transport have
/// absolute URIs; the failover layer above it chose the endpoint.
///
/// A transport should wrap an error in [`ConnectError`] when it knows the request never left (the connection
/// could not be made), so that the client may send it to another member whatever the request is. Any other
/// error is taken to mean the request may have been applied.
pub trait Transport:
    Service<Request<RequestBody>, Response = Response<Body>, Error: Into<BoxError>, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> Transport for T where
    T: Service<Request<RequestBody>, Response = Response<Body>, Error: Into<BoxError>, Future: Send + 'static>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Boxes any transport or stack into a [`BoxedService`].
pub(crate) fn boxed<T: Transport>(transport: T) -> BoxedService {
    BoxCloneSyncService::new(tower::ServiceExt::map_err(transport, Into::into))
}

/// Marks a request whose answer is a long poll: it may wait minutes for its first byte and then stream, mostly
/// idle, for as long as the caller keeps it (a watch, `wait=true`).
///
/// Why: a client may hold thousands of these at once, one connection each. [`HyperTransport`] sends them over
/// connections of their own whose read buffer is small (2 KiB, where hyper's adaptive one starts at 8 KiB and
/// stays allocated while the connection waits), and keeps ordinary calls on connections with large reads, which
/// a big listing needs. An answer larger than the buffer still arrives whole, in more reads.
///
/// A hint only: a request without it works the same, and a transport of your own may ignore it. The keys API
/// marks its watches; insert it with `request.extensions_mut().insert(LongPoll)` on a request of your own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LongPoll;

/// Marks a watch answer whose stream carries every event from the wait index on, from the server's history too,
/// and ends with an error rather than going quiet when it cannot: a server that is not etcd v2 says so in its
/// answer's extensions (the v2-over-v3 bridge does).
///
/// Why: etcd v2 answers a stream from its history with one event and then silence, and drops a stream that
/// falls behind without a word; the keys API's watcher works around both (a plain wait per event from history,
/// a check of the member's index after events). On a stream marked complete it keeps the stream instead: through
/// the bridge, a plain wait per event falls behind any steady write load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CompleteStream;

/// A transport's error that says the request never left this client (refused, DNS failure, TLS handshake).
///
/// The failover layer may send such a request to the next endpoint, whatever the request is: it cannot have
/// been applied.
#[derive(Debug)]
pub struct ConnectError {
    source: BoxError,
}

impl ConnectError {
    /// Marks `source` as a failure to connect.
    pub fn new(source: impl Into<BoxError>) -> Self {
        ConnectError { source: source.into() }
    }

    /// Takes the underlying error back.
    pub fn into_inner(self) -> BoxError {
        self.source
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

impl From<ConnectError> for etcd_core::AttemptFailure {
    fn from(error: ConnectError) -> Self {
        etcd_core::AttemptFailure::Connect(error.into_inner())
    }
}
