//! The watch suite that runs against real etcd (`crates/etcd-keys/tests/suites/watch.rs`, its single-member
//! cases), run against the in-memory etcd: one copy of the cases; only the fixture differs.
//!
//! Left out: `thousands_of_writes_every_index_once_in_order`. The fake applies a write in microseconds, so an
//! unthrottled writer can outrun a watcher by more than etcd's 1,000-event history, which then (as etcd would)
//! answers 401; against real etcd, whose writes take far longer, the race is not run.

use std::time::Duration;

use etcd_keys::{Action, Client, DeleteOptions, GetOptions, KeysApi, Response, SetOptions, WatcherOptions};

/// An in-memory etcd and a keys API on it (never `None`: the suite's fixtures may skip).
fn single() -> Option<(etcd_fake::FakeEtcd, KeysApi)> {
    let fake = etcd_fake::FakeEtcd::new();
    let keys = KeysApi::new(
        Client::builder(fake.endpoints())
            .transport(fake.clone())
            .shuffle_endpoints(false)
            .header_timeout_per_request(Duration::from_secs(1))
            .build()
            .unwrap(),
    );
    Some((fake, keys))
}

/// The fake reports a compare-and-delete as etcd's v2 does.
const COMPARE_AND_DELETE_SEEN_AS: Action = Action::CompareAndDelete;

/// The fake keeps etcd's last 1,000 events: 1,100 writes push the ones before them out.
async fn forget_history(_etcd: &etcd_fake::FakeEtcd, keys: &KeysApi) -> Option<u64> {
    for i in 0..1100 {
        keys.set(&format!("/hist/k{}", i % 7), &i.to_string(), None).await.unwrap();
    }
    None
}

include!("../../etcd-keys/tests/suites/watch.rs");
