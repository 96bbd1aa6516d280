// The watch suite's race of a watcher with a writer, shared by the fixtures whose writes take etcd's time: real
// etcd with v2 (`etcd-keys/tests/watch.rs`) and the v2-over-v3 bridge (`etcd-v2v3/tests/watch_suite.rs`); the
// in-memory etcd leaves it out (see `etcd-fake/tests/watch_suite.rs`). Included after `suites/watch.rs`, with
// `std::time::Instant` imported.

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
