use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::RequestBody;
use etcd_core::BoxError;
#[cfg(feature = "tls")]
use http::uri::Scheme;
use http::{Request, Response};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower::Service;

use super::LongPoll;
use super::response::{Diagnosis, HyperResponseFuture, Stage};
use crate::Body;

/// The read buffer of a long poll's connection: it holds the answer's head (etcd's is under 400 bytes) and then
/// one piece of the stream at a time; an event larger than it arrives in several reads. hyper's adaptive buffer
/// starts at 8 KiB and is held, mostly empty, for as long as the connection waits.
const LONG_POLL_READ_BUFFER: usize = 2048;

/// How many idle connections the default transport keeps per member by default: 64.
///
/// A burst of concurrent calls opens a connection per call in flight; without a bound, every one of them then
/// stays open, idle, for the idle timeout (1,000 concurrent calls left 1,000 sockets for 90 s). 64 keeps a steady
/// 64 calls in flight per member (the busiest workload of the benchmarks) on reused connections, and closes the
/// rest of a burst as soon as it is idle. Go's `net/http` keeps 2, which makes a concurrent client reconnect.
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 64;

/// How long the default transport keeps an idle connection by default: 90 s, as hyper-util and Go's
/// `http.DefaultTransport`.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The connection pools' bounds ([`Config::pool_max_idle_per_host`](crate::Config::pool_max_idle_per_host),
/// [`Config::pool_idle_timeout`](crate::Config::pool_idle_timeout)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolSettings {
    pub(crate) max_idle_per_host: usize,
    pub(crate) idle_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST, idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT }
    }
}

/// The default transport: hyper-util's pooled HTTP/1.1 client, its connection pools shared by every clone, over
/// `http://` and (with the `tls` feature, on by default) `https://`.
///
/// Requests marked [`LongPoll`] (watches) go over connections of their own, with a small read buffer: a
/// thousand idle watches then hold a thousand small buffers, while ordinary calls keep hyper's adaptive reads,
/// which grow for a large answer. Each scheme has its own pools too, so that a plain `http://` connection does
/// not carry the room of a TLS stream.
///
/// Connection failures come back as [`ConnectError`](super::ConnectError), so that the client knows the request never left; a failed
/// TLS handshake is one of them, with a [`TlsError`](crate::tls::TlsError) inside that says what failed.
#[derive(Clone, Debug)]
pub struct HyperTransport {
    /// Behind one `Arc`: the stack clones its transport for every call.
    clients: Arc<Clients>,
    /// Whether handshakes offer a client certificate: a server's refusal then means it rejected that one, not
    /// that one is missing.
    #[cfg(feature = "tls")]
    presents_client_certificate: bool,
}

/// The pooled clients, one per scheme and kind of request, over one connector.
#[derive(Debug)]
pub(super) struct Clients {
    /// `http://`: the TCP stream alone (a connection over the TLS connector holds room for a TLS session too).
    http: Pair<HttpConnector>,
    /// `https://`, and any other scheme, which the TLS connector refuses as it always did.
    #[cfg(feature = "tls")]
    https: Pair<hyper_rustls::HttpsConnector<HttpConnector>>,
    /// The TLS connector itself, for the probe of a connection closed before its request was sent.
    #[cfg(feature = "tls")]
    pub(super) https_connector: hyper_rustls::HttpsConnector<HttpConnector>,
}

/// Ordinary calls and long polls, in separate pools: a connection's read buffer is set when it is made.
#[derive(Debug)]
struct Pair<C> {
    calls: HyperClient<C, RequestBody>,
    long_polls: HyperClient<C, RequestBody>,
}

impl<C> Pair<C>
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    fn over(connector: C, pool: PoolSettings) -> Self {
        let mut builder = HyperClient::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(pool.idle_timeout)
            .pool_max_idle_per_host(pool.max_idle_per_host);
        let calls = builder.build(connector.clone());
        let long_polls = builder.http1_read_buf_exact_size(LONG_POLL_READ_BUFFER).build(connector);
        Pair { calls, long_polls }
    }

    fn pick(&self, long_poll: bool) -> &HyperClient<C, RequestBody> {
        if long_poll { &self.long_polls } else { &self.calls }
    }
}

impl HyperTransport {
    /// A pooled client with Nagle's algorithm off (etcd's answers are small and latency-bound), and at most
    /// [`DEFAULT_POOL_MAX_IDLE_PER_HOST`] idle connections per member, each kept for
    /// [`DEFAULT_POOL_IDLE_TIMEOUT`]. `https://` endpoints are checked against the system's roots.
    pub fn new() -> Self {
        HyperTransport::with_connect_timeout(None)
    }

    /// Like [`HyperTransport::new`], giving up on a TCP connection not made within `timeout`. The failure is a
    /// [`ConnectError`](super::ConnectError): the request never left, so any request may go to the next endpoint. Keep it below the
    /// header timeout, which would otherwise fire first and leave a write's outcome unknown.
    pub fn with_connect_timeout(timeout: Option<Duration>) -> Self {
        HyperTransport::with_pool(timeout, PoolSettings::default())
    }

    /// [`HyperTransport::with_connect_timeout`] with pools bounded as `pool` says.
    pub(crate) fn with_pool(timeout: Option<Duration>, pool: PoolSettings) -> Self {
        let http = http_connector(timeout);
        #[cfg(feature = "tls")]
        let https = crate::tls::https_connector(None, http.clone())
            .expect("the default TLS configuration reads no file and parses no PEM");
        HyperTransport::over(
            http,
            #[cfg(feature = "tls")]
            https,
            pool,
        )
    }

    /// Like [`HyperTransport::new`], talking TLS to `https://` endpoints as `tls` says.
    ///
    /// # Errors
    /// [`InvalidRequest`](etcd_core::InvalidRequest) of kind `Config` naming what is wrong: an unreadable file,
    /// PEM without a certificate or key, a key that does not match its certificate, a bad server name.
    #[cfg(feature = "tls")]
    pub fn with_tls(tls: &crate::TlsConfig) -> Result<Self, etcd_core::InvalidRequest> {
        HyperTransport::with_tls_and_connect_timeout(tls, None)
    }

    /// [`HyperTransport::with_tls`] and [`HyperTransport::with_connect_timeout`] together.
    ///
    /// # Errors
    /// As [`HyperTransport::with_tls`].
    #[cfg(feature = "tls")]
    pub fn with_tls_and_connect_timeout(
        tls: &crate::TlsConfig,
        timeout: Option<Duration>,
    ) -> Result<Self, etcd_core::InvalidRequest> {
        HyperTransport::with_tls_and_pool(tls, timeout, PoolSettings::default())
    }

    /// [`HyperTransport::with_tls_and_connect_timeout`] with pools bounded as `pool` says.
    #[cfg(feature = "tls")]
    pub(crate) fn with_tls_and_pool(
        tls: &crate::TlsConfig,
        timeout: Option<Duration>,
        pool: PoolSettings,
    ) -> Result<Self, etcd_core::InvalidRequest> {
        let http = http_connector(timeout);
        let https = crate::tls::https_connector(Some(tls), http.clone())?;
        let transport = HyperTransport::over(http, https, pool);
        Ok(HyperTransport { presents_client_certificate: tls.presents_client_certificate(), ..transport })
    }

    fn over(
        http: HttpConnector,
        #[cfg(feature = "tls")] https: hyper_rustls::HttpsConnector<HttpConnector>,
        pool: PoolSettings,
    ) -> Self {
        let clients = Clients {
            http: Pair::over(http, pool),
            #[cfg(feature = "tls")]
            https: Pair::over(https.clone(), pool),
            #[cfg(feature = "tls")]
            https_connector: https,
        };
        HyperTransport {
            clients: Arc::new(clients),
            #[cfg(feature = "tls")]
            presents_client_certificate: false,
        }
    }
}

fn http_connector(connect_timeout: Option<Duration>) -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(connect_timeout);
    // With TLS, the https connector above it decides which schemes go through (the plain pools only get
    // `http://`); without, only http may.
    connector.enforce_http(!cfg!(feature = "tls"));
    connector
}

impl Default for HyperTransport {
    fn default() -> Self {
        HyperTransport::new()
    }
}

impl Service<Request<RequestBody>> for HyperTransport {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = HyperResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let long_poll = request.extensions().get::<LongPoll>().is_some();
        #[cfg(feature = "tls")]
        let diagnosis = Some(Diagnosis::new(self.clients.clone(), request.uri(), self.presents_client_certificate));
        #[cfg(not(feature = "tls"))]
        let diagnosis: Option<Diagnosis> = None;
        #[cfg(feature = "tls")]
        if request.uri().scheme() != Some(&Scheme::HTTP) {
            let response = self.clients.https.pick(long_poll).request(request);
            return HyperResponseFuture { stage: Stage::Responding { response, diagnosis } };
        }
        let response = self.clients.http.pick(long_poll).request(request);
        HyperResponseFuture { stage: Stage::Responding { response, diagnosis } }
    }
}
