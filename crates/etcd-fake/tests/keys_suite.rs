//! The keys suite that runs against real etcd (`crates/etcd-keys/tests/keys_against_etcd.rs`), run against the
//! in-memory etcd: the same cases, one copy of the cases (included below); only the fixture differs.
use std::time::{Duration, Instant};

use etcd_keys::{
    Action, Client, CreateInOrderOptions, DeleteOptions, ErrorCode, GetOptions, KeysApi, MAX_TTL, PrevExist, SetOptions,
};

/// The in-memory etcd and a keys API on it, through the client's whole default stack (`Config::transport`).
fn etcd() -> Option<(etcd_fake::FakeEtcd, KeysApi)> {
    let fake = etcd_fake::FakeEtcd::new();
    let client = Client::builder(fake.endpoints())
        .transport(fake.clone())
        .header_timeout_per_request(Duration::from_secs(5))
        .build()
        .expect("the fake's endpoints are valid");
    Some((fake, KeysApi::new(client)))
}

include!("../../etcd-keys/tests/suites/keys.rs");
