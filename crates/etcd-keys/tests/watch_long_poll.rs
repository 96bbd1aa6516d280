//! Watches as long polls: they are marked [`LongPoll`] so that the default transport holds them on connections
//! with a small read buffer, an event larger than that buffer still arrives whole, and an idle watcher that
//! holds no step of its own still delivers every line it has; a watch behind etcd's current index catches up
//! with plain waits, which end and free their connection. Against a mock transport, and a real etcd (skips
//! loudly without one; fails with `ETCD_REQUIRED=1`).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use etcd_keys::{Client, GetOptions, KeysApi, Response, Watcher, WatcherOptions};
use etcd_testkit::cluster_or_skip;
use etcd_transport::{Body, LongPoll, RequestBody};
use futures_util::StreamExt as _;
use http::Request;

/// The next event within `within`, which must come.
async fn next_event(watcher: &mut Watcher, within: Duration) -> Response {
    match tokio::time::timeout(within, watcher.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(other) => panic!("expected an event, got {other:?}"),
        Err(_) => panic!("no event within {within:?}"),
    }
}

fn event(index: u64, value: &str) -> String {
    format!(
        r#"{{"action":"set","node":{{"key":"/k","value":"{value}","modifiedIndex":{index},"createdIndex":{index}}}}}"#
    )
}

/// A body that sends `first` and then nothing, as a quiet etcd stream does.
fn then_quiet(first: String) -> Body {
    let frames = futures_util::stream::iter([Ok::<_, Infallible>(http_body::Frame::data(Bytes::from(first)))])
        .chain(futures_util::stream::pending());
    Body::new(http_body_util::StreamBody::new(frames))
}

#[tokio::test]
async fn watches_are_long_polls_and_calls_are_not() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        let log = log.clone();
        async move {
            let long_poll = request.extensions().get::<LongPoll>().is_some();
            log.lock().unwrap().push((request.uri().query().unwrap_or_default().to_owned(), long_poll));
            let body = if request.uri().query().is_some_and(|q| q.contains("wait=true")) {
                then_quiet(format!("{}\n", event(8, "v")))
            } else {
                Body::from(event(8, "v"))
            };
            Ok::<_, Infallible>(http::Response::builder().header("x-etcd-index", "7").body(body).unwrap())
        }
    });
    let client = Client::builder(["http://m:1"]).transport(transport).build().unwrap();
    let keys = KeysApi::new(client);
    keys.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap();
    let mut watcher = keys.watcher("/k", Some(WatcherOptions::new().without_liveness_probe()));
    next_event(&mut watcher, Duration::from_secs(5)).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], ("quorum=true".to_owned(), false), "a call is not a long poll");
    assert!(seen[1].0.contains("wait=true") && seen[1].0.contains("stream=true"), "{:?}", seen[1]);
    assert!(seen[1].1, "a watch is a long poll");
}

/// Events that come together (one read, several lines) are each delivered, though the watcher waits for more
/// bytes only when it has no complete line left.
#[tokio::test]
async fn events_read_together_are_each_delivered() {
    let transport = tower::service_fn(move |_request: Request<RequestBody>| async move {
        let lines = format!("{}\n{}\n{}\n", event(8, "a"), event(9, "b"), event(10, "c"));
        Ok::<_, Infallible>(http::Response::builder().header("x-etcd-index", "7").body(then_quiet(lines)).unwrap())
    });
    let client = Client::builder(["http://m:1"]).transport(transport).build().unwrap();
    let keys = KeysApi::new(client);
    let mut watcher = keys.watcher("/k", Some(WatcherOptions::new().without_liveness_probe()));
    for (index, value) in [(8, "a"), (9, "b"), (10, "c")] {
        let event = next_event(&mut watcher, Duration::from_secs(5)).await;
        assert_eq!((event.index, event.node.value.as_str()), (index, value));
    }
    assert_eq!(watcher.next_index(), Some(11));
}

/// An event of 100 KiB is fifty times the read buffer of a long poll's connection: it comes in many reads and is
/// delivered whole, and the watch goes on with the next event. A listing on the same client keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_larger_than_the_read_buffer_arrives_whole() {
    let Some(cluster) = cluster_or_skip(1) else { return };
    let keys = KeysApi::new(Client::builder(cluster.endpoints()).build().unwrap());
    let start = keys.set("/big/seed", "0", None).await.unwrap().index;
    let mut watcher = keys.watcher("/big", Some(WatcherOptions::new().with_recursive().with_after_index(start)));
    // Registered (a next index) before the writes, so that the events come on the stream, not from history.
    let first = tokio::spawn(async move {
        let event = next_event(&mut watcher, Duration::from_secs(10)).await;
        (watcher, event)
    });

    let large: String = (0..100 * 1024).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    keys.set("/big/large", &large, None).await.unwrap();
    let (mut watcher, event) = first.await.unwrap();
    assert_eq!(event.node.key, "/big/large");
    assert_eq!(event.node.value.len(), large.len());
    assert!(event.node.value == large, "the value arrives unchanged");

    keys.set("/big/small", "s", None).await.unwrap();
    let event = next_event(&mut watcher, Duration::from_secs(10)).await;
    assert_eq!((event.node.key.as_str(), event.node.value.as_str()), ("/big/small", "s"));

    let listing = keys.get("/big", Some(GetOptions::new().with_recursive())).await.unwrap();
    assert_eq!(listing.node.nodes.len(), 3);
}

/// A watch that starts 300 events behind catches up through etcd's history (one event per answer), every index
/// once and in order, and then follows live writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_behind_a_burst_of_writes_catches_up_through_history() {
    let Some(cluster) = cluster_or_skip(1) else { return };
    let keys = KeysApi::new(Client::builder(cluster.endpoints()).build().unwrap());
    let start = keys.set("/burst/seed", "0", None).await.unwrap().index;
    for i in 0..300 {
        keys.set(&format!("/burst/k{}", i % 7), &i.to_string(), None).await.unwrap();
    }
    let mut watcher = keys.watcher("/burst", Some(WatcherOptions::new().with_recursive().with_after_index(start)));
    for expected in start + 1..=start + 300 {
        let event = next_event(&mut watcher, Duration::from_secs(10)).await;
        assert_eq!(event.index, expected, "each index once, in order");
    }
    let live = keys.set("/burst/live", "l", None).await.unwrap().index;
    let event = next_event(&mut watcher, Duration::from_secs(10)).await;
    assert_eq!((event.index, event.node.key.as_str()), (live, "/burst/live"));
}

/// Catching up through history, the watcher asks with plain waits (whose answers end, here without a final
/// newline), and streams again once past the index etcd had.
#[tokio::test]
async fn catching_up_uses_plain_waits_then_streams_again() {
    const CURRENT: u64 = 5;
    let (log, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let transport = tower::service_fn(move |request: Request<RequestBody>| {
        let log = log.clone();
        async move {
            let query = request.uri().query().unwrap_or_default().to_owned();
            let streaming = query.contains("stream=true");
            let index: u64 = query.split("waitIndex=").nth(1).and_then(|i| i.parse().ok()).unwrap();
            log.send((index, streaming)).unwrap();
            let body = match (index <= CURRENT, streaming) {
                // etcd's history: the one event; a stream then stays open and silent, a plain answer ends.
                (true, true) => then_quiet(format!("{}\n", event(index, "h"))),
                (true, false) => Body::from(event(index, "h")),
                (false, _) => then_quiet(String::new()),
            };
            let response = http::Response::builder().header("x-etcd-index", CURRENT.to_string()).body(body);
            Ok::<_, Infallible>(response.unwrap())
        }
    });
    let client = Client::builder(["http://m:1"]).transport(transport).build().unwrap();
    let keys = KeysApi::new(client);
    let options = WatcherOptions::new().with_after_index(1).without_liveness_probe();
    let mut watcher = keys.watcher("/k", Some(options));
    for index in 2..=CURRENT {
        assert_eq!(next_event(&mut watcher, Duration::from_secs(5)).await.index, index);
    }
    // Polled on, the watcher opens its stream past the history and waits on it.
    let waiting = tokio::spawn(async move { watcher.next().await });
    let mut requests = Vec::new();
    while requests.len() < 5 {
        let request = tokio::time::timeout(Duration::from_secs(5), seen.recv()).await.expect("the next request");
        requests.push(request.unwrap());
    }
    assert_eq!(requests, [(2, true), (3, false), (4, false), (5, false), (6, true)]);
    assert!(!waiting.is_finished(), "no more events");
    waiting.abort();
}
