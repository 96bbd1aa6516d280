//! Answers no etcd sends, through a mock transport: the client gives a typed error or a value, never a panic, a
//! wrapped index or a hang.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use etcd_keys::{Client, Error, InvalidResponseKind, KeysApi, Response, Watcher, WatcherOptions};
use etcd_transport::{Body, RequestBody};
use futures_util::StreamExt as _;
use http::Request;

/// A body that sends `first` and then nothing, as a quiet etcd stream does.
fn then_quiet(first: impl Into<Bytes>) -> Body {
    let frames = futures_util::stream::iter([Ok::<_, Infallible>(http_body::Frame::data(first.into()))])
        .chain(futures_util::stream::pending());
    Body::new(http_body_util::StreamBody::new(frames))
}

/// A keys API whose every answer is 200 with `x-etcd-index: index` and the body `body()` makes.
fn answering(index: &'static str, body: impl Fn() -> Body + Clone + Send + Sync + 'static) -> KeysApi {
    let transport = tower::service_fn(move |_: Request<RequestBody>| {
        let body = body.clone();
        async move {
            let response = http::Response::builder()
                .header("x-etcd-index", index)
                .header("x-etcd-cluster-id", "cdf818194e3a8c32")
                .body(body())
                .unwrap();
            Ok::<_, Infallible>(response)
        }
    });
    KeysApi::new(Client::builder(["http://m:1"]).transport(transport).build().unwrap())
}

async fn next(watcher: &mut Watcher) -> Option<Result<Response, Error>> {
    tokio::time::timeout(Duration::from_secs(5), watcher.next()).await.expect("the watcher answers, never hangs")
}

fn invalid_kind(item: Option<Result<Response, Error>>) -> InvalidResponseKind {
    match item {
        Some(Err(Error::InvalidResponse(invalid))) => invalid.kind(),
        other => panic!("expected an invalid response, got {other:?}"),
    }
}

const QUIET: fn() -> WatcherOptions = || WatcherOptions::new().without_liveness_probe();

#[tokio::test]
async fn an_event_at_u64_max_ends_the_watch_with_an_error_not_a_wrap() {
    let line = format!(r#"{{"action":"set","node":{{"key":"/k","value":"v","modifiedIndex":{}}}}}"#, u64::MAX) + "\n";
    let keys = answering("5", move || then_quiet(line.clone()));
    let mut watcher = keys.watcher("/k", Some(QUIET()));
    assert_eq!(invalid_kind(next(&mut watcher).await), InvalidResponseKind::Json);
    assert!(next(&mut watcher).await.is_none(), "the watch cannot go on past u64::MAX");
}

#[tokio::test]
async fn an_etcd_index_at_u64_max_ends_the_watch_with_an_error() {
    let keys = answering("18446744073709551615", || then_quiet(Bytes::new()));
    let mut watcher = keys.watcher("/k", Some(QUIET()));
    let item = next(&mut watcher).await;
    let Some(Err(error)) = &item else { panic!("expected an error, got {item:?}") };
    assert!(error.to_string().contains("m:1"), "the error names the endpoint: {error}");
    assert_eq!(invalid_kind(item), InvalidResponseKind::BadHeader("X-Etcd-Index"));
    assert!(next(&mut watcher).await.is_none());
}

#[tokio::test]
async fn a_liveness_interval_of_duration_max_is_no_probe_not_a_panic() {
    let keys = answering("5", || then_quiet(Bytes::new()));
    let options = WatcherOptions::new().with_liveness_probe(Duration::MAX, Duration::MAX);
    let mut watcher = keys.watcher("/k", Some(options));
    // A quiet stream: the watcher waits (a probe timer at now + Duration::MAX used to overflow).
    assert!(tokio::time::timeout(Duration::from_millis(50), watcher.next()).await.is_err());
    assert_eq!(watcher.next_index(), Some(6));
}

/// A body of `pieces`, each its own frame, then nothing.
fn pieces_then_quiet(pieces: Vec<Bytes>) -> Body {
    let frames = futures_util::stream::iter(pieces.into_iter().map(|p| Ok::<_, Infallible>(http_body::Frame::data(p))))
        .chain(futures_util::stream::pending());
    Body::new(http_body_util::StreamBody::new(frames))
}

#[tokio::test]
async fn a_line_without_end_is_capped_with_an_error_naming_the_endpoint() {
    // 64 KiB in 1 KiB pieces and never a newline, against a cap of 16 KiB.
    let keys = answering("5", || pieces_then_quiet(vec![Bytes::from_static(&[b'x'; 1024]); 64]));
    let mut watcher = keys.watcher("/k", Some(QUIET().with_max_event_size(16 * 1024)));
    let item = next(&mut watcher).await;
    let Some(Err(error)) = &item else { panic!("expected an error, got {item:?}") };
    let text = format!("{error} ({:?})", std::error::Error::source(error));
    assert!(text.contains("m:1") && text.contains("with_max_event_size"), "{text}");
    assert_eq!(invalid_kind(item), InvalidResponseKind::EventTooLarge);
    assert!(next(&mut watcher).await.is_none(), "the watch ends rather than skip the event");
}

#[tokio::test]
async fn events_in_pieces_and_several_in_a_piece_all_arrive_under_the_cap() {
    let event = |i: u64| format!(r#"{{"action":"set","node":{{"key":"/k","value":"v","modifiedIndex":{i}}}}}"#);
    let (a, b, c) = (event(6), event(7), event(8));
    let pieces = vec![
        Bytes::from(a[..10].to_owned()),
        Bytes::from(format!("{}\n{b}\n", &a[10..])),
        Bytes::from(c[..5].to_owned()),
        Bytes::from(format!("{}\n", &c[5..])),
    ];
    let cap = c.len();
    let keys = answering("5", move || pieces_then_quiet(pieces.clone()));
    let mut watcher = keys.watcher("/k", Some(QUIET().with_max_event_size(cap)));
    for index in 6..=8 {
        assert_eq!(next(&mut watcher).await.unwrap().unwrap().index, index);
    }
}

#[tokio::test]
async fn watch_events_keep_the_cluster_id_the_member_sent() {
    let line = r#"{"action":"set","node":{"key":"/k","value":"v","modifiedIndex":6}}"#.to_owned() + "\n";
    let keys = answering("5", move || then_quiet(line.clone()));
    let mut watcher = keys.watcher("/k", Some(QUIET()));
    let event = next(&mut watcher).await.unwrap().unwrap();
    assert_eq!((event.index, event.cluster_id.as_deref()), (6, Some("cdf818194e3a8c32")));
}

/// Watches sent and probes answered by a transport whose `/health` answers `health_body`.
async fn watch_opens_with_health(health_body: &'static [u8]) -> usize {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let watches = Arc::new(AtomicUsize::new(0));
    let count = watches.clone();
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        let count = count.clone();
        async move {
            let body = if request.uri().path() == "/health" {
                Body::from(Bytes::from_static(health_body))
            } else {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                then_quiet(Bytes::new())
            };
            Ok::<_, Infallible>(http::Response::builder().header("x-etcd-index", "5").body(body).unwrap())
        }
    });
    let keys = KeysApi::new(Client::builder(["http://m:1"]).transport(transport).build().unwrap());
    let options = WatcherOptions::new().with_liveness_probe(Duration::from_millis(100), Duration::from_secs(2));
    let mut watcher = keys.watcher("/k", Some(options));
    // Quiet: no item comes; the probes run meanwhile.
    assert!(tokio::time::timeout(Duration::from_millis(1_000), watcher.next()).await.is_err());
    watches.load(Ordering::SeqCst)
}

#[tokio::test(start_paused = true)]
async fn a_health_answer_without_end_fails_the_probe_instead_of_filling_memory() {
    assert_eq!(watch_opens_with_health(br#"{"health":"true"}"#).await, 1, "a well member keeps the watch");
    static HUGE: [u8; 1 << 20] = [b' '; 1 << 20];
    assert!(watch_opens_with_health(&HUGE).await > 1, "a probe answered with a megabyte moves the watch");
}
