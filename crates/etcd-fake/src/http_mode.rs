//! The fake over HTTP: each member on a free loopback port, served by hyper, for clients that are not Rust.

use std::sync::{Arc, PoisonError};

use etcd_transport::RequestBody;
use etcd_v2_server::BoxError;
use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::FakeEtcd;

/// A fake being served; dropping it (or [`stop`](Served::stop)) stops serving.
#[derive(Debug)]
pub struct Served {
    endpoints: Vec<String>,
    tasks: JoinSet<()>,
}

impl Served {
    /// The members' endpoints (`http://127.0.0.1:PORT`), in member order.
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

/// Serves every member of `fake` on its own free port on 127.0.0.1, with hyper's HTTP/1 server. The members'
/// client URLs (in `/v2/members`) become these endpoints. A member that is [`down`](crate::Member::down) closes
/// each connection without an answer.
///
/// # Errors
/// When a port cannot be bound.
pub async fn serve(fake: &FakeEtcd) -> std::io::Result<Served> {
    let mut endpoints = Vec::new();
    let mut tasks = JoinSet::new();
    for (index, member) in fake.shared.members.iter().enumerate() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        *member.client_url.lock().unwrap_or_else(PoisonError::into_inner) = endpoint.clone();
        endpoints.push(endpoint);
        let shared = Arc::clone(&fake.shared);
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&shared), index, request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                // Reap finished connections so the set does not grow without bound.
                while connections.try_join_next().is_some() {}
            }
        });
    }
    Ok(Served { endpoints, tasks })
}

async fn handle(
    shared: Arc<crate::fake::Shared>,
    member: usize,
    request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<etcd_transport::Body>, BoxError> {
    let (parts, body) = request.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return Err(Box::new(error)),
    };
    let request = http::Request::from_parts(parts, RequestBody::new(bytes));
    crate::faults::call_member(shared, member, request).await
}
