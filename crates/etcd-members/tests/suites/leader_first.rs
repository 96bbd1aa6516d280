// The leader-first selection suite's cases, shared by every fixture that serves the members API: real etcd with v2
// (`etcd-members/tests/leader_first.rs`) and the v2-over-v3 bridge on etcd without v2
// (`etcd-v2v3/tests/members_leader_first.rs`). Each runner declares its `common` module (the fixture:
// `cluster_builder(members)`, `over(client)`; and the helpers of `suites/helpers.rs`) and includes this file. One copy,
// so that a case fixed or added runs everywhere.

use common::{BOUND, blocking, client, cluster_builder, endpoints, pinned, poll_seeing, turn};
use etcd_members::{ClusterSync, SelectionMode, SyncOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pin_follows_the_leader_across_an_election() {
    let _turn = turn().await;
    let Some(mut cluster) = blocking(|| cluster_builder(3).start_or_skip()) else { return };
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
