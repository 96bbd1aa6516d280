//! The watch's own errors: etcd's refusal of a watch, read bounded; an index with no next one; the endpoint named.

use std::time::Duration;

use etcd_core::{Error, InvalidResponse, InvalidResponseKind, decode};
use etcd_transport::{Body, Endpoint};
use http::StatusCode;
use http_body_util::BodyExt;

/// An index at `u64::MAX` leaves no next index to wait from. etcd's indexes count writes and never get there: the
/// answer is not etcd's, and the watch ends with it rather than wrapping to 0 and replaying history.
pub(super) fn no_index_after(kind: InvalidResponseKind, what: &str) -> Error {
    InvalidResponse::new(kind, StatusCode::OK, b"")
        .with_source(format!("{what} is {}, which leaves no next index to watch from", u64::MAX))
        .into()
}

/// etcd's refusal of a watch, from the body of a non-200 answer: a long poll's body is not read whole by the
/// transport, so it is bounded here, in size and time (etcd's error bodies are a few hundred bytes, sent with the
/// headers).
pub(super) async fn read_refusal(status: StatusCode, body: Body) -> Error {
    const LIMIT: usize = 64 * 1024;
    const TIMEOUT: Duration = Duration::from_secs(5);
    let read = http_body_util::Limited::new(body, LIMIT).collect();
    match tokio::time::timeout(TIMEOUT, read).await {
        Ok(Ok(collected)) => decode::error(status, &collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            InvalidResponse::new(InvalidResponseKind::TooLarge, status, b"").with_source(e).into()
        }
        Ok(Err(e)) => InvalidResponse::new(InvalidResponseKind::Body, status, b"").with_source(e).into(),
        Err(_) => {
            let source = format!("no whole body within {TIMEOUT:?}");
            InvalidResponse::new(InvalidResponseKind::BodyTimeout, status, b"").with_source(source).into()
        }
    }
}

pub(super) fn with_endpoint(error: Error, endpoint: Option<&Endpoint>) -> Error {
    match endpoint {
        Some(endpoint) => error.with_endpoint(endpoint.as_str()),
        None => error,
    }
}
