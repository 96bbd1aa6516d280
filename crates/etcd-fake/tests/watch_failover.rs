//! A watch through its member's failures (down, frozen, body cut) in a three-member fake, under paused time:
//! every index once, in order (writes and TTL expiries), and the same run every time.

use std::time::Duration;

use etcd_fake::FakeEtcd;
use etcd_keys::{Action, Client, KeysApi, SetOptions, WatcherOptions};
use tokio::time::timeout;

#[derive(Clone, Copy, Debug)]
enum Failure {
    Down,
    Freeze,
    CutBody,
}

async fn watch_through(failure: Failure) {
    let fake = FakeEtcd::builder().members(3).build();
    let keys = KeysApi::new(
        Client::builder(fake.endpoints())
            .transport(fake.clone())
            .shuffle_endpoints(false)
            .header_timeout_per_request(Duration::from_secs(1))
            .build()
            .unwrap(),
    );
    let start = keys.set("/w/seed", "", None).await.unwrap().index;
    let options = WatcherOptions::new()
        .with_recursive()
        .with_after_index(start)
        .with_liveness_probe(Duration::from_secs(2), Duration::from_secs(1));
    let mut watcher = keys.watcher("/w", Some(options));
    // The writer talks to the other members: only the watcher meets the failures.
    let others = fake.endpoints()[1..].to_vec();
    let writer_keys = KeysApi::new(Client::builder(others).transport(fake.clone()).build().unwrap());
    let writer = {
        let (keys, fake) = (writer_keys, fake.clone());
        tokio::spawn(async move {
            let mut last = start;
            for i in 0..60 {
                if i == 20 {
                    match failure {
                        Failure::Down => fake.member(0).down(),
                        Failure::Freeze => fake.member(0).freeze(),
                        Failure::CutBody => fake.member(0).cut_body(),
                    };
                }
                if i == 40 {
                    fake.member(0).heal();
                }
                // A pause between writes lets the watcher keep up (on tokio's paused clock: no real wait).
                // The first five keys live a second: their expiries take indexes among the writes.
                let (key, ttl) = match i {
                    0..5 => (format!("/w/ttl{i}"), Some(SetOptions::new().with_ttl(Duration::from_secs(1)))),
                    _ => (format!("/w/k{}", i % 7), None),
                };
                last = keys.set(&key, &i.to_string(), ttl).await.unwrap().index;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            last
        })
    };
    let mut writer = writer;
    let mut seen: Vec<u64> = Vec::new();
    let mut expiries = 0;
    let mut last = None;
    let followed = timeout(Duration::from_secs(600), async {
        while last.is_none() || seen.last() != last.as_ref() {
            tokio::select! {
                event = watcher.next() => match event {
                    Some(Ok(event)) => {
                        expiries += usize::from(event.action == Action::Expire);
                        seen.push(event.node.modified_index);
                    }
                    other => panic!("{failure:?}: expected an event, got {other:?}"),
                },
                written = &mut writer, if last.is_none() => last = Some(written.unwrap()),
            }
        }
    })
    .await;
    assert!(followed.is_ok(), "{failure:?}: the watcher did not catch up: {seen:?}");
    let last = last.unwrap();
    let expected: Vec<u64> = (start + 1..=last).collect();
    assert_eq!(seen, expected, "{failure:?}: every index once, in order");
    assert_eq!(expiries, 5, "{failure:?}: every expiry seen");
}

#[tokio::test(start_paused = true)]
async fn a_watch_survives_its_member_down() {
    watch_through(Failure::Down).await;
}

#[tokio::test(start_paused = true)]
async fn a_watch_survives_its_member_frozen() {
    watch_through(Failure::Freeze).await;
}

#[tokio::test(start_paused = true)]
async fn a_watch_survives_its_member_cutting_bodies() {
    watch_through(Failure::CutBody).await;
}
