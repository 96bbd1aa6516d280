//! Whether etcd still sends a stream everything: etcd drops a streaming watcher that falls behind without closing
//! its stream, so after events the loop asks the stream's member where its store is.

use std::time::Duration;

use etcd_core::decode::X_ETCD_INDEX;
use etcd_transport::Endpoint;
use http::StatusCode;

use crate::key::KeyBase;
use crate::request;

/// How long the check after events may take without a liveness probe configured: a member that does not answer
/// it in time is left, as a probe that failed would.
pub(super) const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// What the member serving a stream says of the watch's next index.
pub(super) enum StreamCheck {
    /// Its store has not reached the next index: no event can have been missed.
    UpToDate,
    /// Its store moved past the next index: events of the watched key may be among them, and the stream may
    /// have been dropped; a new stream from the next index gets them from etcd's history, once each.
    MayBeBehind,
    /// It did not answer within the timeout, or failed: the stream's member is unwell.
    NoAnswer,
}

/// Asks the member serving a stream (the client's pinned one when the stream's is not known), with a plain wait at the next index, for its store's index
/// (`X-Etcd-Index`, sent with the headers at once whether the wait answers from history or waits), and compares.
///
/// Why not wait for the body: whether it comes from history at once or only after a later event cannot be told
/// apart by time on a slow link; the index can. A store that moved on for other keys only makes the watch open a
/// new stream, which costs a request and loses nothing.
pub(super) async fn check_stream(
    client: &etcd_transport::Client,
    base: &KeyBase,
    key: &str,
    recursive: bool,
    next_index: u64,
    endpoint: Option<&Endpoint>,
    timeout: Duration,
) -> StreamCheck {
    let wait_index = Some(next_index).filter(|&index| index > 0);
    let Ok(mut request) = request::wait_once(base, key, recursive, wait_index) else {
        return StreamCheck::MayBeBehind;
    };
    if let Some(endpoint) = endpoint {
        request.extensions_mut().insert(etcd_transport::rotation::SendTo(endpoint.clone()));
    }
    let response = match tokio::time::timeout(timeout, client.send(request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) | Err(_) => return StreamCheck::NoAnswer,
    };
    if response.status() != StatusCode::OK {
        // An error (such as the index cleared) is for a new stream to meet and report.
        return StreamCheck::MayBeBehind;
    }
    // Dropping the response closes the wait's connection: nothing else is read.
    let index = response.headers().get(&X_ETCD_INDEX).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    match index {
        Some(index) if index < next_index => StreamCheck::UpToDate,
        _ => StreamCheck::MayBeBehind,
    }
}
