// The cache suite's cases, shared by every fixture that runs the recipes: real etcd with v2 (`etcd-recipes/tests/
// cache.rs`) and the v2-over-v3 bridge on etcd without v2 (`etcd-v2v3/tests/recipes_cache.rs`). Each runner declares
// its `common` module (`cluster()`, `keys(&cluster)`, `keys_of(&cluster, members)`) and `forget_events(&cluster,
// writers, &writer)`, which makes etcd forget every event so far, and includes this file.

use std::collections::BTreeMap;
use std::time::Duration;

use common::{cluster, keys, keys_of};
use etcd_keys::{GetOptions, KeysApi, Node, SetOptions};
use etcd_recipes::{Cache, Change};
use tokio::time::timeout;

/// The keys under `dir` from a quorum read, as the cache holds them: key -> value.
async fn read_tree(keys: &KeysApi, dir: &str) -> (BTreeMap<String, String>, u64) {
    match keys.get(dir, Some(GetOptions::new().with_quorum().with_recursive())).await {
        Ok(read) => {
            (read.node.walk().filter(|n| !n.dir).map(|n| (n.key.clone(), n.value.clone())).collect(), read.index)
        }
        Err(error) if error.is_key_not_found() => (BTreeMap::new(), error.as_etcd().unwrap().index()),
        Err(error) => panic!("{error}"),
    }
}

fn values(map: &BTreeMap<String, Node>) -> BTreeMap<String, String> {
    map.iter().map(|(k, n)| (k.clone(), n.value.clone())).collect()
}

/// Waits (at most 10 s) until the cache has applied everything up to `index`.
async fn caught_up(cache: &Cache, index: u64) {
    let wait = async {
        while cache.index() < index {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(Duration::from_secs(10), wait).await.unwrap_or_else(|_| panic!("at {} of {index}", cache.index()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_follows_a_directory_through_a_member_kill_without_a_gap() {
    let Some(mut cluster) = cluster() else { return };
    let admin = keys(&cluster);
    admin.set("/cache/a/before", "0", None).await.unwrap();
    let cache = Cache::start(keys(&cluster), "/cache/a").await.unwrap();
    assert_eq!(cache.get("/cache/a/before").unwrap().value, "0");
    let mut changes = cache.changes();

    for i in 0..60 {
        if i == 20 {
            cluster.kill(0).unwrap();
        }
        if i == 40 {
            cluster.restart(0).unwrap();
        }
        let key = format!("/cache/a/{}/k{}", i % 3, i % 7);
        // Whatever the outcome (a write to the killed member may be unknown): the check is against etcd's tree.
        let _ = match i % 5 {
            0 => admin.delete(&key, None).await,
            1 => admin.set(&key, "ttl", Some(SetOptions::new().with_ttl(Duration::from_secs(1)))).await,
            _ => admin.set(&key, &i.to_string(), None).await,
        };
    }
    admin.delete("/cache/a/before", None).await.unwrap();
    // Let the TTL keys expire, so that expirations are part of what the cache follows.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (tree, index) = read_tree(&admin, "/cache/a").await;
    caught_up(&cache, index).await;
    assert_eq!(values(&cache.snapshot()), tree);

    // The changes replayed on a copy of the first map give the same map.
    let mut replayed: BTreeMap<String, String> = [("/cache/a/before".to_owned(), "0".to_owned())].into();
    while replayed != tree {
        match timeout(Duration::from_secs(5), changes.next()).await.expect("a change").unwrap() {
            Change::Put { node, .. } => drop(replayed.insert(node.key, node.value)),
            Change::Removed { node } => drop(replayed.remove(&node.key)),
            other => panic!("{other:?}"),
        }
    }
}

/// The only member the cache's client knows is down while etcd forgets the events the cache's watch needs
/// (`forget_events`, the runner's: v2 keeps the last 1,000 events, the bridge what v3 compaction left): once it
/// is back, the watch learns it (401), and the cache reads the tree again and misses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_reads_the_tree_again_when_etcd_forgot_the_events_it_needs() {
    let Some(mut cluster) = cluster() else { return };
    let admin = keys(&cluster);
    admin.set("/cache/b/gone", "soon", None).await.unwrap();
    admin.set("/cache/b/changed", "old", None).await.unwrap();
    // The cache's client knows one follower only (so that killing it costs no election); the writes go through
    // the two others.
    let leader = cluster.wait_leader(Duration::from_secs(5)).unwrap();
    let (down, others) = ((leader + 1) % 3, [leader, (leader + 2) % 3]);
    let cache = Cache::start(keys_of(&cluster, &[down]), "/cache/b").await.unwrap();
    let mut changes = cache.changes();
    let writer = keys_of(&cluster, &others);

    cluster.kill(down).unwrap();
    writer.delete("/cache/b/gone", None).await.unwrap();
    writer.set("/cache/b/changed", "new", None).await.unwrap();
    forget_events(&cluster, others, &writer).await;
    writer.set("/cache/b/new", "1", None).await.unwrap();
    cluster.restart(down).unwrap();

    let (tree, index) = read_tree(&writer, "/cache/b").await;
    caught_up(&cache, index).await;
    assert_eq!(values(&cache.snapshot()), tree);
    let mut seen = Vec::new();
    let reset = async {
        loop {
            match changes.next().await.unwrap() {
                Change::Reset { .. } => break,
                change => seen.push(change),
            }
        }
    };
    timeout(Duration::from_secs(5), reset).await.expect("a reset");
    let removed: Vec<&str> = seen
        .iter()
        .filter_map(|c| match c {
            Change::Removed { node } => Some(node.key.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(removed, ["/cache/b/gone"], "{seen:#?}");
}
