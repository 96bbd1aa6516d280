//! Testing your code against the in-memory etcd (`etcd-fake`): etcd's real semantics in process, with time
//! under the test's control. The three checks below are what a user's tests look like; each would be a
//! `#[tokio::test(start_paused = true)]` in your crate.
//!
//! 1. A lease with a TTL expires exactly when due: `tokio::time::advance` moves the fake's clock.
//! 2. A watch sees the writes that follow it, with their indexes.
//! 3. A frozen member: the client's header timeout leaves it, and the write it was holding applies on thaw.
//!
//! `cargo run -p examples --example fake_test` (no etcd needed)

use std::time::Duration;

use etcd_fake::FakeEtcd;
use etcd_keys::{Action, Client, KeysApi, SetOptions, WatcherOptions};

/// The code under test: take a lease on `name` for `ttl`, if no one holds it.
async fn acquire(keys: &KeysApi, name: &str, ttl: Duration) -> Result<bool, etcd_keys::Error> {
    let options = SetOptions::new().with_ttl(ttl).with_prev_exist(etcd_keys::PrevExist::NotExists);
    match keys.set(&format!("/leases/{name}"), "me", Some(options)).await {
        Ok(_) => Ok(true),
        Err(e) if e.is_node_exist() => Ok(false),
        Err(e) => Err(e),
    }
}

async fn a_lease_expires_exactly_when_due() -> Result<(), etcd_keys::Error> {
    let fake = FakeEtcd::new();
    let keys = KeysApi::new(Client::new(fake.clone()));
    assert!(acquire(&keys, "db", Duration::from_secs(30)).await?);
    assert!(!acquire(&keys, "db", Duration::from_secs(30)).await?, "held");
    tokio::time::advance(Duration::from_millis(29_999)).await;
    assert!(!acquire(&keys, "db", Duration::from_secs(30)).await?, "still held a millisecond before expiry");
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(acquire(&keys, "db", Duration::from_secs(30)).await?, "free at 30 s exactly");
    println!("1. the lease expired at 30 s exactly (paused time: the test took no time)");
    Ok(())
}

async fn a_watch_sees_what_follows() -> Result<(), etcd_keys::Error> {
    let fake = FakeEtcd::new();
    let keys = KeysApi::new(Client::new(fake.clone()));
    let start = keys.set("/config/mode", "slow", None).await?;
    let mut watcher =
        keys.watcher("/config", Some(WatcherOptions::new().with_recursive().with_after_index(start.index)));
    keys.set("/config/mode", "fast", None).await?;
    keys.delete("/config/mode", None).await?;
    let changed = watcher.next().await.expect("a watch does not end")?;
    let deleted = watcher.next().await.expect("a watch does not end")?;
    assert_eq!((changed.action, changed.node.value.as_str()), (Action::Set, "fast"));
    assert_eq!(deleted.action, Action::Delete);
    assert_eq!(deleted.node.modified_index, changed.node.modified_index + 1);
    println!("2. the watch saw set(fast) at {} and delete at {}", changed.index, deleted.node.modified_index);
    Ok(())
}

async fn a_frozen_member_is_left_and_its_write_lands_later() -> Result<(), etcd_keys::Error> {
    let fake = FakeEtcd::builder().members(3).build();
    let client = Client::builder(fake.endpoints())
        .transport(fake.clone())
        .shuffle_endpoints(false)
        .header_timeout_per_request(Duration::from_secs(1))
        .build()?;
    let keys = KeysApi::new(client);
    fake.member(0).freeze();
    // A create is never sent twice: the client gives up on the frozen member, saying the outcome is unknown.
    let unknown = keys.create("/jobs/42", "queued").await.unwrap_err();
    assert!(unknown.is_outcome_unknown() || unknown.is_timeout(), "{unknown}");
    assert!(keys.get("/jobs/42", None).await.unwrap_err().is_key_not_found(), "not applied while frozen");
    let before = fake.index();
    fake.member(0).thaw();
    // The thawed member's queued write runs on its own task: wait for it, bounded.
    tokio::time::timeout(Duration::from_secs(1), async {
        while fake.index() == before {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the write applied on thaw");
    assert_eq!(keys.get("/jobs/42", None).await?.node.value, "queued", "applied on thaw, as a real member does");
    println!("3. the frozen member's write applied when it thawed; reads went to the next member meanwhile");
    Ok(())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), etcd_keys::Error> {
    a_lease_expires_exactly_when_due().await?;
    a_watch_sees_what_follows().await?;
    a_frozen_member_is_left_and_its_write_lands_later().await?;
    Ok(())
}
