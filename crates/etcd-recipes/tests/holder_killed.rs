//! The holder's process is SIGKILLed while waiters are queued: its key expires within the TTL, the waiters get
//! the lock one after the other, and no two hold it at once. The holder is this test binary again, run as a
//! child process (the test `holder_child`, ignored unless started so).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Held, assert_exclusive, cluster, dir, keys};
use etcd_keys::{Client, GetOptions, KeysApi};
use etcd_recipes::Lock;
use tokio::time::timeout;

/// The TTL of the lock's keys in this test.
const TTL: Duration = Duration::from_secs(2);
/// What a waiter may take beyond the TTL to get the lock of a killed holder: etcd expires keys on its leader's
/// ticks (every 500 ms), then the watch delivers the expiry and the waiter reads the queue.
const BOUND: Duration = Duration::from_millis(1500);

const CHILD_ENDPOINTS: &str = "RECIPES_TEST_HOLDER_ENDPOINTS";
const CHILD_DIR: &str = "RECIPES_TEST_HOLDER_DIR";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_get_the_lock_within_the_ttl_after_the_holder_process_is_killed() {
    let Some(cluster) = cluster() else { return };
    let waited = holder_killed(cluster, false).await;
    assert!(waited <= TTL + BOUND, "{waited:?}");
}

/// The holder's process and etcd's leader killed at once: a new leader expires the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_get_the_lock_after_the_holder_process_and_the_leader_are_killed() {
    let Some(cluster) = cluster() else { return };
    let waited = holder_killed(cluster, true).await;
    // An election (about a second here) and the clients leaving the dead member (a header timeout) come first.
    assert!(waited <= TTL + BOUND + ELECTION + common::HEADER_TIMEOUT, "{waited:?}");
}

/// How long the cluster takes to elect a new leader, with etcd's default election timeout (1 s).
const ELECTION: Duration = Duration::from_secs(2);

/// Runs the scenario (killing the leader too with `kill_leader`); returns how long after the kill the first
/// waiter got the lock.
async fn holder_killed(mut cluster: etcd_testkit::Cluster, kill_leader: bool) -> Duration {
    let lock_dir = dir("killed-holder");
    let (mut child, child_token) = start_holder(&cluster.endpoints().join(","), &lock_dir).await;
    let child_acquired = Instant::now();

    let held = Arc::new(Mutex::new(Vec::<Held>::new()));
    let waiters: Vec<_> = (0..2)
        .map(|w| {
            let lock = Lock::new(keys(&cluster), &lock_dir).with_ttl(TTL);
            let held = held.clone();
            tokio::spawn(async move {
                let guard = lock.lock().await.unwrap();
                let acquired = Instant::now();
                tokio::time::sleep(Duration::from_millis(100)).await;
                let who = format!("w{w}");
                held.lock().unwrap().push(Held { who, token: guard.token(), acquired, released: Instant::now() });
                guard.unlock().await.unwrap();
                acquired
            })
        })
        .collect();

    // The holder's keep-alive keeps its key past the TTL while it lives.
    let admin = keys(&cluster);
    wait_queued(&admin, &lock_dir, 3).await;
    tokio::time::sleep(TTL * 2).await;
    assert!(waiters.iter().all(|w| !w.is_finished()), "a waiter got the lock of a live holder");

    child.kill().unwrap();
    let killed = Instant::now();
    if kill_leader {
        let leader = cluster.wait_leader(Duration::from_secs(5)).unwrap();
        cluster.kill(leader).unwrap();
    }
    let _ = child.wait();
    held.lock().unwrap().push(Held {
        who: "child".into(),
        token: child_token,
        acquired: child_acquired,
        released: killed,
    });

    let mut acquired = Vec::new();
    for waiter in waiters {
        acquired.push(timeout(TTL + BOUND + Duration::from_secs(2), waiter).await.expect("a waiter stuck").unwrap());
    }
    let first = acquired.iter().min().unwrap().duration_since(killed);
    eprintln!(
        "first waiter acquired {first:?} after the holder was killed (TTL {TTL:?}, leader killed: {kill_leader})"
    );
    assert_exclusive(&held.lock().unwrap());
    let left = admin.get(&lock_dir, Some(GetOptions::new().with_quorum())).await.unwrap().node.nodes;
    assert!(left.is_empty(), "entries left behind: {left:?}");
    first
}

/// Starts the child holding the lock; returns it and its fencing token once it holds the lock.
async fn start_holder(endpoints: &str, lock_dir: &str) -> (Child, u64) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "holder_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENDPOINTS, endpoints)
        .env(CHILD_DIR, lock_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let read = tokio::task::spawn_blocking(move || {
        // libtest prints the test's name first, on the same line.
        stdout.lines().map_while(Result::ok).find_map(|l| l.split_once("HOLDING ")?.1.trim().parse::<u64>().ok())
    });
    let token = timeout(Duration::from_secs(15), read).await.expect("the child holds the lock within 15 s").unwrap();
    (child, token.expect("the child's token"))
}

/// Waits until `count` entries are queued.
async fn wait_queued(keys: &KeysApi, lock_dir: &str, count: usize) {
    let queued = async {
        while keys.get(lock_dir, None).await.map(|r| r.node.nodes.len()).unwrap_or(0) < count {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    timeout(Duration::from_secs(10), queued).await.expect("the waiters queued within 10 s");
}

/// The holder, in a child process: takes the lock, says so, and keeps it until killed.
#[tokio::test]
#[ignore = "run in a child process by waiters_get_the_lock_within_the_ttl_after_the_holder_process_is_killed"]
async fn holder_child() {
    let (Ok(endpoints), Ok(lock_dir)) = (std::env::var(CHILD_ENDPOINTS), std::env::var(CHILD_DIR)) else { return };
    let client = Client::builder(endpoints.split(',')).header_timeout_per_request(common::HEADER_TIMEOUT).build();
    let lock = Lock::new(KeysApi::new(client.unwrap()), lock_dir).with_ttl(TTL);
    let guard = lock.lock().await.unwrap();
    println!("HOLDING {}", guard.token());
    tokio::time::sleep(Duration::from_secs(60)).await;
    drop(guard);
}
