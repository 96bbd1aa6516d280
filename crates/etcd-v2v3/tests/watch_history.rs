//! A watch through the bridge that starts behind a burst of writes catches up on one v3 watch: v3 sends its
//! history whole, so the watcher keeps the stream (etcd v2 sends one event from its history and then nothing, and
//! the watcher then asks once per event, which through the bridge falls behind any steady write load). Against a
//! single etcd started WITHOUT v2. Skips loudly without etcd; fails when `ETCD_REQUIRED=1`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use etcd_keys::{Client, KeysApi, WatcherOptions};
use etcd_testkit::Cluster;
use tower::ServiceExt;

/// How many writes the watch starts behind.
const BEHIND: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_behind_many_writes_catches_up_on_one_stream() {
    let Some(cluster) = Cluster::builder().members(1).without_v2().start_or_skip() else { return };
    let watches = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&watches);
    // Counts the v3 watches the bridge opens.
    let count = tower::layer::layer_fn(move |inner: etcd_transport::BoxedService| {
        let counted = Arc::clone(&counted);
        inner.map_request(move |request: http::Request<etcd_transport::RequestBody>| {
            if request.uri().path() == "/v3/watch" {
                counted.fetch_add(1, Ordering::Relaxed);
            }
            request
        })
    });
    let v3 = Client::builder(cluster.endpoints()).layer(count).build().unwrap();
    let keys = KeysApi::new(etcd_v2v3::bridge(v3));
    let first = keys.set("/burst/0", "0", None).await.unwrap();
    let mut written = vec![first.index];
    for n in 1..BEHIND {
        written.push(keys.set(&format!("/burst/{}", n % 20), &n.to_string(), None).await.unwrap().index);
    }

    let options = WatcherOptions::new().with_recursive().with_after_index(first.index - 1);
    let mut watcher = keys.watcher("/burst", Some(options));
    let mut seen = Vec::new();
    let all = async {
        while seen.len() < written.len() {
            seen.push(watcher.next().await.expect("the watch goes on").expect("no error").index);
        }
    };
    tokio::time::timeout(Duration::from_secs(20), all).await.expect("caught up within 20 s");
    assert_eq!(seen, written, "every write once, in order");
    let opened = watches.load(Ordering::Relaxed);
    assert!(opened <= 2, "{opened} v3 watches opened to catch up on {BEHIND} events: one is enough");
}
