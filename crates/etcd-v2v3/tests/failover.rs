//! The bridge's inner client fails over as a v2 client does: a three-member etcd started WITHOUT v2 loses its
//! pinned member, then its leader, and reads, writes and a watch carry on through the bridge; a watch leaves a
//! frozen or killed member and misses nothing. Skips loudly
//! without etcd; fails when `ETCD_REQUIRED=1`. Failover latencies are printed (`--nocapture`).

use std::time::{Duration, Instant};

use etcd_keys::{Client, GetOptions, KeysApi, WatcherOptions};
use etcd_testkit::Cluster;

/// A three-member v3-only cluster and its members' order with a follower first (the pinned one), the leader last.
async fn cluster() -> Option<(Cluster, Vec<usize>)> {
    let cluster = Cluster::builder().members(3).without_v2().start_or_skip()?;
    let leader =
        tokio::time::timeout(Duration::from_secs(10), v3_leader(&cluster)).await.expect("a leader within 10 s");
    let mut order: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    order.push(leader);
    Some((cluster, order))
}

/// The member that says it leads, asked through v3's status (the testkit's `wait_leader` asks v2).
async fn v3_leader(cluster: &Cluster) -> usize {
    loop {
        for index in 0..3 {
            let Ok(client) = Client::builder([cluster.member(index).client_url()]).build() else { continue };
            let request = http::Request::post("/v3/maintenance/status").body("{}").unwrap();
            let Ok(response) = client.send(request).await else { continue };
            let Ok(bytes) = response.into_body().bytes().await else { continue };
            let status: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let leader = status["leader"].as_str();
            if leader.is_some() && leader == status["header"]["member_id"].as_str() {
                return index;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A keys API bridged over an inner client of the members in `order`, unshuffled, so that the first is pinned.
fn bridged_over(cluster: &Cluster, order: &[usize]) -> (Client, KeysApi) {
    let endpoints: Vec<String> = order.iter().map(|&i| cluster.member(i).client_url()).collect();
    let v3 = Client::builder(endpoints)
        .shuffle_endpoints(false)
        .header_timeout_per_request(Duration::from_secs(1))
        .build()
        .unwrap();
    (v3.clone(), KeysApi::new(etcd_v2v3::bridge(v3)))
}

fn pinned(v3: &Client) -> String {
    v3.endpoints().unwrap().pinned().as_str().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_pinned_member_moves_the_bridge_to_another() {
    let Some((mut cluster, order)) = cluster().await else { return };
    let (v3, keys) = bridged_over(&cluster, &order);
    keys.set("/k", "before", None).await.unwrap();
    let written = keys.set("/watched", "0", None).await.unwrap();
    let mut watcher = keys.watcher("/watched", Some(WatcherOptions::new().with_after_index(written.index)));
    // The watch is open on the pinned member before it dies.
    let first = tokio::spawn(async move {
        let event = tokio::time::timeout(Duration::from_secs(20), watcher.next()).await;
        (event, watcher)
    });
    assert_eq!(pinned(&v3), cluster.member(order[0]).client_url());

    cluster.kill(order[0]).unwrap();
    let started = Instant::now();
    let read = keys.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap();
    eprintln!("first bridged read after SIGKILL of the pinned member: {:?}", started.elapsed());
    assert_eq!(read.node.value, "before");
    assert_ne!(pinned(&v3), cluster.member(order[0]).client_url(), "the pin left the dead member");

    keys.set("/k", "after", None).await.unwrap();
    keys.create("/created", "once").await.unwrap();
    keys.create_in_order("/queue", "job", None).await.unwrap();
    let changed = keys.set("/watched", "1", None).await.unwrap();
    assert_eq!(keys.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap().node.value, "after");

    let (event, _watcher) = first.await.unwrap();
    let event = event.expect("the watch moved to a live member").expect("an event").expect("not an error");
    assert_eq!((event.node.value.as_str(), event.index), ("1", changed.index), "the write after the kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_bridged_writes_succeed_once_a_new_one_is_elected() {
    let Some((mut cluster, order)) = cluster().await else { return };
    let leader = order[2];
    let (_v3, keys) = bridged_over(&cluster, &[leader, order[0], order[1]]);
    keys.set("/k", "v", None).await.unwrap();
    // A follower answers serializable reads from its own store, which may lag: a linearizable read on each
    // follower returns once it applied everything committed before, so the write is there when the leader goes.
    for &follower in &order[..2] {
        let (_, on_follower) = bridged_over(&cluster, &[follower]);
        on_follower.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap();
    }
    cluster.kill(leader).unwrap();

    let started = Instant::now();
    let read = keys.get("/k", None).await.unwrap();
    assert_eq!(read.node.value, "v", "followers serve reads at once");
    // A quorum read during the election fails as it does on v2: with the cluster's error, not a wrapped one.
    if let Err(e) = keys.get("/k", Some(GetOptions::new().with_quorum())).await {
        assert!(matches!(e, etcd_keys::Error::Cluster(_)) || e.is_etcd(), "{e:?}");
    }
    // Writes need the new leader: an unconditional set may be retried by the caller; bounded.
    let write = loop {
        match keys.set("/k", "w", None).await {
            Ok(response) => break response,
            Err(e) if started.elapsed() < Duration::from_secs(20) => eprintln!("write during the election: {e}"),
            Err(e) => panic!("no bridged write succeeded within 20 s of killing the leader: {e}"),
        }
    };
    eprintln!("first bridged write after SIGKILL of the leader: {:?}", started.elapsed());
    assert_eq!(write.node.value, "w");
    assert_eq!(keys.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap().node.value, "w");
}

/// Reads and writes given up on a frozen member (each read of several keys used to be one read-only
/// transaction, which etcd 3.5.0 to 3.5.4 apply with the cancelled context on thaw and panic: etcd#14110) leave
/// the member up once thawed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_given_up_on_a_frozen_member_leave_it_up_once_thawed() {
    let Some((mut cluster, order)) = cluster().await else { return };
    let frozen = order[0];
    let (_, everyone) = bridged_over(&cluster, &order);
    everyone.set("/dir/a/file", "v", None).await.unwrap();
    let (_, on_frozen) = bridged_over(&cluster, &[frozen]);
    // Applied there before it freezes: the reads below would otherwise wait for it, not for the freeze.
    on_frozen.get("/dir/a/file", Some(GetOptions::new().with_quorum())).await.unwrap();

    cluster.stop(frozen).unwrap();
    // Many at once (each on a connection of its own), so that some reach etcd after their client left.
    let calls = (0..8).flat_map(|_| {
        let keys = &on_frozen;
        [
            Box::pin(async move { keys.get("/dir/a/file", None).await.err() })
                as std::pin::Pin<Box<dyn std::future::Future<Output = Option<etcd_keys::Error>> + Send>>,
            Box::pin(async move { keys.get("/dir", None).await.err() }),
            Box::pin(async move { keys.get("/dir/a/missing", None).await.err() }),
            Box::pin(async move { keys.get("/dir", Some(GetOptions::new().with_recursive())).await.err() }),
            Box::pin(async move { keys.set("/dir/a/file", "w", None).await.err() }),
        ]
    });
    let failed = futures_util::future::join_all(calls).await;
    assert!(failed.iter().all(Option::is_some), "every call on the frozen member failed: {failed:?}");
    cluster.cont(frozen).unwrap();

    // The member answers again (the calls queued while frozen are applied by then), and stays healthy.
    let back = async {
        while on_frozen.get("/dir/a/file", None).await.is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(10), back).await.is_err() {
        panic!("the thawed member did not answer within 10 s:\n{}", cluster.member(frozen).log_tail(20));
    }
    for _ in 0..5 {
        assert!(
            cluster.member(frozen).is_healthy(),
            "the thawed member went down:\n{}",
            cluster.member(frozen).log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes `/w/0`, `/w/1`, ... through `writer` while `fault` runs, and checks that `watcher` delivers each write
/// once, in order, within 15 s of the last.
async fn watch_through(mut fault: impl FnMut(&mut Cluster), cluster: &mut Cluster, order: &[usize]) {
    // The watch on a follower (frozen or killed, it leaves the writes going), the writes on the leader.
    let (_, writer) = bridged_over(cluster, &[order[2], order[1]]);
    let (_, watching) = bridged_over(cluster, order);
    let start = writer.set("/w/start", "0", None).await.unwrap();
    let options = WatcherOptions::new()
        .with_recursive()
        .with_after_index(start.index)
        .with_liveness_probe(Duration::from_millis(500), Duration::from_millis(500));
    let mut watcher = watching.watcher("/w", Some(options));
    let mut written = Vec::new();
    for round in 0..10 {
        if round == 3 {
            fault(cluster);
        }
        let response = writer.set(&format!("/w/{round}"), &round.to_string(), None).await.unwrap();
        written.push(response.index);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut seen = Vec::new();
    let all = async {
        while seen.len() < written.len() {
            let event = watcher.next().await.expect("the watch goes on").expect("no error");
            seen.push(event.index);
        }
    };
    if tokio::time::timeout(Duration::from_secs(15), all).await.is_err() {
        panic!("the watch stalled: saw {seen:?} of {written:?}");
    }
    assert_eq!(seen, written, "every write once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridged_watch_leaves_a_frozen_member_and_misses_nothing() {
    let Some((mut cluster, order)) = cluster().await else { return };
    watch_through(|cluster| cluster.stop(order[0]).unwrap(), &mut cluster, &order).await;
    cluster.cont(order[0]).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridged_watch_leaves_a_killed_member_and_misses_nothing() {
    let Some((mut cluster, order)) = cluster().await else { return };
    watch_through(|cluster| cluster.kill(order[0]).unwrap(), &mut cluster, &order).await;
}
