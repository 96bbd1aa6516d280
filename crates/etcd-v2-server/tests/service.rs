//! `V2Service` over a store of a test's own: what a store returns, rendered as etcd answers it.

use std::sync::Mutex;

use etcd_transport::{Body, RequestBody};
use etcd_v2_server::{
    Action, Applied, ErrorCode, Event, KeyOperation, Member, NodeView, StatsKind, StoreError, V2Error, V2Service,
    V2Store, Watch, WatchRequest,
};
use http::Request;
use tower::ServiceExt;

/// Answers every write with a set of `/k` at index 8, records the operations, and fails `/down`.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<KeyOperation>>,
}

fn node(value: &str) -> NodeView {
    NodeView { key: "/k".into(), value: Some(value.into()), modified_index: 8, created_index: 8, ..NodeView::default() }
}

impl V2Store for Recorder {
    async fn apply(&self, operation: KeyOperation) -> Result<Applied, StoreError> {
        if operation.key() == "/down" {
            return Err(StoreError::Unavailable("the backend is gone".into()));
        }
        if operation.key() == "/missing" {
            return Err(V2Error::new(ErrorCode::KeyNotFound, "/missing", 8).into());
        }
        self.seen.lock().unwrap().push(operation);
        let event = Event { action: Action::Set, node: Some(node("v")), prev_node: None, refresh: false };
        Ok(Applied { event, etcd_index: 8, raft_index: 20, raft_term: 3 })
    }

    async fn watch(&self, request: WatchRequest) -> Result<Watch, StoreError> {
        assert!(request.stream && request.recursive && request.wait_index == 5, "{request:?}");
        let events =
            (0..2).map(|_| Ok(Event { action: Action::Set, node: Some(node("w")), prev_node: None, refresh: false }));
        Ok(Watch {
            etcd_index: 7,
            raft_index: 20,
            raft_term: 3,
            events: Box::pin(Iter(events.collect())),
            extensions: http::Extensions::new(),
        })
    }

    fn cluster_id(&self) -> u64 {
        0xabc
    }

    async fn members(&self) -> Result<Vec<Member>, StoreError> {
        Ok(vec![Member { id: "1".into(), name: "a".into(), peer_urls: vec![], client_urls: vec!["http://x".into()] }])
    }

    async fn leader(&self) -> Result<Option<Member>, StoreError> {
        Ok(None)
    }

    async fn health(&self) -> Result<(), String> {
        Err("RAFT NO LEADER".into())
    }

    async fn stats(&self, _kind: StatsKind) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
}

/// A stream over a list, without futures-util.
struct Iter(std::collections::VecDeque<Result<Event, StoreError>>);

impl futures_core::Stream for Iter {
    type Item = Result<Event, StoreError>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.pop_front())
    }
}

async fn call(service: &V2Service<Recorder>, request: Request<RequestBody>) -> (u16, http::HeaderMap, String) {
    let response = service.clone().oneshot(request).await.unwrap();
    let (parts, body): (_, Body) = response.into_parts();
    let text = String::from_utf8(body.bytes().await.unwrap().to_vec()).unwrap();
    (parts.status.as_u16(), parts.headers, text)
}

fn put(uri: &str, form: &'static str) -> Request<RequestBody> {
    Request::put(uri).header("content-type", "application/x-www-form-urlencoded").body(RequestBody::from(form)).unwrap()
}

#[tokio::test]
async fn a_write_is_parsed_applied_and_rendered_with_etcds_headers() {
    let service = V2Service::new(Recorder::default());
    let (status, headers, body) = call(&service, put("/v2/keys/k?prevExist=true", "value=v&ttl=5")).await;
    assert_eq!(status, 201, "a set without a previous node is a creation");
    assert_eq!(
        body,
        "{\"action\":\"set\",\"node\":{\"key\":\"/k\",\"value\":\"v\",\"modifiedIndex\":8,\"createdIndex\":8}}\n"
    );
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    assert_eq!(
        [header("x-etcd-cluster-id"), header("x-etcd-index"), header("x-raft-index"), header("x-raft-term")],
        ["abc", "8", "20", "3"]
    );
    let seen = service.store().seen.lock().unwrap().clone();
    assert!(matches!(&seen[..], [KeyOperation::Update { ttl, .. }] if ttl.seconds == Some(5)), "{seen:?}");

    let (_, _, quiet) = call(&service, put("/v2/keys/k?noValueOnSuccess=true", "value=v")).await;
    assert_eq!(quiet, "{\"action\":\"set\"}\n");
}

#[tokio::test]
async fn errors_are_etcds_and_an_unavailable_store_fails_the_call() {
    let service = V2Service::new(Recorder::default());
    let (status, headers, body) =
        call(&service, Request::get("/v2/keys/missing").body(RequestBody::empty()).unwrap()).await;
    assert_eq!((status, headers["x-etcd-index"].to_str().unwrap()), (404, "8"));
    assert_eq!(body, "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/missing\",\"index\":8}\n");
    let (status, _, body) = call(&service, put("/v2/keys/k?prevIndex=x", "value=1")).await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            "{\"errorCode\":203,\"message\":\"The given index in POST form is not a number\",\"cause\":\"invalid value for \\\"prevIndex\\\"\",\"index\":0}\n"
        )
    );
    let down = service.clone().oneshot(Request::get("/v2/keys/down").body(RequestBody::empty()).unwrap()).await;
    assert_eq!(down.unwrap_err().to_string(), "the backend is gone", "the store's own error, as the service's");
    let (status, headers, _) = call(&service, Request::patch("/v2/keys/k").body(RequestBody::empty()).unwrap()).await;
    assert_eq!((status, headers["allow"].to_str().unwrap()), (405, "HEAD,GET,PUT,POST,DELETE"));
}

#[tokio::test]
async fn a_stream_sends_each_event_as_a_line_and_the_cluster_endpoints_answer() {
    let service = V2Service::new(Recorder::default());
    let watch =
        Request::get("/v2/keys/k?wait=true&stream=true&recursive=true&waitIndex=5").body(RequestBody::empty()).unwrap();
    let (status, headers, body) = call(&service, watch).await;
    assert_eq!((status, headers["x-etcd-index"].to_str().unwrap()), (200, "7"));
    assert_eq!(body.lines().count(), 2, "{body}");
    let (status, _, body) =
        call(&service, Request::get("/v2/members/leader").body(RequestBody::empty()).unwrap()).await;
    assert_eq!((status, body.as_str()), (503, "{\"message\":\"During election\"}"));
    let (status, _, body) = call(&service, Request::get("/health").body(RequestBody::empty()).unwrap()).await;
    assert_eq!((status, body.as_str()), (503, "{\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}"));
    let (_, _, body) = call(&service, Request::get("/v2/machines").body(RequestBody::empty()).unwrap()).await;
    assert_eq!(body, "http://x");
}
