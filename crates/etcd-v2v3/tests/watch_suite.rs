//! The watch suite that runs against real etcd with v2 (`crates/etcd-keys/tests/suites/watch.rs` and
//! `watch_writes.rs`), run through the bridge against a real etcd started WITHOUT v2: one copy of the cases; the
//! fixture differs in two ways, both in the crate docs' table: a compare-and-delete is seen as a delete, and the
//! history is cleared by etcd's compaction rather than by 1,000 writes. Skips loudly without etcd; fails with `ETCD_REQUIRED=1`.

use std::time::{Duration, Instant};

use etcd_keys::{Action, Client, DeleteOptions, GetOptions, KeysApi, Response, SetOptions, WatcherOptions};
use etcd_testkit::Cluster;

/// A single-member etcd serving only v3, and a keys API bridged onto it.
fn single() -> Option<(Cluster, KeysApi)> {
    let cluster = Cluster::builder().without_v2().start_or_skip()?;
    let v3 = Client::builder(cluster.endpoints())
        .shuffle_endpoints(false)
        .header_timeout_per_request(Duration::from_secs(1))
        .build()
        .unwrap();
    Some((cluster, KeysApi::new(etcd_v2v3::bridge(v3))))
}

/// A v3 delete carries no action: the bridge reports a compare-and-delete as a delete.
const COMPARE_AND_DELETE_SEEN_AS: Action = Action::Delete;

/// A few writes, then a physical compaction at the last of them: the history starts after it.
async fn forget_history(etcd: &Cluster, keys: &KeysApi) -> Option<u64> {
    let mut last = 0;
    for i in 0..20 {
        last = keys.set(&format!("/hist/k{}", i % 7), &i.to_string(), None).await.unwrap().index;
    }
    compact(etcd, last).await;
    Some(last)
}

include!("../../etcd-keys/tests/suites/watch.rs");
include!("../../etcd-keys/tests/suites/watch_writes.rs");

/// Compacts etcd's history up to `revision` through the v3 gateway.
async fn compact(etcd: &Cluster, revision: u64) {
    let client = Client::builder(etcd.endpoints()).build().unwrap();
    let body = format!("{{\"revision\":\"{revision}\",\"physical\":true}}");
    let request = http::Request::post("/v3/kv/compaction").body(body).unwrap();
    let response = client.send(request).await.unwrap();
    assert!(response.status().is_success(), "compaction refused: {}", response.status());
}
