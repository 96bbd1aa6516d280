// The election suite's cases, shared by every fixture that runs the recipes: real etcd with v2 (`etcd-recipes/tests/
// election.rs`) and the v2-over-v3 bridge on etcd without v2 (`etcd-v2v3/tests/recipes_election.rs`). Each runner
// declares its `common` module (`cluster()`, `keys(&cluster)`, `keys_in_order(endpoints, header_timeout)` and the
// exclusion checker) and includes this file. One copy, so that a case fixed or added runs everywhere.

use std::time::Duration;

use common::{cluster, keys};
use etcd_recipes::{Election, Leader, LeaderChanges, LostReason};
use tokio::time::timeout;

const TTL: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_lead_in_turn_and_observers_see_each_leader() {
    let Some(cluster) = cluster() else { return };
    let elections: Vec<Election> =
        ["a", "b", "c"].iter().map(|name| Election::new(keys(&cluster), "/election/x", *name).with_ttl(TTL)).collect();
    let mut observer = elections[0].observe().await.unwrap();
    assert_eq!(timeout(Duration::from_secs(2), observer.next()).await.unwrap(), Some(None), "nobody leads yet");

    let a = elections[0].campaign().await.unwrap();
    let (b, c) = (elections[1].clone(), elections[2].clone());
    let b = tokio::spawn(async move { b.campaign().await.unwrap() });
    let leader = next(&mut observer).await.unwrap().unwrap();
    assert_eq!((leader.identity.as_str(), leader.token), ("a", a.token()));
    assert_eq!(elections[2].leader().await.unwrap(), Some(leader));

    // c campaigns after b queued: b leads next.
    while queued(&cluster).await < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let c = tokio::spawn(async move { c.campaign().await.unwrap() });
    a.resign().await.unwrap();
    let b = timeout(Duration::from_secs(5), b).await.unwrap().unwrap();
    let leader = next(&mut observer).await.unwrap().unwrap();
    assert_eq!((leader.identity.as_str(), leader.token), ("b", b.token()));

    // b's key is deleted behind its back: b learns it lost, and c leads.
    keys(&cluster).delete(b.key(), None).await.unwrap();
    assert_eq!(timeout(Duration::from_secs(3), b.lost()).await.unwrap(), LostReason::Gone);
    let c = timeout(Duration::from_secs(5), c).await.unwrap().unwrap();
    assert!(c.token() > b.token());
    let leader = next(&mut observer).await.unwrap().unwrap();
    assert_eq!((leader.identity.as_str(), leader.token), ("c", c.token()));

    c.resign().await.unwrap();
    assert_eq!(next(&mut observer).await, Some(None), "nobody leads");
}

/// The next leader the observer sees, within 5 s.
async fn next(observer: &mut LeaderChanges) -> Option<Option<Leader>> {
    timeout(Duration::from_secs(5), observer.next()).await.expect("a leader change")
}

/// How many candidates are in line.
async fn queued(cluster: &etcd_testkit::Cluster) -> usize {
    keys(cluster).get("/election/x", None).await.map(|r| r.node.nodes.len()).unwrap_or(0)
}
