//! TTLs, expiry and watches under paused time: exact to the nanosecond, instant to run, the same every run.

use std::time::Duration;

use etcd_fake::FakeEtcd;
use etcd_keys::{Action, Client, GetOptions, KeysApi, PrevExist, SetOptions, WatcherOptions};
use tokio::time::{advance, timeout};

fn keys(fake: &FakeEtcd) -> KeysApi {
    KeysApi::new(Client::new(fake.clone()))
}

async fn next(watcher: &mut etcd_keys::Watcher) -> etcd_keys::Response {
    match timeout(Duration::from_secs(60), watcher.next()).await {
        Ok(Some(Ok(event))) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_key_expires_exactly_at_its_ttl_with_an_expire_event() {
    let fake = FakeEtcd::new();
    let keys = keys(&fake);
    let set = keys.set("/lease", "me", Some(SetOptions::new().with_ttl(Duration::from_secs(10)))).await.unwrap();
    assert_eq!(set.node.ttl, Some(10));
    let mut watcher = keys.watcher("/lease", Some(WatcherOptions::new().with_after_index(set.index)));

    advance(Duration::from_millis(9_999)).await;
    let still = keys.get("/lease", None).await.unwrap();
    assert_eq!(still.node.ttl, Some(1), "a millisecond left rounds up to a second");

    let started = tokio::time::Instant::now();
    let expired = next(&mut watcher).await;
    assert_eq!(expired.action, Action::Expire);
    assert_eq!(started.elapsed(), Duration::from_millis(1), "the expiry came exactly when due");
    assert_eq!(expired.node.modified_index, set.index + 1);
    assert_eq!(expired.prev_node.unwrap().value, "me");
    assert!(keys.get("/lease", None).await.unwrap_err().is_key_not_found());
}

#[tokio::test(start_paused = true)]
async fn refresh_extends_without_waking_watchers_and_a_directory_expires_whole() {
    let fake = FakeEtcd::new();
    let keys = keys(&fake);
    let start = tokio::time::Instant::now();
    let ttl = |s| SetOptions::new().with_ttl(Duration::from_secs(s));
    keys.set("/svc", "", Some(ttl(5).with_dir())).await.unwrap();
    let inner = keys.set("/svc/a", "1", None).await.unwrap();
    let hb = keys.set("/hb", "up", Some(ttl(5))).await.unwrap();
    assert_eq!(hb.index, inner.index + 1);
    let mut watcher = keys.watcher("/", Some(WatcherOptions::new().with_recursive().with_after_index(hb.index)));

    advance(Duration::from_secs(4)).await;
    let refresh = ttl(5).with_refresh().with_prev_exist(PrevExist::Exists);
    let refreshed = keys.set("/hb", "", Some(refresh)).await.unwrap();
    assert_eq!((refreshed.node.value.as_str(), refreshed.node.ttl), ("up", Some(5)));

    // The refresh is not an event: the next one is the directory's expiry at 5 s, with its child gone too.
    let first = next(&mut watcher).await;
    assert_eq!(watcher_key(&first), (Action::Expire, "/svc"));
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert!(first.node.is_dir());
    assert!(keys.get("/svc/a", None).await.unwrap_err().is_key_not_found());
    let second = next(&mut watcher).await;
    assert_eq!(watcher_key(&second), (Action::Expire, "/hb"), "the refreshed key expires 5 s after its refresh");
    assert_eq!(start.elapsed(), Duration::from_secs(9));
}

fn watcher_key(event: &etcd_keys::Response) -> (Action, &str) {
    (event.action.clone(), event.node.key.as_str())
}

#[tokio::test(start_paused = true)]
async fn the_history_keeps_a_thousand_events_then_answers_401() {
    let fake = FakeEtcd::new();
    let keys = keys(&fake);
    let first = keys.set("/h", "0", None).await.unwrap().index;
    for i in 1..1000 {
        keys.set("/h", &i.to_string(), None).await.unwrap();
    }
    // 1,000 events kept: the first is still there.
    let mut oldest = keys.watcher("/h", Some(WatcherOptions::new().with_after_index(first - 1)));
    assert_eq!(next(&mut oldest).await.node.value, "0");

    keys.set("/h", "1000", None).await.unwrap();
    let mut cleared = keys.watcher("/h", Some(WatcherOptions::new().with_after_index(first - 1)));
    match timeout(Duration::from_secs(5), cleared.next()).await.unwrap() {
        Some(Err(e)) => {
            assert!(e.is_event_index_cleared(), "{e}");
            let etcd = e.as_etcd().unwrap();
            assert_eq!(
                etcd.cause(),
                Some(format!("the requested history has been cleared [{}/{first}]", first + 1).as_str())
            );
        }
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn hidden_keys_are_listed_nowhere_and_skipped_by_live_recursive_watches() {
    let fake = FakeEtcd::new();
    let keys = keys(&fake);
    keys.set("/app/visible", "v", None).await.unwrap();
    let mut tree = keys.watcher("/app", Some(WatcherOptions::new().with_recursive()));
    let mut by_name = keys.watcher("/app/_lock", None);
    let tree = tokio::spawn(async move { next(&mut tree).await });
    let by_name = tokio::spawn(async move { next(&mut by_name).await });
    // Both registered in the store (etcd's history scan, for a watch from an old index, does not skip hidden
    // keys: only live notification does).
    timeout(Duration::from_secs(5), async {
        while fake.watcher_count() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the watchers registered");
    keys.set("/app/_lock", "held", None).await.unwrap();
    keys.set("/app/other", "o", None).await.unwrap();

    assert_eq!(by_name.await.unwrap().node.key, "/app/_lock");
    assert_eq!(tree.await.unwrap().node.key, "/app/other", "a recursive watch skips hidden keys");
    let listed = keys.get("/app", Some(GetOptions::new().with_recursive())).await.unwrap();
    let names: Vec<&str> = listed.node.nodes.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(names, ["/app/other", "/app/visible"]);
    assert_eq!(keys.get("/app/_lock", None).await.unwrap().node.value, "held");
}

#[tokio::test(start_paused = true)]
async fn create_in_order_names_are_twenty_digits_of_the_index() {
    let fake = FakeEtcd::new();
    let keys = keys(&fake);
    let job = keys.create_in_order("/jobs", "a", None).await.unwrap();
    assert_eq!(job.node.key, format!("/jobs/{:020}", job.node.created_index));
    assert_eq!(fake.index(), job.index);
}
