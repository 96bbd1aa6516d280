//! The blocking facade: calls from a plain thread, over a scripted transport and against a real etcd.

#![cfg(feature = "blocking")]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use etcd_v2::transport::{Body, RequestBody};
use etcd_v2::{Config, blocking};

#[test]
fn calls_run_to_their_end_from_a_plain_thread() {
    let calls = Arc::new(AtomicU64::new(0));
    let counted = calls.clone();
    let network = tower::service_fn(move |request: http::Request<RequestBody>| {
        counted.fetch_add(1, Ordering::Relaxed);
        async move {
            // A timer, so that the call needs the runtime's time driver.
            tokio::time::sleep(Duration::from_millis(10)).await;
            assert_eq!(request.uri().path(), "/v2/keys/config");
            let body =
                r#"{"action":"get","node":{"key":"/config","value":"{\"n\":3}","modifiedIndex":7,"createdIndex":7}}"#;
            Ok::<_, Infallible>(http::Response::builder().header("x-etcd-index", "7").body(Body::from(body)).unwrap())
        }
    });
    let client = blocking::Client::new(Config::new(["http://etcd:2379"]).transport(network)).unwrap();
    let keys = client.keys();
    assert_eq!(keys.get("/config", None).unwrap().node.value, r#"{"n":3}"#);

    #[derive(serde::Deserialize)]
    struct Settings {
        n: u32,
    }
    let clone = keys.clone();
    let settings: Settings = std::thread::spawn(move || clone.get_json("/config", None)).join().unwrap().unwrap();
    assert_eq!(settings.n, 3);
    let error = keys.with_timeout(Duration::from_millis(1)).get("/config", None).unwrap_err();
    assert!(error.is_deadline_exceeded(), "{error}");
    assert_eq!(calls.load(Ordering::Relaxed), 3);
}

#[test]
fn set_get_and_watch_against_etcd() {
    let Some(cluster) = etcd_testkit::cluster_or_skip(1) else { return };
    let client = blocking::Client::new(Config::new(cluster.endpoints())).unwrap();
    let keys = client.keys();
    let set = keys.set("/blocking/a", "1", None).unwrap();
    assert_eq!(keys.get("/blocking/a", None).unwrap().node.value, "1");

    let writer = keys.clone();
    let mut watcher = keys.watcher("/blocking/a", Some(etcd_v2::WatcherOptions::new().with_after_index(set.index)));
    let write = std::thread::spawn(move || writer.set("/blocking/a", "2", None).unwrap());
    let event = watcher.next().unwrap().unwrap();
    assert_eq!((event.node.value.as_str(), event.action), ("2", etcd_v2::Action::Set));
    write.join().unwrap();

    let leader = client.block_on(etcd_v2::members::MembersApi::new(client.inner().clone()).leader()).unwrap();
    assert_eq!(leader.client_urls, cluster.endpoints());
}
