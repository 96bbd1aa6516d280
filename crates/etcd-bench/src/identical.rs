//! The fairness check: the library and the raw baseline send byte-identical requests (method, absolute URI,
//! headers, body). The library's requests are captured where its stack hands them to the transport, which is
//! where the raw baseline hands its own to the same hyper-util client; what hyper adds (`host`,
//! `content-length`) it adds to both alike.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use etcd_keys::{GetOptions, KeysApi};
use etcd_transport::{Body, RequestBody};
use http::{HeaderMap, Method, Request, Response, Uri};

use crate::data::{Data, LIST_DIR};
use crate::raw;

/// What a request looks like on the wire, save what hyper adds.
#[derive(Debug, PartialEq, Eq)]
struct WireRequest {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl WireRequest {
    fn of<B: AsRef<[u8]>>(request: Request<B>) -> WireRequest {
        let (parts, body) = request.into_parts();
        let body = Bytes::copy_from_slice(body.as_ref());
        WireRequest { method: parts.method, uri: parts.uri, headers: parts.headers, body }
    }
}

/// Checks that the library's get, set and recursive get of the workloads are the raw baseline's requests.
///
/// # Errors
/// A description of the first difference.
pub async fn check(endpoint: &str, data: &Data) -> Result<(), String> {
    let captured: Arc<Mutex<Vec<WireRequest>>> = Arc::default();
    let recorder = {
        let captured = captured.clone();
        tower::service_fn(move |request: Request<RequestBody>| {
            captured.lock().expect("not poisoned").push(WireRequest::of(request));
            let mut response = Response::new(Body::from(r#"{"action":"get","node":{"key":"/k","value":"v"}}"#));
            response.headers_mut().insert("x-etcd-index", http::HeaderValue::from_static("1"));
            async move { Ok::<_, Infallible>(response) }
        })
    };
    let client = etcd_keys::Client::builder([endpoint]).transport(recorder).build().map_err(|e| e.to_string())?;
    let keys = KeysApi::new(client);
    let mut expected = Vec::new();
    for k in [0, data.small_keys.len() - 1] {
        keys.get(&data.small_keys[k], None).await.map_err(|e| e.to_string())?;
        expected.push(WireRequest::of(raw::get_request(&data.small_uris[k])));
        keys.set(&data.small_keys[k], &data.small_values[k], None).await.map_err(|e| e.to_string())?;
        expected.push(WireRequest::of(raw::set_request(&data.small_uris[k], &data.small_forms[k])));
    }
    keys.get(LIST_DIR, Some(GetOptions::new().with_recursive())).await.map_err(|e| e.to_string())?;
    expected.push(WireRequest::of(raw::get_request(&data.list_uri)));

    let captured = std::mem::take(&mut *captured.lock().expect("not poisoned"));
    if captured.len() != expected.len() {
        return Err(format!("the client sent {} requests for {} calls", captured.len(), expected.len()));
    }
    for (ours, theirs) in captured.iter().zip(&expected) {
        if ours != theirs {
            return Err(format!(
                "the client's request differs from the baseline's:\n  client: {ours:?}\n  raw:    {theirs:?}"
            ));
        }
    }
    Ok(())
}
