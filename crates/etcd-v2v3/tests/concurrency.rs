//! 64 writers at once through the bridge against a real etcd started WITHOUT v2: create-in-order gives 64
//! distinct names that grow with their indexes, and 64 compare-and-swap increments lose none. Skips loudly
//! without etcd; fails when `ETCD_REQUIRED=1`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use etcd_keys::{Client, GetOptions, KeysApi, SetOptions};
use etcd_testkit::Cluster;

const WRITERS: usize = 64;

fn bridged() -> Option<(Cluster, KeysApi)> {
    let cluster = Cluster::builder().without_v2().start_or_skip()?;
    let v3 = Client::builder(cluster.endpoints())
        .header_timeout_per_request(Duration::from_secs(10))
        .build()
        .expect("the test cluster's endpoints are valid");
    Some((cluster, KeysApi::new(etcd_v2v3::bridge(v3))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_create_in_order_gives_no_duplicate() {
    let Some((_etcd, keys)) = bridged() else { return };
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let keys = keys.clone();
            tokio::spawn(async move { keys.create_in_order("/queue", &i.to_string(), None).await })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        let response = tokio::time::timeout(Duration::from_secs(60), task).await.expect("within a minute");
        created.push(response.unwrap().unwrap());
    }
    let elapsed = started.elapsed();
    let names: BTreeSet<&str> = created.iter().map(|r| r.node.key.as_str()).collect();
    assert_eq!(names.len(), WRITERS, "no duplicate name");
    let values: BTreeSet<&str> = created.iter().map(|r| r.node.value.as_str()).collect();
    assert_eq!(values.len(), WRITERS, "every entry kept");
    // In name order, the entries were created in index order: a queue.
    let listed = keys.get("/queue", Some(GetOptions::new().with_sort())).await.unwrap();
    assert_eq!(listed.node.nodes.len(), WRITERS);
    let indexes: Vec<u64> = listed.node.nodes.iter().map(|n| n.created_index).collect();
    assert!(indexes.windows(2).all(|w| w[0] < w[1]), "names grow with creation: {indexes:?}");
    eprintln!("{WRITERS} concurrent create-in-order through the bridge: {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_compare_and_swap_increments_lose_nothing() {
    let Some((_etcd, keys)) = bridged() else { return };
    keys.set("/counter", "0", None).await.unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let keys = keys.clone();
            tokio::spawn(async move {
                let mut conflicts = 0u32;
                loop {
                    let read = keys.get("/counter", Some(GetOptions::new().with_quorum())).await.unwrap();
                    let next = (read.node.value.parse::<u64>().unwrap() + 1).to_string();
                    let cas = SetOptions::new().with_prev_index(read.node.modified_index);
                    match keys.set("/counter", &next, Some(cas)).await {
                        Ok(_) => return conflicts,
                        Err(e) if e.is_test_failed() => conflicts += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        conflicts += tokio::time::timeout(Duration::from_secs(120), task).await.expect("within two minutes").unwrap();
    }
    let elapsed = started.elapsed();
    let counter = keys.get("/counter", Some(GetOptions::new().with_quorum())).await.unwrap();
    assert_eq!(counter.node.value, WRITERS.to_string(), "no lost increment");
    assert!(conflicts > 0 || WRITERS == 1, "the writers did race");
    eprintln!(
        "{WRITERS} concurrent CAS increments through the bridge: {elapsed:?}, {conflicts} compare failures retried"
    );
}
