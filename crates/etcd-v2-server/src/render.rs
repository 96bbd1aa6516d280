//! Outcomes rendered as etcd's exact answers: status, headers, JSON body.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use etcd_transport::Body;
use http::header::{ALLOW, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body::Frame;

use crate::error::V2Error;
use crate::event::{Action, Event};
use crate::store::{Applied, EventStream, StoreError, Watch};

/// `X-Etcd-Cluster-Id`.
pub const X_ETCD_CLUSTER_ID: HeaderName = HeaderName::from_static("x-etcd-cluster-id");
/// `X-Etcd-Index`.
pub const X_ETCD_INDEX: HeaderName = HeaderName::from_static("x-etcd-index");
/// `X-Raft-Index`.
pub const X_RAFT_INDEX: HeaderName = HeaderName::from_static("x-raft-index");
/// `X-Raft-Term`.
pub const X_RAFT_TERM: HeaderName = HeaderName::from_static("x-raft-term");

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// An etcd member ID as etcd writes it: lowercase hex, no padding.
pub fn format_id(id: u64) -> String {
    format!("{id:x}")
}

fn number(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

fn json_response(status: StatusCode, cluster_id: Option<u64>, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, JSON);
    if let Some(id) = cluster_id {
        // Hex digits are valid header text.
        if let Ok(value) = HeaderValue::from_str(&format_id(id)) {
            response.headers_mut().insert(X_ETCD_CLUSTER_ID, value);
        }
    }
    response
}

/// A keys operation's answer: 201 for a creation, else 200; the three index headers; the event as JSON (for
/// `noValueOnSuccess`, a write's action alone).
pub fn render_applied(applied: &Applied, cluster_id: u64, no_value_on_success: bool, head: bool) -> Response<Body> {
    let status = if applied.event.is_created() { StatusCode::CREATED } else { StatusCode::OK };
    let body = if head {
        String::new()
    } else if no_value_on_success
        && matches!(applied.event.action, Action::Set | Action::CompareAndSwap | Action::Create | Action::Update)
    {
        let bare = Event { node: None, prev_node: None, ..applied.event.clone() };
        event_line(&bare)
    } else {
        event_line(&applied.event)
    };
    let mut response = json_response(status, Some(cluster_id), body);
    let headers = response.headers_mut();
    headers.insert(X_ETCD_INDEX, number(applied.etcd_index));
    headers.insert(X_RAFT_INDEX, number(applied.raft_index));
    headers.insert(X_RAFT_TERM, number(applied.raft_term));
    response
}

/// An event as one line of JSON, as Go's `json.Encoder` writes it.
pub fn event_line(event: &Event) -> String {
    let mut line = crate::json::to_go_json(event);
    line.push('\n');
    line
}

/// etcd's answer for a v2 error: its status, `X-Etcd-Index`, and the error's JSON.
pub fn render_error(error: &V2Error, cluster_id: Option<u64>) -> Response<Body> {
    let mut response = json_response(error.status(), cluster_id, error.to_json());
    response.headers_mut().insert(X_ETCD_INDEX, number(error.index));
    response
}

/// etcd's `HTTPError` (members, stats): `{"message":...}`, no newline.
pub fn render_http_error(status: StatusCode, message: &str, cluster_id: Option<u64>) -> Response<Body> {
    #[derive(serde::Serialize)]
    struct Wire<'a> {
        message: &'a str,
    }
    json_response(status, cluster_id, crate::json::to_go_json(&Wire { message }))
}

/// A JSON answer with etcd's trailing newline (`json.Encoder`).
pub fn render_json<T: serde::Serialize>(status: StatusCode, cluster_id: Option<u64>, value: &T) -> Response<Body> {
    let mut body = crate::json::to_go_json(value);
    body.push('\n');
    json_response(status, cluster_id, body)
}

/// Go's `http.Error`: plain text with a newline.
pub fn render_text(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(format!("{text}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

/// Go's answer to a method a handler does not allow: 405 with the methods it does.
pub fn render_method_not_allowed(allowed: &'static str) -> Response<Body> {
    let mut response = render_text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    response.headers_mut().insert(ALLOW, HeaderValue::from_static(allowed));
    response
}

/// A watch's answer: 200 and the headers at once, then each event as a line (the first only unless `stream`).
pub fn render_watch(watch: Watch, cluster_id: u64, stream: bool) -> Response<Body> {
    let body = Body::new(EventBody { events: Some(watch.events), stream });
    let mut response = Response::new(body);
    *response.extensions_mut() = watch.extensions;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, JSON);
    if let Ok(value) = HeaderValue::from_str(&format_id(cluster_id)) {
        headers.insert(X_ETCD_CLUSTER_ID, value);
    }
    headers.insert(X_ETCD_INDEX, number(watch.etcd_index));
    headers.insert(X_RAFT_INDEX, number(watch.raft_index));
    headers.insert(X_RAFT_TERM, number(watch.raft_term));
    response
}

/// A body of event lines; dropping it drops the stream, which ends the watch in the store.
struct EventBody {
    events: Option<EventStream>,
    stream: bool,
}

impl http_body::Body for EventBody {
    type Data = Bytes;
    type Error = StoreError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, StoreError>>> {
        let Some(events) = self.events.as_mut() else { return Poll::Ready(None) };
        match events.as_mut().poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.events = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => {
                self.events = None;
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(Some(Ok(event))) => {
                if !self.stream {
                    self.events = None;
                }
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(event_line(&event))))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.events.is_none()
    }
}
