//! The auth suite that runs against real etcd (`crates/etcd-auth/tests/auth_against_etcd.rs`), run against the
//! in-memory etcd: the same cases (one copy, included below); only the fixture differs.

use std::time::Duration;

use etcd_auth::{AuthApi, AuthErrorKind, Error, Permission, Role};
use etcd_fake::FakeEtcd as Cluster;

/// A fresh in-memory etcd.
fn etcd() -> Option<Cluster> {
    Some(Cluster::new())
}
use etcd_keys::{Client, KeysApi};

const ROOT_PASSWORD: &str = "root-secret";
const APP_PASSWORD: &str = "app-secret";

fn client(cluster: &Cluster, credentials: Option<(&str, &str)>) -> Client {
    let config = Client::builder(cluster.endpoints())
        .transport(cluster.clone())
        .header_timeout_per_request(Duration::from_secs(5));
    let config = match credentials {
        Some((user, password)) => config.basic_auth(user, password),
        None => config,
    };
    config.build().expect("the test cluster's endpoints are valid")
}

include!("../../etcd-auth/tests/suites/auth.rs");
