// The status suite's cases that hold wherever the members API is served: real etcd with v2 (`etcd-members/tests/
// status.rs`) and the v2-over-v3 bridge on etcd without v2 (`etcd-v2v3/tests/members_status.rs`). Each runner
// declares its `common` module (the fixture: `cluster_builder(members)`, `over(client)`; and the helpers of
// `suites/helpers.rs`) and includes this file. One copy, so that a case fixed or added runs everywhere.

use common::{BOUND, blocking, client, cluster_builder, poll, turn};
use etcd_members::{Health, MembersApi, StatusApi};
use etcd_transport::Endpoint;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_and_health_of_each_member_and_of_the_cluster() {
    let _turn = turn().await;
    let Some(mut cluster) = blocking(|| cluster_builder(3).start_or_skip()) else { return };
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

    let leader = blocking(|| cluster.wait_leader(BOUND)).unwrap();
    let leader_url = Endpoint::parse(&cluster.member(leader).client_url()).unwrap();
    let follower = (0..3).find(|&i| i != leader).unwrap();

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
