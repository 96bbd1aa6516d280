//! Version, health and statistics against a real three-member cluster started by the test, with one member
//! killed along the way. Skips loudly without etcd; fails with `ETCD_REQUIRED=1`.

mod common;

// Besides the suite's imports, for the statistics case below.
use etcd_keys::KeysApi;
use etcd_members::RaftState;
use etcd_testkit::cluster_or_skip;

include!("suites/status.rs");

/// The v2 statistics (v2 only: through the bridge a member's own statistics carry no counters or uptime, the
/// leader's no followers, and the store's are `{}`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_of_each_member_and_of_the_cluster() {
    let _turn = turn().await;
    let Some(cluster) = blocking(|| cluster_or_skip(3)) else { return };
    let client = client(cluster.endpoints());
    let status = StatusApi::new(client.clone());
    let members = MembersApi::new(client.clone()).list().await.unwrap();

    // Statistics: each member about itself, the leader about its followers, the store's counts.
    let leader = blocking(|| cluster.wait_leader(BOUND)).unwrap();
    let leader_url = Endpoint::parse(&cluster.member(leader).client_url()).unwrap();
    let own = status.self_stats_at(&leader_url).await.unwrap();
    assert_eq!((own.name.as_str(), &own.state), (cluster.member(leader).name(), &RaftState::Leader));
    let follower = (0..3).find(|&i| i != leader).unwrap();
    let follower_url = Endpoint::parse(&cluster.member(follower).client_url()).unwrap();
    let theirs = status.self_stats_at(&follower_url).await.unwrap();
    assert_eq!(theirs.state, RaftState::Follower);
    assert_eq!(theirs.leader_info.leader, Some(own.id));
    assert!(theirs.leader_info.uptime_duration().is_some(), "{:?}", theirs.leader_info);
    let refused = status.store_stats_at(&Endpoint::parse("http://127.0.0.1:1").unwrap()).await.unwrap_err();
    assert!(refused.is_cluster(), "{refused}");

    let leader_stats = status.leader_stats().await.unwrap();
    assert_eq!(leader_stats.leader, own.id);
    let mut followers: Vec<_> = leader_stats.followers.keys().copied().collect();
    let mut expected: Vec<_> = members.iter().map(|m| m.id).filter(|id| *id != own.id).collect();
    followers.sort();
    expected.sort();
    assert_eq!(followers, expected);

    // Every member counts the writes it applies; the one that answered them had applied them.
    let keys = KeysApi::new(client.clone());
    let answering = client.endpoints().unwrap().pinned();
    let before = status.store_stats_at(&answering).await.unwrap();
    for i in 0..5 {
        keys.set(&format!("/status/{i}"), "v", None).await.unwrap();
    }
    assert_eq!(client.endpoints().unwrap().pinned(), answering, "no failover happened");
    let after = status.store_stats_at(&answering).await.unwrap();
    assert_eq!(after.sets_success, before.sets_success + 5);
    assert!(status.store_stats().await.is_ok());
}
