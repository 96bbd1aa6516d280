//! The fixture the recipes' suites run on through the bridge (`crates/etcd-recipes/tests/suites`): a
//! three-member cluster started WITHOUT v2, keys APIs bridged onto it, and the recipes' mutual-exclusion checker
//! (included from `crates/etcd-recipes/tests/suites/exclusion.rs`).
#![allow(dead_code, reason = "each test file uses part of this")]

use std::time::{Duration, Instant};

use etcd_keys::{Client, KeysApi};
use etcd_testkit::Cluster;

/// Each attempt leaves a member that has not answered within this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// A three-member cluster serving only v3, each member healthy (it sees a leader), or `None` (skipped loudly).
pub fn cluster() -> Option<Cluster> {
    Cluster::builder().members(3).without_v2().start_or_skip()
}

/// A keys API bridged over every member, with a client of its own (its own pin and connections).
pub fn keys(cluster: &Cluster) -> KeysApi {
    let client = Client::builder(cluster.endpoints()).header_timeout_per_request(HEADER_TIMEOUT).build().unwrap();
    KeysApi::new(etcd_v2v3::bridge(client))
}

/// A keys API bridged over a client pinned first to `endpoints[0]` (the endpoints in this order, not shuffled),
/// each attempt bounded by `header_timeout`: how a test freezes the member a client is pinned to.
pub fn keys_in_order(endpoints: Vec<String>, header_timeout: Duration) -> KeysApi {
    let client =
        Client::builder(endpoints).shuffle_endpoints(false).header_timeout_per_request(header_timeout).build().unwrap();
    KeysApi::new(etcd_v2v3::bridge(client))
}

/// A keys API bridged over a client that knows only the given members (by index), with the client's default timeouts.
pub fn keys_of(cluster: &Cluster, members: &[usize]) -> KeysApi {
    let client = Client::builder(members.iter().map(|&m| cluster.member(m).client_url())).build().unwrap();
    KeysApi::new(etcd_v2v3::bridge(client))
}

include!("../../../etcd-recipes/tests/suites/exclusion.rs");
