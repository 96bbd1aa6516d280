use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::RequestBody;
use etcd_core::BoxError;
use http::{Request, Response};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower::Service;

use super::ConnectError;
use crate::Body;

/// `http://` and `https://` with the `tls` feature, `http://` alone without it.
#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "tls"))]
type Connector = HttpConnector;

/// The default transport: hyper-util's pooled HTTP/1.1 client, one connection pool shared by every clone, over
/// `http://` and (with the `tls` feature, on by default) `https://`.
///
/// Connection failures come back as [`ConnectError`], so that the client knows the request never left; a failed
/// TLS handshake is one of them, with a [`TlsError`](crate::tls::TlsError) inside that says what failed.
#[derive(Clone, Debug)]
pub struct HyperTransport {
    client: HyperClient<Connector, RequestBody>,
    /// Whether handshakes offer a client certificate: a server's refusal then means it rejected that one, not
    /// that one is missing.
    #[cfg(feature = "tls")]
    presents_client_certificate: bool,
}

impl HyperTransport {
    /// A pooled client with Nagle's algorithm off (etcd's answers are small and latency-bound) and idle
    /// connections kept for 90 seconds. `https://` endpoints are checked against the system's roots.
    pub fn new() -> Self {
        HyperTransport::with_connect_timeout(None)
    }

    /// Like [`HyperTransport::new`], giving up on a TCP connection not made within `timeout`. The failure is a
    /// [`ConnectError`]: the request never left, so any request may go to the next endpoint. Keep it below the
    /// header timeout, which would otherwise fire first and leave a write's outcome unknown.
    pub fn with_connect_timeout(timeout: Option<Duration>) -> Self {
        #[cfg(feature = "tls")]
        let connector = crate::tls::https_connector(None, http_connector(timeout))
            .expect("the default TLS configuration reads no file and parses no PEM");
        #[cfg(not(feature = "tls"))]
        let connector = http_connector(timeout);
        HyperTransport::over(connector)
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
        let transport = HyperTransport::over(crate::tls::https_connector(Some(tls), http_connector(timeout))?);
        Ok(HyperTransport { presents_client_certificate: tls.presents_client_certificate(), ..transport })
    }

    fn over(connector: Connector) -> Self {
        let client = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        HyperTransport {
            client,
            #[cfg(feature = "tls")]
            presents_client_certificate: false,
        }
    }
}

fn http_connector(connect_timeout: Option<Duration>) -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(connect_timeout);
    // With TLS, the https connector above it decides which schemes go through; without, only http may.
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
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let future = self.client.request(request);
        #[cfg(feature = "tls")]
        let presents_client_certificate = self.presents_client_certificate;
        Box::pin(async move {
            future.await.map(|response| response.map(Body::new)).map_err(|error| {
                #[cfg(feature = "tls")]
                if let Some(tls) = crate::tls::classify(&error, error.is_connect(), presents_client_certificate) {
                    return ConnectError::new(tls).into();
                }
                classify(error)
            })
        })
    }
}

/// A failure to connect becomes a [`ConnectError`] (a failed TLS handshake too, above); the rest may have
/// reached the member.
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
