// The registration suite's cases, shared by every fixture that runs the recipes: real etcd with v2
// (`etcd-recipes/tests/registration.rs`) and the v2-over-v3 bridge on etcd without v2
// (`etcd-v2v3/tests/recipes_registration.rs`). Each runner declares its `common` module (`cluster()`, `keys(&cluster)`,
// `keys_in_order(endpoints, header_timeout)` and the exclusion checker) and includes this file. One copy, so that a
// case fixed or added runs everywhere.

use std::time::Duration;

use common::{cluster, keys, keys_in_order};
use etcd_keys::{GetOptions, KeysApi};
use etcd_recipes::Registration;
use tokio::time::timeout;

const TTL: Duration = Duration::from_secs(2);

/// The key's value, from a quorum read; `None` when there is no key.
async fn value(keys: &KeysApi, key: &str) -> Option<String> {
    read(keys, key).await.unwrap_or_else(|error| panic!("{error}"))
}

/// The key's value, from a quorum read, or why it could not be read.
async fn read(keys: &KeysApi, key: &str) -> Result<Option<String>, etcd_keys::Error> {
    match keys.get(key, Some(GetOptions::new().with_quorum())).await {
        Ok(read) => Ok(Some(read.node.value)),
        Err(error) if error.is_key_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// Waits (at most `within`) until the key's value is `expected`; a read that fails (a cluster just thawed
/// electing a leader) is tried again.
async fn until_value(keys: &KeysApi, key: &str, expected: Option<&str>, within: Duration) {
    let wait = async {
        loop {
            match read(keys, key).await {
                Ok(value) if value.as_deref() == expected => break,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    };
    timeout(within, wait).await.unwrap_or_else(|_| panic!("{key} not {expected:?} within {within:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_outlives_its_ttl_is_written_again_when_deleted_and_goes_on_shutdown() {
    let Some(cluster) = cluster() else { return };
    let admin = keys(&cluster);
    let key = "/services/api/a";
    let registration = Registration::start(keys(&cluster), key, "http://a:8080", TTL).await.unwrap();
    tokio::time::sleep(TTL * 2).await;
    assert_eq!(value(&admin, key).await.as_deref(), Some("http://a:8080"), "kept alive past its TTL");
    assert_eq!(registration.writes(), 1);
    assert!(registration.is_registered());

    admin.delete(key, None).await.unwrap();
    until_value(&admin, key, Some("http://a:8080"), Duration::from_secs(2)).await;
    // The value can be read back before the registration's task has counted the write it just made.
    let counted = async {
        while registration.writes() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    timeout(Duration::from_secs(2), counted).await.expect("the second write is counted");
    assert_eq!(registration.writes(), 2, "written again once, not more");

    registration.shutdown().await.unwrap();
    assert_eq!(value(&admin, key).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_registration_deletes_its_key() {
    let Some(cluster) = cluster() else { return };
    let admin = keys(&cluster);
    let registration = Registration::start(keys(&cluster), "/services/api/b", "b", TTL).await.unwrap();
    drop(registration);
    // Well within the TTL: the delete was spawned at once.
    until_value(&admin, "/services/api/b", None, Duration::from_millis(1500)).await;
}

/// The whole cluster frozen for longer than the TTL: the registration says it may be gone, and once etcd is
/// back, the key is there again (refreshed before etcd expired it, or written again after).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_survives_the_whole_cluster_frozen_past_its_ttl() {
    let Some(mut cluster) = cluster() else { return };
    let admin = keys(&cluster);
    let key = "/services/api/c";
    let registration = Registration::start(keys(&cluster), key, "c", TTL).await.unwrap();
    for member in 0..3 {
        cluster.stop(member).unwrap();
    }
    tokio::time::sleep(TTL + Duration::from_millis(1500)).await;
    assert!(!registration.is_registered(), "no acknowledged refresh for a TTL: not believed registered");
    for member in 0..3 {
        cluster.cont(member).unwrap();
    }
    until_value(&admin, key, Some("c"), Duration::from_secs(10)).await;
    let back = async {
        while !registration.is_registered() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    timeout(Duration::from_secs(5), back).await.expect("registered again within 5 s");
    eprintln!("writes after the freeze: {}", registration.writes());
    // Still there a TTL later: kept alive again, not a leftover about to expire.
    tokio::time::sleep(TTL + Duration::from_millis(500)).await;
    assert_eq!(value(&admin, key).await.as_deref(), Some("c"));
    registration.shutdown().await.unwrap();
}

/// The member the registration's client is pinned to freezes for longer than the TTL: the refresh stuck on it
/// fails at the header timeout (1.5 s, under half the 4 s TTL), the next goes to another member, and the key
/// never expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_outlives_its_pinned_member_frozen_past_its_ttl() {
    let Some(mut cluster) = cluster() else { return };
    let leader = cluster.wait_leader(Duration::from_secs(5)).unwrap();
    let order = [(leader + 1) % 3, (leader + 2) % 3, leader];
    let endpoints: Vec<String> = order.iter().map(|&m| cluster.member(m).client_url()).collect();
    let key = "/services/api/d";
    let pinned = keys_in_order(endpoints, Duration::from_millis(1500));
    let registration = Registration::start(pinned, key, "d", Duration::from_secs(4)).await.unwrap();
    let admin = keys(&cluster);
    let created = admin.get(key, None).await.unwrap().node.created_index;

    cluster.stop(order[0]).unwrap();
    tokio::time::sleep(Duration::from_millis(5500)).await;
    cluster.cont(order[0]).unwrap();

    let now = admin.get(key, Some(GetOptions::new().with_quorum())).await.unwrap().node;
    assert_eq!((now.created_index, now.value.as_str()), (created, "d"), "the key never expired");
    assert_eq!(registration.writes(), 1);
    assert!(registration.is_registered());
    registration.shutdown().await.unwrap();
}
