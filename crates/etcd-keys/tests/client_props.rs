//! Property tests of the client path: a mock transport answers every request with an arbitrary status, headers
//! and body (in arbitrary pieces), and every keys call and watcher gives a value or a typed error, never a panic
//! or a hang. Time is paused (tokio's test clock), so backoffs and timeouts cost nothing and "never a hang" means
//! within a generous virtual bound.
//!
//! The default case count keeps `cargo test` fast; for a longer run set `PROPTEST_CASES`, for example
//! `PROPTEST_CASES=20000 cargo test -p etcd-keys --test client_props`.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use etcd_keys::{Client, CreateInOrderOptions, DeleteOptions, Error, GetOptions, KeysApi, SetOptions, WatcherOptions};
use etcd_transport::{Body, RequestBody};
use futures_util::StreamExt as _;
use http::{HeaderName, HeaderValue, Request};
use proptest::prelude::*;

/// One scripted answer, given to every request.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, Vec<u8>)>,
    pieces: Vec<Vec<u8>>,
    /// Whether the body ends after its pieces, or stays open (a stream).
    ends: bool,
}

impl Answer {
    fn response(&self) -> http::Response<Body> {
        let mut response = http::Response::builder().status(self.status);
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                response = response.header(HeaderName::from_static(name), value);
            }
        }
        let frames =
            self.pieces.clone().into_iter().map(|p| Ok::<_, Infallible>(http_body::Frame::data(Bytes::from(p))));
        let body = if self.ends {
            Body::new(http_body_util::StreamBody::new(futures_util::stream::iter(frames)))
        } else {
            let open = futures_util::stream::iter(frames).chain(futures_util::stream::pending());
            Body::new(http_body_util::StreamBody::new(open))
        };
        response.body(body).unwrap()
    }
}

const EVENT: &str = r#"{"action":"set","node":{"key":"/k","value":"v","modifiedIndex":7,"createdIndex":7}}"#;

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => Just(format!("{EVENT}\n").into_bytes()),
        1 => Just(EVENT.as_bytes().to_vec()),
        1 => Just(b"\n".to_vec()),
        1 => Just(
            br#"{"errorCode":401,"message":"The event in requested index is outdated and cleared","index":9}"#.to_vec()
        ),
        1 => Just(format!(r#"{{"action":"set","node":{{"key":"/k","modifiedIndex":{}}}}}"#, u64::MAX).into_bytes()),
        1 => Just(br#"{"action":"get","node":{"key":"/d","dir":true,"nodes":null}}"#.to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..48),
        1 => "[{}\\[\\]\":,a-z0-9 \n]{0,48}".prop_map(String::into_bytes),
    ]
}

fn answer() -> impl Strategy<Value = Answer> {
    let status = prop_oneof![
        6 => Just(200u16),
        1 => Just(201),
        1 => Just(307),
        1 => Just(400),
        1 => Just(404),
        1 => Just(500),
        1 => 100u16..1000,
    ];
    let index = prop_oneof![
        4 => Just(b"5".to_vec()),
        1 => any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..8),
    ];
    let header = prop_oneof![
        (
            Just("x-etcd-index"),
            prop_oneof![
                any::<u64>().prop_map(|n| n.to_string().into_bytes()),
                Just(b"5".to_vec()),
                prop::collection::vec(any::<u8>(), 0..8)
            ]
        ),
        (Just("x-etcd-cluster-id"), "[0-9a-f]{0,20}".prop_map(String::into_bytes)),
        (
            Just("location"),
            prop_oneof![
                Just(b"/v2/keys/k".to_vec()),
                Just(b"http://other:1/x".to_vec()),
                prop::collection::vec(any::<u8>(), 0..16)
            ]
        ),
        (Just("x-raft-term"), prop::collection::vec(any::<u8>(), 0..8)),
    ];
    (status, index, prop::collection::vec(header, 0..4), prop::collection::vec(piece(), 0..6), any::<bool>()).prop_map(
        |(status, index, mut headers, pieces, ends)| {
            headers.insert(0, ("x-etcd-index", index));
            Answer { status, headers, pieces, ends }
        },
    )
}

fn keys_over(answer: Answer, full_stack: bool) -> KeysApi {
    let transport = tower::service_fn(move |_: Request<RequestBody>| {
        let response = answer.response();
        async move { Ok::<_, Infallible>(response) }
    });
    let client = if full_stack {
        // The whole default stack: failover over two endpoints, header timeout, redirects.
        Client::builder(["http://a:1", "http://b:2"]).transport(transport).build().unwrap()
    } else {
        Client::new(transport)
    };
    KeysApi::new(client)
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap()
}

/// A generous virtual bound: with time paused, a call that waits on a timer gets there at once.
const BOUND: Duration = Duration::from_secs(600);

fn check_call(result: Result<etcd_keys::Response, Error>, status: u16) -> Result<(), TestCaseError> {
    match result {
        Ok(_) => prop_assert!(status == 200 || status == 201, "success from status {status}"),
        Err(error) => {
            let _ = (error.to_string(), error.code(), error.is_timeout());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn keys_calls_give_a_value_or_a_typed_error(mut answer in answer(), full_stack in any::<bool>()) {
        // A call reads its body to the end; a body that never ends is the lead's body timeout, not this test's.
        answer.ends = true;
        let status = answer.status;
        let keys = keys_over(answer, full_stack);
        paused_runtime().block_on(async {
            let calls = async {
                check_call(keys.get("/k", Some(GetOptions::new().with_recursive())).await, status)?;
                check_call(keys.set("/k", "v", Some(SetOptions::new().with_ttl(Duration::from_secs(5)))).await, status)?;
                check_call(keys.create("/k", "v").await, status)?;
                check_call(keys.create_in_order("/q", "v", Some(CreateInOrderOptions::new())).await, status)?;
                check_call(keys.delete("/k", Some(DeleteOptions::new().with_prev_index(3))).await, status)?;
                Ok::<_, TestCaseError>(())
            };
            tokio::time::timeout(BOUND, calls).await.map_err(|_| TestCaseError::fail("a call hung"))?
        })?;
    }

    #[test]
    fn watchers_give_events_or_typed_errors(answer in answer(), full_stack in any::<bool>(), recover in any::<bool>()) {
        let keys = keys_over(answer, full_stack);
        paused_runtime().block_on(async {
            let mut options = WatcherOptions::new().with_max_event_size(4096);
            if recover {
                options = options.with_recovery_when_cleared();
            }
            let mut watcher = keys.watcher("/k", Some(options));
            let mut last = None;
            for _ in 0..4 {
                // A quiet stream may wait for ever (that is a watch); an item, an end or a wait is fine, a panic
                // or a busy loop (which never lets the paused clock advance) is not.
                match tokio::time::timeout(BOUND, watcher.next()).await {
                    Ok(Some(Ok(event))) => {
                        prop_assert!(last.is_none_or(|last| event.index > last), "events in index order, once");
                        last = Some(event.index);
                    }
                    Ok(Some(Err(error))) => {
                        let _ = error.to_string();
                    }
                    Ok(None) | Err(_) => break,
                }
            }
            Ok(())
        })?;
    }
}
