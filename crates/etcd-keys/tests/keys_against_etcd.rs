//! Every keys operation and option against a real etcd started by the test (single member, free loopback port,
//! temporary data dir). Skips loudly without etcd; fails when `ETCD_REQUIRED=1`.

use std::time::{Duration, Instant};

use etcd_keys::{
    Action, Client, CreateInOrderOptions, DeleteOptions, ErrorCode, GetOptions, KeysApi, MAX_TTL, PrevExist, SetOptions,
};
use etcd_testkit::{Cluster, cluster_or_skip};

/// A single-member etcd and a keys API on it, or `None` (skipped loudly) without etcd.
fn etcd() -> Option<(Cluster, KeysApi)> {
    let cluster = cluster_or_skip(1)?;
    let client = Client::builder(cluster.endpoints())
        .header_timeout_per_request(Duration::from_secs(5))
        .build()
        .expect("the test cluster's endpoints are valid");
    Some((cluster, KeysApi::new(client)))
}

include!("suites/keys.rs");
