use std::future::Future;
use std::pin::Pin;
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

use super::{ConnectError, LongPoll};
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
/// Connection failures come back as [`ConnectError`], so that the client knows the request never left; a failed
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
struct Clients {
    /// `http://`: the TCP stream alone (a connection over the TLS connector holds room for a TLS session too).
    http: Pair<HttpConnector>,
    /// `https://`, and any other scheme, which the TLS connector refuses as it always did.
    #[cfg(feature = "tls")]
    https: Pair<hyper_rustls::HttpsConnector<HttpConnector>>,
    /// The TLS connector itself, for the probe of a connection closed before its request was sent.
    #[cfg(feature = "tls")]
    https_connector: hyper_rustls::HttpsConnector<HttpConnector>,
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
    /// [`ConnectError`]: the request never left, so any request may go to the next endpoint. Keep it below the
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
        let diagnosis = Some(Diagnosis {
            clients: self.clients.clone(),
            // The authority alone: its bytes are shared (a reference count), where the path's would be copied.
            authority: request.uri().authority().cloned(),
            https: request.uri().scheme() != Some(&Scheme::HTTP),
            presents_client_certificate: self.presents_client_certificate,
        });
        #[cfg(not(feature = "tls"))]
        let diagnosis = None;
        #[cfg(feature = "tls")]
        if request.uri().scheme() != Some(&Scheme::HTTP) {
            let response = self.clients.https.pick(long_poll).request(request);
            return HyperResponseFuture { stage: Stage::Responding { response, diagnosis } };
        }
        let response = self.clients.http.pick(long_poll).request(request);
        HyperResponseFuture { stage: Stage::Responding { response, diagnosis } }
    }
}

/// The response future of [`HyperTransport`]: hyper-util's, with its errors sorted into those that never left
/// ([`ConnectError`]) and the rest. Not boxed again: hyper-util's future already is.
pub struct HyperResponseFuture {
    stage: Stage,
}

enum Stage {
    Responding {
        response: hyper_util::client::legacy::ResponseFuture,
        /// What telling a TLS mistake from other failures needs; taken on the first error.
        diagnosis: Option<Diagnosis>,
    },
    /// A probe of what went wrong with TLS (`tls::refused_after_handshake`, `tls::speaks_tls`), which gives the
    /// attempt's error.
    #[cfg(feature = "tls")]
    Probing(Pin<Box<dyn Future<Output = BoxError> + Send>>),
}

/// Without the `tls` feature there is no TLS mistake to diagnose.
#[cfg(not(feature = "tls"))]
enum Diagnosis {}

#[cfg(feature = "tls")]
struct Diagnosis {
    clients: Arc<Clients>,
    authority: Option<http::uri::Authority>,
    /// Whether the request was sent over TLS (any scheme but `http`).
    https: bool,
    presents_client_certificate: bool,
}

impl Future for HyperResponseFuture {
    type Output = Result<Response<Body>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (response, diagnosis) = match &mut self.stage {
            Stage::Responding { response, diagnosis } => (response, diagnosis),
            #[cfg(feature = "tls")]
            Stage::Probing(probe) => return probe.as_mut().poll(cx).map(Err),
        };
        let error = match std::task::ready!(Pin::new(response).poll(cx)) {
            Ok(response) => return Poll::Ready(Ok(response.map(Body::from_hyper))),
            Err(error) => error,
        };
        #[cfg(feature = "tls")]
        if let Some(diagnosis) = diagnosis.take() {
            if !diagnosis.https {
                if closed_before_answering(&error) {
                    self.stage = Stage::Probing(Box::pin(diagnosis.only_tls(error)));
                    return self.poll(cx);
                }
            } else {
                let presented = diagnosis.presents_client_certificate;
                if let Some(tls) = crate::tls::classify(&error, error.is_connect(), presented) {
                    return Poll::Ready(Err(ConnectError::new(tls).into()));
                }
                if was_never_sent(&error) {
                    self.stage = Stage::Probing(Box::pin(diagnosis.refused_after_handshake(classify(error))));
                    return self.poll(cx);
                }
            }
        }
        #[cfg(not(feature = "tls"))]
        let _: &mut Option<Diagnosis> = diagnosis;
        Poll::Ready(Err(classify(error)))
    }
}

#[cfg(feature = "tls")]
impl Diagnosis {
    /// The attempt's error once the probe looked: the TLS refusal it found, else `original`.
    async fn refused_after_handshake(self, original: BoxError) -> BoxError {
        let connector = self.clients.https_connector.clone();
        let Some(uri) = self.authority.and_then(|authority| crate::tls::https_uri(&authority, 443)) else {
            return original;
        };
        match crate::tls::refused_after_handshake(connector, uri, self.presents_client_certificate).await {
            Some(tls) => ConnectError::new(tls).into(),
            None => original,
        }
    }

    /// The attempt's error for a plain request whose connection closed unanswered: when the member speaks TLS, it
    /// never read the request as HTTP, so the request never left (a [`ConnectError`]) and the error says so.
    async fn only_tls(self, original: hyper_util::client::legacy::Error) -> BoxError {
        let speaks_tls = match &self.authority {
            Some(authority) => crate::tls::speaks_tls(self.clients.https_connector.clone(), authority).await,
            None => false,
        };
        if speaks_tls {
            ConnectError::new(crate::tls::TlsError::only_tls(original.into())).into()
        } else {
            classify(original)
        }
    }
}

/// Whether the connection closed before any answer came, as a member serving TLS does to a plain request.
#[cfg(feature = "tls")]
fn closed_before_answering(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_incomplete_message) {
            return true;
        }
        cause = error.source();
    }
    false
}

impl std::fmt::Debug for HyperResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperResponseFuture").finish_non_exhaustive()
    }
}

/// A failure to connect becomes a [`ConnectError`] (a failed TLS handshake too, above); the rest may have
/// reached the member.
#[cold]
fn classify(error: hyper_util::client::legacy::Error) -> BoxError {
    if error.is_connect() || was_never_sent(&error) { ConnectError::new(error).into() } else { error.into() }
}

/// Whether hyper dropped the request before writing it: its connection closed before it was ready ("canceled"),
/// as when a TLS server refuses the handshake after the client thought it done.
fn was_never_sent(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_canceled) {
            return true;
        }
        cause = error.source();
    }
    false
}
