//! The baseline: hyper-util's pooled client sending the same requests as the library, with nothing around it,
//! and serde_json decoding the answers into typed structs equivalent to `etcd_core::Response`.
//!
//! A streaming watch is read as a hand-written client would read it: hyper's body frames appended to one
//! buffer, split at newlines, each line decoded by serde into the same typed structs.
//!
//! This is the physical limit for a client over HTTP/1.1 in Rust: whatever the library spends beyond it is the
//! price of its layers. The connector and pool are set up as `etcd_transport::HyperTransport` sets up its pool
//! of ordinary `http://` calls (no Nagle, HTTP only, 90 s idle timeout, tokio timer), so that only the layers
//! differ. Its watches use the same client, with hyper's default read buffer: giving long polls connections of
//! their own with a small buffer is the library's choice, which the idle-watchers figure measures.

use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde::Deserialize;

const FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// etcd's answer, typed as the library types it: the action, the node, the previous node.
#[expect(dead_code, reason = "decoded for parity with etcd_core::Response; only the decoding is timed")]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawBody {
    /// What etcd did.
    pub action: String,
    /// The node after the action.
    #[serde(default)]
    pub node: Option<RawNode>,
    /// The node before the action.
    #[serde(default)]
    pub prev_node: Option<RawNode>,
}

/// One node, with the fields of `etcd_core::Node`.
#[expect(dead_code, reason = "decoded for parity with etcd_core::Node; only the decoding is timed")]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawNode {
    /// The full key.
    #[serde(default)]
    pub key: String,
    /// Whether it is a directory.
    #[serde(default)]
    pub dir: bool,
    /// The value.
    #[serde(default)]
    pub value: String,
    /// A directory's children.
    #[serde(default)]
    pub nodes: Vec<RawNode>,
    /// Index of creation.
    #[serde(default)]
    pub created_index: u64,
    /// Index of the last change.
    #[serde(default)]
    pub modified_index: u64,
    /// Expiration time, as etcd wrote it.
    #[serde(default)]
    pub expiration: Option<String>,
    /// Seconds left.
    #[serde(default)]
    pub ttl: Option<i64>,
}

/// A decoded answer with etcd's headers, as `etcd_core::Response` holds them.
#[expect(dead_code, reason = "decoded for parity with etcd_core::Response; only the decoding is timed")]
#[derive(Debug)]
pub struct RawResponse {
    /// The body.
    pub body: RawBody,
    /// `X-Etcd-Index`.
    pub index: u64,
    /// `X-Raft-Index`.
    pub raft_index: Option<u64>,
    /// `X-Raft-Term`.
    pub raft_term: Option<u64>,
    /// `X-Etcd-Cluster-Id`.
    pub cluster_id: Option<String>,
}

impl RawResponse {
    /// How many nodes the answer holds, the top node and every node below it.
    pub fn node_count(&self) -> usize {
        fn count(node: &RawNode) -> usize {
            1 + node.nodes.iter().map(count).sum::<usize>()
        }
        self.body.node.as_ref().map_or(0, count)
    }

    /// The modified index of the answer's node: for a write, the index etcd gave it.
    pub fn modified_index(&self) -> Option<u64> {
        self.body.node.as_ref().map(|node| node.modified_index)
    }
}

/// The raw client: hyper-util's legacy pooled client.
#[derive(Clone, Debug)]
pub struct RawClient {
    http: Client<HttpConnector, Full<Bytes>>,
}

impl RawClient {
    /// A pooled client configured as the library's default transport.
    pub fn new() -> RawClient {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        RawClient { http }
    }

    /// Sends `request` and reads the whole answer.
    pub async fn send(&self, request: Request<Bytes>) -> Result<(StatusCode, HeaderMap, Bytes), String> {
        let response = self.http.request(request.map(Full::new)).await.map_err(|e| format!("raw request: {e}"))?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map_err(|e| format!("raw body: {e}"))?.to_bytes();
        Ok((parts.status, parts.headers, bytes))
    }

    /// Sends `request` and decodes etcd's answer.
    pub async fn call(&self, request: Request<Bytes>) -> Result<RawResponse, String> {
        let (status, headers, body) = self.send(request).await?;
        decode(status, &headers, &body)
    }

    /// Opens a streaming watch (`uri` asks for `wait=true&stream=true`): etcd's answer, without its body yet.
    pub async fn watch(&self, uri: &str) -> Result<RawWatch, String> {
        let response =
            self.http.request(get_request(uri).map(Full::new)).await.map_err(|e| format!("raw watch: {e}"))?;
        let (parts, body) = response.into_parts();
        if parts.status != StatusCode::OK {
            let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            return Err(format!("etcd answered the watch {}: {}", parts.status, String::from_utf8_lossy(&bytes)));
        }
        etcd_index(&parts.headers).ok_or("no X-Etcd-Index on the watch")?;
        Ok(RawWatch { body, buffer: Vec::new(), start: 0 })
    }
}

/// A streaming watch: one JSON event per line of an endless body.
#[derive(Debug)]
pub struct RawWatch {
    body: Incoming,
    buffer: Vec<u8>,
    /// Where the first line not yet decoded starts in `buffer`.
    start: usize,
}

impl RawWatch {
    /// The next event, decoded; `None` when the stream ended.
    pub async fn next_event(&mut self) -> Result<Option<RawBody>, String> {
        loop {
            if let Some(end) = self.buffer[self.start..].iter().position(|&b| b == b'\n') {
                let line = self.start..self.start + end;
                self.start += end + 1;
                if self.buffer[line.clone()].iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return serde_json::from_slice(&self.buffer[line]).map(Some).map_err(|e| format!("raw event: {e}"));
            }
            // Every complete line is decoded: keep only the partial one, then read more.
            self.buffer.drain(..self.start);
            self.start = 0;
            match self.body.frame().await {
                None => return Ok(None),
                Some(Err(e)) => return Err(format!("raw watch body: {e}")),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

/// `X-Etcd-Index`, on answers and on errors alike.
pub fn etcd_index(headers: &HeaderMap) -> Option<u64> {
    headers.get("x-etcd-index")?.to_str().ok()?.parse().ok()
}

/// `GET uri`, as the library sends a read.
pub fn get_request(uri: &str) -> Request<Bytes> {
    let mut request = Request::new(Bytes::new());
    *request.uri_mut() = uri.parse().expect("the bench's URIs are valid");
    request
}

/// `DELETE uri`: the bench's own clean-up (`uri` with `?recursive=true` for a directory).
pub fn delete_request(uri: &str) -> Request<Bytes> {
    let mut request = get_request(uri);
    *request.method_mut() = Method::DELETE;
    request
}

/// `PUT uri` with a form body, as the library sends a set.
pub fn set_request(uri: &str, form: &str) -> Request<Bytes> {
    let mut request = Request::new(Bytes::copy_from_slice(form.as_bytes()));
    *request.method_mut() = Method::PUT;
    *request.uri_mut() = uri.parse().expect("the bench's URIs are valid");
    request.headers_mut().insert(CONTENT_TYPE, FORM);
    request
}

/// Decodes a successful answer: the status, the JSON body into typed structs, etcd's headers.
pub fn decode(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<RawResponse, String> {
    if status != StatusCode::OK && status != StatusCode::CREATED {
        return Err(format!("etcd answered {status}: {}", String::from_utf8_lossy(body)));
    }
    let body: RawBody = serde_json::from_slice(body).map_err(|e| format!("raw decode: {e}"))?;
    let number = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    Ok(RawResponse {
        body,
        index: etcd_index(headers).ok_or("no X-Etcd-Index")?,
        raft_index: number("x-raft-index"),
        raft_term: number("x-raft-term"),
        cluster_id: headers.get("x-etcd-cluster-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
    })
}
