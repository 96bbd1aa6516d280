//! Serving v2 services over real HTTP: each on a free loopback port, with hyper's HTTP/1 server, for clients
//! that are not Rust (a differential suite's raw requests, curl, another language's client).

use etcd_transport::{Body, RequestBody, Transport};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::store::BoxError;

/// Services being served; dropping it (or [`stop`](Served::stop)) stops serving and closes every connection.
#[derive(Debug)]
pub struct Served {
    endpoints: Vec<String>,
    tasks: JoinSet<()>,
}

impl Served {
    /// The endpoints (`http://127.0.0.1:PORT`), in the order the services were given.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The endpoints joined with commas, as `ETCD_ENDPOINTS` holds them.
    pub fn endpoints_env(&self) -> String {
        self.endpoints.join(",")
    }

    /// Stops accepting and closes every connection.
    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

/// Serves each of `services` (a [`V2Service`](crate::V2Service), or any service of the transport's request and
/// response types) on its own free port on 127.0.0.1, on the current tokio runtime. A service's error closes
/// the connection without an answer, as a member that is down or unreachable does.
///
/// # Errors
/// When a port cannot be bound.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use etcd_transport::{Body, RequestBody};
///
/// let hello = tower::service_fn(|_: http::Request<RequestBody>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(Body::from("hello")))
/// });
/// let served = etcd_v2_server::serve_http([hello]).await?;
/// assert!(served.endpoints()[0].starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
pub async fn serve_http<S, I>(services: I) -> std::io::Result<Served>
where
    S: Transport,
    I: IntoIterator<Item = S>,
{
    let mut endpoints = Vec::new();
    let mut tasks = JoinSet::new();
    for service in services {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        endpoints.push(format!("http://{}", listener.local_addr()?));
        tasks.spawn(accept(listener, service));
    }
    Ok(Served { endpoints, tasks })
}

async fn accept<S: Transport>(listener: TcpListener, service: S) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        connections.spawn(async move {
            let per_request = hyper::service::service_fn(move |request| answer(service.clone(), request));
            let _ =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), per_request).await;
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
}

async fn answer<S: Transport>(
    service: S,
    request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Body>, BoxError> {
    let (parts, body) = request.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return Err(Box::new(error)),
    };
    let request = http::Request::from_parts(parts, RequestBody::new(bytes));
    service.oneshot(request).await.map_err(Into::into)
}
