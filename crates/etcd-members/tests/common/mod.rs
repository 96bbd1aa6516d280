//! What the real-etcd tests of this crate share: the fixture (clusters serving v2, clients straight to them),
//! and the helpers shared with the bridge's runners of the same suites (`../suites/helpers.rs`): clients over a
//! test cluster, bounded polling, and one cluster at a time per test binary.

#![allow(dead_code)] // each test binary uses a part of it

use std::future::Future;
use std::time::Duration;

use etcd_testkit::{Cluster, ClusterBuilder};
use etcd_transport::Client;
use tokio::sync::{Mutex, MutexGuard};

/// A cluster of `members` serving the v2 API, to start.
pub fn cluster_builder(members: usize) -> ClusterBuilder {
    Cluster::builder().members(members)
}

/// The client the members API and sync use: here the client itself (v2 is served).
pub fn over(client: Client) -> Client {
    client
}

include!("../suites/helpers.rs");
