//! The exact HTTP request of every keys call and option, through a recording mock transport, and the decoding of
//! the answers a mock gives back. What etcd does with these requests is tested against a real etcd in
//! `keys_against_etcd.rs`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use etcd_keys::{
    Client, CreateInOrderOptions, DeleteOptions, Error, GetOptions, InvalidRequestKind, InvalidResponseKind, KeysApi,
    PrevExist, SetOptions,
};
use etcd_transport::{Body, Idempotency, RequestBody};
use http::{Request, Response, StatusCode};

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    uri: String,
    content_type: Option<String>,
    body: String,
    idempotency: Option<Idempotency>,
}

/// A client whose transport records each request and answers `status` with `body` and an `X-Etcd-Index`.
fn recording(status: u16, body: &'static str) -> (KeysApi, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let client = Client::new(tower::service_fn(move |request: Request<RequestBody>| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(Seen {
                method: request.method().to_string(),
                uri: request.uri().to_string(),
                content_type: request.headers().get(http::header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()),
                body: String::from_utf8(request.body().as_bytes().to_vec()).unwrap(),
                idempotency: request.extensions().get::<Idempotency>().copied(),
            });
            let response =
                Response::builder().status(status).header("x-etcd-index", "42").body(Body::from(body)).unwrap();
            Ok::<_, std::convert::Infallible>(response)
        }
    }));
    (KeysApi::new(client), seen)
}

const OK: &str = r#"{"action":"set","node":{"key":"/k","value":"v","modifiedIndex":42,"createdIndex":42}}"#;

fn last(seen: &Arc<Mutex<Vec<Seen>>>) -> Seen {
    seen.lock().unwrap().pop().expect("a request was sent")
}

fn form_of(seen: &Seen) -> Option<&str> {
    seen.content_type.as_deref()
}

#[tokio::test]
async fn get_sends_only_the_flags_asked_for() {
    let (keys, seen) = recording(200, OK);
    keys.get("/foo", None).await.unwrap();
    let s = last(&seen);
    assert_eq!((s.method.as_str(), s.uri.as_str(), s.body.as_str()), ("GET", "/v2/keys/foo", ""));
    assert_eq!(s.idempotency, Some(Idempotency::Read));
    assert_eq!(form_of(&s), None);

    keys.get("dir", Some(GetOptions::new().with_recursive().with_sort().with_quorum())).await.unwrap();
    assert_eq!(last(&seen).uri, "/v2/keys/dir?recursive=true&sorted=true&quorum=true");
}

#[tokio::test]
async fn set_puts_the_value_in_the_form_and_conditions_in_the_query() {
    let (keys, seen) = recording(200, OK);
    keys.set("/foo", "bar baz&=", None).await.unwrap();
    let s = last(&seen);
    assert_eq!((s.method.as_str(), s.uri.as_str()), ("PUT", "/v2/keys/foo"));
    assert_eq!(s.body, "value=bar+baz%26%3D");
    assert_eq!(form_of(&s), Some("application/x-www-form-urlencoded"));
    assert_eq!(s.idempotency, Some(Idempotency::IdempotentWrite));

    let options = SetOptions::new()
        .with_prev_value("old value")
        .with_prev_index(7)
        .with_ttl(Duration::from_millis(2_500))
        .with_no_value_on_success();
    keys.set("/foo", "new", Some(options)).await.unwrap();
    let s = last(&seen);
    assert_eq!(s.uri, "/v2/keys/foo?prevValue=old+value&prevIndex=7&noValueOnSuccess=true");
    assert_eq!(s.body, "value=new&ttl=3");
    assert_eq!(s.idempotency, Some(Idempotency::NonIdempotentWrite));
}

#[tokio::test]
async fn set_variants_dir_refresh_prev_exist_and_ttl_removal() {
    let (keys, seen) = recording(200, OK);

    keys.set("/d", "", Some(SetOptions::new().with_dir())).await.unwrap();
    let s = last(&seen);
    assert_eq!((s.uri.as_str(), s.body.as_str()), ("/v2/keys/d?dir=true", ""));

    keys.set("/d", "", Some(SetOptions::new().with_dir().with_ttl(Duration::from_secs(9)))).await.unwrap();
    let s = last(&seen);
    assert_eq!((s.uri.as_str(), s.body.as_str()), ("/v2/keys/d?dir=true", "ttl=9"));

    let refresh = SetOptions::new().with_refresh().with_ttl(Duration::from_secs(5)).with_prev_exist(PrevExist::Exists);
    keys.set("/k", "", Some(refresh)).await.unwrap();
    let s = last(&seen);
    assert_eq!((s.uri.as_str(), s.body.as_str()), ("/v2/keys/k?prevExist=true", "ttl=5&refresh=true"));

    keys.set("/k", "v", Some(SetOptions::new().with_ttl_removed())).await.unwrap();
    let s = last(&seen);
    assert_eq!((s.uri.as_str(), s.body.as_str()), ("/v2/keys/k?prevExist=true", "value=v&ttl="));
    assert_eq!(s.idempotency, Some(Idempotency::NonIdempotentWrite));

    keys.create("/k", "v").await.unwrap();
    let s = last(&seen);
    assert_eq!((s.method.as_str(), s.uri.as_str(), s.body.as_str()), ("PUT", "/v2/keys/k?prevExist=false", "value=v"));
    assert_eq!(s.idempotency, Some(Idempotency::NonIdempotentWrite));

    keys.update("/k", "v").await.unwrap();
    let s = last(&seen);
    assert_eq!((s.uri.as_str(), s.body.as_str()), ("/v2/keys/k?prevExist=true", "value=v"));
}

#[tokio::test]
async fn create_in_order_posts_to_the_directory() {
    let (keys, seen) = recording(
        201,
        r#"{"action":"create","node":{"key":"/q/00000000000000000042","value":"job","modifiedIndex":42,"createdIndex":42}}"#,
    );
    let response = keys.create_in_order("/q", "job", None).await.unwrap();
    assert_eq!(response.node.key, "/q/00000000000000000042");
    let s = last(&seen);
    assert_eq!((s.method.as_str(), s.uri.as_str(), s.body.as_str()), ("POST", "/v2/keys/q", "value=job"));
    assert_eq!(s.idempotency, Some(Idempotency::NonIdempotentWrite));

    keys.create_in_order("/q", "job", Some(CreateInOrderOptions::new().with_ttl(Duration::from_millis(10))))
        .await
        .unwrap();
    assert_eq!(last(&seen).body, "value=job&ttl=1");
}

#[tokio::test]
async fn delete_sends_conditions_and_directory_flags_in_the_query() {
    let (keys, seen) = recording(
        200,
        r#"{"action":"delete","node":{"key":"/k","modifiedIndex":43,"createdIndex":42},"prevNode":{"key":"/k","value":"v","modifiedIndex":42,"createdIndex":42}}"#,
    );
    let response = keys.delete("/k", None).await.unwrap();
    assert_eq!(response.prev_node.unwrap().value, "v");
    let s = last(&seen);
    assert_eq!((s.method.as_str(), s.uri.as_str(), s.body.as_str()), ("DELETE", "/v2/keys/k", ""));
    assert_eq!(s.idempotency, Some(Idempotency::NonIdempotentWrite));

    keys.delete("/k", Some(DeleteOptions::new().with_prev_value("v").with_prev_index(42))).await.unwrap();
    assert_eq!(last(&seen).uri, "/v2/keys/k?prevValue=v&prevIndex=42");
    keys.delete("/d", Some(DeleteOptions::new().with_recursive().with_dir())).await.unwrap();
    assert_eq!(last(&seen).uri, "/v2/keys/d?recursive=true&dir=true");
}

#[tokio::test]
async fn prefix_goes_before_every_key_and_keys_are_encoded() {
    let (keys, seen) = recording(200, OK);
    let keys = KeysApi::with_prefix(keys.client().clone(), "/my app");
    keys.get("a?b#c%d", None).await.unwrap();
    assert_eq!(last(&seen).uri, "/v2/keys/my%20app/a%3Fb%23c%25d");
    keys.get("/", None).await.unwrap();
    assert_eq!(last(&seen).uri, "/v2/keys/my%20app");
}

/// Go's `NewKeysAPIWithPrefix` replaces `/v2/keys` with its prefix: `with_keys_path` does that, for every call
/// and for watches; `with_prefix` stays under `/v2/keys`.
#[tokio::test]
async fn a_keys_path_replaces_v2_keys_as_in_go() {
    let (keys, seen) = recording(200, OK);
    let gateway = KeysApi::with_keys_path(keys.client().clone(), "/gateway/keys");
    gateway.get("a b", None).await.unwrap();
    assert_eq!(last(&seen).uri, "/gateway/keys/a%20b");
    gateway.delete("/a", None).await.unwrap();
    assert_eq!(last(&seen).uri, "/gateway/keys/a");
    let mut watcher = gateway.watcher("/w", Some(etcd_keys::WatcherOptions::new().without_liveness_probe()));
    // The recording answer is no stream: only the request matters here.
    let _ = tokio::time::timeout(Duration::from_millis(100), watcher.next()).await;
    assert!(seen.lock().unwrap()[0].uri.starts_with("/gateway/keys/w?wait=true"), "{:?}", seen.lock().unwrap());
    let same = KeysApi::with_keys_path(keys.client().clone(), "/v2/keys/app");
    same.get("a", None).await.unwrap();
    let prefixed = KeysApi::with_prefix(keys.client().clone(), "/app");
    prefixed.get("a", None).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[seen.len() - 2].uri, seen[seen.len() - 1].uri);
    assert!(KeysApi::with_keys_path(keys.client().clone(), "/x/..").prefix() == "/x/..");
}

#[tokio::test]
async fn refused_requests_never_reach_the_transport() {
    let (keys, seen) = recording(200, OK);
    let cases: Vec<(Result<_, Error>, InvalidRequestKind)> = vec![
        (keys.get("../../etc/passwd", None).await, InvalidRequestKind::Key),
        (keys.set("/a/./b", "v", None).await, InvalidRequestKind::Key),
        (keys.set("/d", "v", Some(SetOptions::new().with_dir())).await, InvalidRequestKind::Options),
        (
            keys.set("/k", "v", Some(SetOptions::new().with_refresh().with_ttl(Duration::from_secs(1)))).await,
            InvalidRequestKind::Options,
        ),
        (keys.set("/k", "", Some(SetOptions::new().with_refresh())).await, InvalidRequestKind::Options),
        (keys.set("/k", "v", Some(SetOptions::new().with_prev_value(""))).await, InvalidRequestKind::Options),
        (keys.set("/k", "v", Some(SetOptions::new().with_ttl(Duration::ZERO))).await, InvalidRequestKind::Options),
        (keys.delete("/k", Some(DeleteOptions::new().with_prev_value(""))).await, InvalidRequestKind::Options),
        (keys.create_in_order("/..", "v", None).await, InvalidRequestKind::Key),
    ];
    for (result, kind) in cases {
        match result {
            Err(Error::InvalidRequest(e)) => assert_eq!(e.kind(), kind, "{e}"),
            other => panic!("expected an invalid request, got {other:?}"),
        }
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn answers_decode_into_typed_errors() {
    let (keys, _) = recording(404, r#"{"errorCode":100,"message":"Key not found","cause":"/nope","index":42}"#);
    let err = keys.get("/nope", None).await.unwrap_err();
    assert!(err.is_key_not_found(), "{err}");
    assert_eq!(err.as_etcd().unwrap().status(), StatusCode::NOT_FOUND);

    let (keys, _) = recording(200, "<html>not etcd</html>");
    match keys.get("/k", None).await {
        Err(Error::InvalidResponse(e)) => {
            assert_eq!(e.kind(), InvalidResponseKind::Json);
            assert!(e.excerpt().contains("not etcd"));
        }
        other => panic!("{other:?}"),
    }

    let (keys, _) = recording(502, "Bad Gateway");
    match keys.get("/k", None).await {
        Err(Error::InvalidResponse(e)) => assert_eq!(e.kind(), InvalidResponseKind::UnexpectedStatus),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_body_that_fails_midway_is_an_invalid_response_that_keeps_the_status() {
    let client = Client::new(tower::service_fn(|_request: Request<RequestBody>| async {
        let chunks: Vec<Result<http_body::Frame<Bytes>, std::io::Error>> = vec![
            Ok(http_body::Frame::data(Bytes::from_static(b"{\"action\":\"set\",\"no"))),
            Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed")),
        ];
        let body = http_body_util::StreamBody::new(futures_util::stream::iter(chunks));
        Ok::<_, std::convert::Infallible>(
            Response::builder().status(201).header("x-etcd-index", "1").body(Body::new(body)).unwrap(),
        )
    }));
    match KeysApi::new(client).set("/k", "v", None).await {
        Err(Error::InvalidResponse(e)) => {
            assert_eq!(e.kind(), InvalidResponseKind::Body);
            assert_eq!(e.status(), StatusCode::CREATED);
        }
        other => panic!("{other:?}"),
    }
}

/// Calls can be spawned on a multi-threaded runtime, and errors cross threads.
#[test]
fn futures_clients_and_errors_are_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync_static<T: Send + Sync + 'static>() {}
    send_sync_static::<KeysApi>();
    send_sync_static::<Error>();
    let (keys, _) = recording(200, OK);
    send(&keys.get("/k", None));
    send(&keys.set("/k", "v", None));
    send(&keys.delete("/k", None));
    send(&keys.create_in_order("/q", "v", None));
}

/// Quiet watchers of one member share its liveness probe: 50 watchers over a second of quiet cost about one
/// probe per interval, not one each.
#[tokio::test(start_paused = true)]
async fn quiet_watchers_share_the_liveness_probe() {
    let probes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = probes.clone();
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        let count = count.clone();
        async move {
            if request.uri().path() == "/health" {
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Ok::<_, std::convert::Infallible>(Response::new(Body::from(r#"{"health":"true"}"#)));
            }
            // A watch that etcd registered and that never sees an event.
            let quiet = http_body_util::StreamBody::new(futures_util::stream::pending::<
                Result<http_body::Frame<Bytes>, std::convert::Infallible>,
            >());
            Ok(Response::builder().header("x-etcd-index", "7").body(Body::new(quiet)).unwrap())
        }
    });
    let client = Client::builder(["http://m:1"]).transport(transport).build().unwrap();
    let keys = KeysApi::new(client);
    let interval = Duration::from_millis(100);
    let options = etcd_keys::WatcherOptions::new().with_liveness_probe(interval, Duration::from_millis(50));
    let watching: Vec<_> = (0..50)
        .map(|i| {
            let mut watcher = keys.watcher(&format!("/w{i}"), Some(options.clone()));
            tokio::spawn(async move { watcher.next().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(watching.iter().all(|w| !w.is_finished()), "no watcher ends");
    let probes = probes.load(std::sync::atomic::Ordering::Relaxed);
    assert!((5..=30).contains(&probes), "{probes} probes for 50 watchers over 10 intervals");
}

fn refused_as(err: &Error) -> Option<InvalidRequestKind> {
    match err {
        Error::InvalidRequest(invalid) => Some(invalid.kind()),
        _ => None,
    }
}

/// A key, prefix or `prevValue` too long for a URI once percent-encoded is refused before sending, never a panic;
/// the same for a watcher, whose error ends the watch.
#[tokio::test]
async fn requests_too_long_for_a_uri_are_refused_before_sending() {
    let (keys, seen) = recording(200, OK);
    // 66,000 bytes raw; a third of that, encoded three to one ('%' -> "%25"); both past the URI's 65,534.
    for key in ["k".repeat(66_000), "%".repeat(22_000)] {
        let err = keys.get(&key, None).await.unwrap_err();
        assert_eq!(refused_as(&err), Some(InvalidRequestKind::Key), "{err}");
        assert!(err.to_string().contains("too long"), "{err}");
        let err = keys.set(&key, "v", None).await.unwrap_err();
        assert!(err.is_invalid_request(), "{err}");
    }
    let long_value = "v".repeat(66_000);
    let err = keys.set("/k", "v", Some(SetOptions::new().with_prev_value(long_value.clone()))).await.unwrap_err();
    assert_eq!(refused_as(&err), Some(InvalidRequestKind::Options), "{err}");
    let err = keys.delete("/k", Some(DeleteOptions::new().with_prev_value(long_value))).await.unwrap_err();
    assert!(err.is_invalid_request(), "{err}");
    let prefixed = KeysApi::with_prefix(keys.client().clone(), "p".repeat(66_000));
    assert!(prefixed.get("/k", None).await.unwrap_err().is_invalid_request());

    let mut watcher = keys.watcher(&"w".repeat(66_000), None);
    let first = tokio::time::timeout(Duration::from_secs(5), watcher.next()).await.expect("no hang");
    assert!(first.expect("an error").unwrap_err().is_invalid_request());
    assert!(watcher.next().await.is_none(), "the watch ends after a refusal it would repeat");
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");

    // Just under the limit goes out.
    keys.get(&"k".repeat(65_534 - "/v2/keys/".len()), None).await.unwrap();
}
