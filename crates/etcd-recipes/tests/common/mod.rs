//! What the recipes' tests share: a three-member cluster, a client over it, and the mutual-exclusion checker.
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

/// One holding of a lock: from when its holder learned it had the lock to when it stopped using it.
#[derive(Clone, Debug)]
pub struct Held {
    pub who: String,
    pub token: u64,
    pub acquired: Instant,
    pub released: Instant,
}

/// Panics unless no two holdings overlap, by fencing token (each released before the next token was acquired)
/// and by time (tokens grow with the time of acquisition).
pub fn assert_exclusive(held: &[Held]) {
    let mut by_token = held.to_vec();
    by_token.sort_by_key(|h| h.token);
    for pair in by_token.windows(2) {
        assert!(pair[0].token < pair[1].token, "two holdings with one token: {pair:#?}");
        assert!(pair[0].released <= pair[1].acquired, "two holders at once: {pair:#?}");
    }
    let mut by_time = held.to_vec();
    by_time.sort_by_key(|h| h.acquired);
    for pair in by_time.windows(2) {
        assert!(pair[0].token < pair[1].token, "a later holder with a smaller token: {pair:#?}");
    }
}

/// A unique directory for a test's lock.
pub fn dir(name: &str) -> String {
    format!("/recipes-test/{name}")
}
