//! Version, health and statistics against a real three-member cluster started by the test, with one member
//! killed along the way. Skips loudly without etcd; fails with `ETCD_REQUIRED=1`.

mod common;

use common::{BOUND, blocking, client, poll, turn};
use etcd_keys::KeysApi;
use etcd_members::{Health, MembersApi, RaftState, StatusApi};
use etcd_testkit::cluster_or_skip;
use etcd_transport::Endpoint;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_health_and_stats_of_each_member_and_of_the_cluster() {
    let _turn = turn().await;
    let Some(mut cluster) = blocking(|| cluster_or_skip(3)) else { return };
    let client = client(cluster.endpoints());
    let status = StatusApi::new(client.clone());
    let members = MembersApi::new(client.clone()).list().await.unwrap();
    let binary_version = cluster.binary().version().to_owned();

    // Versions: the client's member, and each one.
    // A new cluster agrees on its version shortly after it elects a leader.
    let minor: String = binary_version.split('.').take(2).collect::<Vec<_>>().join(".");
    let version = poll("the cluster version decided", || async {
        status.version().await.ok().filter(|v| v.cluster != "not_decided")
    })
    .await;
    assert_eq!((version.server.as_str(), version.cluster), (binary_version.as_str(), format!("{minor}.0")));
    for url in cluster.endpoints() {
        let at = status.version_at(&Endpoint::parse(&url).unwrap()).await.unwrap();
        assert_eq!(at.server, binary_version);
    }

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

    // Health: all well, then one member killed.
    let health = status.health().await.unwrap();
    assert!(health.is_healthy() && health.unhealthy().count() == 0, "{health:?}");
    assert_eq!(health.members.len(), 3);

    blocking(|| cluster.kill(follower)).unwrap();
    let killed = cluster.member(follower).name().to_owned();
    // Killing a follower leaves the leader in place; the two others stay healthy.
    let health = poll("the two other members healthy", || async {
        let health = status.health().await.ok()?;
        (health.healthy().count() == 2).then_some(health)
    })
    .await;
    assert!(health.is_healthy(), "{health:?}");
    let down: Vec<_> = health.unhealthy().collect();
    assert_eq!(down.len(), 1, "{health:?}");
    assert_eq!(down[0].member.name, killed);
    match &down[0].health {
        Health::Unreachable { error: Some(error) } => assert!(error.is_cluster(), "{error}"),
        other => panic!("{other:?}"),
    }
    let up = status.member_health(&members.iter().find(|m| m.name != killed).unwrap().clone()).await;
    assert!(up.is_healthy(), "{up:?}");

    // A second member killed: the last one has no quorum, answers 503, and the cluster is unhealthy.
    let second = (0..3).find(|&i| i != follower && i != leader).unwrap();
    blocking(|| cluster.kill(second)).unwrap();
    let last = cluster.member(leader).name().to_owned();
    let last_member = members.iter().find(|m| m.name == last).unwrap().clone();
    let alone = poll("the last member unhealthy", || async {
        let health = status.member_health(&last_member).await;
        matches!(health.health, Health::Unhealthy { .. }).then_some(health)
    })
    .await;
    match alone.health {
        Health::Unhealthy { endpoint, .. } => assert_eq!(endpoint, leader_url),
        other => panic!("{other:?}"),
    }
    // Listing the members needs no quorum; the cluster's health says what is left.
    let health = status.health().await.unwrap();
    assert!(!health.is_healthy() && health.healthy().count() == 0, "{health:?}");
}
