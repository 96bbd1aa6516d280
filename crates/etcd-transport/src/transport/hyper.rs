use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use etcd_core::BoxError;
use http::{Request, Response};
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower::Service;

use super::ConnectError;
use crate::Body;

/// The default transport: hyper-util's pooled HTTP/1.1 client, one connection pool shared by every clone.
///
/// Connection failures come back as [`ConnectError`], so that the client knows the request never left.
#[derive(Clone, Debug)]
pub struct HyperTransport {
    client: HyperClient<HttpConnector, Full<Bytes>>,
}

impl HyperTransport {
    /// A pooled client with Nagle's algorithm off (etcd's answers are small and latency-bound) and idle
    /// connections kept for 90 seconds.
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let client = HyperClient::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        HyperTransport { client }
    }
}

impl Default for HyperTransport {
    fn default() -> Self {
        HyperTransport::new()
    }
}

impl Service<Request<Bytes>> for HyperTransport {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let future = self.client.request(request.map(Full::new));
        Box::pin(async move {
            match future.await {
                Ok(response) => Ok(response.map(Body::new)),
                Err(e) if e.is_connect() => Err(ConnectError::new(e).into()),
                Err(e) => Err(e.into()),
            }
        })
    }
}
