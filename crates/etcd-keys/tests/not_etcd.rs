//! Servers that are not etcd, or that break mid-answer, scripted on loopback: the keys API answers each with a
//! clear, typed error that names the endpoint, and never a panic or a silent replay of a write.

use std::time::Duration;

use etcd_keys::{AttemptFailure, Client, Error, InvalidResponseKind, KeysApi};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `answer` (raw bytes, then close) to every connection; returns the endpoint URL.
async fn serve(answer: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                // Read the request head before answering, as a server would.
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    endpoint
}

fn keys(endpoint: &str) -> KeysApi {
    KeysApi::new(Client::builder([endpoint]).header_timeout_per_request(Duration::from_secs(5)).build().unwrap())
}

fn invalid(result: Result<etcd_keys::Response, Error>, endpoint: &str) -> etcd_keys::InvalidResponse {
    match result {
        Err(Error::InvalidResponse(e)) => {
            assert_eq!(e.endpoint(), Some(endpoint), "names the endpoint: {e}");
            assert!(e.to_string().contains(endpoint), "{e}");
            e
        }
        other => panic!("expected an invalid response, got {other:?}"),
    }
}

#[tokio::test]
async fn a_web_server_that_is_not_etcd() {
    let endpoint =
        serve(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\n<html>hello</html>\r\n\r\n")
            .await;
    let e = invalid(keys(&endpoint).get("/foo", None).await, &endpoint);
    assert_eq!(e.kind(), InvalidResponseKind::Json);
    assert!(e.excerpt().starts_with("<html>hello"), "{e}");

    let endpoint = serve(b"HTTP/1.1 404 Not Found\r\nContent-Length: 19\r\n\r\n404 page not found\n").await;
    let e = invalid(keys(&endpoint).get("/foo", None).await, &endpoint);
    assert_eq!(e.kind(), InvalidResponseKind::UnexpectedStatus);
    assert_eq!(e.status(), 404);
}

#[tokio::test]
async fn json_without_etcd_headers_or_broken_json() {
    let endpoint =
        serve(b"HTTP/1.1 200 OK\r\nContent-Length: 36\r\n\r\n{\"action\":\"get\",\"node\":{\"key\":\"/a\"}}").await;
    let e = invalid(keys(&endpoint).get("/a", None).await, &endpoint);
    assert_eq!(e.kind(), InvalidResponseKind::MissingHeader("X-Etcd-Index"));

    let endpoint =
        serve(b"HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nContent-Length: 20\r\n\r\n{\"action\":\"get\",\"nod").await;
    let e = invalid(keys(&endpoint).get("/a", None).await, &endpoint);
    assert_eq!(e.kind(), InvalidResponseKind::Json);
}

#[tokio::test]
async fn a_body_cut_short_keeps_the_status_of_the_applied_write() {
    let endpoint = serve(
        b"HTTP/1.1 201 Created\r\nX-Etcd-Index: 5\r\nContent-Length: 400\r\n\r\n{\"action\":\"create\",\"node\":",
    )
    .await;
    let e = invalid(keys(&endpoint).create("/a", "v").await, &endpoint);
    assert_eq!(e.kind(), InvalidResponseKind::Body);
    assert_eq!(e.status(), 201, "the write was applied; only its answer was lost");
}

#[tokio::test]
async fn a_refused_connection_is_a_cluster_error_naming_the_endpoint() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = keys(&endpoint).create("/a", "v").await.unwrap_err();
    let cluster = error.as_cluster().unwrap_or_else(|| panic!("{error}"));
    assert_eq!(cluster.errors()[0].endpoint(), endpoint);
    assert!(matches!(cluster.errors()[0].failure(), AttemptFailure::Connect(_)), "{error}");
    assert!(error.report().to_string().contains("refused"), "{error}");
}

#[tokio::test]
async fn a_connection_closed_without_an_answer() {
    let endpoint = serve(b"").await;
    // A read may go elsewhere; with one endpoint it ends as a cluster error.
    let error = keys(&endpoint).get("/a", None).await.unwrap_err();
    assert!(error.is_cluster(), "{error}");
    // A create may have been applied: it is not replayed, and the error says so.
    let error = keys(&endpoint).create_in_order("/q", "job", None).await.unwrap_err();
    match &error {
        Error::OutcomeUnknown(e) => assert_eq!(e.endpoint(), endpoint),
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
}

/// Dropping a call's future cancels it: the connection it used is closed, not left waiting or reused.
#[tokio::test]
async fn dropping_a_call_closes_its_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (got_request_tx, got_request_rx) = tokio::sync::oneshot::channel();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = socket.read(&mut buf).await.unwrap();
        let _ = got_request_tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
        // Never answer; report when the client closes the connection.
        let closed = matches!(socket.read(&mut buf).await, Ok(0) | Err(_));
        let _ = closed_tx.send(closed);
    });
    let keys = KeysApi::new(Client::builder([endpoint.as_str()]).without_header_timeout().build().unwrap());
    let call = tokio::spawn(async move { keys.get("/slow", None).await });
    let request = tokio::time::timeout(Duration::from_secs(5), got_request_rx).await.unwrap().unwrap();
    assert!(request.starts_with("GET /v2/keys/slow"), "{request}");
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    let closed = tokio::time::timeout(Duration::from_secs(5), closed_rx).await.expect("the connection closes").unwrap();
    assert!(closed);
}
