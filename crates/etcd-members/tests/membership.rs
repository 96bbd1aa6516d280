//! The members API and sync against a real three-member cluster started by the test, which grows it by a fourth
//! member (a new etcd process joining), updates that member and removes it. Skips loudly without etcd; fails
//! with `ETCD_REQUIRED=1`.

mod common;

use std::collections::BTreeSet;

use common::{blocking, client, endpoints, pinned, poll, turn};
use etcd_members::{ClusterSync, Member, MemberErrorKind, MemberId, MembersApi};
use etcd_testkit::cluster_or_skip;

fn sorted(urls: &[String]) -> BTreeSet<String> {
    urls.iter().cloned().collect()
}

fn free_loopback_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_member_joins_is_synced_updated_and_removed() {
    let _turn = turn().await;
    let Some(mut cluster) = blocking(|| cluster_or_skip(3)) else { return };
    let seed = cluster.member(0).client_url();
    let client = client([seed.clone()]);
    let members = MembersApi::new(client.clone());

    // The three members as started, each with its URLs.
    let listed = members.list().await.unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    for member in cluster.members() {
        let found = listed.iter().find(|m| m.name == member.name()).unwrap_or_else(|| panic!("{listed:?}"));
        assert_eq!(found.client_urls, [member.client_url()]);
        assert_eq!(found.peer_urls, [member.peer_url()]);
        assert!(found.is_started());
    }
    let leader_index = blocking(|| cluster.wait_leader(common::BOUND)).unwrap();
    let leader = members.leader().await.unwrap();
    assert_eq!(leader.name, cluster.member(leader_index).name());

    // A sync turns the one seed into every member's client URL.
    let outcome = client.sync().await.unwrap();
    assert!(outcome.changed());
    assert_eq!(sorted(&endpoints(&client)), sorted(&cluster.endpoints()));

    // Refusals, typed: a peer URL in use; a bad URL, refused before sending. etcd takes no membership change
    // until its leader has been in touch with a quorum for 5 s (its strict reconfiguration check), and answers
    // 500 before that, leaving the outcome unknown; adding a taken URL can never succeed, so it is asked again.
    let taken = poll("the cluster takes membership changes", || async {
        match members.add([cluster.member(1).peer_url()]).await {
            Err(error) if error.is_outcome_unknown() => None,
            other => Some(other),
        }
    })
    .await
    .unwrap_err();
    assert!(taken.is_peer_url_exists(), "{taken}");
    assert_eq!(taken.as_member().unwrap().status(), 409);
    let bad = members.add(["127.0.0.1:2380"]).await.unwrap_err();
    assert!(bad.is_invalid_request(), "{bad}");

    // A fourth member: announced, then started as a new etcd process that joins.
    let index = blocking(|| cluster.new_member()).unwrap();
    let peer = cluster.member(index).peer_url();
    // Should the strict reconfiguration check still refuse it, the outcome is unknown: the list tells.
    let added: Member = poll("the cluster accepts a fourth member", || async {
        match members.add([peer.as_str()]).await {
            Ok(added) => Some(added),
            Err(error) if error.is_outcome_unknown() => {
                members.list().await.ok()?.into_iter().find(|m| m.peer_urls.contains(&peer))
            }
            Err(error) => panic!("adding a member: {error}"),
        }
    })
    .await;
    assert_eq!(added.peer_urls, std::slice::from_ref(&peer));
    assert!(!added.is_started() && added.client_urls.is_empty(), "{added:?}");
    let listed = members.list().await.unwrap();
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().any(|m| m.id == added.id && !m.is_started()), "{listed:?}");

    blocking(|| cluster.start_member(index)).unwrap();
    let joined: Member = poll("the new member publishes its name and client URL", || async {
        members.list().await.ok()?.into_iter().find(|m| m.id == added.id && m.is_started())
    })
    .await;
    assert_eq!(joined.name, cluster.member(index).name());
    assert_eq!(joined.client_urls, [cluster.member(index).client_url()]);

    // Sync picks its client URL; a second sync changes nothing, order and pin included.
    let outcome = client.sync().await.unwrap();
    assert!(outcome.changed());
    assert_eq!(sorted(&endpoints(&client)), sorted(&cluster.endpoints()));
    assert!(endpoints(&client).contains(&cluster.member(index).client_url()));
    let (order, pin) = (endpoints(&client), pinned(&client));
    let again = client.sync().await.unwrap();
    assert!(!again.changed());
    assert_eq!((endpoints(&client), pinned(&client)), (order, pin));

    // Its peer URLs updated: a second one added (it keeps listening on the first).
    let second = free_loopback_url();
    members.update(joined.id, [peer.as_str(), second.as_str()]).await.unwrap();
    let updated = members.list().await.unwrap().into_iter().find(|m| m.id == joined.id).unwrap();
    assert_eq!(sorted(&updated.peer_urls), sorted(&[peer.clone(), second.clone()]));
    let conflict = members.update(joined.id, [cluster.member(0).peer_url()]).await.unwrap_err();
    assert!(conflict.is_peer_url_exists(), "{conflict}");

    // No such member, for update and remove alike.
    let ghost = MemberId::new(0x1234);
    let missing = members.update(ghost, [second.as_str()]).await.unwrap_err();
    assert!(missing.is_member_not_found(), "{missing}");
    assert_eq!(missing.as_member().unwrap().message(), "No such member: 1234");
    assert!(members.remove(ghost).await.unwrap_err().is_member_not_found());

    // Removed; removing it again counts as done (410 Gone).
    members.remove(joined.id).await.unwrap();
    members.remove(joined.id).await.unwrap();
    let listed = members.list().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|m| m.id != joined.id));
    let outcome = client.sync().await.unwrap();
    assert!(outcome.changed());
    assert!(!endpoints(&client).contains(&cluster.member(index).client_url()));
    assert_eq!(endpoints(&client).len(), 3);
    blocking(|| cluster.kill(index)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_before_sending_need_no_cluster() {
    // Nothing listens on port 1: a request that left would end as a cluster error, not an invalid request.
    let members = MembersApi::new(client(["http://127.0.0.1:1"]));
    for bad in ["http://h", "ftp://h:1", "http://h:1/path"] {
        let error = members.add([bad]).await.unwrap_err();
        assert!(error.is_invalid_request(), "{bad}: {error}");
        let error = members.update(MemberId::new(1), [bad]).await.unwrap_err();
        assert!(error.is_invalid_request(), "{bad}: {error}");
    }
    let unreachable = members.list().await.unwrap_err();
    assert!(unreachable.is_cluster(), "{unreachable}");
    assert_ne!(unreachable.as_member().map(|e| e.kind()), Some(MemberErrorKind::NoClientUrl));
}
