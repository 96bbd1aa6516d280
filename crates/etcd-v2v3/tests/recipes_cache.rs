//! The recipes' `cache` suite (`crates/etcd-recipes/tests/suites/cache.rs`, the cases
//! `crates/etcd-recipes/tests/cache.rs` runs on etcd with v2), run through the bridge against a three-member etcd
//! started WITHOUT v2: the fixture in `common` differs, and so does how etcd forgets events (v3 compaction, which the
//! bridge answers with v2's 401 `EventIndexCleared`). Each test starts its own cluster; it skips loudly without etcd
//! and fails with `ETCD_REQUIRED=1`.

mod common;

/// Makes etcd forget every event so far, the bridge's way: a physical v3 compaction at the latest revision,
/// sent through a plain (not bridged) client over the members `writers`; `writer` makes the revision known.
async fn forget_events(cluster: &etcd_testkit::Cluster, writers: [usize; 2], writer: &etcd_keys::KeysApi) {
    let revision = writer.set("/elsewhere/last", "x", None).await.unwrap().node.modified_index;
    let inner = etcd_keys::Client::builder(writers.map(|m| cluster.member(m).client_url())).build().unwrap();
    let body = format!("{{\"revision\":\"{revision}\",\"physical\":true}}");
    let request = http::Request::post("/v3/kv/compaction").body(body).unwrap();
    let response = inner.send(request).await.unwrap();
    assert!(response.status().is_success(), "compaction refused: {}", response.status());
}

include!("../../etcd-recipes/tests/suites/cache.rs");
