// The lock suite's cases, shared by every fixture that runs the recipes: real etcd with v2 (`etcd-recipes/tests/
// lock.rs`) and the v2-over-v3 bridge on etcd without v2 (`etcd-v2v3/tests/recipes_lock.rs`). Each runner declares its
// `common` module (`cluster()`, `keys(&cluster)`, `keys_in_order(endpoints, header_timeout)` and the exclusion checker)
// and includes this file. One copy, so that a case fixed or added runs everywhere.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Held, assert_exclusive, cluster, dir, keys, keys_in_order};
use etcd_keys::{CreateInOrderOptions, DeleteOptions, KeysApi};
use etcd_recipes::{Lock, LostReason};
use tokio::time::timeout;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_lock_takes_a_free_lock_only_and_tokens_grow() {
    let Some(cluster) = cluster() else { return };
    let (a, b) = (keys(&cluster), keys(&cluster));
    let lock_a = Lock::new(a, dir("try")).with_value("a").with_ttl(Duration::from_secs(5));
    let lock_b = Lock::new(b, dir("try")).with_value("b").with_ttl(Duration::from_secs(5));

    let held = lock_a.try_lock().await.unwrap().expect("a free lock");
    assert!(lock_b.try_lock().await.unwrap().is_none(), "a held lock is not taken");
    let holder = lock_b.holder().await.unwrap().expect("a holder");
    assert_eq!((holder.value.as_str(), holder.token, holder.key.as_str()), ("a", held.token(), held.key()));

    let started = Instant::now();
    let error = lock_b.lock_timeout(Duration::from_millis(700)).await.unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    let first_token = held.token();
    held.unlock().await.unwrap();
    let again = timeout(Duration::from_secs(5), lock_b.lock()).await.unwrap().unwrap();
    assert!(again.token() > first_token, "{} after {first_token}", again.token());
    // The timed-out waiter's entry was deleted in the background: only the holder is queued.
    let queued = lock_a.holder().await.unwrap().unwrap();
    assert_eq!(queued.key, again.key());
    again.unlock().await.unwrap();
    assert_eq!(lock_a.holder().await.unwrap(), None);

    // A directory that is a key is etcd's refusal, not a wait.
    keys(&cluster).set("/recipes-test/a-key", "v", None).await.unwrap();
    let not_a_dir = Lock::new(keys(&cluster), "/recipes-test/a-key").lock_timeout(Duration::from_secs(5)).await;
    let error = not_a_dir.unwrap_err();
    assert!(error.as_etcd().is_some_and(|e| e.is_not_dir()), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_learns_that_its_key_was_deleted() {
    let Some(cluster) = cluster() else { return };
    let admin = keys(&cluster);
    let lock = Lock::new(keys(&cluster), dir("deleted")).with_ttl(Duration::from_secs(5));
    let guard = lock.lock().await.unwrap();
    assert_eq!(guard.lost_reason(), None);
    admin.delete(guard.key(), None::<DeleteOptions>).await.unwrap();
    let reason = timeout(Duration::from_secs(3), guard.lost()).await.expect("lost() within 3 s");
    assert_eq!(reason, LostReason::Gone);
    assert_eq!(guard.lost_reason(), Some(LostReason::Gone));
}

/// An entry without a keep-alive (what a create with an unknown outcome can leave, applied after the waiter
/// looked for it) holds the queue until its TTL, and no longer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_entry_blocks_the_queue_no_longer_than_its_ttl() {
    let Some(cluster) = cluster() else { return };
    let admin = keys(&cluster);
    let ttl = Duration::from_secs(2);
    let orphan =
        admin.create_in_order(&dir("orphan"), "orphan", Some(CreateInOrderOptions::new().with_ttl(ttl))).await.unwrap();
    let created = Instant::now();
    let lock = Lock::new(keys(&cluster), dir("orphan")).with_ttl(Duration::from_secs(5));
    let guard = timeout(Duration::from_secs(10), lock.lock()).await.expect("acquired within 10 s").unwrap();
    let waited = created.elapsed();
    eprintln!("acquired {waited:?} after an orphan entry with a TTL of {ttl:?} was created");
    assert!(guard.token() > orphan.node.created_index);
    // etcd expires keys on its leader's ticks (every 500 ms); the watch then tells the waiter.
    assert!(waited >= ttl - Duration::from_millis(100) && waited < ttl + Duration::from_secs(2), "{waited:?}");
    guard.unlock().await.unwrap();
}

/// Contenders take the lock in turns for as long as the nemesis kills, restarts, freezes and thaws members:
/// never two holders at once, by token and by time, and every contender keeps getting the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contenders_never_hold_the_lock_together_while_members_fail() {
    let Some(mut cluster) = cluster() else { return };
    let held = Arc::new(Mutex::new(Vec::<Held>::new()));
    let faults_over = Arc::new(AtomicBool::new(false));
    let (contenders, rounds) = (3, 5);
    let tasks: Vec<_> = (0..contenders)
        .map(|c| {
            let lock = Lock::new(keys(&cluster), dir("contended")).with_ttl(Duration::from_secs(5));
            let (held, faults_over) = (held.clone(), faults_over.clone());
            tokio::spawn(async move { contend(lock, format!("c{c}"), rounds, held, faults_over).await })
        })
        .collect();

    let nemesis = tokio::task::spawn_blocking(move || {
        let pause = Duration::from_millis(1500);
        for round in 0..4 {
            let member = round % 3;
            if round % 2 == 0 {
                cluster.kill(member).unwrap();
                std::thread::sleep(pause);
                cluster.restart(member).unwrap();
            } else {
                cluster.stop(member).unwrap();
                std::thread::sleep(pause);
                cluster.cont(member).unwrap();
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        cluster
    });
    let cluster = timeout(Duration::from_secs(30), nemesis).await.expect("faults within 30 s").unwrap();
    faults_over.store(true, Ordering::Relaxed);
    for task in tasks {
        timeout(Duration::from_secs(15), task).await.expect("the last rounds within 15 s of the faults").unwrap();
    }
    drop(cluster);
    let held = held.lock().unwrap().clone();
    eprintln!("{} holdings by {contenders} contenders", held.len());
    assert!(held.len() >= contenders * rounds, "{}", held.len());
    assert_exclusive(&held);
}

/// Takes the lock at least `rounds` times and until the faults are over, holding it 100 ms (or until lost), and
/// records each holding.
async fn contend(lock: Lock, who: String, rounds: usize, held: Arc<Mutex<Vec<Held>>>, faults_over: Arc<AtomicBool>) {
    let mut done = 0;
    while done < rounds || !faults_over.load(Ordering::Relaxed) {
        let guard = match lock.lock().await {
            Ok(guard) => guard,
            Err(error) => {
                eprintln!("{who}: {error}; queueing again");
                continue;
            }
        };
        let acquired = Instant::now();
        tokio::select! {
            reason = guard.lost() => eprintln!("{who}: lost the lock: {reason}"),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        let released = Instant::now();
        held.lock().unwrap().push(Held { who: who.clone(), token: guard.token(), acquired, released });
        if let Err(error) = guard.unlock().await {
            eprintln!("{who}: unlock: {error}");
        }
        done += 1;
    }
}

/// Through a keys API with a prefix, the lock addresses its keys without repeating the prefix: the holder's key
/// is kept alive past its TTL, and the waiter's watch of it sees the release.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_through_a_prefixed_keys_api_keeps_its_key_and_hands_it_over() {
    let Some(cluster) = cluster() else { return };
    let prefixed = |cluster| KeysApi::with_prefix(keys(cluster).client().clone(), "/tenant");
    let ttl = Duration::from_secs(1);
    let a = Lock::new(prefixed(&cluster), "/locks/p").with_ttl(ttl);
    let guard = a.lock().await.unwrap();
    assert!(guard.key().starts_with("/tenant/locks/p/"), "{}", guard.key());
    tokio::time::sleep(ttl * 2).await;
    assert_eq!(guard.lost_reason(), None, "kept alive past its TTL");

    let b = Lock::new(prefixed(&cluster), "/locks/p").with_ttl(ttl);
    let waiter = tokio::spawn(async move { b.lock().await.unwrap() });
    let admin = keys(&cluster);
    let queued = async {
        while admin.get("/tenant/locks/p", None).await.unwrap().node.nodes.len() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(Duration::from_secs(5), queued).await.expect("the waiter queued within 5 s");
    let released = Instant::now();
    guard.unlock().await.unwrap();
    let next = timeout(Duration::from_secs(1), waiter).await.expect("handed over within 1 s").unwrap();
    eprintln!("handed over in {:?}", released.elapsed());
    next.unlock().await.unwrap();
    assert!(admin.get("/tenant/locks/p", None).await.unwrap().node.nodes.is_empty());
}

/// The member the holder's client is pinned to freezes for longer than the TTL: the holder keeps the lock (its
/// refresh fails at the header timeout and the next reaches another member), and a waiter does not get it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_keeps_the_lock_while_its_pinned_member_is_frozen_past_the_ttl() {
    let Some(mut cluster) = cluster() else { return };
    let leader = cluster.wait_leader(Duration::from_secs(5)).unwrap();
    let order = [(leader + 1) % 3, (leader + 2) % 3, leader];
    let endpoints: Vec<String> = order.iter().map(|&m| cluster.member(m).client_url()).collect();
    let ttl = Duration::from_secs(4);
    let pinned = keys_in_order(endpoints, Duration::from_millis(1500));
    let guard = Lock::new(pinned, dir("pinned")).with_ttl(ttl).lock().await.unwrap();
    let waiter = Lock::new(keys(&cluster), dir("pinned")).with_ttl(ttl);
    let waiting = tokio::spawn(async move { waiter.lock().await.unwrap().token() });

    cluster.stop(order[0]).unwrap();
    tokio::time::sleep(ttl + Duration::from_millis(1500)).await;
    cluster.cont(order[0]).unwrap();
    assert_eq!(guard.lost_reason(), None);
    assert!(!waiting.is_finished(), "a waiter got the lock of a live holder");
    let token = guard.token();
    guard.unlock().await.unwrap();
    let next = timeout(Duration::from_secs(3), waiting).await.expect("handed over").unwrap();
    assert!(next > token);
}
