//! A simulated three-member cluster whose members fail on demand, through the client's whole stack (failover,
//! timeouts), under paused time: every run the same, in milliseconds.

use std::time::Duration;

use etcd_fake::FakeEtcd;
use etcd_keys::{Client, GetOptions, KeysApi};
use etcd_members::{MembersApi, StatusApi};
use http::StatusCode;
use tokio::time::timeout;

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

fn client(fake: &FakeEtcd, endpoints: Vec<String>) -> Client {
    Client::builder(endpoints)
        .transport(fake.clone())
        .shuffle_endpoints(false)
        .header_timeout_per_request(HEADER_TIMEOUT)
        .build()
        .unwrap()
}

fn cluster() -> (FakeEtcd, KeysApi) {
    let fake = FakeEtcd::builder().members(3).seed(7).build();
    let keys = KeysApi::new(client(&fake, fake.endpoints()));
    (fake, keys)
}

/// A client that talks to one member only, to see its own answers.
fn only(fake: &FakeEtcd, member: usize) -> KeysApi {
    KeysApi::new(client(fake, vec![fake.member(member).endpoint()]))
}

#[tokio::test(start_paused = true)]
async fn a_down_member_is_skipped_and_counts_as_never_sent() {
    let (fake, keys) = cluster();
    fake.member(0).down();
    // Even a create (never sent twice) moves on: a refused connection cannot have applied it.
    let created = keys.create("/job", "1").await.unwrap();
    assert_eq!(created.node.value, "1");
    let alone = only(&fake, 0).get("/job", None).await.unwrap_err();
    assert!(alone.is_cluster(), "{alone}");
    fake.member(0).up();
    assert_eq!(only(&fake, 0).get("/job", None).await.unwrap().node.value, "1");
}

#[tokio::test(start_paused = true)]
async fn a_frozen_member_times_out_then_applies_the_write_when_thawed() {
    let (fake, keys) = cluster();
    let before = fake.index();
    fake.member(0).freeze();
    let started = tokio::time::Instant::now();
    let lost = only(&fake, 0).create("/frozen", "x").await.unwrap_err();
    assert!(lost.is_timeout() || lost.is_outcome_unknown(), "{lost}");
    assert_eq!(started.elapsed(), HEADER_TIMEOUT, "the header timeout, exactly");
    assert_eq!(fake.index(), before, "nothing applied while frozen");
    // Reads go to the next member meanwhile.
    assert!(keys.get("/frozen", None).await.unwrap_err().is_key_not_found());

    fake.member(0).thaw();
    timeout(Duration::from_secs(5), async {
        while fake.index() == before {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the write applied after the thaw");
    assert_eq!(keys.get("/frozen", None).await.unwrap().node.value, "x", "applied though the caller gave up");
}

#[tokio::test(start_paused = true)]
async fn slow_and_failing_members_are_left_for_the_next() {
    let (fake, keys) = cluster();
    keys.set("/k", "v", None).await.unwrap();
    fake.member(0).slow(Duration::from_secs(2));
    assert_eq!(keys.get("/k", None).await.unwrap().node.value, "v");
    fake.member(0).heal().fail_with(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(keys.get("/k", None).await.unwrap().node.value, "v");
    fake.member(0).heal().cut_body();
    let cut = only(&fake, 0).get("/k", None).await.unwrap_err();
    assert!(!cut.is_etcd(), "a cut body is a transport failure: {cut}");
    assert_eq!(keys.get("/k", None).await.unwrap().node.value, "v");
}

#[tokio::test(start_paused = true)]
async fn a_partitioned_member_refuses_quorum_operations_and_serves_plain_reads() {
    let (fake, keys) = cluster();
    keys.set("/k", "v", None).await.unwrap();
    fake.member(2).partition();
    let cut_off = only(&fake, 2);
    let write = cut_off.set("/k", "w", None).await.unwrap_err();
    // etcd's 500 for a write: the client cannot know whether it applied.
    assert!(write.is_outcome_unknown(), "{write}");
    assert!(
        write.to_string().contains("etcd error 300: Raft Internal Error (etcdserver: request timed out)"),
        "{write}"
    );
    let quorum = cut_off.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap_err();
    assert!(quorum.to_string().contains("etcd error 300"), "{quorum}");
    assert_eq!(cut_off.get("/k", None).await.unwrap().node.value, "v");
    let health = StatusApi::new(client(&fake, fake.endpoints())).health().await.unwrap();
    assert_eq!(health.healthy().count(), 2, "{health:?}");
    fake.member(2).heal();
    assert_eq!(cut_off.set("/k", "w", None).await.unwrap().node.value, "w");
}

#[tokio::test(start_paused = true)]
async fn leader_changes_move_the_term_and_an_election_stops_writes() {
    let (fake, keys) = cluster();
    let members = MembersApi::new(client(&fake, fake.endpoints()));
    let listed = members.list().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(members.leader().await.unwrap().name, fake.member(0).name());
    let term = keys.set("/k", "1", None).await.unwrap().raft_term.unwrap();

    fake.set_leader(None);
    let refused = keys.set("/k", "2", None).await.unwrap_err();
    assert!(refused.to_string().contains("etcd error 300"), "{refused}");
    assert!(members.leader().await.is_err(), "503 during the election");
    assert_eq!(keys.get("/k", None).await.unwrap().node.value, "1", "plain reads still served");

    fake.set_leader(Some(2));
    let after = keys.set("/k", "3", None).await.unwrap();
    assert_eq!(after.raft_term, Some(term + 2));
    assert_eq!(members.leader().await.unwrap().name, fake.member(2).name());
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_gives_the_same_cluster() {
    let a = FakeEtcd::builder().members(3).seed(42).build();
    let b = FakeEtcd::builder().members(3).seed(42).build();
    let ids = |f: &FakeEtcd| f.members().iter().map(|m| m.id()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_ne!(ids(&a), ids(&FakeEtcd::builder().members(3).seed(43).build()));
}

#[tokio::test(start_paused = true)]
async fn a_member_going_down_fails_its_open_streams_and_a_frozen_one_holds_them() {
    let fake = FakeEtcd::builder().members(3).build();
    let raw = etcd_keys::Client::new(fake.clone()); // relative URIs: the leader, member 0
    let stream = || http::Request::get("/v2/keys/s?wait=true&stream=true").body(()).unwrap();
    let keys = KeysApi::new(client(&fake, fake.endpoints()[1..].to_vec()));

    let mut frozen = raw.send(stream()).await.unwrap().into_body();
    fake.member(0).freeze();
    keys.set("/s", "1", None).await.unwrap();
    let held = timeout(Duration::from_secs(30), http_body_util::BodyExt::frame(&mut frozen)).await;
    assert!(held.is_err(), "nothing arrives from a frozen member");
    fake.member(0).thaw();
    let frame = timeout(Duration::from_secs(1), http_body_util::BodyExt::frame(&mut frozen)).await.unwrap();
    let line = frame.unwrap().unwrap().into_data().unwrap();
    assert!(line.starts_with(b"{\"action\":\"set\""), "{line:?}");

    let mut open = raw.send(stream()).await.unwrap().into_body();
    fake.member(0).down();
    let frame = timeout(Duration::from_secs(1), http_body_util::BodyExt::frame(&mut open)).await.unwrap();
    assert!(frame.unwrap().is_err(), "the stream fails as its connection would");
}

#[tokio::test(start_paused = true)]
async fn members_join_and_leave_and_an_unstarted_one_counts_against_the_quorum() {
    let (fake, keys) = cluster();
    let members = MembersApi::new(client(&fake, fake.endpoints()));
    let added = members.add(["http://10.0.0.4:2380"]).await.unwrap();
    assert!(added.name.is_empty() && added.client_urls.is_empty(), "unstarted: {added:?}");
    assert_eq!(members.list().await.unwrap().len(), 4);
    let taken = members.add(["http://10.0.0.4:2380"]).await.unwrap_err();
    assert!(taken.is_peer_url_exists(), "{taken}");
    members.update(added.id, ["http://10.0.0.5:2380"]).await.unwrap();

    // Four members, three started: one more down and the cluster has no quorum.
    fake.member(2).down();
    let refused = keys.set("/k", "v", None).await.unwrap_err();
    assert!(refused.to_string().contains("etcd error 300"), "{refused}");
    fake.member(2).up();
    members.remove(added.id).await.unwrap();
    members.remove(added.id).await.unwrap(); // 410 Gone counts as removed
    assert_eq!(members.list().await.unwrap().len(), 3);
    keys.set("/k", "v", None).await.unwrap();

    let leaving = members.list().await.unwrap().into_iter().find(|m| m.name == fake.member(2).name()).unwrap();
    members.remove(leaving.id).await.unwrap();
    assert!(only(&fake, 2).get("/k", None).await.unwrap_err().is_cluster(), "a removed member stops answering");
}
