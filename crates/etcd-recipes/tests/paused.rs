//! The recipes' timing, with tokio's clock paused, through a scripted etcd (a mock transport): a lock's key is
//! refreshed every TTL/3 and is reported lost exactly a TTL after the last acknowledged refresh was sent; a
//! registration found gone is written again at its next refresh.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use etcd_keys::{Client, KeysApi};
use etcd_recipes::{Lock, LostReason, Registration};
use etcd_transport::{Body, RequestBody};
use http::{Method, Request, Response, StatusCode};
use http_body::Body as _;
use tokio::time::{Instant, timeout};

/// A body that never ends and never sends: a quiet watch.
struct Quiet;

impl http_body::Body for Quiet {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

/// What the scripted etcd saw and how it answers refreshes.
#[derive(Default)]
struct Script {
    /// When each refresh (`refresh=true`) came.
    refreshes: Mutex<Vec<Instant>>,
    /// Writes of a whole value (not refreshes), in order.
    writes: Mutex<Vec<Instant>>,
    /// Refreshes hang from now on.
    hang: AtomicBool,
    /// The next refresh is answered "key not found".
    gone: AtomicBool,
}

const NODE: &str = r#"{"key":"/d/00000000000000000005","value":"v","createdIndex":5,"modifiedIndex":5,"ttl":3}"#;

/// A keys API over a scripted etcd holding one key, `/d/00000000000000000005`, at index 5.
fn scripted(script: Arc<Script>) -> KeysApi {
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        let script = script.clone();
        async move {
            let query = request.uri().query().unwrap_or("").to_owned();
            let path = request.uri().path().to_owned();
            let answer = |status: StatusCode, body: String| {
                Response::builder().status(status).header("x-etcd-index", "5").body(Body::from(body)).unwrap()
            };
            let response = match (request.method().clone(), path.as_str()) {
                (_, "/health") => answer(StatusCode::OK, r#"{"health":"true"}"#.into()),
                (Method::GET, _) if query.contains("wait=true") => {
                    Response::builder().header("x-etcd-index", "5").body(Body::new(Quiet)).unwrap()
                }
                (Method::GET, _) => answer(
                    StatusCode::OK,
                    format!(r#"{{"action":"get","node":{{"key":"/d","dir":true,"nodes":[{NODE}]}}}}"#),
                ),
                (Method::POST, _) => answer(StatusCode::CREATED, format!(r#"{{"action":"create","node":{NODE}}}"#)),
                (Method::PUT, _) => {
                    let body = query_and_form(request).await;
                    if body.contains("refresh=true") {
                        script.refreshes.lock().unwrap().push(Instant::now());
                        if script.hang.load(Ordering::SeqCst) {
                            std::future::pending::<()>().await;
                        }
                        if script.gone.swap(false, Ordering::SeqCst) {
                            let error = r#"{"errorCode":100,"message":"Key not found","cause":"/k","index":5}"#;
                            return Ok::<_, Infallible>(answer(StatusCode::NOT_FOUND, error.into()));
                        }
                    } else {
                        script.writes.lock().unwrap().push(Instant::now());
                    }
                    answer(StatusCode::OK, format!(r#"{{"action":"set","node":{NODE}}}"#))
                }
                _ => answer(StatusCode::OK, format!(r#"{{"action":"delete","node":{NODE}}}"#)),
            };
            Ok(response)
        }
    });
    KeysApi::new(Client::builder(["http://etcd:1"]).transport(transport).build().unwrap())
}

/// A request's form body (refresh=true, value=...), or the query for a body-less request.
async fn query_and_form(request: Request<RequestBody>) -> String {
    let query = request.uri().query().unwrap_or("").to_owned();
    let mut body = request.into_body();
    let mut bytes = Vec::new();
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
        }
    }
    format!("{query}&{}", String::from_utf8_lossy(&bytes))
}

#[tokio::test(start_paused = true)]
async fn a_lock_is_refreshed_every_third_of_its_ttl_and_lost_a_ttl_after_the_last_acknowledged_refresh() {
    let script = Arc::new(Script::default());
    let lock = Lock::new(scripted(script.clone()), "/d").with_ttl(Duration::from_secs(3));
    let started = Instant::now();
    let guard = lock.lock().await.unwrap();
    assert_eq!(guard.token(), 5);

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refreshes: Vec<Duration> = script.refreshes.lock().unwrap().iter().map(|t| *t - started).collect();
    assert_eq!(refreshes, [Duration::from_secs(1), Duration::from_secs(2)]);
    assert_eq!(guard.lost_reason(), None);

    script.hang.store(true, Ordering::SeqCst);
    let reason = timeout(Duration::from_secs(10), guard.lost()).await.expect("lost within 10 s");
    assert_eq!(reason, LostReason::KeepAliveFailed);
    // The refresh sent at 2 s was the last acknowledged: the key may expire from 2 s + TTL on, and not before.
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_registration_found_gone_at_a_refresh_is_written_again_at_once() {
    let script = Arc::new(Script::default());
    let started = Instant::now();
    let registration =
        Registration::start(scripted(script.clone()), "/d/r", "v", Duration::from_secs(3)).await.unwrap();
    script.gone.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let writes: Vec<Duration> = script.writes.lock().unwrap().iter().map(|t| *t - started).collect();
    // The first write, then the one after the refresh at 1 s found no key.
    assert_eq!(writes, [Duration::ZERO, Duration::from_secs(1)]);
    assert_eq!(registration.writes(), 2);
    assert!(registration.is_registered());
}
