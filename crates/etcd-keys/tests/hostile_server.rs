//! Scripted hostile servers on loopback (etcd_testkit::ScriptedServer): huge headers, broken chunking, garbage
//! watch lines, redirect loops and redirects to another host. Each ends in a typed error, in bounded time, and
//! no credentials reach another host.

use std::time::Duration;

use etcd_keys::{Client, Error, InvalidResponseKind, KeysApi, WatcherOptions};
use etcd_testkit::{ScriptedRequest, ScriptedServer, Step};

const EVENT: &str = r#"{"action":"set","node":{"key":"/k","value":"v","modifiedIndex":6,"createdIndex":6}}"#;

fn keys(endpoint: &str) -> KeysApi {
    let client = Client::builder([endpoint]).header_timeout_per_request(Duration::from_secs(5)).build().unwrap();
    KeysApi::new(client)
}

/// Every call here must end well within this.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future).await.expect("bounded in time, never a hang")
}

#[tokio::test]
async fn huge_headers_are_a_typed_error() {
    // 2 MiB of one header, then 10,000 headers: past what the HTTP client reads of a head.
    let big = format!(
        "HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\n{{}}",
        "a".repeat(2 << 20)
    );
    let many = format!("HTTP/1.1 200 OK\r\n{}Content-Length: 2\r\n\r\n{{}}", "X-Many: 1\r\n".repeat(10_000));
    for answer in [big, many] {
        let server = ScriptedServer::start(move |_| vec![Step::text(answer.clone()), Step::Close]);
        let error = bounded(keys(&server.url()).get("/k", None)).await.unwrap_err();
        // The head could not be read: no endpoint answered (the attempt's failure names it).
        assert!(error.as_cluster().is_some() || error.is_invalid_response(), "{error:?}");
        assert!(error.to_string().contains(&server.url()), "{error}");
    }
}

#[tokio::test]
async fn broken_chunking_is_an_invalid_body() {
    let server = ScriptedServer::start(|_| {
        vec![
            Step::text("HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Step::chunk(&EVENT[..10]),
            Step::text("zz-not-a-size\r\n"),
            Step::Close,
        ]
    });
    // A read whose body broke is an attempt that failed (another member could answer): with one endpoint, a
    // cluster error naming it, whose failure is the invalid body.
    match bounded(keys(&server.url()).get("/k", None)).await {
        Err(Error::Cluster(cluster)) => {
            let [failed] = cluster.errors() else { panic!("one endpoint: {cluster}") };
            assert_eq!(failed.endpoint(), server.url());
            let etcd_keys::AttemptFailure::InvalidResponse(invalid) = failed.failure() else { panic!("{cluster}") };
            assert_eq!(invalid.kind(), InvalidResponseKind::Body, "{invalid}");
        }
        other => panic!("expected an invalid body, got {other:?}"),
    }
}

#[tokio::test]
async fn a_garbage_watch_line_is_a_json_error_naming_the_endpoint() {
    let server = ScriptedServer::start(|_| {
        vec![
            Step::text("HTTP/1.1 200 OK\r\nX-Etcd-Index: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Step::chunk("<html>not an event</html>\n"),
            Step::Stall(Duration::from_secs(30)),
        ]
    });
    let mut watcher = keys(&server.url()).watcher("/k", Some(WatcherOptions::new().without_liveness_probe()));
    match bounded(watcher.next()).await {
        Some(Err(Error::InvalidResponse(invalid))) => {
            assert_eq!(invalid.kind(), InvalidResponseKind::Json, "{invalid}");
            assert_eq!(invalid.endpoint(), Some(server.url().as_str()));
            assert!(invalid.excerpt().contains("not an event"), "{invalid}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_redirect_loop_ends_after_the_limit_with_a_typed_error() {
    let server = ScriptedServer::start(|request| {
        let answer =
            format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n", request.target());
        vec![Step::text(answer)]
    });
    match bounded(keys(&server.url()).get("/k", None)).await {
        Err(Error::InvalidResponse(invalid)) => assert_eq!(invalid.status(), 307, "{invalid}"),
        other => panic!("expected the last redirect as an unexpected status, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 11, "the request and the 10 redirects the default policy follows");
}

#[tokio::test]
async fn a_redirect_to_another_host_gets_no_credentials() {
    let elsewhere = ScriptedServer::start(|_| {
        let body = EVENT;
        vec![Step::text(format!("HTTP/1.1 200 OK\r\nX-Etcd-Index: 6\r\nContent-Length: {}\r\n\r\n{body}", body.len()))]
    });
    // Same host, another port: another origin.
    let target = elsewhere.url();
    let member = ScriptedServer::start(move |request: &ScriptedRequest| {
        let location = format!("{target}{}", request.target());
        vec![Step::text(format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        ))]
    });
    let client = Client::builder([member.url()])
        .basic_auth("root", "s3cret")
        .header_timeout_per_request(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = bounded(KeysApi::new(client).get("/k", None)).await.unwrap();
    assert_eq!(response.node.value, "v");
    assert!(member.requests()[0].header("authorization").is_some(), "the member itself gets the credentials");
    let redirected = elsewhere.requests();
    assert_eq!(redirected.len(), 1);
    assert_eq!(redirected[0].header("authorization"), None, "{:?}", redirected[0].head);
}
