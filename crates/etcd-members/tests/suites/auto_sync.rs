// The auto-sync suite's cases, shared by every fixture that serves the members API: real etcd with v2
// (`etcd-members/tests/auto_sync.rs`) and the v2-over-v3 bridge on etcd without v2
// (`etcd-v2v3/tests/members_auto_sync.rs`). Each runner declares its `common` module (the fixture:
// `cluster_builder(members)`, `over(client)`; and the helpers of `suites/helpers.rs`) and includes this file. One copy,
// so that a case fixed or added runs everywhere.

use std::collections::BTreeSet;
use std::time::Duration;

use common::{blocking, client, cluster_builder, endpoints, poll, turn};
use etcd_keys::{AttemptFailure, KeysApi};
use etcd_members::{AutoSync, ClusterSync, SelectionMode};

/// Closed on every machine: nothing may listen on port 1, 2 or 3 of loopback without root, and nothing does.
const ADVERTISED: [&str; 3] = ["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_sync_keeps_the_seeds_when_members_advertise_unreachable_urls() {
    let _turn = turn().await;
    let start = || cluster_builder(3).advertise_client_urls(ADVERTISED).start_or_skip();
    let Some(cluster) = blocking(start) else { return };
    let seeds = cluster.endpoints();
    let client = client(seeds.clone());
    let keys = KeysApi::new(client.clone());

    let auto_sync = AutoSync::new(&client).interval(Duration::from_millis(200)).spawn();
    let synced = poll("auto-sync picks up the advertised URLs", || async {
        let now: BTreeSet<String> = endpoints(&client).into_iter().collect();
        ADVERTISED.iter().all(|url| now.contains(*url)).then_some(now)
    })
    .await;
    let expected: BTreeSet<String> = ADVERTISED.iter().map(|url| (*url).to_owned()).chain(seeds.clone()).collect();
    assert_eq!(synced, expected, "the advertised URLs, and the seeds after them");

    // Reads and writes go through, round after round, a create (never replayed when it may have been applied)
    // included: an unreachable endpoint refuses the connection, so the call moves on to a seed.
    for round in 0..5 {
        keys.set("/auto-sync/k", &format!("v{round}"), None).await.unwrap();
        keys.create(&format!("/auto-sync/created-{round}"), "once").await.unwrap();
        assert_eq!(keys.get("/auto-sync/k", None).await.unwrap().node.value, format!("v{round}"));
        let syncs = auto_sync.report().syncs;
        poll("another sync round", || async { (auto_sync.report().syncs > syncs).then_some(()) }).await;
        let now: BTreeSet<String> = endpoints(&client).into_iter().collect();
        assert_eq!(now, expected, "round {round}");
    }
    let report = auto_sync.report();
    assert!(report.syncs >= 5 && report.failures == 0, "{report:?}");
    auto_sync.stop();

    // Leader-first pins an advertised URL, which cannot answer: the seeds still carry the calls.
    let leader_first = AutoSync::new(&client)
        .seeds(&seeds)
        .unwrap()
        .selection_mode(SelectionMode::LeaderFirst)
        .interval(Duration::from_millis(200))
        .spawn();
    poll("a leader-first round", || async { (leader_first.report().syncs > 0).then_some(()) }).await;
    keys.set("/auto-sync/k", "leader-first", None).await.unwrap();
    drop(leader_first);

    // Without the seeds, as the Go client syncs, the client is left with URLs it cannot reach.
    let go_like = common::client(seeds);
    go_like.sync().await.unwrap();
    let now: BTreeSet<String> = endpoints(&go_like).into_iter().collect();
    assert_eq!(now, ADVERTISED.iter().map(|url| (*url).to_owned()).collect());
    let error = KeysApi::new(go_like).get("/auto-sync/k", None).await.unwrap_err();
    let cluster_error = error.as_cluster().unwrap_or_else(|| panic!("{error}"));
    assert!(cluster_error.errors().iter().all(|e| matches!(e.failure(), AttemptFailure::Connect(_))), "{error}");
}
