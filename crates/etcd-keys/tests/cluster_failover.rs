//! What a user sees when members of a real three-member cluster die, freeze, come back, or are not etcd at all.
//! Each test starts its own cluster on free loopback ports; it skips loudly without etcd and fails with
//! `ETCD_REQUIRED=1`. Failover latencies are printed (run with `--nocapture` to read them).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use etcd_keys::{Client, Error, GetOptions, KeysApi};
use etcd_testkit::{Cluster, cluster_or_skip};

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// A three-member cluster, and the indexes of its members with a follower first: the pinned one.
fn cluster() -> Option<(Cluster, Vec<usize>)> {
    let cluster = cluster_or_skip(3)?;
    let leader = cluster.wait_leader(Duration::from_secs(10)).expect("a leader");
    let mut order: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    order.push(leader);
    Some((cluster, order))
}

/// A keys API over the members in `order`, unshuffled, so that the first is pinned.
fn keys_over(cluster: &Cluster, order: &[usize]) -> KeysApi {
    let endpoints: Vec<String> = order.iter().map(|&i| cluster.member(i).client_url()).collect();
    let client =
        Client::builder(endpoints).shuffle_endpoints(false).header_timeout_per_request(HEADER_TIMEOUT).build().unwrap();
    KeysApi::new(client)
}

fn pinned(keys: &KeysApi) -> String {
    keys.client().endpoints().unwrap().pinned().as_str().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_pinned_member_moves_reads_and_writes_to_another() {
    let Some((mut cluster, order)) = cluster() else { return };
    let keys = keys_over(&cluster, &order);
    keys.set("/k", "before", None).await.unwrap();
    assert_eq!(pinned(&keys), cluster.member(order[0]).client_url());

    cluster.kill(order[0]).unwrap();
    let started = Instant::now();
    // A quorum read: a follower's own store may not have the write yet.
    let read = keys.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap();
    eprintln!("first read after SIGKILL of the pinned member: {:?}", started.elapsed());
    assert_eq!(read.node.value, "before");
    assert_ne!(pinned(&keys), cluster.member(order[0]).client_url(), "the pin left the dead member");

    keys.set("/k", "after", None).await.unwrap();
    keys.create("/created", "once").await.unwrap();
    keys.create_in_order("/queue", "job", None).await.unwrap();
    assert_eq!(keys.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap().node.value, "after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_writes_succeed_once_a_new_one_is_elected() {
    let Some((mut cluster, order)) = cluster() else { return };
    let leader = order[2];
    let keys = keys_over(&cluster, &[leader, order[0], order[1]]);
    let written = keys.set("/k", "v", None).await.unwrap();
    // A follower answers reads from its own store, which may lag the leader's (etcd's caveat): wait until both
    // followers applied the write, by watching for it on each, before the leader goes.
    for &follower in &order[..2] {
        let on_follower = keys_over(&cluster, &[follower]);
        let after = etcd_keys::WatcherOptions::new().with_after_index(written.node.modified_index - 1);
        let mut watcher = on_follower.watcher("/k", Some(after));
        let seen = tokio::time::timeout(Duration::from_secs(10), watcher.next()).await.expect("the follower applies");
        assert_eq!(seen.unwrap().unwrap().node.modified_index, written.node.modified_index);
    }
    cluster.kill(leader).unwrap();

    let started = Instant::now();
    assert_eq!(keys.get("/k", None).await.unwrap().node.value, "v", "followers serve reads at once");
    // Writes need the new leader: an unconditional set may be retried by the caller; bounded.
    let write = loop {
        match keys.set("/k", "w", None).await {
            Ok(response) => break response,
            Err(e) if started.elapsed() < Duration::from_secs(20) => eprintln!("write during the election: {e}"),
            Err(e) => panic!("no write succeeded within 20 s of killing the leader: {e}"),
        }
    };
    eprintln!("first write after SIGKILL of the leader: {:?}", started.elapsed());
    assert_eq!(write.node.value, "w");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_pinned_member_costs_one_header_timeout_and_comes_back() {
    let Some((mut cluster, order)) = cluster() else { return };
    let keys = keys_over(&cluster, &order);
    keys.set("/k", "v", None).await.unwrap();

    cluster.stop(order[0]).unwrap();
    let started = Instant::now();
    let quorum = Some(GetOptions::new().with_quorum());
    assert_eq!(keys.get("/k", quorum.clone()).await.unwrap().node.value, "v");
    let stall = started.elapsed();
    eprintln!("read with the pinned member SIGSTOPped: {stall:?}");
    assert!(stall >= HEADER_TIMEOUT, "the frozen member was tried first: {stall:?}");
    assert!(stall < HEADER_TIMEOUT + Duration::from_millis(900), "one header timeout and a small margin: {stall:?}");
    let started = Instant::now();
    keys.get("/k", quorum).await.unwrap();
    assert!(started.elapsed() < HEADER_TIMEOUT, "the pin moved: the next call does not wait");

    // A write that may have reached the frozen member is not replayed: its outcome is unknown.
    let frozen_first = keys_over(&cluster, &order);
    let error = frozen_first.create("/frozen", "x").await.unwrap_err();
    match &error {
        Error::OutcomeUnknown(e) => {
            assert_eq!(e.endpoint(), cluster.member(order[0]).client_url());
            assert!(error.is_timeout(), "{error}");
        }
        other => panic!("expected an unknown outcome, got {other}"),
    }

    cluster.cont(order[0]).unwrap();
    cluster.wait_ready(Duration::from_secs(20)).unwrap();
    let only_it = keys_over(&cluster, &order[..1]);
    assert_eq!(only_it.get("/k", None).await.unwrap().node.value, "v", "the member answers again");
    // The frozen member read the create from its socket when it woke: the unknown outcome was a real risk.
    let applied = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match keys.get("/frozen", Some(GetOptions::new().with_quorum())).await {
                Ok(r) => break r.node.value,
                Err(e) if e.is_key_not_found() => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await;
    eprintln!("the create sent to the frozen member was applied after SIGCONT: {}", applied.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_members_down_is_a_cluster_error_naming_each_and_a_restarted_member_is_used_again() {
    let Some((mut cluster, order)) = cluster() else { return };
    let keys = keys_over(&cluster, &order);
    keys.set("/k", "v", None).await.unwrap();
    for &i in &order {
        cluster.kill(i).unwrap();
    }
    let error = keys.get("/k", None).await.unwrap_err();
    let cluster_error = error.as_cluster().unwrap_or_else(|| panic!("expected a cluster error, got {error}"));
    let named: Vec<&str> = cluster_error.errors().iter().map(|e| e.endpoint()).collect();
    let expected: Vec<String> = order.iter().map(|&i| cluster.member(i).client_url()).collect();
    assert_eq!(named, expected, "each endpoint, in the order tried");
    assert!(cluster_error.errors().iter().all(|e| matches!(e.failure(), etcd_keys::AttemptFailure::Connect(_))));
    assert_eq!(error.to_string().lines().count(), 4, "a summary and one line per endpoint:\n{error}");

    // Bring back the last one only, then the rest: the client finds it.
    cluster.restart_no_wait(order[2]).unwrap();
    cluster.restart_no_wait(order[1]).unwrap();
    cluster.wait_ready(Duration::from_secs(30)).unwrap();
    cluster.kill(order[1]).unwrap();
    assert_eq!(keys.get("/k", None).await.unwrap().node.value, "v");
    assert_eq!(pinned(&keys), cluster.member(order[2]).client_url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_endpoint_that_is_not_etcd_gives_an_invalid_response() {
    let Some((cluster, order)) = cluster() else { return };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let impostor = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n<h1>nginx</h1").await;
        }
    });
    let endpoints = [impostor.clone(), cluster.member(order[0]).client_url()];
    let keys = KeysApi::new(Client::builder(endpoints).shuffle_endpoints(false).build().unwrap());
    match keys.get("/k", None).await {
        Err(Error::InvalidResponse(e)) => assert_eq!(e.endpoint(), Some(impostor.as_str())),
        other => panic!("expected an invalid response, got {other:?}"),
    }
}

/// 64 calls in flight while the pinned member is killed: every call ends with a success or a typed error, and no
/// queue entry exists twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_during_a_kill_are_never_duplicated() {
    let Some((mut cluster, order)) = cluster() else { return };
    let keys = keys_over(&cluster, &order);
    keys.set("/queue", "", Some(etcd_keys::SetOptions::new().with_dir())).await.unwrap();

    let (started_tx, mut started_rx) = tokio::sync::mpsc::channel::<()>(64);
    let mut tasks = Vec::new();
    for worker in 0..64 {
        let keys = keys.clone();
        let started_tx = started_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for round in 0..8 {
                let value = format!("w{worker}-r{round}");
                let outcome = keys.create_in_order("/queue", &value, None).await;
                if round == 0 {
                    let _ = started_tx.send(()).await;
                }
                outcomes.push((value, outcome));
            }
            outcomes
        }));
    }
    drop(started_tx);
    // Kill once a first wave of calls has completed, so that the kill lands among calls in flight.
    for _ in 0..16 {
        started_rx.recv().await;
    }
    cluster.kill(order[0]).unwrap();

    let mut ok: HashMap<String, String> = HashMap::new();
    let mut unknown = 0;
    for task in tasks {
        let outcomes = tokio::time::timeout(Duration::from_secs(60), task).await.expect("calls finish").unwrap();
        for (value, outcome) in outcomes {
            match outcome {
                Ok(response) => {
                    ok.insert(value, response.node.key);
                }
                Err(Error::OutcomeUnknown(_)) => unknown += 1,
                Err(e @ (Error::Cluster(_) | Error::Etcd(_))) => eprintln!("{value}: {e}"),
                Err(other) => panic!("{value}: an unexpected kind of error: {other:?}"),
            }
        }
    }
    let listed = keys.get("/queue", Some(GetOptions::new().with_quorum().with_sort())).await.unwrap();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for node in &listed.node.nodes {
        *seen.entry(node.value.as_str()).or_default() += 1;
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicated entries: {duplicated:?}");
    for (value, key) in &ok {
        assert!(listed.node.nodes.iter().any(|n| &n.key == key && &n.value == value), "{value} at {key} is there");
    }
    eprintln!(
        "{} creates succeeded, {unknown} ended with an unknown outcome, {} entries in the queue",
        ok.len(),
        listed.node.nodes.len()
    );
    assert!(ok.len() >= 64 * 8 - unknown - 64, "most calls succeeded");
}

/// The issue-11 reproduction: a set through a frozen member, then a newer set through another client, then the
/// thaw. The first set is never sent twice (its call says its outcome is unknown, and the pin leaves the frozen
/// member), so the frozen member's late copy is the only one, and it lands after the newer write, as a write
/// still in flight may: the history stays linearizable, where a replay would have applied "older" twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_through_a_frozen_member_is_never_applied_twice() {
    let Some((mut cluster, order)) = cluster() else { return };
    let x = keys_over(&cluster, &order);
    let y = keys_over(&cluster, &order[1..]);
    let start = x.set("/k", "start", None).await.unwrap().node.modified_index;

    cluster.stop(order[0]).unwrap();
    let started = Instant::now();
    let error = x.set("/k", "older", None).await.unwrap_err();
    let stall = started.elapsed();
    eprintln!("set through the frozen pinned member: {error} after {stall:?}");
    let Error::OutcomeUnknown(unknown) = &error else { panic!("expected an unknown outcome, got {error:?}") };
    assert_eq!(unknown.endpoint(), cluster.member(order[0]).client_url());
    assert!(error.is_timeout() && stall < HEADER_TIMEOUT * 2, "one header timeout: {stall:?}");
    assert_ne!(pinned(&x), cluster.member(order[0]).client_url(), "the pin left the frozen member");
    let newer = y.set("/k", "newer", None).await.unwrap().node.modified_index;
    let started = Instant::now();
    assert_eq!(x.get("/k", Some(GetOptions::new().with_quorum())).await.unwrap().node.value, "newer");
    assert!(started.elapsed() < HEADER_TIMEOUT, "the next call of x went elsewhere at once");

    cluster.cont(order[0]).unwrap();
    cluster.wait_ready(Duration::from_secs(20)).unwrap();
    // A marker written through the thawed member: once it is seen, the member is serving again. Its late copy of
    // "older" may come just before or after it (another connection); a short bounded wait past the marker
    // catches a late one.
    let marker = keys_over(&cluster, &order[..1]).set("/marker", "m", None).await.unwrap().node.modified_index;
    let mut watcher = y.watcher("/", Some(etcd_keys::WatcherOptions::new().with_after_index(start).with_recursive()));
    let mut history = Vec::new();
    loop {
        let wait = if history.iter().any(|(index, _, _)| *index >= marker) { 2 } else { 20 };
        match tokio::time::timeout(Duration::from_secs(wait), watcher.next()).await {
            Ok(Some(Ok(event))) => history.push((event.node.modified_index, event.node.key, event.node.value)),
            Ok(other) => panic!("the watch ended: {other:?}"),
            Err(_) if wait == 2 => break,
            Err(_) => panic!("the marker never came: {history:?}"),
        }
    }
    eprintln!("history of /k after the freeze: {history:?}");
    let olders: Vec<u64> =
        history.iter().filter(|(_, key, value)| key == "/k" && value == "older").map(|(index, _, _)| *index).collect();
    assert!(olders.len() <= 1, "\"older\" applied {} times: {history:?}", olders.len());
    assert!(
        olders.iter().all(|&index| index > newer),
        "a copy of \"older\" before \"newer\" was a replay: {history:?}"
    );
}

/// A call whose own deadline (shorter than the header timeout) passes on a frozen pinned member moves the pin
/// off it, as any failure there does: otherwise every call with such a deadline would start at the frozen
/// member and end the same way. A caller's drop of a call (no deadline) leaves the pin alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_that_passes_on_a_frozen_pinned_member_moves_the_pin_off_it() {
    let Some((mut cluster, order)) = cluster() else { return };
    let frozen = cluster.member(order[0]).client_url();
    for per_call in [true, false] {
        let keys = if per_call {
            keys_over(&cluster, &order).with_timeout(Duration::from_millis(300))
        } else {
            let endpoints: Vec<String> = order.iter().map(|&i| cluster.member(i).client_url()).collect();
            let client = Client::builder(endpoints)
                .shuffle_endpoints(false)
                .header_timeout_per_request(HEADER_TIMEOUT)
                .call_timeout(Duration::from_millis(300))
                .build()
                .unwrap();
            KeysApi::new(client)
        };
        keys.set("/deadline", "v", None).await.unwrap();
        assert_eq!(pinned(&keys), frozen);

        // Dropped by its caller before any answer: the pin stays (the member did nothing wrong yet).
        cluster.stop(order[0]).unwrap();
        let dropped = tokio::time::timeout(Duration::from_millis(100), keys.get("/deadline", None)).await;
        assert!(dropped.is_err(), "the frozen member cannot have answered");
        assert_eq!(pinned(&keys), frozen, "a call its caller dropped does not move the pin");

        let error = keys.get("/deadline", None).await.unwrap_err();
        assert!(error.is_deadline_exceeded(), "{error}");
        assert_ne!(pinned(&keys), frozen, "the deadline passed on the frozen member: the pin moved off it");
        let started = Instant::now();
        assert_eq!(keys.get("/deadline", None).await.unwrap().node.value, "v");
        assert!(started.elapsed() < Duration::from_millis(300), "the next call starts elsewhere");
        cluster.cont(order[0]).unwrap();
        cluster.wait_ready(Duration::from_secs(20)).unwrap();
    }
}
