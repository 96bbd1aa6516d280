//! Each recipe against the in-memory etcd (etcd-fake) with tokio's clock paused: TTLs expire exactly when due,
//! so hand-over times are checked to the millisecond, and runs take no real time.

use std::time::Duration;

use etcd_fake::FakeEtcd;
use etcd_keys::{Client, GetOptions, KeysApi};
use etcd_recipes::{Cache, Change, Election, Lock, LostReason, Registration};
use tokio::time::{Instant, sleep, timeout};

const TTL: Duration = Duration::from_secs(5);

/// A three-member fake.
fn fake() -> FakeEtcd {
    FakeEtcd::builder().members(3).build()
}

/// A keys API over the given members of the fake, in that order.
fn keys(fake: &FakeEtcd, members: &[usize]) -> KeysApi {
    let endpoints: Vec<String> = members.iter().map(|&m| fake.member(m).endpoint()).collect();
    let client = Client::builder(endpoints)
        .shuffle_endpoints(false)
        .header_timeout_per_request(Duration::from_secs(1))
        .transport(fake.clone())
        .build()
        .unwrap();
    KeysApi::new(client)
}

/// The holder is cut off from etcd (its only member down): it learns it lost the lock exactly when its key
/// expires, and the waiter gets the lock at that moment, not before.
#[tokio::test(start_paused = true)]
async fn a_cut_off_holder_loses_the_lock_when_its_key_expires_and_the_waiter_takes_it_then() {
    let fake = fake();
    let holder = Lock::new(keys(&fake, &[0]), "/l").with_ttl(TTL).lock().await.unwrap();
    let waiter = Lock::new(keys(&fake, &[1, 2]), "/l").with_ttl(TTL);
    let waiting = tokio::spawn(async move {
        let guard = waiter.lock().await.unwrap();
        (Instant::now(), guard)
    });
    sleep(Duration::from_secs(7)).await;
    assert!(!waiting.is_finished(), "kept alive: no hand-over");

    fake.member(0).down();
    let lost = holder.lost();
    let reason = timeout(TTL * 2, lost).await.expect("lost within two TTLs");
    let lost_at = Instant::now();
    assert_eq!(reason, LostReason::KeepAliveFailed);
    let (acquired_at, guard) = timeout(TTL, waiting).await.expect("handed over").unwrap();
    assert!(guard.token() > holder.token());
    assert!(acquired_at >= lost_at, "the waiter got the lock before the holder knew it lost it");
    assert!(acquired_at - lost_at < Duration::from_millis(100), "{:?}", acquired_at - lost_at);
}

/// A create sent to a frozen member, given up on, and applied when the member wakes: an entry nobody keeps
/// alive. The waiter behind it gets the lock exactly a TTL after it was created.
#[tokio::test(start_paused = true)]
async fn an_orphan_entry_applied_late_blocks_the_queue_for_its_ttl_only() {
    let fake = fake();
    fake.member(0).freeze();
    let stuck = Lock::new(keys(&fake, &[0]), "/o").with_ttl(TTL);
    assert!(stuck.lock_timeout(Duration::from_secs(2)).await.unwrap_err().is_timeout());
    let observer = keys(&fake, &[1, 2]);
    fake.member(0).thaw();
    let orphan = async {
        loop {
            let read = observer.get("/o", Some(GetOptions::new().with_quorum())).await;
            if let Some(node) = read.ok().and_then(|r| r.node.nodes.into_iter().next()) {
                return (Instant::now(), node);
            }
            sleep(Duration::from_millis(10)).await;
        }
    };
    let (applied_at, orphan) = timeout(Duration::from_secs(5), orphan).await.expect("the late create applied");

    let waiter = Lock::new(keys(&fake, &[1, 2]), "/o").with_ttl(TTL);
    let guard = timeout(TTL * 2, waiter.lock()).await.expect("acquired").unwrap();
    let waited = applied_at.elapsed();
    assert!(guard.token() > orphan.created_index);
    assert!(waited <= TTL + Duration::from_millis(100), "blocked {waited:?}");
    assert!(waited >= TTL - Duration::from_millis(100), "the orphan was there: {waited:?}");
}

/// The registration's only member is down for longer than the TTL: it says it may be gone a TTL after its last
/// acknowledged refresh, the key expires, and when the member is back the key is written again.
#[tokio::test(start_paused = true)]
async fn a_registration_is_written_again_after_it_expired() {
    let fake = fake();
    let registration = Registration::start(keys(&fake, &[0]), "/svc/a", "a", TTL).await.unwrap();
    sleep(TTL * 2).await;
    assert_eq!(registration.writes(), 1);
    fake.member(0).down();
    sleep(TTL + Duration::from_secs(1)).await;
    assert!(!registration.is_registered());
    let observer = keys(&fake, &[1]);
    assert!(observer.get("/svc/a", None).await.unwrap_err().is_key_not_found(), "expired");
    fake.member(0).up();
    sleep(TTL / 3 + Duration::from_secs(1)).await;
    assert_eq!(registration.writes(), 2);
    assert!(registration.is_registered());
    assert_eq!(observer.get("/svc/a", None).await.unwrap().node.value, "a");
}

/// Candidates lead in turn; an observer sees each leader, then nobody.
#[tokio::test(start_paused = true)]
async fn an_observer_sees_each_leader_of_an_election() {
    let fake = fake();
    let a = Election::new(keys(&fake, &[0]), "/e", "a").with_ttl(TTL);
    let b = Election::new(keys(&fake, &[1]), "/e", "b").with_ttl(TTL);
    let mut observer = a.observe().await.unwrap();
    assert_eq!(observer.next().await, Some(None));
    let leading_a = a.campaign().await.unwrap();
    assert_eq!(observer.next().await.unwrap().unwrap().identity, "a");
    let campaign_b = tokio::spawn(async move { b.campaign().await.unwrap() });
    sleep(Duration::from_secs(1)).await;
    leading_a.resign().await.unwrap();
    assert_eq!(observer.next().await.unwrap().unwrap().identity, "b");
    let leading_b = campaign_b.await.unwrap();
    // b dies without resigning: its key expires, and nobody leads.
    fake.member(1).down();
    let gone = timeout(TTL * 2, observer.next()).await.expect("the leader's key expired");
    assert_eq!(gone, Some(None));
    assert_eq!(timeout(TTL, leading_b.lost()).await.unwrap(), LostReason::KeepAliveFailed);
}

/// The cache's only member is down while more than 1,000 writes happen elsewhere: back, the watch gets 401,
/// and the cache reads the tree again and reports what it missed.
#[tokio::test(start_paused = true)]
async fn a_cache_reads_the_tree_again_after_etcd_forgot_its_events() {
    let fake = fake();
    let writer = keys(&fake, &[1, 2]);
    writer.set("/c/gone", "x", None).await.unwrap();
    let cache = Cache::start(keys(&fake, &[0]), "/c").await.unwrap();
    let mut changes = cache.changes();
    fake.member(0).down();
    writer.delete("/c/gone", None).await.unwrap();
    writer.set("/c/new", "1", None).await.unwrap();
    for i in 0..1100 {
        writer.set("/elsewhere", &i.to_string(), None).await.unwrap();
    }
    fake.member(0).up();
    let mut seen = Vec::new();
    let reset = async {
        loop {
            match changes.next().await.unwrap() {
                Change::Reset { .. } => break,
                change => seen.push(change),
            }
        }
    };
    timeout(Duration::from_secs(30), reset).await.expect("a reset");
    assert!(seen.iter().any(|c| matches!(c, Change::Removed { node } if node.key == "/c/gone")), "{seen:?}");
    assert!(seen.iter().any(|c| matches!(c, Change::Put { node, .. } if node.key == "/c/new")), "{seen:?}");
    let keys: Vec<String> = cache.snapshot().into_keys().collect();
    assert_eq!(keys, ["/c/new"]);
}
