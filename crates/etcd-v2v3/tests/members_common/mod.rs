//! The fixture the members' suites run on through the bridge (`crates/etcd-members/tests/suites`): clusters
//! started WITHOUT v2, and clients bridged onto them; with the members' helpers (included from
//! `crates/etcd-members/tests/suites/helpers.rs`).
//!
//! Through the bridge run `members_status.rs`, `members_leader_first.rs` and `members_auto_sync.rs`. Left out:
//! - `membership.rs`: removing a removed member is v3's 404 `No such member`, which the case (v2's 410, counted as
//!   done) cannot take; the bridge's own `membership.rs` covers add, update and remove with v3's answers.
//! - `cluster_id.rs`: the v3 gateway's answers carry no `X-Etcd-Cluster-Id`, so a bridged client's cluster-ID guard
//!   lets another cluster's answers (and its writes) through: a bridge bug, reported, not yet fixed.
//! - the statistics case of `status.rs`: the bridge's statistics have no counters, uptime or followers.
//! - `per_call_timeout.rs`, `sync_decisions.rs`, `answer_props.rs`, `srv.rs`: scripted servers, no etcd to bridge.

#![allow(dead_code)] // each test binary uses a part of it

use std::future::Future;
use std::time::Duration;

use etcd_testkit::{Cluster, ClusterBuilder};
use etcd_transport::Client;
use tokio::sync::{Mutex, MutexGuard};

/// A cluster of `members` serving only v3, to start.
pub fn cluster_builder(members: usize) -> ClusterBuilder {
    Cluster::builder().members(members).without_v2()
}

/// The client the members API and sync use: `client` bridged (it shares `client`'s endpoints).
pub fn over(client: Client) -> Client {
    etcd_v2v3::bridge(client)
}

include!("../../../etcd-members/tests/suites/helpers.rs");
