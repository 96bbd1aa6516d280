//! Leader-first selection against a real three-member cluster started by the test: after a sync the pin is the
//! leader's client URL, and after the leader is killed and another elected, the next sync pins the new one.
//! Skips loudly without etcd; fails with `ETCD_REQUIRED=1`.

mod common;

use common::{BOUND, blocking, client, endpoints, pinned, poll_seeing, turn};
use etcd_members::{ClusterSync, SelectionMode, SyncOptions};
use etcd_testkit::cluster_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pin_follows_the_leader_across_an_election() {
    let _turn = turn().await;
    let Some(mut cluster) = blocking(|| cluster_or_skip(3)) else { return };
    let leader = blocking(|| cluster.wait_leader(BOUND)).unwrap();
    // Start at a follower, so that the pin has somewhere to move.
    let follower = (0..3).find(|&i| i != leader).unwrap();
    let client = client([cluster.member(follower).client_url()]);
    let leader_first = SyncOptions::new().selection_mode(SelectionMode::LeaderFirst);

    let outcome = client.sync_with(&leader_first).await.unwrap();
    assert_eq!(outcome.pinned().as_str(), cluster.member(leader).client_url());
    assert_eq!(pinned(&client), cluster.member(leader).client_url());
    assert_eq!(endpoints(&client).len(), 3);
    // The set did not change, so a second sync keeps the order, and pins the leader again.
    let order = endpoints(&client);
    let again = client.sync_with(&leader_first).await.unwrap();
    assert!(!again.changed());
    assert_eq!((endpoints(&client), pinned(&client)), (order, cluster.member(leader).client_url()));

    blocking(|| cluster.kill(leader)).unwrap();
    blocking(|| cluster.wait_leader(BOUND)).unwrap();
    // The pinned member is dead: the sync's calls fail over. During the election the members answer 503, and a
    // member may name the old leader for a moment: the sync is retried until it pins the leader of the moment.
    let outcome = poll_seeing("a leader-first sync pinning the new leader", || async {
        let outcome = client.sync_with(&leader_first).await.map_err(|e| e.to_string())?;
        let now = blocking(|| cluster.leader()).ok_or("no leader")?;
        if outcome.pinned().as_str() == cluster.member(now).client_url() {
            Ok((outcome, now))
        } else {
            Err(format!("pinned {} while m{now} leads", outcome.pinned()))
        }
    })
    .await;
    let (outcome, new_leader) = outcome;
    assert_ne!(new_leader, leader);
    assert_eq!(pinned(&client), cluster.member(new_leader).client_url());
    assert!(!outcome.changed(), "the killed member is still a member: the set is the same");
}
