//! The watch suite that runs against real etcd with v2 (`crates/etcd-keys/tests/watch.rs`), run through the
//! bridge against a real etcd started WITHOUT v2. The cases are copied as they are but for two: a
//! compare-and-delete is seen as a delete, and the history is cleared by etcd's compaction rather than by 1,000
//! writes (both are in the crate docs' table). Skips loudly without etcd; fails with `ETCD_REQUIRED=1`.

use std::time::{Duration, Instant};

use etcd_keys::{Action, Client, DeleteOptions, GetOptions, KeysApi, Response, SetOptions, WatcherOptions};
use etcd_testkit::Cluster;

/// The tests of this file run one at a time: each drives etcd as hard as two cores allow.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A single-member etcd serving only v3, and a keys API bridged onto it.
fn single() -> Option<(Cluster, KeysApi)> {
    let cluster = Cluster::builder().without_v2().start_or_skip()?;
    let v3 = Client::builder(cluster.endpoints())
        .shuffle_endpoints(false)
        .header_timeout_per_request(Duration::from_secs(1))
        .build()
        .unwrap();
    Some((cluster, KeysApi::new(etcd_v2v3::bridge(v3))))
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
        // The bridge's one difference here: a v3 delete carries no action (see the crate docs' table).
        (Action::Delete, "/w/b"),
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

/// v2 keeps 1,000 events; the bridge keeps what etcd keeps: a watch from before etcd's compaction is v2's 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_cleared_is_an_error_by_default_and_a_snapshot_on_request() {
    let _serial = one_at_a_time().await;
    let Some((etcd, keys)) = single() else { return };
    let old = keys.set("/hist/a", "0", None).await.unwrap().index;
    let mut last = old;
    for i in 0..20 {
        last = keys.set(&format!("/hist/k{}", i % 7), &i.to_string(), None).await.unwrap().index;
    }
    compact(&etcd, last).await;
    let mut strict = keys.watcher("/hist", Some(WatcherOptions::new().with_recursive().with_after_index(old)));
    match tokio::time::timeout(Duration::from_secs(10), strict.next()).await.unwrap() {
        Some(Err(e)) => {
            assert!(e.is_event_index_cleared(), "{e}");
            assert_eq!(
                e.as_etcd().unwrap().cause(),
                Some(format!("the requested history has been cleared [{last}/{}]", old + 1).as_str())
            );
        }
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

/// Compacts etcd's history up to `revision` through the v3 gateway.
async fn compact(etcd: &Cluster, revision: u64) {
    let client = Client::builder(etcd.endpoints()).build().unwrap();
    let body = format!("{{\"revision\":\"{revision}\",\"physical\":true}}");
    let request = http::Request::post("/v3/kv/compaction").body(body).unwrap();
    let response = client.send(request).await.unwrap();
    assert!(response.status().is_success(), "compaction refused: {}", response.status());
}
