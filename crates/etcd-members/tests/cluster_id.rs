//! The cluster-ID guard against two real single-member clusters started by the test: a client told which cluster
//! it belongs to refuses the other's answers, goes on to its own, and syncs with its own members only. Skips
//! loudly without etcd; fails with `ETCD_REQUIRED=1`.

mod common;

use common::{HEADER_TIMEOUT, blocking, endpoints, turn};
use etcd_keys::{AttemptFailure, Client, KeysApi};
use etcd_members::{ClusterSync, MembersApi};
use etcd_testkit::cluster_or_skip;

fn guarded(endpoints: &[String], cluster_id: &str) -> Client {
    Client::builder(endpoints)
        .shuffle_endpoints(false)
        .header_timeout_per_request(HEADER_TIMEOUT)
        .expect_cluster_id(cluster_id)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_from_another_cluster_are_refused_and_the_next_endpoint_tried() {
    let _turn = turn().await;
    let Some(ours) = blocking(|| cluster_or_skip(1)) else { return };
    let Some(theirs) = blocking(|| cluster_or_skip(1)) else { return };
    let ours_url = ours.endpoints()[0].clone();
    let theirs_url = theirs.endpoints()[0].clone();
    let id_of = |url: String| async move {
        let response = KeysApi::new(common::client([url])).set("/whoami", "x", None).await.unwrap();
        response.cluster_id.expect("etcd sends X-Etcd-Cluster-Id with keys answers")
    };
    let (our_id, their_id) = (id_of(ours_url.clone()).await, id_of(theirs_url.clone()).await);
    assert_ne!(our_id, their_id);

    // Their member first: its answer is refused, and even a create goes on to ours, since ours did not apply it.
    let client = guarded(&[theirs_url.clone(), ours_url.clone()], &our_id);
    let keys = KeysApi::new(client.clone());
    let created = keys.create("/guarded/queue-entry", "once").await.unwrap();
    assert_eq!(created.cluster_id.as_deref(), Some(our_id.as_str()));
    assert_eq!(common::pinned(&client), ours_url, "the foreign member is not pinned");
    // Checked on the answer: their cluster did apply it. The guard keeps the client's own data right, not theirs.
    let applied_there = KeysApi::new(common::client([theirs_url.clone()])).get("/guarded/queue-entry", None).await;
    assert!(applied_there.is_ok(), "{applied_there:?}");

    // The members listed are ours, so a sync leaves the foreign endpoint behind.
    let listed = MembersApi::new(client.clone()).list().await.unwrap();
    assert_eq!(listed.iter().map(|m| m.client_urls.clone()).collect::<Vec<_>>(), [vec![ours_url.clone()]]);
    client.sync().await.unwrap();
    assert_eq!(endpoints(&client), [ours_url]);

    // Only foreign members: every attempt refused, each saying which cluster answered.
    let lost =
        KeysApi::new(guarded(std::slice::from_ref(&theirs_url), &our_id)).get("/whoami", None).await.unwrap_err();
    let cluster_error = lost.as_cluster().unwrap_or_else(|| panic!("{lost}"));
    match cluster_error.errors()[0].failure() {
        AttemptFailure::ForeignCluster { expected, answered } => {
            assert_eq!((expected, answered), (&our_id, &their_id));
        }
        other => panic!("{other}"),
    }
    assert!(!lost.is_outcome_unknown());
}
