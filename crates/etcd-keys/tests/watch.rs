//! Watching against real etcd started by the tests: every event once and in order, through thousands of writes,
//! member failures and an index cleared. Skips loudly without etcd; fails with `ETCD_REQUIRED=1`. Stalls and
//! throughput are printed (`--nocapture`).

use std::time::{Duration, Instant};

use etcd_keys::{Action, Client, DeleteOptions, GetOptions, KeysApi, Response, SetOptions, WatcherOptions};
use etcd_testkit::{Cluster, cluster_or_skip};

/// A keys API over `endpoints`, in this order, each attempt bounded to 1 s.
fn keys_over(endpoints: Vec<String>) -> KeysApi {
    KeysApi::new(
        Client::builder(endpoints)
            .shuffle_endpoints(false)
            .header_timeout_per_request(Duration::from_secs(1))
            .build()
            .unwrap(),
    )
}

/// A single-member etcd serving v2 and a keys API on it, or `None` (skipped loudly) without etcd.
fn single() -> Option<(Cluster, KeysApi)> {
    let cluster = cluster_or_skip(1)?;
    let keys = keys_over(cluster.endpoints());
    Some((cluster, keys))
}

/// etcd's v2 reports a compare-and-delete as such.
const COMPARE_AND_DELETE_SEEN_AS: Action = Action::CompareAndDelete;

/// v2 keeps its last 1,000 events: 1,100 writes push the ones before them out.
async fn forget_history(_etcd: &Cluster, keys: &KeysApi) -> Option<u64> {
    for i in 0..1100 {
        keys.set(&format!("/hist/k{}", i % 7), &i.to_string(), None).await.unwrap();
    }
    None
}

include!("suites/watch.rs");
include!("suites/watch_writes.rs");

/// Established TCP connections to `port` on this machine (server side), from /proc/net/tcp.
fn connections_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3
                && fields[3] == "01"
                && fields[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok()) == Some(port)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_watcher_mid_poll_closes_its_connection() {
    let _serial = one_at_a_time().await;
    let Some((etcd, _keys)) = single() else { return };
    let port = etcd.member(0).client_addr().port();
    let watch_only = keys_over(etcd.endpoints());
    let before = connections_to(port);
    let mut watcher = watch_only.watcher("/quiet", None);
    let poll = tokio::spawn(async move {
        let _ = watcher.next().await;
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while connections_to(port) <= before {
        assert!(Instant::now() < deadline, "the watch never connected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    poll.abort();
    let _ = poll.await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while connections_to(port) > before {
        assert!(Instant::now() < deadline, "the watch connection stayed open after the watcher was dropped");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[derive(Clone, Copy, Debug)]
enum Failure {
    Kill,
    Stop,
}

/// A watch served by a follower while a writer writes through the other members; mid-way the follower is
/// killed or frozen. The watcher still sees every index once, in order; the longest gap between two events is
/// the stall the failure cost.
async fn watch_through(failure: Failure) {
    let _serial = one_at_a_time().await;
    let Some(mut cluster) = cluster_or_skip(3) else { return };
    let leader = cluster.wait_leader(Duration::from_secs(10)).unwrap();
    let followers: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let (serving, other) = (followers[0], followers[1]);
    let url = |i: usize| cluster.member(i).client_url();
    let watch_keys = KeysApi::new(
        Client::builder([url(serving), url(other), url(leader)])
            .shuffle_endpoints(false)
            .header_timeout_per_request(Duration::from_secs(1))
            .build()
            .unwrap(),
    );
    let writer_keys = keys_over(vec![url(other), url(leader)]);
    let start = writer_keys.set("/fail/seed", "", None).await.unwrap().index;
    let liveness = WatcherOptions::new()
        .with_recursive()
        .with_after_index(start)
        .with_liveness_probe(Duration::from_secs(1), Duration::from_millis(500));
    let mut watcher = watch_keys.watcher("/fail", Some(liveness));

    let (last_tx, last_rx) = tokio::sync::watch::channel(u64::MAX);
    let follower = tokio::spawn(async move {
        let mut last_rx = last_rx;
        let mut events: Vec<(Response, Instant)> = Vec::new();
        while events.last().map_or(start, |(e, _)| e.index) < *last_rx.borrow_and_update() {
            tokio::select! {
                event = next_event(&mut watcher, Duration::from_secs(15)) => events.push((event, Instant::now())),
                _ = last_rx.changed() => {}
            }
        }
        events
    });

    const WRITES: usize = 1500;
    let (at_third_tx, at_third_rx) = tokio::sync::oneshot::channel();
    let writer = tokio::spawn(async move {
        let mut at_third = Some(at_third_tx);
        for i in 0..WRITES {
            writer_keys.set(&format!("/fail/k{}", i % 64), &i.to_string(), None).await.unwrap();
            if i == WRITES / 3 {
                let _ = at_third.take().unwrap().send(());
            }
            // A steady writer, so that the gap between two events measures the failover.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        writer_keys
    });
    at_third_rx.await.unwrap();
    let failed_at = Instant::now();
    match failure {
        Failure::Kill => cluster.kill(serving).unwrap(),
        Failure::Stop => cluster.stop(serving).unwrap(),
    }
    let writer_keys = writer.await.unwrap();
    let last = writer_keys.get("/fail", Some(GetOptions::new().with_quorum())).await.unwrap().index;
    last_tx.send(last).unwrap();
    let events = tokio::time::timeout(Duration::from_secs(30), follower).await.expect("the watcher caught up").unwrap();

    let indexes: Vec<u64> = events.iter().map(|(e, _)| e.index).collect();
    assert_eq!(indexes, (start + 1..=last).collect::<Vec<_>>(), "each index once, in order, across the {failure:?}");
    let stall = events
        .windows(2)
        .filter(|w| w[1].1 > failed_at)
        .map(|w| w[1].1.duration_since(w[0].1))
        .max()
        .unwrap_or_default();
    eprintln!("watch stall after {failure:?} of the serving member: {stall:?} ({} events)", events.len());
    // Kill: the stream breaks at once. Stop: the documented bound, the probe's interval and its timeout (the
    // check after events, 300 ms and the probe's timeout, comes first here), and a margin for the new stream.
    let bound = match failure {
        Failure::Kill => Duration::from_secs(2),
        Failure::Stop => Duration::from_millis(1000 + 500 + 500),
    };
    assert!(stall < bound, "stall {stall:?} over {bound:?}");
    if let Failure::Stop = failure {
        cluster.cont(serving).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_survives_its_member_killed() {
    watch_through(Failure::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_survives_its_member_frozen() {
    watch_through(Failure::Stop).await;
}

/// A quiet watch (no event since it opened) whose member freezes: the liveness probe is due an interval after
/// the member last showed it is alive, so the watch moves to another member and delivers a write made through it
/// within the probe's interval and timeout (and a margin for the new stream), as the README promises.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_watch_leaves_a_frozen_member_within_the_probe_interval_and_timeout() {
    let _serial = one_at_a_time().await;
    let Some(mut cluster) = cluster_or_skip(3) else { return };
    let leader = cluster.wait_leader(Duration::from_secs(10)).unwrap();
    let followers: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let (serving, other) = (followers[0], followers[1]);
    let url = |i: usize| cluster.member(i).client_url();
    let watch_keys = keys_over(vec![url(serving), url(other), url(leader)]);
    let writer = keys_over(vec![url(other), url(leader)]);
    let start = writer.set("/quiet/seed", "", None).await.unwrap().index;
    let (interval, timeout) = (Duration::from_secs(1), Duration::from_millis(500));
    let options = WatcherOptions::new().with_recursive().with_after_index(start).with_liveness_probe(interval, timeout);
    let mut watcher = watch_keys.watcher("/quiet", Some(options));
    // The stream is open once etcd registered it: a first event proves it, then the watch stays quiet.
    let first = writer.set("/quiet/a", "1", None).await.unwrap().index;
    assert_eq!(next_event(&mut watcher, Duration::from_secs(10)).await.index, first);
    let quiet_since = Instant::now();
    // Past the check after events (300 ms), so that only the liveness probe can find the freeze.
    tokio::time::sleep(Duration::from_millis(600)).await;

    cluster.stop(serving).unwrap();
    let frozen_at = Instant::now();
    let written = writer.set("/quiet/b", "2", None).await.unwrap().index;
    let event = next_event(&mut watcher, Duration::from_secs(15)).await;
    let stall = frozen_at.elapsed();
    eprintln!("quiet watch, member frozen {:?} after its last data: event after {stall:?}", frozen_at - quiet_since);
    assert_eq!(event.index, written);
    // Counted from the last data, not from the freeze nor from the check after events: the documented bound, and
    // a margin for the new stream on a live member.
    let bound = interval + timeout + Duration::from_millis(400);
    let since_data = quiet_since.elapsed();
    assert!(since_data < bound, "event {since_data:?} after the last data, over {bound:?}");
    cluster.cont(serving).unwrap();
}
