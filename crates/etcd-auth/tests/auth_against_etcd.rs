//! The v2 auth API against a real etcd started by the test (single member, free loopback port, temporary data
//! dir), auth enabled by the test itself; the cases are in `suites/auth.rs`, shared with the in-memory etcd. Skips loudly without etcd; fails when `ETCD_REQUIRED=1`.

use std::time::Duration;

use etcd_auth::{AuthApi, AuthErrorKind, Error, Permission, Role};
use etcd_keys::{Client, KeysApi};
use etcd_testkit::{Cluster, cluster_or_skip};

/// A single-member etcd, or `None` (skipped loudly).
fn etcd() -> Option<Cluster> {
    cluster_or_skip(1)
}

const ROOT_PASSWORD: &str = "root-secret";
const APP_PASSWORD: &str = "app-secret";

fn client(cluster: &Cluster, credentials: Option<(&str, &str)>) -> Client {
    let config = Client::builder(cluster.endpoints()).header_timeout_per_request(Duration::from_secs(5));
    let config = match credentials {
        Some((user, password)) => config.basic_auth(user, password),
        None => config,
    };
    config.build().expect("the test cluster's endpoints are valid")
}

include!("suites/auth.rs");
