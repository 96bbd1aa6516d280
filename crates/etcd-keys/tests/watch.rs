//! Watching against real etcd started by the tests: every event once and in order, through thousands of writes,
//! member failures and an index cleared. Skips loudly without etcd; fails with `ETCD_REQUIRED=1`. Stalls and
//! throughput are printed (`--nocapture`).

use std::time::{Duration, Instant};

use etcd_keys::{Action, Client, DeleteOptions, GetOptions, KeysApi, Response, SetOptions, WatcherOptions};
use etcd_testkit::{Cluster, cluster_or_skip};

/// The tests of this file run one at a time: each drives etcd as hard as two cores allow, and a watcher that
/// shares the machine with another such test measures the other test, not itself.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn keys_over(endpoints: Vec<String>) -> KeysApi {
    KeysApi::new(
        Client::builder(endpoints)
            .shuffle_endpoints(false)
            .header_timeout_per_request(Duration::from_secs(1))
            .build()
            .unwrap(),
    )
}

fn single() -> Option<(Cluster, KeysApi)> {
    let cluster = cluster_or_skip(1)?;
    let keys = keys_over(cluster.endpoints());
    Some((cluster, keys))
}

/// The next event within `within`, which must come.
async fn next_event(watcher: &mut etcd_keys::Watcher, within: Duration) -> Response {
    match tokio::time::timeout(within, watcher.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(other) => panic!("expected an event, got {other:?}"),
        Err(_) => panic!("no event within {within:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_is_seen_with_its_nodes() {
    let _serial = one_at_a_time().await;
    let Some((_etcd, keys)) = single() else { return };
    let start = keys.set("/w/seed", "0", None).await.unwrap().index;
    let mut watcher = keys.watcher("/w", Some(WatcherOptions::new().with_recursive().with_after_index(start)));

    keys.set("/w/a", "1", None).await.unwrap();
    keys.update("/w/a", "2").await.unwrap();
    keys.create("/w/b", "x").await.unwrap();
    keys.set("/w/a", "3", Some(SetOptions::new().with_prev_value("2"))).await.unwrap();
    keys.delete("/w/b", Some(DeleteOptions::new().with_prev_value("x"))).await.unwrap();
    keys.delete("/w/a", None).await.unwrap();
    keys.set("/w/short", "t", Some(SetOptions::new().with_ttl(Duration::from_secs(1)))).await.unwrap();

    let expected = [
        (Action::Set, "/w/a"),
        (Action::Update, "/w/a"),
        (Action::Create, "/w/b"),
        (Action::CompareAndSwap, "/w/a"),
        (Action::CompareAndDelete, "/w/b"),
        (Action::Delete, "/w/a"),
        (Action::Set, "/w/short"),
        (Action::Expire, "/w/short"),
    ];
    let mut index = start;
    for (action, key) in expected {
        let event = next_event(&mut watcher, Duration::from_secs(10)).await;
        assert_eq!((&event.action, event.node.key.as_str()), (&action, key));
        assert_eq!(event.index, index + 1, "consecutive indexes");
        index = event.index;
    }
    assert_eq!(watcher.next_index(), Some(index + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_now_misses_nothing_written_after_it_registered() {
    let _serial = one_at_a_time().await;
    let Some((_etcd, keys)) = single() else { return };
    let mut watcher = keys.watcher("/k", None);
    // The watch registers on its first poll: poll it while the write happens.
    let first = tokio::spawn(async move { (next_event(&mut watcher, Duration::from_secs(10)).await, watcher) });
    let written = loop {
        // Until the watch registered, a write may come before it: write (one round trip each) until the watcher
        // sees one. Bounded by the watcher's own 10 s wait.
        let written = keys.set("/k", "v", None).await.unwrap();
        if first.is_finished() {
            break written;
        }
    };
    let (event, mut watcher) = first.await.unwrap();
    assert!(event.index <= written.index);
    // From the first event on, every write is seen, each once, in order.
    let next = keys.set("/k", "w", None).await.unwrap();
    let mut expected = event.index + 1;
    let last = loop {
        let e = next_event(&mut watcher, Duration::from_secs(5)).await;
        assert_eq!(e.index, expected, "no write after the first event is lost or repeated");
        expected += 1;
        if e.index == next.index {
            break e;
        }
    };
    assert_eq!(last.node.value, "w");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_and_watch_continues_exactly_after_the_read() {
    let _serial = one_at_a_time().await;
    let Some((_etcd, keys)) = single() else { return };
    keys.set("/tree/a", "1", None).await.unwrap();
    keys.set("/tree/b", "2", None).await.unwrap();
    let (read, mut watcher) =
        keys.get_and_watch("/tree", Some(GetOptions::new().with_recursive()), None).await.unwrap();
    assert_eq!(read.node.nodes.len(), 2);
    let write = keys.set("/tree/c", "3", None).await.unwrap();
    let event = next_event(&mut watcher, Duration::from_secs(5)).await;
    assert_eq!(event.index, read.index + 1, "no gap");
    assert_eq!(event.index, write.node.modified_index);
    assert_eq!(event.node.key, "/tree/c");
}

/// A writer makes thousands of writes (sets, deletes, TTL keys that expire) under a watched directory; the
/// watcher sees every index exactly once, in order: the only changes in the store are these, so the indexes
/// must be contiguous. The writer runs as fast as it can, on the same machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_writes_every_index_once_in_order() {
    let _serial = one_at_a_time().await;
    let Some((_etcd, keys)) = single() else { return };
    let start = keys.set("/load/seed", "", None).await.unwrap().index;
    let mut watcher = keys.watcher("/load", Some(WatcherOptions::new().with_recursive().with_after_index(start)));
    // The watcher follows the writers as they write; it learns the last index once they are done.
    let (last_tx, last_rx) = tokio::sync::watch::channel(u64::MAX);
    let follower = tokio::spawn(async move {
        let mut last_rx = last_rx;
        let mut events: Vec<Response> = Vec::new();
        while events.last().map_or(start, |e| e.index) < *last_rx.borrow_and_update() {
            tokio::select! {
                event = next_event(&mut watcher, Duration::from_secs(10)) => events.push(event),
                _ = last_rx.changed() => {}
            }
        }
        events
    });

    const WRITERS: usize = 1;
    const PER_WRITER: usize = 3000;
    const TTL_KEYS: usize = 20;
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let keys = keys.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                if w == 0 && i < TTL_KEYS {
                    let ttl = SetOptions::new().with_ttl(Duration::from_secs(1));
                    keys.set(&format!("/load/ttl{i}"), "t", Some(ttl)).await.unwrap();
                } else if i % 10 == 9 {
                    // The key the previous write set.
                    keys.delete(&format!("/load/w{w}/k{}", (i - 1) % 50), None).await.unwrap();
                } else {
                    keys.set(&format!("/load/w{w}/k{}", i % 50), &i.to_string(), None).await.unwrap();
                }
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let written = started.elapsed();
    // Wait for the TTL keys to expire, then take the last index.
    let deadline = Instant::now() + Duration::from_secs(15);
    let last = loop {
        let listed = keys.get("/load", None).await.unwrap();
        if !listed.node.nodes.iter().any(|n| n.key.starts_with("/load/ttl")) {
            break listed.index;
        }
        assert!(Instant::now() < deadline, "TTL keys did not expire");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    last_tx.send(last).unwrap();
    let events = tokio::time::timeout(Duration::from_secs(30), follower).await.expect("the watcher caught up").unwrap();
    let indexes: Vec<u64> = events.iter().map(|e| e.index).collect();
    let expected: Vec<u64> = (start + 1..=last).collect();
    assert_eq!(indexes, expected, "each index once, in order");
    let expiries = events.iter().filter(|e| e.action == Action::Expire).count();
    assert_eq!(expiries, TTL_KEYS, "every expiry seen");
    eprintln!(
        "{} events ({expiries} expiries) followed live; {:.0} events/s while the writers ran",
        events.len(),
        (events.len() - expiries) as f64 / written.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_cleared_is_an_error_by_default_and_a_snapshot_on_request() {
    let _serial = one_at_a_time().await;
    let Some((_etcd, keys)) = single() else { return };
    let old = keys.set("/hist/a", "0", None).await.unwrap().index;
    for i in 0..1100 {
        keys.set(&format!("/hist/k{}", i % 7), &i.to_string(), None).await.unwrap();
    }
    let mut strict = keys.watcher("/hist", Some(WatcherOptions::new().with_recursive().with_after_index(old)));
    match tokio::time::timeout(Duration::from_secs(10), strict.next()).await.unwrap() {
        Some(Err(e)) => assert!(e.is_event_index_cleared(), "{e}"),
        other => panic!("expected the index-cleared error, got {other:?}"),
    }
    assert!(strict.next().await.is_none(), "the watch ends rather than skip");

    let options = WatcherOptions::new().with_recursive().with_after_index(old).with_recovery_when_cleared();
    let mut recovering = keys.watcher("/hist", Some(options));
    let snapshot = next_event(&mut recovering, Duration::from_secs(10)).await;
    assert_eq!(snapshot.action, Action::Get, "a snapshot, not an event");
    let fresh = keys.get("/hist", Some(GetOptions::new().with_recursive().with_sort())).await.unwrap();
    assert_eq!(snapshot.node, fresh.node, "the snapshot is what a fresh read gives");
    let write = keys.set("/hist/after", "x", None).await.unwrap();
    let event = next_event(&mut recovering, Duration::from_secs(5)).await;
    assert_eq!(event.index, snapshot.index + 1, "nothing lost after the snapshot");
    assert_eq!(event.index, write.node.modified_index);
}

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
