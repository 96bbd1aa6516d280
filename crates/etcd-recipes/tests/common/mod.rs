//! What the recipes' tests share: a three-member cluster, a client over it, and the mutual-exclusion checker
//! (`../suites/exclusion.rs`, shared with the bridge's runners of the same suites).
#![allow(dead_code, reason = "each test file uses part of this")]

use std::time::{Duration, Instant};

use etcd_keys::{Client, KeysApi};
use etcd_testkit::{Cluster, cluster_or_skip};

/// Each attempt leaves a member that has not answered within this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// A three-member cluster with a leader, or `None` (skipped loudly) without etcd.
pub fn cluster() -> Option<Cluster> {
    let cluster = cluster_or_skip(3)?;
    cluster.wait_leader(Duration::from_secs(10)).expect("a leader");
    Some(cluster)
}

/// A keys API over every member, with a client of its own (its own pin and connections).
pub fn keys(cluster: &Cluster) -> KeysApi {
    let client = Client::builder(cluster.endpoints()).header_timeout_per_request(HEADER_TIMEOUT).build().unwrap();
    KeysApi::new(client)
}

/// A keys API pinned first to `endpoints[0]` (the endpoints in this order, not shuffled), each attempt bounded
/// by `header_timeout`: how a test freezes the member a client is pinned to.
pub fn keys_in_order(endpoints: Vec<String>, header_timeout: Duration) -> KeysApi {
    let client =
        Client::builder(endpoints).shuffle_endpoints(false).header_timeout_per_request(header_timeout).build().unwrap();
    KeysApi::new(client)
}

/// A keys API over a client that knows only the given members (by index), with the client's default timeouts.
pub fn keys_of(cluster: &Cluster, members: &[usize]) -> KeysApi {
    let client = Client::builder(members.iter().map(|&m| cluster.member(m).client_url())).build().unwrap();
    KeysApi::new(client)
}

include!("../suites/exclusion.rs");
