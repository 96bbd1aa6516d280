// The watch suite's cases, shared by every fixture that serves the keys API: real etcd with v2
// (`etcd-keys/tests/watch.rs`), the in-memory etcd (`etcd-fake/tests/watch_suite.rs`) and the v2-over-v3 bridge
// on etcd without v2 (`etcd-v2v3/tests/watch_suite.rs`). Each includes this file after its fixture: `single()`
// (a guard to hold and a `KeysApi`), `COMPARE_AND_DELETE_SEEN_AS` (the action a watcher sees for a
// compare-and-delete) and `forget_history(&guard, &keys)` (writes, then makes etcd forget the events so far;
// `Some(index)` when it knows the first index kept), with `std::time::Duration` and `etcd_keys::{Action, Client,
// DeleteOptions, GetOptions, KeysApi, Response, SetOptions, WatcherOptions}` imported. One copy, so that a case
// fixed or added runs everywhere. The runners against etcd also include `watch_writes.rs`.

/// The tests of this file run one at a time: each drives etcd as hard as two cores allow, and a watcher that
/// shares the machine with another such test measures the other test, not itself.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
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
        (COMPARE_AND_DELETE_SEEN_AS, "/w/b"),
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

/// The history is cleared (the runner's `forget_history`: v2 keeps its last 1,000 events, the bridge what v3
/// compaction left): a watch from before it is 401, an error by default and a snapshot on request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_cleared_is_an_error_by_default_and_a_snapshot_on_request() {
    let _serial = one_at_a_time().await;
    let Some((etcd, keys)) = single() else { return };
    let old = keys.set("/hist/a", "0", None).await.unwrap().index;
    let kept_from = forget_history(&etcd, &keys).await;
    let mut strict = keys.watcher("/hist", Some(WatcherOptions::new().with_recursive().with_after_index(old)));
    match tokio::time::timeout(Duration::from_secs(10), strict.next()).await.unwrap() {
        Some(Err(e)) => {
            assert!(e.is_event_index_cleared(), "{e}");
            if let Some(kept_from) = kept_from {
                let cause = format!("the requested history has been cleared [{kept_from}/{}]", old + 1);
                assert_eq!(e.as_etcd().unwrap().cause(), Some(cause.as_str()));
            }
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
