//! The keys suite that runs against real etcd with v2 (`crates/etcd-keys/tests/keys_against_etcd.rs`), run
//! through the bridge against a real etcd started WITHOUT v2: the same cases (one copy, included
//! below); only the fixture differs. Skips loudly without etcd; fails when `ETCD_REQUIRED=1`.
use std::time::{Duration, Instant};

use etcd_keys::{
    Action, Client, CreateInOrderOptions, DeleteOptions, ErrorCode, GetOptions, KeysApi, MAX_TTL, PrevExist, SetOptions,
};
use etcd_testkit::Cluster;

/// A single-member etcd serving only v3, and a keys API bridged onto it, or `None` (skipped loudly).
fn etcd() -> Option<(Cluster, KeysApi)> {
    let cluster = Cluster::builder().without_v2().start_or_skip()?;
    let v3 = Client::builder(cluster.endpoints())
        .header_timeout_per_request(Duration::from_secs(5))
        .build()
        .expect("the test cluster's endpoints are valid");
    Some((cluster, KeysApi::new(etcd_v2v3::bridge(v3))))
}

include!("../../etcd-keys/tests/suites/keys.rs");
