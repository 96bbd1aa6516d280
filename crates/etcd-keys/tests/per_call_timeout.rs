//! `KeysApi::with_timeout` against scripted slow servers on loopback: the call ends in `DeadlineExceeded` at its
//! budget, the budget replaces the client's `call_timeout` (longer too), and it holds on a stack of the user's.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use etcd_keys::{Client, KeysApi};
use etcd_transport::{Body, RequestBody};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const GET_FOO: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 7\r\n\
Content-Length: 87\r\n\r\n{\"action\":\"get\",\"node\":{\"key\":\"/foo\",\"value\":\"bar\",\"modifiedIndex\":7,\"createdIndex\":7}}";

/// A server that reads each request, waits `delay`, then answers `GET_FOO` (never, with `None`).
async fn slow_server(delay: Option<Duration>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok(1..) = socket.read(&mut buf).await {
                    let Some(delay) = delay else { continue };
                    tokio::time::sleep(delay).await;
                    if socket.write_all(GET_FOO).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    endpoint
}

#[tokio::test]
async fn a_call_past_its_budget_ends_in_deadline_exceeded() {
    let endpoint = slow_server(None).await;
    let keys = KeysApi::new(Client::builder([endpoint]).without_header_timeout().build().unwrap());
    let quick = keys.with_timeout(Duration::from_millis(200));
    assert_eq!((keys.timeout(), quick.timeout()), (None, Some(Duration::from_millis(200))));

    let started = Instant::now();
    let error = quick.get("/foo", None).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(error.is_deadline_exceeded(), "{error}");
    assert!(error.to_string().contains("200ms"), "{error}");
    assert!(elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(2), "{elapsed:?}");

    // A write too, and the original handle is unbounded still (checked by racing it against a longer timer).
    let error = quick.set("/foo", "bar", None).await.unwrap_err();
    assert!(error.is_deadline_exceeded(), "{error}");
    let unbounded = tokio::time::timeout(Duration::from_millis(600), keys.get("/foo", None)).await;
    assert!(unbounded.is_err(), "the handle without a budget ended: {unbounded:?}");
}

#[tokio::test]
async fn the_budget_replaces_the_clients_call_timeout_longer_or_shorter() {
    let endpoint = slow_server(Some(Duration::from_millis(400))).await;
    let client = Client::builder([endpoint]).call_timeout(Duration::from_millis(150)).build().unwrap();
    let keys = KeysApi::new(client);

    let error = keys.get("/foo", None).await.unwrap_err();
    assert!(error.is_deadline_exceeded() && error.to_string().contains("150ms"), "{error}");

    let response = keys.with_timeout(Duration::from_secs(5)).get("/foo", None).await.unwrap();
    assert_eq!((response.node.value.as_str(), response.index), ("bar", 7));

    let error = keys.with_timeout(Duration::from_millis(50)).get("/foo", None).await.unwrap_err();
    assert!(error.is_deadline_exceeded() && error.to_string().contains("50ms"), "{error}");
}

#[tokio::test]
async fn the_budget_holds_on_a_stack_without_the_deadline_layer() {
    let never = tower::service_fn(|_request: http::Request<RequestBody>| {
        std::future::pending::<Result<http::Response<Body>, Infallible>>()
    });
    let keys = KeysApi::new(Client::new(never)).with_timeout(Duration::from_millis(100));
    let error = tokio::time::timeout(Duration::from_secs(5), keys.get("/foo", None)).await.unwrap().unwrap_err();
    assert!(error.is_deadline_exceeded(), "{error}");
}
